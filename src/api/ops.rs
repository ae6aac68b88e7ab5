//! Operations routes, without auth: liveness, readiness, Prometheus metrics and the OpenAPI
//! document.

use std::fmt::Write as _;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use crate::db::messages;
use crate::startup::Services;

pub fn router() -> Router<Services> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
}

/// `{"status": …}` of the health routes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up.", body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// How long readiness waits for the database before calling it unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The database answers and its schema is current: the service can do its work.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready.", body = Health),
        (status = 503, description = "The database is unreachable or not migrated (`not_ready`).", body = ErrorBody),
    ))]
pub async fn readyz(State(services): State<Services>) -> Result<axum::Json<Health>, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, messages::ping(&services.pool)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "not ready: database unreachable");
            return Err(ApiError::NotReady("the database is unreachable"));
        }
        Err(_) => return Err(ApiError::NotReady("the database did not answer in time")),
    }
    if !services.is_migrated() {
        return Err(ApiError::NotReady("the database schema is not current yet (migrations pending)"));
    }
    Ok(axum::Json(Health { status: "ready" }))
}

/// Prometheus text: the process's metrics, plus the backlog read from the database now.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format.", body = String, content_type = "text/plain")))]
pub async fn metrics(State(services): State<Services>) -> impl IntoResponse {
    let handle = crate::telemetry::metrics();
    // Upkeep publishes descriptions (HELP lines) recorded since the last scrape.
    handle.run_upkeep();
    let mut text = handle.render();
    if let Err(error) = append_backlog(&services, &mut text).await {
        // A scrape should still show the process's own metrics while the database is down.
        tracing::warn!(error = %error, "/metrics: cannot read the backlog");
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}

const STATUSES: [&str; 3] = ["pending", "delivering", "failed"];

/// Gauges read at scrape time rather than kept in the process: every relay and API process
/// shares the one table, so the database is the only place that knows the backlog.
async fn append_backlog(services: &Services, text: &mut String) -> Result<(), sqlx::Error> {
    let backlog = messages::backlog(&services.pool).await?;
    let oldest = messages::oldest_pending_age_secs(&services.pool).await?;
    text.push_str(
        "# HELP webhook_outbox_backlog Outbox rows not delivered, per status (delivered: see webhook_outbox_delivered_total).\n",
    );
    text.push_str("# TYPE webhook_outbox_backlog gauge\n");
    for status in STATUSES {
        let count = backlog.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
        let _ = writeln!(text, "webhook_outbox_backlog{{status=\"{status}\"}} {count}");
    }
    text.push_str(
        "# HELP webhook_outbox_oldest_pending_age_seconds Age of the oldest undelivered row (0 when none).\n",
    );
    text.push_str("# TYPE webhook_outbox_oldest_pending_age_seconds gauge\n");
    let _ = writeln!(text, "webhook_outbox_oldest_pending_age_seconds {oldest}");
    Ok(())
}

/// This API's OpenAPI 3.1 document, with the webhook payloads (what `webhook-outbox openapi` prints).
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = Object)))]
pub async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(super::openapi::document())
}
