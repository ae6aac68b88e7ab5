//! The producer API: write webhook events into the outbox inside the caller's transaction.
//!
//! Nothing here begins or commits a transaction: the event exists if and only if the caller's
//! state change commits with it. The queries are runtime-checked (producers compile this part
//! against their own databases), and each is covered by the integration tests.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::events::{Event, is_valid_event_type};

/// The default limit on a payload's serialised size: 256 KiB (`MAX_PAYLOAD_BYTES`).
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// The longest organization id, organization name or event id accepted.
const MAX_ID_LEN: usize = 256;

/// An event ready to be written: its organization, type, payload and optional idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    organization_id: String,
    event_type: String,
    payload: Value,
    event_id: Option<String>,
}

impl OutboxMessage {
    /// A catalogue event for its own organization, stamped now.
    pub fn from_event(event: &Event) -> Self {
        OutboxMessage {
            organization_id: event.organization_id().to_owned(),
            event_type: event.event_type().to_owned(),
            payload: event.payload(),
            event_id: None,
        }
    }

    /// A custom event: any type matching `^[a-zA-Z0-9_.-]{1,256}$` with a JSON object payload.
    /// Validated by [`OutboxMessage::validate`] when written.
    pub fn custom(organization_id: impl Into<String>, event_type: impl Into<String>, payload: Value) -> Self {
        OutboxMessage {
            organization_id: organization_id.into(),
            event_type: event_type.into(),
            payload,
            event_id: None,
        }
    }

    /// Sets the idempotency key: a second write with the same key for the same organization
    /// writes nothing and returns the first row's id. Svix receives it as `eventId`.
    pub fn with_event_id(mut self, event_id: impl Into<String>) -> Self {
        self.event_id = Some(event_id.into());
        self
    }

    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    pub fn payload(&self) -> &Value {
        &self.payload
    }

    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// Checks everything the database would refuse, and the payload size limit, up front so
    /// the caller gets an error it can act on and its transaction stays usable.
    pub fn validate(&self, max_payload_bytes: usize) -> Result<()> {
        if !is_valid_organization_id(&self.organization_id) {
            return Err(Error::InvalidOrganizationId { organization_id: self.organization_id.clone() });
        }
        if !is_valid_event_type(&self.event_type) {
            return Err(Error::InvalidEventType { event_type: self.event_type.clone() });
        }
        if let Some(event_id) = &self.event_id
            && !is_svix_uid(event_id, "msg_")
        {
            return Err(Error::InvalidEventId { event_id: event_id.clone() });
        }
        if !self.payload.is_object() {
            return Err(Error::PayloadNotObject { found: json_kind(&self.payload) });
        }
        let size = self.payload.to_string().len();
        if size > max_payload_bytes {
            return Err(Error::PayloadTooLarge { size, limit: max_payload_bytes });
        }
        Ok(())
    }
}

/// The organization id becomes its Svix application's `uid`.
fn is_valid_organization_id(id: &str) -> bool {
    is_svix_uid(id, "app_")
}

/// Svix accepts a uid (an application's `uid`, a message's `eventId`) of 1 to 256 characters from
/// the event types' alphabet that does not start with the prefix of its own ids (`app_`, `msg_`).
/// Refusing others here, and in the table's checks, beats a row that can only ever fail.
fn is_svix_uid(uid: &str, id_prefix: &str) -> bool {
    is_valid_event_type(uid) && !uid.starts_with(id_prefix)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The `eventId` Svix receives for a row, and dedupes on: the producer's idempotency key
/// (`event_id`), else the row's `id`.
pub fn svix_event_id(id: Uuid, event_id: Option<&str>) -> String {
    event_id.map_or_else(|| id.to_string(), str::to_owned)
}

/// What [`enqueue_message`] did: the row's id, and whether this call wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: Uuid,
    /// False when a row with the same `event_id` already existed for the organization.
    pub created: bool,
}

/// Writes a catalogue event into the outbox in the caller's transaction and returns the row id.
///
/// ```no_run
/// # async fn example(pool: sqlx::PgPool) -> Result<(), webhook_outbox::Error> {
/// use webhook_outbox::events::{Event, SandboxState, SandboxStateUpdated};
/// let mut tx = pool.begin().await?;
/// // … the sandbox's own state change, in the same transaction …
/// let event = Event::SandboxStateUpdated(SandboxStateUpdated {
///     id: "sb-1".into(),
///     organization_id: "org-1".into(),
///     old_state: SandboxState::Stopped,
///     new_state: SandboxState::Started,
///     updated_at: chrono::Utc::now(),
/// });
/// let id = webhook_outbox::enqueue(&mut tx, &event).await?;
/// tx.commit().await?; // the event exists if and only if the state change does
/// # let _ = id; Ok(()) }
/// ```
pub async fn enqueue(conn: &mut PgConnection, event: &Event) -> Result<Uuid> {
    let message = OutboxMessage::from_event(event);
    Ok(enqueue_message(conn, &message, DEFAULT_MAX_PAYLOAD_BYTES).await?.id)
}

/// Writes one message (catalogue or custom) in the caller's transaction, after validating it
/// against `max_payload_bytes`. A repeated `event_id` writes nothing and returns the existing id.
pub async fn enqueue_message(
    conn: &mut PgConnection,
    message: &OutboxMessage,
    max_payload_bytes: usize,
) -> Result<Enqueued> {
    message.validate(max_payload_bytes)?;
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "insert into webhook_outbox (id, organization_id, event_type, payload, event_id) \
         values ($1, $2, $3, $4, $5) \
         on conflict (organization_id, event_id) where event_id is not null do nothing \
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(&message.organization_id)
    .bind(&message.event_type)
    .bind(&message.payload)
    .bind(&message.event_id)
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => Ok(Enqueued { id, created: true }),
        None => {
            let id = existing_id(conn, &message.organization_id, message.event_id.as_deref()).await?;
            Ok(Enqueued { id, created: false })
        }
    }
}

async fn existing_id(conn: &mut PgConnection, organization_id: &str, event_id: Option<&str>) -> Result<Uuid> {
    let id = sqlx::query_scalar("select id from webhook_outbox where organization_id = $1 and event_id = $2")
        .bind(organization_id)
        .bind(event_id)
        .fetch_one(conn)
        .await?;
    Ok(id)
}

/// Writes many messages with one insert statement, in the caller's transaction, and returns
/// their row ids in input order. All are validated first: one invalid message writes none.
/// Messages repeating an existing (or an earlier input's) `event_id` get that row's id.
pub async fn enqueue_many(
    conn: &mut PgConnection,
    messages: &[OutboxMessage],
    max_payload_bytes: usize,
) -> Result<Vec<Uuid>> {
    for message in messages {
        message.validate(max_payload_bytes)?;
    }
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are chosen here so each input knows its row without relying on RETURNING's order.
    let ids: Vec<Uuid> = messages.iter().map(|_| Uuid::now_v7()).collect();
    let orgs: Vec<&str> = messages.iter().map(|m| m.organization_id.as_str()).collect();
    let types: Vec<&str> = messages.iter().map(|m| m.event_type.as_str()).collect();
    let payloads: Vec<&Value> = messages.iter().map(|m| &m.payload).collect();
    let event_ids: Vec<Option<&str>> = messages.iter().map(|m| m.event_id.as_deref()).collect();
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "insert into webhook_outbox (id, organization_id, event_type, payload, event_id) \
         select * from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) \
         on conflict (organization_id, event_id) where event_id is not null do nothing \
         returning id",
    )
    .bind(&ids)
    .bind(&orgs)
    .bind(&types)
    .bind(&payloads)
    .bind(&event_ids)
    .fetch_all(&mut *conn)
    .await?;
    if inserted.len() == messages.len() {
        return Ok(ids);
    }
    let inserted: std::collections::HashSet<Uuid> = inserted.into_iter().collect();
    let mut result = Vec::with_capacity(messages.len());
    for (id, message) in ids.into_iter().zip(messages) {
        if inserted.contains(&id) {
            result.push(id);
        } else {
            result.push(existing_id(conn, &message.organization_id, message.event_id.as_deref()).await?);
        }
    }
    Ok(result)
}

/// Registers an organization (or renames it) in the caller's transaction, so its Svix
/// application is created with this name. Events may be written before or without it: the
/// relay then names the application after the organization id.
pub async fn register_organization(conn: &mut PgConnection, id: &str, name: &str) -> Result<()> {
    if !is_valid_organization_id(id) {
        return Err(Error::InvalidOrganizationId { organization_id: id.to_owned() });
    }
    if !(1..=MAX_ID_LEN).contains(&name.len()) {
        return Err(Error::InvalidOrganizationName { name: name.to_owned() });
    }
    sqlx::query(
        "insert into webhook_organizations (id, name) values ($1, $2) \
         on conflict (id) do update set name = excluded.name, updated_at = now() \
         where webhook_organizations.name is distinct from excluded.name",
    )
    .bind(id)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}
