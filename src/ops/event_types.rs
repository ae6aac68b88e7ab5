//! `webhook-outbox event-types sync`: creates or updates every catalogue event type in Svix, with
//! its description and payload JSON Schema, so the consumer app portal documents each event.

use crate::config::Config;
use crate::events::catalogue;
use crate::svix::{SdkClient, Svix, SvixError};

/// `webhook-outbox event-types …`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum EventTypesCommand {
    /// Create or update every event type of the catalogue in Svix, with its description and JSON
    /// Schema (needs SVIX_AUTH_TOKEN; no database). Safe to run again: it only converges.
    Sync,
}

impl EventTypesCommand {
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            EventTypesCommand::Sync => {
                let token = config.svix_auth_token.as_ref().ok_or_else(|| {
                    anyhow::anyhow!(
                        "SVIX_AUTH_TOKEN is not set: pass --svix-auth-token or set SVIX_AUTH_TOKEN \
                         (and SVIX_SERVER_URL for a self-hosted Svix)"
                    )
                })?;
                let svix = SdkClient::new(token, config.svix_server_url.clone());
                let synced = sync(&svix, |name| println!("synced {name}")).await?;
                println!("{synced} event types are up to date in Svix");
                Ok(())
            }
        }
    }
}

/// Upserts every catalogue event type, calling `on_synced` after each; returns how many. Stops
/// at the first failure, with an error that says what to check.
pub async fn sync(svix: &dyn Svix, mut on_synced: impl FnMut(&str)) -> anyhow::Result<usize> {
    let entries = catalogue();
    for (done, entry) in entries.iter().enumerate() {
        svix.upsert_event_type(entry.name, entry.description, &entry.schema).await.map_err(|error| {
            let advice = advice(&error);
            anyhow::Error::new(error).context(format!(
                "creating or updating event type {} in Svix ({done} of {} synced before it): {advice}",
                entry.name,
                entries.len()
            ))
        })?;
        on_synced(entry.name);
    }
    Ok(entries.len())
}

/// What a person can do about a failed sync.
fn advice(error: &SvixError) -> &'static str {
    match error {
        SvixError::Unauthorized { .. } => "check SVIX_AUTH_TOKEN (and that it belongs to SVIX_SERVER_URL)",
        SvixError::Transport(_) | SvixError::Timeout => {
            "check SVIX_SERVER_URL and that Svix is reachable, then run it again"
        }
        SvixError::RateLimited | SvixError::Server { .. } => "Svix is busy or failing; run it again later",
        _ => "Svix refused the event type; the error says why",
    }
}
