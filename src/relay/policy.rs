//! What a hand-off's result means: for the row (delivered, retried after a backoff, or failed
//! with an error a person can act on), and for the relay as a whole (a 429 or a refused token).

use std::time::Duration;

use super::backoff::Backoff;
use super::claim::{Claimed, Outcome};
use super::deliver::HandOff;
use crate::svix::{ApplicationError, SvixError};

/// The retry policy: how many hand-offs a row gets and how long it waits between them.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: i32,
    pub backoff: Backoff,
}

/// What the relay learns from a hand-off beyond the row's own outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Nothing,
    /// Svix took a message: a rate-limit pause may end.
    Accepted,
    /// Svix answered 429: pause every hand-off for a while.
    RateLimited,
    /// Svix refused the token: stop claiming until it accepts it again.
    Refused {
        status: u16,
    },
}

impl Policy {
    /// The outcome of a row claimed more often than allowed without any outcome recorded: the
    /// relays holding it kept stopping mid-delivery (only expired leases get a row here).
    pub fn exhausted_by_lost_leases(&self, row: &Claimed) -> Option<Outcome> {
        (row.attempts > self.max_attempts).then(|| Outcome::Failed {
            error: format!(
                "gave up after {} hand-offs whose relays stopped before recording an outcome; \
                 replay it once the relays are healthy",
                row.attempts - 1
            ),
            http_status: None,
        })
    }

    /// The row's outcome after a hand-off, and what the relay should learn from it.
    pub fn judge(&self, row: &Claimed, result: Result<HandOff, ApplicationError>) -> (Outcome, Signal) {
        let error = match result {
            Ok(HandOff::Created(id)) => {
                return (Outcome::Delivered { svix_message_id: id, duplicate: false }, Signal::Accepted);
            }
            Ok(HandOff::Duplicate(id)) => {
                return (Outcome::Delivered { svix_message_id: id, duplicate: true }, Signal::Accepted);
            }
            Err(error) => error,
        };
        let http_status = match &error {
            ApplicationError::Svix(svix) => svix.http_status(),
            ApplicationError::Database(_) => None,
        };
        match &error {
            // Our configuration, not the row, is at fault: it waits without using up attempts.
            ApplicationError::Svix(SvixError::Unauthorized { status }) => {
                let outcome = Outcome::Retry { error: error.to_string(), http_status, delay: Duration::ZERO };
                (outcome, Signal::Refused { status: *status })
            }
            ApplicationError::Svix(SvixError::RateLimited) => {
                (self.retry_or_fail(row, error.to_string(), http_status), Signal::RateLimited)
            }
            _ if error.is_retryable() => {
                (self.retry_or_fail(row, error.to_string(), http_status), Signal::Nothing)
            }
            _ => {
                let error =
                    format!("{error}; this will not succeed by retrying: fix the event, then replay it");
                (Outcome::Failed { error, http_status }, Signal::Nothing)
            }
        }
    }

    /// Back to pending after a backoff, or `failed` once the row has had `RELAY_MAX_ATTEMPTS`.
    pub fn retry_or_fail(&self, row: &Claimed, error: String, http_status: Option<u16>) -> Outcome {
        if row.attempts >= self.max_attempts {
            let error =
                format!("gave up after {} attempts (RELAY_MAX_ATTEMPTS); last error: {error}", row.attempts);
            return Outcome::Failed { error, http_status };
        }
        Outcome::Retry { error, http_status, delay: self.backoff.delay(row.attempts) }
    }
}
