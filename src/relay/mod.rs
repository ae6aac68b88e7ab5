//! The relay: claims committed outbox rows and delivers each to Svix exactly once.

use tokio_util::sync::CancellationToken;

use crate::startup::Services;

/// Runs the relay loop until `shutdown` is cancelled.
pub async fn run(services: Services, shutdown: CancellationToken) -> anyhow::Result<()> {
    let _ = services;
    shutdown.cancelled().await;
    Ok(())
}
