//! Wiring for `serve`: the pool, migrations, the Svix client, and the relay and API tasks, all
//! stopped by one cancellation token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::svix::{Applications, SdkClient, Svix};

/// What `serve` runs.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    pub api: bool,
    pub relay: bool,
    pub migrate: bool,
}

/// Everything the relay and the API share.
#[derive(Debug, Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub pool: PgPool,
    /// `None` when Svix is disabled (no `SVIX_AUTH_TOKEN`).
    pub svix: Option<Applications>,
    /// Set while Svix refuses the token; the relay checks it again periodically.
    pub svix_refused: Arc<AtomicBool>,
    /// True once the schema is known to be current.
    pub migrated: watch::Receiver<bool>,
}

impl Services {
    /// Builds the shared services; connects lazily so a database that is down does not stop start-up.
    pub fn new(config: Config, migrated: watch::Receiver<bool>) -> anyhow::Result<Services> {
        let url = config.database_url()?;
        let options: PgConnectOptions = url
            .expose_secret()
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL URL (postgres://user:pass@host:5432/db)")?;
        let pool = PgPoolOptions::new()
            .max_connections(config.database_pool_size)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options.application_name("webhook-outbox"));
        let svix = config.svix_auth_token.as_ref().map(|token| {
            let client: Arc<dyn Svix> = Arc::new(SdkClient::new(token, config.svix_server_url.clone()));
            Applications::new(pool.clone(), client)
        });
        Ok(Services { config: Arc::new(config), pool, svix, svix_refused: Arc::default(), migrated })
    }

    /// Whether Svix is configured and accepts our token (what `/api/webhooks/status` reports).
    pub fn svix_enabled(&self) -> bool {
        self.svix.is_some() && !self.svix_refused.load(Ordering::Relaxed)
    }

    /// Whether the schema is current (migrated by us, or found current).
    pub fn is_migrated(&self) -> bool {
        *self.migrated.borrow()
    }
}

/// Runs the API and/or the relay until `shutdown` is cancelled, then drains and returns.
/// `listener` is the API's socket (bound by the caller so tests can use port 0).
pub async fn run(
    config: Config,
    listener: Option<TcpListener>,
    options: ServeOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // Installs the process's metrics recorder before the relay records anything.
    crate::telemetry::metrics();
    let (migrated_tx, migrated_rx) = watch::channel(false);
    let services = Services::new(config, migrated_rx)?;
    if services.svix.is_none() {
        tracing::warn!(
            "SVIX_AUTH_TOKEN is not set: webhook delivery is disabled; events wait as pending until it is"
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(prepare_schema(services.pool.clone(), options.migrate, migrated_tx, shutdown.clone()));
    if options.relay {
        tasks.spawn(crate::relay::run(services.clone(), shutdown.clone()));
    }
    if options.api {
        let listener = match listener {
            Some(listener) => listener,
            None => TcpListener::bind(services.config.listen_addr)
                .await
                .with_context(|| format!("cannot listen on {} (LISTEN_ADDR)", services.config.listen_addr))?,
        };
        tasks.spawn(crate::api::serve(listener, services.clone(), shutdown.clone()));
    }
    let mut result = Ok(());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::error!(error = %format!("{error:#}"), "a task failed; shutting down");
                shutdown.cancel();
                result = Err(error);
            }
            Err(panic) => {
                shutdown.cancel();
                result = Err(anyhow::anyhow!("a task panicked: {panic}"));
            }
        }
    }
    services.pool.close().await;
    result
}

/// Applies migrations (or, with `--no-migrate`, waits until someone has), retrying with backoff
/// while the database is unreachable: the process stays up and reports not ready meanwhile.
async fn prepare_schema(
    pool: PgPool,
    migrate: bool,
    migrated: watch::Sender<bool>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(250);
    loop {
        match schema_step(&pool, migrate).await {
            Ok(true) => {
                migrated.send_replace(true);
                return Ok(());
            }
            Ok(false) => tracing::warn!(
                "the database schema is behind this binary: run `webhook-outbox migrate` (or serve without --no-migrate)"
            ),
            Err(error) => {
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "database not ready")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn schema_step(pool: &PgPool, migrate: bool) -> crate::Result<bool> {
    let mut conn = pool.acquire().await?;
    if migrate {
        for name in crate::db::migrate(&mut conn).await? {
            tracing::info!(migration = %name, "applied migration");
        }
    }
    Ok(crate::db::current_version(&mut conn).await? >= Some(crate::db::latest_version()))
}
