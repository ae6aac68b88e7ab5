//! The seed service's routes, with its paths and shapes: app-portal access, send, a message's
//! delivery attempts, and the service status.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{AdminOnly, OrganizationAccess};
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path};
use crate::db::messages;
use crate::outbox::{OutboxMessage, enqueue_message};
use crate::startup::Services;
use crate::svix::{Applications, DeliveryAttempt, PortalAccess, SvixError};

pub fn router() -> Router<Services> {
    Router::new()
        .route("/api/webhooks/organizations/{organizationId}/app-portal-access", post(app_portal_access))
        .route("/api/webhooks/organizations/{organizationId}/send", post(send))
        .route("/api/webhooks/organizations/{organizationId}/messages/{messageId}/attempts", get(attempts))
        .route("/api/webhooks/status", get(status))
}

/// Svix, or 503 `svix_disabled` for routes that cannot work without it.
fn svix(services: &Services) -> Result<&Applications, ApiError> {
    services.svix.as_ref().filter(|_| services.svix_enabled()).ok_or(ApiError::SvixDisabled)
}

/// A consumer app-portal link for the organization, creating its Svix application if needed.
#[utoipa::path(
    post,
    path = "/api/webhooks/organizations/{organizationId}/app-portal-access",
    tag = "webhooks",
    params(("organizationId" = String, Path, description = "The organization (its Svix application's uid).")),
    responses(
        (status = 200, description = "A signed link into Svix's app portal.", body = PortalAccess),
        (status = 401, description = "Missing, unknown or revoked token.", body = ErrorBody),
        (status = 403, description = "A key of another organization.", body = ErrorBody),
        (status = 502, description = "Svix failed or refused the token.", body = ErrorBody),
        (status = 503, description = "Svix is disabled (`svix_disabled`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn app_portal_access(
    _: OrganizationAccess,
    State(services): State<Services>,
    Path(organization_id): Path<String>,
) -> Result<axum::Json<PortalAccess>, ApiError> {
    let apps = svix(&services)?;
    let app_id = apps.app_id(&organization_id).await?;
    Ok(axum::Json(apps.svix().app_portal_access(&app_id).await?))
}

/// The body of `send`: a catalogue or custom event for the organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    /// Any type matching `^[a-zA-Z0-9_.-]{1,256}$`, e.g. `sandbox.created` or `custom.event`.
    #[schema(required = true, value_type = String, example = "custom.event")]
    pub event_type: Option<String>,
    /// A JSON object, at most `MAX_PAYLOAD_BYTES` long; sent to Svix as the message payload.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = true, value_type = Object)]
    pub payload: Option<Value>,
    /// Idempotency key: the same key again for the organization answers 200 with the first
    /// message and writes nothing. Sent to Svix as `eventId`, so 1 to 256 characters from
    /// `a-zA-Z0-9_.-`, not starting with `msg_`.
    #[schema(value_type = Option<String>, example = "optional-unique-id", pattern = "^[a-zA-Z0-9_.-]{1,256}$")]
    pub event_id: Option<String>,
}

/// Distinguishes `"payload": null` (a payload that is not an object) from no payload at all
/// (a missing field): plain `Option` would read both as `None`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// What `send` answers: the outbox row.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResponse {
    /// The outbox row's id.
    pub id: Uuid,
    /// The `eventId` Svix knows the message by: the one sent, else the row id.
    pub event_id: String,
    /// `pending`, `delivering`, `delivered` or `failed`.
    #[schema(example = "pending")]
    pub status: String,
}

/// Queues an event for the organization: it is written to the outbox and delivered by the relay
/// (also while Svix is disabled: it waits as `pending`).
#[utoipa::path(
    post,
    path = "/api/webhooks/organizations/{organizationId}/send",
    tag = "webhooks",
    params(("organizationId" = String, Path, description = "The organization the event belongs to.")),
    request_body = SendRequest,
    responses(
        (status = 202, description = "Queued: a new outbox row.", body = SendResponse),
        (status = 200, description = "This `eventId` was sent before: the existing row; nothing written.", body = SendResponse),
        (status = 400, description = "The body is not JSON (`invalid_json`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token.", body = ErrorBody),
        (status = 403, description = "Not an admin token.", body = ErrorBody),
        (status = 413, description = "Payload or body too large (`payload_too_large`).", body = ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`.", body = ErrorBody),
        (status = 422, description = "`missing_field`, `invalid_body`, `invalid_event_type`, `payload_not_object`, `invalid_event_id` or `invalid_organization_id`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send(
    _: AdminOnly,
    State(services): State<Services>,
    Path(organization_id): Path<String>,
    Json(body): Json<SendRequest>,
) -> Result<(StatusCode, axum::Json<SendResponse>), ApiError> {
    let event_type = body.event_type.ok_or(ApiError::MissingField("eventType"))?;
    let payload = body.payload.ok_or(ApiError::MissingField("payload"))?;
    let mut message = OutboxMessage::custom(organization_id, event_type, payload);
    if let Some(event_id) = body.event_id {
        message = message.with_event_id(event_id);
    }
    let mut tx = services.pool.begin().await?;
    let enqueued = enqueue_message(&mut tx, &message, services.config.max_payload_bytes).await?;
    let row = messages::get(&mut tx, enqueued.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("outbox row {} vanished inside its transaction", enqueued.id))?;
    tx.commit().await?;
    let status = if enqueued.created { StatusCode::ACCEPTED } else { StatusCode::OK };
    let response = SendResponse { id: row.id, event_id: row.svix_event_id(), status: row.status };
    Ok((status, axum::Json(response)))
}

/// Svix's delivery attempts of one message to the organization's endpoints, newest first.
#[utoipa::path(
    get,
    path = "/api/webhooks/organizations/{organizationId}/messages/{messageId}/attempts",
    tag = "webhooks",
    params(
        ("organizationId" = String, Path, description = "The organization."),
        ("messageId" = String, Path, description = "The Svix message id (`msg_…`), the outbox row id, or the `eventId`."),
    ),
    responses(
        (status = 200, description = "The attempts (empty while the message waits in the outbox).", body = Vec<DeliveryAttempt>),
        (status = 401, description = "Missing, unknown or revoked token.", body = ErrorBody),
        (status = 403, description = "A key of another organization.", body = ErrorBody),
        (status = 404, description = "No such message (`not_found`).", body = ErrorBody),
        (status = 502, description = "Svix failed or refused the token.", body = ErrorBody),
        (status = 503, description = "Svix is disabled (`svix_disabled`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn attempts(
    _: OrganizationAccess,
    State(services): State<Services>,
    Path((organization_id, message_id)): Path<(String, String)>,
) -> Result<axum::Json<Vec<DeliveryAttempt>>, ApiError> {
    let apps = svix(&services)?;
    // The table knows which name Svix has for the message; one it does not know (e.g. sent
    // before the outbox existed) is passed through, as Svix accepts a msg id or an eventId.
    let row = messages::find(&services.pool, &organization_id, &message_id).await?;
    let reference = row.as_ref().map(|r| r.svix_reference()).unwrap_or_else(|| message_id.clone());
    let app_id = apps.app_id(&organization_id).await?;
    match apps.svix().list_attempts(&app_id, &reference).await {
        Ok(attempts) => Ok(axum::Json(attempts)),
        // Still in the outbox, not yet in Svix: no attempts so far.
        Err(SvixError::NotFound(_)) if row.is_some() => Ok(axum::Json(Vec::new())),
        Err(SvixError::NotFound(_)) => Err(ApiError::no_message(&organization_id, &message_id)),
        Err(error) => Err(error.into()),
    }
}

/// Whether webhook delivery is configured and Svix accepts the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    pub enabled: bool,
}

/// The service's status; no token needed.
#[utoipa::path(
    get,
    path = "/api/webhooks/status",
    tag = "webhooks",
    responses((status = 200, description = "Whether delivery to Svix is enabled.", body = StatusResponse))
)]
pub async fn status(State(services): State<Services>) -> axum::Json<StatusResponse> {
    axum::Json(StatusResponse { enabled: services.svix_enabled() })
}
