//! The HTTP API (axum): delivery state from the outbox table and access to Svix.

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::startup::Services;

/// The API's routes over the shared services.
pub fn router(services: Services) -> Router {
    Router::new().route("/healthz", get(|| async { "ok" })).with_state(services)
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
