//! Queries behind the operator's commands: the status report, choosing failed rows to replay,
//! and purging old history in batches.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// One line of the `webhook_outbox_backlog` view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BacklogRow {
    pub status: String,
    pub events: i64,
    pub oldest_created_at: Option<DateTime<Utc>>,
}

/// The `webhook_outbox_oldest_pending` view: how far behind delivery is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OldestPending {
    /// Rows `pending` or `delivering`.
    pub undelivered: i64,
    pub oldest_created_at: Option<DateTime<Utc>>,
    /// Seconds since the oldest undelivered row was written (0 when there is none).
    pub oldest_age_secs: f64,
}

/// A line of the `webhook_outbox_failures` view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRow {
    pub id: Uuid,
    pub organization_id: String,
    pub event_type: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_http_status: Option<i32>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An organization whose Svix application could not be had.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationError {
    pub id: String,
    pub name: String,
    pub last_error: String,
    pub updated_at: DateTime<Utc>,
}

/// Which `failed` rows a replay takes: `ids` and `organization_id` narrow it (both `None`: all).
#[derive(Debug, Clone, Copy, Default)]
pub struct FailedFilter<'a> {
    pub ids: Option<&'a [Uuid]>,
    pub organization_id: Option<&'a str>,
}

/// Rows and the oldest row per status (statuses without rows are absent).
pub async fn backlog(conn: &mut PgConnection) -> Result<Vec<BacklogRow>, sqlx::Error> {
    sqlx::query_as!(
        BacklogRow,
        r#"select status as "status!", events as "events!", oldest_created_at
           from webhook_outbox_backlog order by status"#
    )
    .fetch_all(conn)
    .await
}

pub async fn oldest_pending(conn: &mut PgConnection) -> Result<OldestPending, sqlx::Error> {
    sqlx::query_as!(
        OldestPending,
        r#"select undelivered as "undelivered!", oldest_created_at,
                  extract(epoch from oldest_age)::float8 as "oldest_age_secs!"
           from webhook_outbox_oldest_pending"#
    )
    .fetch_one(conn)
    .await
}

/// The `limit` most recent failures, by their last attempt (rows failed without one last).
pub async fn recent_failures(conn: &mut PgConnection, limit: i64) -> Result<Vec<FailureRow>, sqlx::Error> {
    sqlx::query_as!(
        FailureRow,
        r#"select id as "id!", organization_id as "organization_id!", event_type as "event_type!",
                  attempts as "attempts!", last_error, last_http_status, last_attempt_at,
                  created_at as "created_at!"
           from webhook_outbox_failures
           order by last_attempt_at desc nulls last, created_at desc, id
           limit $1"#,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Organizations whose Svix application has a `last_error`, most recently changed first.
pub async fn organization_errors(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<OrganizationError>, sqlx::Error> {
    sqlx::query_as!(
        OrganizationError,
        r#"select id, name, last_error as "last_error!", updated_at
           from webhook_organizations
           where last_error is not null
           order by updated_at desc, id
           limit $1"#,
        limit
    )
    .fetch_all(conn)
    .await
}

/// How many `failed` rows `filter` selects.
pub async fn count_failed(conn: &mut PgConnection, filter: FailedFilter<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from webhook_outbox
           where status = 'failed'
             and ($1::uuid[] is null or id = any($1))
             and ($2::text is null or organization_id = $2)"#,
        filter.ids,
        filter.organization_id
    )
    .fetch_one(conn)
    .await
}

/// Up to `limit` ids of `failed` rows `filter` selects, in id order, strictly after `after`.
/// Keyset paging rather than "the next failed rows": a replayed row that fails again at once must
/// not be picked up a second time by the same replay.
pub async fn failed_ids(
    conn: &mut PgConnection,
    filter: FailedFilter<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select id from webhook_outbox
           where status = 'failed'
             and ($1::uuid[] is null or id = any($1))
             and ($2::text is null or organization_id = $2)
             and ($3::uuid is null or id > $3)
           order by id
           limit $4"#,
        filter.ids,
        filter.organization_id,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The purge cutoff: the database's `now()` minus `older_than_secs`, so the client's clock
/// does not matter.
pub async fn cutoff(conn: &mut PgConnection, older_than_secs: i64) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select now() - make_interval(secs => $1::float8) as "cutoff!""#,
        older_than_secs as f64
    )
    .fetch_one(conn)
    .await
}

/// How many rows a purge with this cutoff would delete.
pub async fn count_purgeable(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    include_failed: bool,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from webhook_outbox
           where created_at < $1 and (status = 'delivered' or ($2 and status = 'failed'))"#,
        cutoff,
        include_failed
    )
    .fetch_one(conn)
    .await
}

/// Deletes up to `limit` `delivered` rows (and `failed` ones when `include_failed`) created
/// before `cutoff`, with their attempts (the foreign key cascades); returns how many. A short
/// statement per batch keeps locks and WAL bursts small on a busy table. Rows another
/// transaction holds (an API retry of a failed row) are skipped, not waited for: the row
/// lock also guarantees the status checked here is the status deleted.
pub async fn purge_batch(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    include_failed: bool,
    limit: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"with doomed as (
               select id from webhook_outbox
               where created_at < $1 and (status = 'delivered' or ($2 and status = 'failed'))
               limit $3
               for update skip locked
           ), deleted as (
               delete from webhook_outbox o using doomed where o.id = doomed.id returning 1
           )
           select count(*) as "count!" from deleted"#,
        cutoff,
        include_failed,
        limit
    )
    .fetch_one(conn)
    .await
}
