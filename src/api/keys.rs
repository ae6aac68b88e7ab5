//! Organization API keys: how they are made (random, shown once), stored (SHA-256 and a short
//! prefix) and managed from the command line (`webhook-outbox api-key create|list|revoke`).

use std::fmt::Write as _;

use anyhow::Context;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::api_keys::{self, ApiKeyRecord};

/// Every organization key starts with this, so a leaked one is recognisable (e.g. by secret scanners).
pub const KEY_PREFIX: &str = "wok_";

/// Characters of the key stored in clear, enough for a person to tell keys apart.
const SHOWN_PREFIX_LEN: usize = KEY_PREFIX.len() + 8;

/// A key just created: the only time its secret exists outside the caller's hands.
#[derive(Debug)]
pub struct IssuedKey {
    pub record: ApiKeyRecord,
    pub key: String,
}

/// A new random key: the prefix and 256 bits from a cryptographically secure generator, in hex.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let mut key = String::with_capacity(KEY_PREFIX.len() + 64);
    key.push_str(KEY_PREFIX);
    for byte in bytes {
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// What is stored and looked up: the key's SHA-256. A fast hash is enough for 256 random bits;
/// a password hash would only slow every request down.
pub fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Creates and stores a key for the organization; the returned secret is not kept anywhere.
pub async fn create(
    conn: &mut PgConnection,
    organization_id: &str,
    description: Option<&str>,
) -> anyhow::Result<IssuedKey> {
    if !(1..=256).contains(&organization_id.len()) {
        anyhow::bail!("organization id {organization_id:?} is invalid: use 1 to 256 characters");
    }
    let key = generate();
    let record = api_keys::insert(conn, organization_id, &hash(&key), &key[..SHOWN_PREFIX_LEN], description)
        .await
        .context("storing the key")?;
    Ok(IssuedKey { record, key })
}

/// `webhook-outbox api-key …`
#[derive(Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key for one organization and print it (once: only its hash is stored).
    Create {
        /// The organization the key may access.
        #[arg(long)]
        org: String,
        /// What the key is for, shown by `list`.
        #[arg(long)]
        description: Option<String>,
    },
    /// List keys (never the keys themselves): id, organization, prefix, created, revoked.
    List {
        /// Only this organization's keys.
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a key by its id: requests with it are refused from now on.
    Revoke {
        /// The key's id, as printed by `create` and `list`.
        id: Uuid,
    },
}

impl ApiKeyCommand {
    /// Runs the command, printing to stdout (the key alone, so scripts can capture it) and
    /// explanations to stderr.
    pub async fn run(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        match self {
            ApiKeyCommand::Create { org, description } => {
                let issued = create(conn, &org, description.as_deref()).await?;
                eprintln!(
                    "created API key {} for organization {:?}; store it now, it is not shown again:",
                    issued.record.id, issued.record.organization_id
                );
                println!("{}", issued.key);
            }
            ApiKeyCommand::List { org } => {
                let keys = api_keys::list(conn, org.as_deref()).await.context("listing keys")?;
                println!(
                    "{:<36}  {:<12}  {:<20}  {:<20}  {:<20}  description",
                    "id", "prefix", "organization", "created", "revoked"
                );
                for key in keys {
                    println!(
                        "{:<36}  {:<12}  {:<20}  {:<20}  {:<20}  {}",
                        key.id,
                        key.key_prefix,
                        key.organization_id,
                        key.created_at.format("%Y-%m-%d %H:%M:%S"),
                        key.revoked_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default(),
                        key.description.unwrap_or_default()
                    );
                }
            }
            ApiKeyCommand::Revoke { id } => match api_keys::revoke(conn, id)
                .await
                .context("revoking the key")?
            {
                Some(key) => println!("revoked API key {} of organization {:?}", key.id, key.organization_id),
                None => anyhow::bail!("no API key has the id {id} (see `webhook-outbox api-key list`)"),
            },
        }
        Ok(())
    }
}
