//! Delivery state from the outbox table: one message, a paginated list per organization, and a
//! retry of a failed message.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{AdminOnly, OrganizationAccess};
use super::error::{ApiError, ErrorBody};
use super::extract::{Path, Query};
use crate::db::messages::{self, After, MessageRow};
use crate::startup::Services;

pub fn router() -> Router<Services> {
    Router::new()
        .route("/api/webhooks/organizations/{organizationId}/messages", get(list))
        .route("/api/webhooks/organizations/{organizationId}/messages/{messageId}", get(show))
        .route("/api/webhooks/organizations/{organizationId}/messages/{messageId}/retry", post(retry))
}

/// The delivery state of one message.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageState {
    /// The outbox row's id.
    pub id: Uuid,
    /// The `eventId` Svix knows the message by: the producer's key, else the row id.
    pub event_id: String,
    #[schema(example = "sandbox.created")]
    pub event_type: String,
    /// `pending` → `delivering` → `delivered`, or `failed`.
    #[schema(example = "delivered")]
    pub status: String,
    /// Hand-offs to Svix tried so far.
    pub attempts: i32,
    /// Svix's `msg_…` id, once delivered.
    pub svix_message_id: Option<String>,
    /// The last delivery failure, readable by a person.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Not handed to Svix before this (for `delivering`: when the relay's lease ends).
    pub next_attempt_at: DateTime<Utc>,
}

impl From<MessageRow> for MessageState {
    fn from(row: MessageRow) -> Self {
        MessageState {
            event_id: row.svix_event_id(),
            id: row.id,
            event_type: row.event_type,
            status: row.status,
            attempts: row.attempts,
            svix_message_id: row.svix_message_id,
            last_error: row.last_error,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
            next_attempt_at: row.next_attempt_at,
        }
    }
}

async fn find(services: &Services, organization_id: &str, message_id: &str) -> Result<MessageRow, ApiError> {
    messages::find(&services.pool, organization_id, message_id)
        .await?
        .ok_or_else(|| ApiError::no_message(organization_id, message_id))
}

/// One message's delivery state.
#[utoipa::path(
    get,
    path = "/api/webhooks/organizations/{organizationId}/messages/{messageId}",
    tag = "messages",
    params(
        ("organizationId" = String, Path, description = "The organization."),
        ("messageId" = String, Path, description = "The outbox row id, the `eventId`, or the Svix message id (`msg_…`)."),
    ),
    responses(
        (status = 200, description = "The message's state.", body = MessageState),
        (status = 401, description = "Missing, unknown or revoked token.", body = ErrorBody),
        (status = 403, description = "A key of another organization.", body = ErrorBody),
        (status = 404, description = "No such message (`not_found`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    _: OrganizationAccess,
    State(services): State<Services>,
    Path((organization_id, message_id)): Path<(String, String)>,
) -> Result<axum::Json<MessageState>, ApiError> {
    Ok(axum::Json(find(&services, &organization_id, &message_id).await?.into()))
}

/// A message status, for filtering.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Pending,
    Delivering,
    Delivered,
    Failed,
}

impl MessageStatus {
    fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Delivering => "delivering",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Failed => "failed",
        }
    }
}

/// The page size when none is asked for, and the largest allowed.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// Filters and position of the message list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only messages with this status.
    pub status: Option<MessageStatus>,
    /// Messages per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of messages, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub data: Vec<MessageState>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor names the last row of a page by (created_at, id), the list's sort key, so pages
/// stay stable while new messages arrive. Opaque to callers.
fn encode_cursor(row: &MessageRow) -> String {
    format!("{}_{}", row.created_at.timestamp_micros(), row.id.simple())
}

fn decode_cursor(cursor: &str) -> Result<After, ApiError> {
    let (micros, id) = cursor.split_once('_').ok_or(ApiError::InvalidCursor)?;
    let micros: i64 = micros.parse().map_err(|_| ApiError::InvalidCursor)?;
    let created_at = DateTime::from_timestamp_micros(micros).ok_or(ApiError::InvalidCursor)?;
    let id = Uuid::parse_str(id).map_err(|_| ApiError::InvalidCursor)?;
    Ok(After { created_at, id })
}

/// The organization's messages, newest first, optionally of one status.
#[utoipa::path(
    get,
    path = "/api/webhooks/organizations/{organizationId}/messages",
    tag = "messages",
    params(("organizationId" = String, Path, description = "The organization."), ListParams),
    responses(
        (status = 200, description = "A page of messages.", body = MessagePage),
        (status = 400, description = "A bad `status` or `limit` (`invalid_query`) or `cursor` (`invalid_cursor`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token.", body = ErrorBody),
        (status = 403, description = "A key of another organization.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    _: OrganizationAccess,
    State(services): State<Services>,
    Path(organization_id): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<MessagePage>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!("limit must be between 1 and {MAX_LIMIT}, not {limit}")));
    }
    let after = params.cursor.as_deref().map(decode_cursor).transpose()?;
    let status = params.status.map(MessageStatus::as_str);
    // One row more than asked tells whether another page exists.
    let mut rows =
        messages::list(&services.pool, &organization_id, status, after, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = rows.last().filter(|_| more).map(encode_cursor);
    Ok(axum::Json(MessagePage { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Sends a `failed` message again: back to `pending`, due now, attempts reset to 0, so it gets
/// `RELAY_MAX_ATTEMPTS` fresh hand-offs. `lastError` is kept until the next attempt replaces it.
#[utoipa::path(
    post,
    path = "/api/webhooks/organizations/{organizationId}/messages/{messageId}/retry",
    tag = "messages",
    params(
        ("organizationId" = String, Path, description = "The organization."),
        ("messageId" = String, Path, description = "The outbox row id, the `eventId`, or the Svix message id."),
    ),
    responses(
        (status = 200, description = "Queued again; the message's new state.", body = MessageState),
        (status = 401, description = "Missing, unknown or revoked token.", body = ErrorBody),
        (status = 403, description = "Not an admin token.", body = ErrorBody),
        (status = 404, description = "No such message (`not_found`).", body = ErrorBody),
        (status = 409, description = "The message is not `failed` (`not_retryable`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry(
    _: AdminOnly,
    State(services): State<Services>,
    Path((organization_id, message_id)): Path<(String, String)>,
) -> Result<axum::Json<MessageState>, ApiError> {
    let row = find(&services, &organization_id, &message_id).await?;
    match messages::retry(&services.pool, row.id).await? {
        Some(row) => Ok(axum::Json(row.into())),
        None => {
            // Not failed, or no longer: report the status it has now.
            let status = find(&services, &organization_id, &message_id).await?.status;
            Err(ApiError::NotRetryable { id: row.id, status })
        }
    }
}
