//! The relay's SQL: claiming due rows under a lease, and writing outcomes only while the lease holds.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// A row this relay holds under a lease, with what delivery needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub organization_id: String,
    pub event_type: String,
    pub payload: Value,
    pub event_id: Option<String>,
    /// Hand-offs including this one.
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

impl Claimed {
    /// What Svix dedupes on: the producer's idempotency key, else the row id.
    pub fn svix_event_id(&self) -> String {
        crate::outbox::svix_event_id(self.id, self.event_id.as_deref())
    }
}

/// One claim: the rows taken together, and the token that proves this relay still holds them.
#[derive(Debug)]
pub struct Claim {
    pub token: Uuid,
    pub rows: Vec<Claimed>,
}

/// Takes up to `limit` due rows (pending and due, or delivering with an expired lease), marks them
/// `delivering` under a new lease of `lease`, and commits, so other relays skip them until it ends.
pub async fn claim(pool: &PgPool, relay: &str, limit: u32, lease: Duration) -> Result<Claim, sqlx::Error> {
    let token = Uuid::new_v4();
    // The CTE bounds the rows locked to `limit`: a plain `update … where id in (select … limit)`
    // may be re-planned as a join that locks and updates more. SKIP LOCKED lets relays claim
    // side by side without waiting on each other.
    let rows = sqlx::query_as!(
        Claimed,
        "with due as (
             select id from webhook_outbox
             where status in ('pending', 'delivering') and next_attempt_at <= now()
             order by next_attempt_at
             limit $1
             for update skip locked
         )
         update webhook_outbox o
         set status = 'delivering',
             attempts = o.attempts + 1,
             next_attempt_at = now() + make_interval(secs => $2),
             lease_token = $3,
             leased_by = $4
         from due
         where o.id = due.id
         returning o.id, o.organization_id, o.event_type, o.payload, o.event_id, o.attempts, o.created_at",
        i64::from(limit),
        lease.as_secs_f64(),
        token,
        relay,
    )
    .fetch_all(pool)
    .await?;
    Ok(Claim { token, rows })
}

/// What became of one hand-off, as the outcome writer records it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Svix has the message; `duplicate` when an earlier hand-off had created it (409).
    Delivered { svix_message_id: String, duplicate: bool },
    /// Try again after `delay`, counted from the database's clock when the outcome is written, so
    /// relays on hosts whose clocks disagree still space retries as intended.
    Retry { error: String, http_status: Option<u16>, delay: Duration },
    /// Gave up: a permanent refusal or too many attempts. Replayable.
    Failed { error: String, http_status: Option<u16> },
    /// Never handed off (shutdown, or too little lease left): back to pending, attempt not counted.
    Released,
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Delivered { duplicate: false, .. } => "delivered",
            Outcome::Delivered { duplicate: true, .. } => "duplicate",
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => "failed",
            Outcome::Released => "released",
        }
    }
}

/// An outcome with the facts of the hand-off that produced it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub id: Uuid,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    pub outcome: Outcome,
}

/// Writes outcomes of one claim in one statement and logs each hand-off in the attempts table.
/// Returns the ids whose outcome was written: a row another relay has claimed since (its lease
/// expired) is left alone.
pub async fn record(
    pool: &PgPool,
    token: Uuid,
    relay: &str,
    batch: &[Recorded],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut ids = Vec::with_capacity(batch.len());
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut message_ids = Vec::with_capacity(batch.len());
    let mut errors = Vec::with_capacity(batch.len());
    let mut statuses = Vec::with_capacity(batch.len());
    let mut retry_in = Vec::with_capacity(batch.len());
    let mut attempts = Vec::with_capacity(batch.len());
    let mut started = Vec::with_capacity(batch.len());
    let mut durations = Vec::with_capacity(batch.len());
    for r in batch {
        ids.push(r.id);
        outcomes.push(r.outcome.name());
        attempts.push(r.attempt);
        started.push(r.started_at);
        durations.push(i32::try_from(r.duration.as_millis()).unwrap_or(i32::MAX));
        let (message_id, error, status, delay) = match &r.outcome {
            Outcome::Delivered { svix_message_id, .. } => (Some(svix_message_id.as_str()), None, None, None),
            Outcome::Retry { error, http_status, delay } => {
                (None, Some(error.as_str()), *http_status, Some(delay.as_secs_f64()))
            }
            Outcome::Failed { error, http_status } => (None, Some(error.as_str()), *http_status, None),
            Outcome::Released => (None, None, None, None),
        };
        message_ids.push(message_id);
        errors.push(error);
        statuses.push(status.map(i32::from));
        retry_in.push(delay);
    }
    sqlx::query_scalar!(
        r#"with input as (
             select * from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[],
                                  $7::float8[], $8::int[], $9::timestamptz[], $10::int[])
                 as i(id, outcome, svix_message_id, error, http_status, retry_in_secs, attempt, started_at, duration_ms)
         ),
         updated as (
             update webhook_outbox o
             set status = case i.outcome when 'delivered' then 'delivered' when 'duplicate' then 'delivered'
                                         when 'failed' then 'failed' else 'pending' end,
                 svix_message_id = coalesce(i.svix_message_id, o.svix_message_id),
                 delivered_at = case when i.svix_message_id is not null then now() else o.delivered_at end,
                 last_error = case when i.outcome = 'released' then o.last_error else i.error end,
                 next_attempt_at = case i.outcome when 'retry' then now() + make_interval(secs => i.retry_in_secs)
                                                  when 'released' then now()
                                                  else o.next_attempt_at end,
                 attempts = case when i.outcome = 'released' then o.attempts - 1 else o.attempts end,
                 lease_token = null
             from input i
             -- compare-and-set on the lease: a relay whose lease expired and was taken over must
             -- not overwrite the newer holder's outcome
             where o.id = i.id and o.lease_token = $1 and o.status = 'delivering'
             returning o.id
         ),
         logged as (
             insert into webhook_outbox_attempts
                 (outbox_id, attempt, relay, started_at, duration_ms, outcome, http_status, error, svix_message_id)
             select i.id, i.attempt, $11, i.started_at, i.duration_ms, i.outcome, i.http_status, i.error, i.svix_message_id
             from input i
             where i.outcome <> 'released' and exists (select 1 from webhook_outbox w where w.id = i.id)
         )
         select id as "id!" from updated"#,
        token,
        &ids,
        &outcomes as &[&str],
        &message_ids as &[Option<&str>],
        &errors as &[Option<&str>],
        &statuses as &[Option<i32>],
        &retry_in as &[Option<f64>],
        &attempts,
        &started,
        &durations,
        relay,
    )
    .fetch_all(pool)
    .await
}

/// When the earliest pending row or lease falls due, so an idle relay can sleep until then.
pub async fn next_due(pool: &PgPool) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        "select min(next_attempt_at) from webhook_outbox where status in ('pending', 'delivering')"
    )
    .fetch_one(pool)
    .await
}
