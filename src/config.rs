//! Configuration: every setting is an environment variable and a flag, documented by `--help`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}

/// Settings shared by every subcommand. Secrets are never printed, not even by `--help`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// PostgreSQL connection URL, e.g. postgres://user:pass@host:5432/db.
    #[arg(long, env = "DATABASE_URL", value_parser = secret, hide_env_values = true, global = true)]
    pub database_url: Option<SecretString>,

    /// Most PostgreSQL connections this process opens (plus one for LISTEN). Deliveries wait on
    /// Svix, not on the database, so a few connections serve a high RELAY_CONCURRENCY.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=1_000), global = true)]
    pub database_pool_size: u32,

    /// Svix API token. Without it, delivery is disabled: events wait as pending and the API stays up.
    #[arg(long, env = "SVIX_AUTH_TOKEN", value_parser = secret, hide_env_values = true, global = true)]
    pub svix_auth_token: Option<SecretString>,

    /// Svix server URL, for self-hosted Svix (default: chosen by the token's region).
    #[arg(long, env = "SVIX_SERVER_URL", global = true)]
    pub svix_server_url: Option<String>,

    /// Address the HTTP API listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080", global = true)]
    pub listen_addr: SocketAddr,

    /// Admin bearer tokens for the HTTP API, comma-separated. Admins may call every route.
    #[arg(long, env = "API_TOKENS", value_parser = secret, value_delimiter = ',', hide_env_values = true, global = true)]
    pub api_tokens: Vec<SecretString>,

    /// Rows a relay claims per batch.
    #[arg(long, env = "RELAY_BATCH_SIZE", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000), global = true)]
    pub relay_batch_size: u32,

    /// Deliveries a relay runs at once.
    #[arg(long, env = "RELAY_CONCURRENCY", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1_000), global = true)]
    pub relay_concurrency: u32,

    /// Fallback poll interval in milliseconds when no NOTIFY arrives.
    #[arg(long, env = "RELAY_POLL_INTERVAL_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(10..), global = true)]
    pub relay_poll_interval_ms: u64,

    /// Seconds a claimed row stays leased to its relay; after that another relay may take it.
    /// Keep it well above the Svix request timeout (15 s).
    #[arg(long, env = "RELAY_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub relay_lease_secs: u64,

    /// Hand-offs to Svix tried before a row is marked failed.
    #[arg(long, env = "RELAY_MAX_ATTEMPTS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1_000), global = true)]
    pub relay_max_attempts: u32,

    /// First retry delay in milliseconds; each retry doubles the ceiling, and the actual delay is
    /// drawn at random below it (full jitter) so relays don't retry in lockstep.
    #[arg(long, env = "RELAY_BACKOFF_BASE_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub relay_backoff_base_ms: u64,

    /// Longest delay between two hand-offs of one row, in seconds (the backoff's cap).
    #[arg(long, env = "RELAY_BACKOFF_MAX_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub relay_backoff_max_secs: u64,

    /// Seconds hand-offs in flight may take to finish after SIGTERM/SIGINT. Claimed rows not yet
    /// handed off go back to pending at once; hand-offs still running after this do too.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 25, global = true)]
    pub shutdown_timeout_secs: u64,

    /// Largest accepted payload, in bytes of JSON.
    #[arg(long, env = "MAX_PAYLOAD_BYTES", default_value_t = crate::outbox::DEFAULT_MAX_PAYLOAD_BYTES, global = true)]
    pub max_payload_bytes: usize,

    /// Log format: text for people, json for log pipelines. Levels come from RUST_LOG (default: info).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// The database URL, or an error that says how to set it.
    pub fn database_url(&self) -> anyhow::Result<&SecretString> {
        self.database_url.as_ref().ok_or_else(|| {
            anyhow::anyhow!("DATABASE_URL is not set: pass --database-url or set DATABASE_URL=postgres://user@host:5432/db")
        })
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.relay_poll_interval_ms)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.relay_lease_secs)
    }

    pub fn backoff_base(&self) -> Duration {
        Duration::from_millis(self.relay_backoff_base_ms)
    }

    pub fn backoff_max(&self) -> Duration {
        Duration::from_secs(self.relay_backoff_max_secs)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}
