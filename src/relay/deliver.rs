//! One hand-off: a claimed row becomes a Svix message in its organization's application, with
//! `eventId` set so that a repeated hand-off can never create a second message.

use std::time::Instant;

use super::claim::Claimed;
use crate::svix::{ApplicationError, Applications, NewMessage, SvixError};
use crate::telemetry;

/// What Svix holds for the row after a successful hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOff {
    /// This hand-off created the message.
    Created(String),
    /// An earlier hand-off had created it (Svix answered 409 for the `eventId`); this is its id.
    Duplicate(String),
}

/// Hands one row to Svix and returns the message id Svix holds for it.
#[tracing::instrument(skip_all, fields(outbox.id = %row.id, svix.app = %row.organization_id, attempt = row.attempts), err(level = "warn"))]
pub async fn hand_off(apps: &Applications, row: &Claimed) -> Result<HandOff, ApplicationError> {
    let message = NewMessage {
        event_id: row.svix_event_id(),
        event_type: row.event_type.clone(),
        payload: row.payload.clone(),
    };
    match send(apps, &row.organization_id, &message).await {
        // The application id we know is gone from Svix (deleted there): forget it and
        // get-or-create the application again, once.
        Err(ApplicationError::Svix(SvixError::NotFound(_))) => {
            apps.forget(&row.organization_id).await?;
            send(apps, &row.organization_id, &message).await
        }
        other => other,
    }
}

async fn send(
    apps: &Applications,
    organization_id: &str,
    message: &NewMessage,
) -> Result<HandOff, ApplicationError> {
    let app_id = apps.app_id(organization_id).await?;
    let svix = apps.svix();
    match timed("create_message", svix.create_message(&app_id, message)).await {
        Ok(id) => Ok(HandOff::Created(id)),
        // An earlier hand-off reached Svix but its answer never got recorded (the relay died,
        // the answer was lost, or the lease moved on): record that message instead.
        Err(SvixError::Conflict(_)) => {
            let id = timed("find_message", svix.find_message(&app_id, &message.event_id)).await?;
            Ok(HandOff::Duplicate(id))
        }
        Err(error) => Err(error.into()),
    }
}

/// Runs one Svix call and records its duration by call and outcome.
async fn timed<T>(
    call: &'static str,
    request: impl Future<Output = Result<T, SvixError>>,
) -> Result<T, SvixError> {
    let start = Instant::now();
    let result = request.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(error) => error.kind(),
    };
    metrics::histogram!(telemetry::SVIX_REQUEST_DURATION_SECONDS, "call" => call, "outcome" => outcome)
        .record(start.elapsed().as_secs_f64());
    result
}
