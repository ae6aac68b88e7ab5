//! The API's one error type: every failure becomes a status and a `{"code", "message"}` body
//! with a stable snake_case code. 5xx bodies carry no internals; the cause goes to the log.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::svix::ApplicationError;
use crate::svix::SvixError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, snake_case: what went wrong, for programs.
    #[schema(example = "invalid_event_type")]
    pub code: &'static str,
    /// What went wrong and what to do about it, for people.
    pub message: String,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing, unknown or revoked bearer token: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the request body lacks the required field `{0}`")]
    MissingField(&'static str),
    #[error("the request body has the wrong shape: {0}")]
    InvalidBody(String),
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("the request body is over the size limit (MAX_PAYLOAD_BYTES plus room for the envelope)")]
    BodyTooLarge,
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    InvalidPath(String),
    #[error("the cursor is not one this API returned: start again without it")]
    InvalidCursor,
    /// The producer API refused the message (nothing was written).
    #[error(transparent)]
    Invalid(crate::Error),
    #[error("message {id} is {status}: only failed messages can be retried")]
    NotRetryable { id: Uuid, status: String },
    #[error(
        "webhook delivery is disabled (SVIX_AUTH_TOKEN is not set or was refused); this route needs Svix"
    )]
    SvixDisabled,
    #[error("Svix call failed: {0}")]
    Svix(#[from] SvixError),
    #[error("not ready: {0}")]
    NotReady(&'static str),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// 404 for a message the organization does not have (by row id, `eventId` or Svix id).
    pub fn no_message(organization_id: &str, message_id: &str) -> Self {
        ApiError::NotFound(format!("organization {organization_id:?} has no message {message_id:?}"))
    }

    /// The HTTP status and stable code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            MissingField(_) => (StatusCode::UNPROCESSABLE_ENTITY, "missing_field"),
            InvalidBody(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            InvalidPath(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
            InvalidCursor => (StatusCode::BAD_REQUEST, "invalid_cursor"),
            Invalid(error) => invalid_input(error),
            NotRetryable { .. } => (StatusCode::CONFLICT, "not_retryable"),
            SvixDisabled => (StatusCode::SERVICE_UNAVAILABLE, "svix_disabled"),
            Svix(error) => svix_failure(error),
            NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message a caller sees: the error itself for 4xx, a fixed line for failures whose
    /// detail is ours (database, Svix internals), which goes to the log instead.
    fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "internal error; the cause is in the service's log".into(),
            ApiError::Svix(SvixError::NotFound(_)) => "not found in Svix".into(),
            ApiError::Svix(SvixError::Unauthorized { .. }) => {
                "Svix refused this service's token; an operator must check SVIX_AUTH_TOKEN".into()
            }
            ApiError::Svix(SvixError::Timeout) => "Svix did not answer in time; try again".into(),
            ApiError::Svix(_) => "Svix is unavailable or refused the request; try again later".into(),
            other => other.to_string(),
        }
    }
}

fn invalid_input(error: &crate::Error) -> (StatusCode, &'static str) {
    use crate::Error::*;
    let code = match error {
        InvalidEventType { .. } => "invalid_event_type",
        PayloadNotObject { .. } => "payload_not_object",
        PayloadTooLarge { .. } => return (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        InvalidEventId { .. } => "invalid_event_id",
        InvalidOrganizationId { .. } => "invalid_organization_id",
        _ => "invalid_input",
    };
    (StatusCode::UNPROCESSABLE_ENTITY, code)
}

fn svix_failure(error: &SvixError) -> (StatusCode, &'static str) {
    match error {
        SvixError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        SvixError::Unauthorized { .. } => (StatusCode::BAD_GATEWAY, "svix_refused"),
        SvixError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "svix_timeout"),
        SvixError::RateLimited | SvixError::Server { .. } | SvixError::Transport(_) => {
            (StatusCode::BAD_GATEWAY, "svix_unavailable")
        }
        SvixError::Conflict(_) | SvixError::Rejected { .. } => (StatusCode::BAD_GATEWAY, "svix_error"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if matches!(self, ApiError::Internal(_) | ApiError::Svix(_)) && status.is_server_error() {
            tracing::error!(error = %self, error.chain = ?self, error.code = code, "request failed");
        }
        (status, Json(ErrorBody { code, message: self.public_message() })).into_response()
    }
}

impl From<crate::Error> for ApiError {
    fn from(error: crate::Error) -> Self {
        if error.is_invalid_input() { ApiError::Invalid(error) } else { ApiError::Internal(error.into()) }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(error).context("database error"))
    }
}

impl From<ApplicationError> for ApiError {
    fn from(error: ApplicationError) -> Self {
        match error {
            ApplicationError::Svix(error) => ApiError::Svix(error),
            ApplicationError::Database(error) => error.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => ApiError::InvalidBody(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::InvalidJson(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge,
            other => ApiError::InvalidJson(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::InvalidPath(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::InvalidQuery(rejection.body_text())
    }
}
