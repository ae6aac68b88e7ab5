//! The seam to Svix: what the relay and the API need from it, behind a trait so tests can swap in
//! a sink, plus the SDK adapter and the application-per-organization cache.

mod apps;
mod sdk;

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

pub use apps::{ApplicationError, Applications};
pub use sdk::SdkClient;

/// A message for Svix: `eventId` makes a repeated hand-off a 409 instead of a second message.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub event_id: String,
    pub event_type: String,
    pub payload: Value,
}

/// One delivery attempt of a message to one of the customer's endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub id: String,
    /// The HTTP status the endpoint answered (Svix's `responseStatusCode`).
    pub status: i16,
    /// The endpoint's response body (`{}` unless Svix was asked for content).
    pub response: String,
    pub timestamp: DateTime<Utc>,
    pub endpoint_id: String,
    pub url: String,
    /// Svix's own state of the attempt: success, pending, fail, sending or canceled.
    pub status_text: String,
    pub response_duration_ms: i64,
}

/// A signed link into Svix's consumer app portal.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PortalAccess {
    pub url: String,
    pub token: String,
}

/// A failed Svix call, classified for the relay's retry policy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SvixError {
    /// 409: the `eventId` (or app uid) exists already.
    #[error("Svix answered 409 conflict: {0}")]
    Conflict(String),
    /// 401/403: the token is missing, wrong or revoked.
    #[error("Svix refused the token (HTTP {status}): check SVIX_AUTH_TOKEN")]
    Unauthorized { status: u16 },
    /// 404: the application or message does not exist.
    #[error("Svix answered 404 not found: {0}")]
    NotFound(String),
    /// 429: Svix is rate limiting us (its Retry-After is hidden by the SDK).
    #[error("Svix answered 429 too many requests")]
    RateLimited,
    /// 5xx: Svix is failing; worth retrying.
    #[error("Svix answered HTTP {status}: {detail}")]
    Server { status: u16, detail: String },
    /// Any other 4xx (including 422 validation): retrying the same request cannot help.
    #[error("Svix rejected the request (HTTP {status}): {detail}")]
    Rejected { status: u16, detail: String },
    /// No answer: connection refused or reset, DNS, TLS.
    #[error("could not reach Svix: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("Svix did not answer in time")]
    Timeout,
}

impl SvixError {
    /// Whether the same request may succeed later (network, timeout, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SvixError::RateLimited | SvixError::Server { .. } | SvixError::Transport(_) | SvixError::Timeout
        )
    }

    /// A short label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            SvixError::Conflict(_) => "conflict",
            SvixError::Unauthorized { .. } => "unauthorized",
            SvixError::NotFound(_) => "not_found",
            SvixError::RateLimited => "rate_limited",
            SvixError::Server { .. } => "server_error",
            SvixError::Rejected { .. } => "rejected",
            SvixError::Transport(_) => "transport",
            SvixError::Timeout => "timeout",
        }
    }

    /// The HTTP status Svix answered, if it answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            SvixError::Conflict(_) => Some(409),
            SvixError::Unauthorized { status } => Some(*status),
            SvixError::NotFound(_) => Some(404),
            SvixError::RateLimited => Some(429),
            SvixError::Server { status, .. } | SvixError::Rejected { status, .. } => Some(*status),
            SvixError::Transport(_) | SvixError::Timeout => None,
        }
    }
}

/// What webhook-outbox asks of Svix. Implemented by [`SdkClient`] over the `svix` crate.
#[async_trait]
pub trait Svix: Send + Sync + fmt::Debug {
    /// Gets or creates the application whose `uid` is `uid`; returns Svix's `app_…` id.
    async fn get_or_create_app(&self, uid: &str, name: &str) -> Result<String, SvixError>;

    /// Creates a message; returns its `msg_…` id. A repeated `event_id` is [`SvixError::Conflict`].
    async fn create_message(&self, app_id: &str, message: &NewMessage) -> Result<String, SvixError>;

    /// Finds a message by its `msg_…` id or its `eventId`; returns its `msg_…` id.
    async fn find_message(&self, app_id: &str, id_or_event_id: &str) -> Result<String, SvixError>;

    /// The delivery attempts of a message, with the endpoints' response bodies.
    async fn list_attempts(&self, app_id: &str, msg_id: &str) -> Result<Vec<DeliveryAttempt>, SvixError>;

    /// A consumer app-portal link for the application.
    async fn app_portal_access(&self, app_id: &str) -> Result<PortalAccess, SvixError>;

    /// Creates or updates an event type and its payload schema.
    async fn upsert_event_type(&self, name: &str, description: &str, schema: &Value)
    -> Result<(), SvixError>;

    /// Checks that Svix accepts the token (`Unauthorized` when it does not).
    async fn check_token(&self) -> Result<(), SvixError>;
}
