//! The command line: subcommands and what each one runs.

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use sqlx::Connection;

use crate::config::Config;

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
    /// Apply pending schema migrations to DATABASE_URL and exit (a no-op when current).
    Migrate,
}

impl Cli {
    /// Runs the chosen subcommand to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Migrate => migrate(&self.config).await,
        }
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url()?;
    let mut conn = sqlx::PgConnection::connect(url.expose_secret())
        .await
        .context("cannot connect to DATABASE_URL: check that PostgreSQL is running and the URL is right")?;
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
