//! The HTTP API (axum): the seed service's routes, delivery state from the outbox table, access
//! to Svix, operations routes and the OpenAPI document. Every error is `{"code", "message"}`.

pub mod auth;
pub mod error;
mod extract;
pub mod keys;
pub mod messages;
pub mod openapi;
pub mod ops;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::startup::Services;
use error::ApiError;

/// Room for the JSON around the payload and for whitespace: the payload's own limit
/// (`MAX_PAYLOAD_BYTES`) is checked on its compact form, after parsing.
const BODY_HEADROOM_BYTES: usize = 64 * 1024;

/// The largest request body read: twice the payload limit (pretty-printed JSON can be that much
/// larger than its compact form) plus headroom. Larger bodies are refused unread (413).
pub fn body_limit(max_payload_bytes: usize) -> usize {
    max_payload_bytes.saturating_mul(2).saturating_add(BODY_HEADROOM_BYTES)
}

/// The API's routes over the shared services.
pub fn router(services: Services) -> Router {
    let limit = body_limit(services.config.max_payload_bytes);
    Router::new()
        .merge(webhooks::router())
        .merge(messages::router())
        .merge(ops::router())
        .fallback(not_found)
        // Set after every route is added: it applies to the routes present when it is called.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        // Request spans only: 5xx are logged once, with their cause, by `ApiError` (an expected
        // 503 such as `svix_disabled` is no error), so tower-http's own failure log is off.
        .layer(TraceLayer::new_for_http().on_failure(()))
        .with_state(services)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

/// Serves the API on `listener` until `shutdown` is cancelled, finishing in-flight requests.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "HTTP API listening");
    axum::serve(listener, router(services)).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
    Ok(())
}
