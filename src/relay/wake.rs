//! Wake-ups: LISTEN for the outbox's insert NOTIFY so a committed event goes out at once, with the
//! poll interval as the fallback whenever the notification connection is down.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The channel the insert trigger of `migrations/V1__outbox.sql` notifies.
pub const CHANNEL: &str = "webhook_outbox";

const RECONNECT_FIRST: Duration = Duration::from_millis(250);
const RECONNECT_MAX: Duration = Duration::from_secs(10);

/// Wakes the relay loop when rows are committed.
#[derive(Debug, Clone)]
pub struct Wake {
    // `notify_one` keeps a permit when nobody waits, so a commit that lands while a batch is
    // being delivered still wakes the next wait.
    notify: Arc<Notify>,
}

impl Wake {
    /// Starts listening on a connection of its own (named `webhook-outbox-listener` in
    /// `pg_stat_activity`) until `shutdown`; reconnects with backoff when it drops.
    pub fn listen(pool: &PgPool, shutdown: CancellationToken) -> Wake {
        let options = (*pool.connect_options()).clone().application_name("webhook-outbox-listener");
        let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
        let wake = Wake { notify: Arc::default() };
        tokio::spawn(listen_loop(pool, wake.notify.clone(), shutdown));
        wake
    }

    /// Waits for a notification, `timeout`, or `shutdown`, whichever comes first.
    pub async fn wait(&self, timeout: Duration, shutdown: &CancellationToken) {
        tokio::select! {
            _ = self.notify.notified() => {}
            _ = tokio::time::sleep(timeout) => {}
            _ = shutdown.cancelled() => {}
        }
    }
}

async fn listen_loop(pool: PgPool, notify: Arc<Notify>, shutdown: CancellationToken) {
    let mut delay = RECONNECT_FIRST;
    loop {
        let error = tokio::select! {
            error = listen(&pool, &notify) => error,
            _ = shutdown.cancelled() => break,
        };
        tracing::warn!(
            error = %error,
            retry_in_ms = delay.as_millis() as u64,
            "LISTEN connection lost; polling every RELAY_POLL_INTERVAL_MS until it is back"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => break,
        }
        delay = (delay * 2).min(RECONNECT_MAX);
    }
    pool.close().await;
}

/// Listens until the connection fails for good, waking the relay for every notification.
async fn listen(pool: &PgPool, notify: &Notify) -> sqlx::Error {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => return error,
    };
    if let Err(error) = listener.listen(CHANNEL).await {
        return error;
    }
    tracing::debug!(channel = CHANNEL, "listening for committed outbox rows");
    loop {
        // Commits made while we were not listening sent notifications nobody heard, so every
        // (re)connection wakes the relay once as well (`Ok(None)`: reconnected after a loss).
        notify.notify_one();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => notify.notify_one(),
                Ok(None) => break,
                Err(error) => return error,
            }
        }
    }
}
