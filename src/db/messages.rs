//! Queries on `webhook_outbox` for the HTTP API: one message's state, a keyset-paginated list, a
//! retry of a failed row, and the backlog per status for `/metrics`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// The delivery state of one outbox row (everything but the payload and the lease).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub id: Uuid,
    pub organization_id: String,
    pub event_type: String,
    pub event_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub svix_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl MessageRow {
    /// The `eventId` Svix knows the message by: the producer's key, else the row id.
    pub fn svix_event_id(&self) -> String {
        crate::outbox::svix_event_id(self.id, self.event_id.as_deref())
    }

    /// The best name to ask Svix about this message with: its `msg_…` id once recorded.
    pub fn svix_reference(&self) -> String {
        self.svix_message_id.clone().unwrap_or_else(|| self.svix_event_id())
    }
}

/// Where a page of [`list`] starts: strictly after this row in (created_at desc, id desc) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// The row with this id.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<MessageRow>, sqlx::Error> {
    sqlx::query_as!(
        MessageRow,
        "select id, organization_id, event_type, event_id, status, attempts, next_attempt_at,
                svix_message_id, last_error, created_at, delivered_at
         from webhook_outbox where id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// The organization's row named by `reference`: its row id, its `event_id` or its Svix
/// `msg_…` id, preferring that order when (absurdly) several rows match.
pub async fn find(
    executor: impl PgExecutor<'_>,
    organization_id: &str,
    reference: &str,
) -> Result<Option<MessageRow>, sqlx::Error> {
    let as_uuid = Uuid::parse_str(reference).ok();
    sqlx::query_as!(
        MessageRow,
        "select id, organization_id, event_type, event_id, status, attempts, next_attempt_at,
                svix_message_id, last_error, created_at, delivered_at
         from webhook_outbox
         where organization_id = $1 and (id = $2 or event_id = $3 or svix_message_id = $3)
         order by (id = $2) is true desc, (event_id = $3) is true desc
         limit 1",
        organization_id,
        as_uuid,
        reference
    )
    .fetch_optional(executor)
    .await
}

/// Up to `limit` of the organization's rows, newest first, optionally of one status, starting
/// after `after`. Two statements rather than one with `$n is null or …`: only the plain row
/// comparison lets PostgreSQL start the index scan at the cursor instead of filtering up to it.
pub async fn list(
    pool: &PgPool,
    organization_id: &str,
    status: Option<&str>,
    after: Option<After>,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    match after {
        None => {
            sqlx::query_as!(
                MessageRow,
                "select id, organization_id, event_type, event_id, status, attempts, next_attempt_at,
                        svix_message_id, last_error, created_at, delivered_at
                 from webhook_outbox
                 where organization_id = $1 and ($2::text is null or status = $2)
                 order by created_at desc, id desc
                 limit $3",
                organization_id,
                status,
                limit
            )
            .fetch_all(pool)
            .await
        }
        Some(after) => {
            sqlx::query_as!(
                MessageRow,
                "select id, organization_id, event_type, event_id, status, attempts, next_attempt_at,
                        svix_message_id, last_error, created_at, delivered_at
                 from webhook_outbox
                 where organization_id = $1 and ($2::text is null or status = $2)
                   and (created_at, id) < ($3, $4)
                 order by created_at desc, id desc
                 limit $5",
                organization_id,
                status,
                after.created_at,
                after.id,
                limit
            )
            .fetch_all(pool)
            .await
        }
    }
}

/// Puts a `failed` row back to `pending` and wakes the relays, in a transaction of its own; see
/// [`retry_failed`]. `None` if the row is not `failed` (any more).
pub async fn retry(pool: &PgPool, id: Uuid) -> Result<Option<MessageRow>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let row = retry_failed(&mut tx, &[id]).await?.pop();
    tx.commit().await?;
    Ok(row)
}

/// Puts the `failed` rows among `ids` back to `pending`, due now, with their attempts reset so
/// they get the full `RELAY_MAX_ATTEMPTS` again, and wakes the relays when the caller's
/// transaction commits. `last_error` is kept: it stays the last failure a person can read until
/// the next attempt replaces it. Rows that are not `failed` (any more) are left alone and not
/// returned: the status check is in the update, so a concurrent change wins. The one place a
/// failed row is revived: the API's retry and the CLI's `replay` both come here.
pub async fn retry_failed(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<MessageRow>, sqlx::Error> {
    let rows = sqlx::query_as!(
        MessageRow,
        "update webhook_outbox
         set status = 'pending', attempts = 0, next_attempt_at = now(), leased_by = null, lease_token = null
         where id = any($1) and status = 'failed'
         returning id, organization_id, event_type, event_id, status, attempts, next_attempt_at,
                   svix_message_id, last_error, created_at, delivered_at",
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    if !rows.is_empty() {
        // The insert trigger only fires on inserts; a retried row should not wait for the poll.
        sqlx::query!("select pg_notify('webhook_outbox', '')").execute(&mut *conn).await?;
    }
    Ok(rows)
}

/// Rows per status that is not `delivered` (statuses without rows are absent). Delivered rows
/// are left out on purpose: they are the bulk of the table and counting them would scan it on
/// every scrape, whereas these statuses are served by partial indexes.
pub async fn backlog(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select status as "status!", count(*) as "events!" from webhook_outbox
           where status in ('pending', 'delivering', 'failed') group by status"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.events)).collect())
}

/// Seconds since the oldest undelivered row was written (0 when there is none).
pub async fn oldest_pending_age_secs(pool: &PgPool) -> Result<f64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select extract(epoch from oldest_age)::float8 as "age!" from webhook_outbox_oldest_pending"#
    )
    .fetch_one(pool)
    .await
}

/// Whether the database answers at all.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(r#"select 1 as "one!""#).fetch_one(pool).await?;
    Ok(())
}
