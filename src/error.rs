//! The library's error type: what can go wrong writing to the outbox or migrating its schema.

/// An error from the producer API or the database layer.
///
/// Validation variants are the caller's to fix and nothing was written when one is returned;
/// [`Error::Database`] and [`Error::Migration`] come from PostgreSQL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The event type does not match `^[a-zA-Z0-9_.-]{1,256}$`.
    #[error(
        "event type {event_type:?} is invalid: use 1 to 256 characters from a-z, A-Z, 0-9, '_', '.' and '-'"
    )]
    InvalidEventType { event_type: String },

    /// The payload is not a JSON object.
    #[error("the payload must be a JSON object, not {found}")]
    PayloadNotObject { found: &'static str },

    /// The payload is larger than the configured limit.
    #[error("the payload is {size} bytes, over the limit of {limit} bytes (MAX_PAYLOAD_BYTES)")]
    PayloadTooLarge { size: usize, limit: usize },

    /// The organization id does not match `^[a-zA-Z0-9_.-]{1,256}$` or starts with `app_` (it is
    /// the Svix application's uid).
    #[error(
        "organization id {organization_id:?} is invalid: use 1 to 256 characters from a-z, A-Z, 0-9, '_', '.' and '-', not starting with \"app_\" (it becomes the Svix application's uid)"
    )]
    InvalidOrganizationId { organization_id: String },

    /// The idempotency key (`event_id`) does not match `^[a-zA-Z0-9_.-]{1,256}$` or starts with
    /// `msg_` (it is the Svix message's `eventId`).
    #[error(
        "event id {event_id:?} is invalid: use 1 to 256 characters from a-z, A-Z, 0-9, '_', '.' and '-', not starting with \"msg_\" (it becomes the Svix message's eventId)"
    )]
    InvalidEventId { event_id: String },

    /// The organization name is empty or longer than 256 characters.
    #[error("organization name {name:?} is invalid: use 1 to 256 characters")]
    InvalidOrganizationName { name: String },

    /// PostgreSQL refused or could not run a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// Applying the schema migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl Error {
    /// Whether the caller's input was at fault (nothing was written), as opposed to the database.
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, Error::Database(_) | Error::Migration(_))
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
