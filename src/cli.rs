//! The command line: subcommands and what each one runs.

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use sqlx::Connection;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::startup::ServeOptions;

/// A transactional outbox relay for webhooks: PostgreSQL in, Svix out, nothing lost or doubled.
#[derive(Debug, Parser)]
#[command(
    name = "webhook-outbox",
    version,
    about,
    after_help = "Log levels come from RUST_LOG (e.g. RUST_LOG=debug)."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the relay and the HTTP API (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending schema migrations to DATABASE_URL and exit (a no-op when current).
    Migrate,
    /// Manage organization API keys for the HTTP API.
    ApiKey {
        #[command(subcommand)]
        command: crate::api::keys::ApiKeyCommand,
    },
    /// Print the HTTP API's OpenAPI 3.1 document, webhook payloads included (no database needed).
    Openapi,
    /// Show the backlog per status, the oldest undelivered age, recent failures and organizations
    /// whose Svix application has an error.
    Status(crate::ops::status::StatusArgs),
    /// Put failed rows back to pending (due now, attempts reset) and wake the relays.
    Replay(crate::ops::replay::ReplayArgs),
    /// Delete delivered (and with --include-failed, failed) rows older than a duration, in batches.
    Purge(crate::ops::purge::PurgeArgs),
    /// Manage the event types Svix knows (names, descriptions, payload schemas).
    EventTypes {
        #[command(subcommand)]
        command: crate::ops::event_types::EventTypesCommand,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Do not serve the HTTP API (relay only).
    #[arg(long)]
    pub no_api: bool,
    /// Do not run the relay (API only).
    #[arg(long)]
    pub no_relay: bool,
    /// Do not apply migrations; wait until the schema is current instead.
    #[arg(long)]
    pub no_migrate: bool,
}

impl Cli {
    /// Runs the chosen subcommand to completion.
    pub async fn run(mut self) -> anyhow::Result<()> {
        // Compose's `${SVIX_AUTH_TOKEN:-}` and empty Kubernetes secrets set the variable to "":
        // that means "no token" (delivery disabled), not a token for Svix to refuse.
        if self.config.svix_auth_token.as_ref().is_some_and(|token| token.expose_secret().is_empty()) {
            self.config.svix_auth_token = None;
        }
        match self.command {
            Command::Serve(args) => serve(self.config, args).await,
            Command::Migrate => migrate(&self.config).await,
            Command::ApiKey { command } => command.run(&mut connect(&self.config).await?).await,
            Command::Openapi => {
                println!("{:#}", crate::api::openapi::document());
                Ok(())
            }
            Command::Status(args) => args.run(&mut connect(&self.config).await?).await,
            Command::Replay(args) => args.run(&mut connect(&self.config).await?).await,
            Command::Purge(args) => args.run(&mut connect(&self.config).await?).await,
            Command::EventTypes { command } => command.run(&self.config).await,
        }
    }
}

async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if args.no_api && args.no_relay {
        anyhow::bail!("--no-api and --no-relay together leave nothing to run: drop one of them");
    }
    let options = ServeOptions { api: !args.no_api, relay: !args.no_relay, migrate: !args.no_migrate };
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    crate::startup::run(config, None, options, shutdown).await
}

/// SIGTERM or SIGINT starts a graceful shutdown; a second one is left to the default (exit now).
async fn cancel_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!("cannot install signal handlers; stop the process with SIGKILL");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    shutdown.cancel();
}

async fn connect(config: &Config) -> anyhow::Result<sqlx::PgConnection> {
    let url = config.database_url()?;
    sqlx::PgConnection::connect(url.expose_secret())
        .await
        .context("cannot connect to DATABASE_URL: check that PostgreSQL is running and the URL is right")
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let mut conn = connect(config).await?;
    let applied = crate::db::migrate(&mut conn).await.context("migrating the database")?;
    if applied.is_empty() {
        println!("schema is up to date (version {})", crate::db::latest_version());
    } else {
        for name in applied {
            println!("applied {name}");
        }
    }
    Ok(())
}
