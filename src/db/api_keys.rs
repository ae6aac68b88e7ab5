//! Queries on `webhook_api_keys`: organization API keys, stored as SHA-256 hashes.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub organization_id: String,
    pub key_prefix: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a new key's hash and prefix.
pub async fn insert(
    executor: impl PgExecutor<'_>,
    organization_id: &str,
    key_hash: &[u8],
    key_prefix: &str,
    description: Option<&str>,
) -> Result<ApiKeyRecord, sqlx::Error> {
    sqlx::query_as!(
        ApiKeyRecord,
        "insert into webhook_api_keys (organization_id, key_hash, key_prefix, description)
         values ($1, $2, $3, $4)
         returning id, organization_id, key_prefix, description, created_at, revoked_at",
        organization_id,
        key_hash,
        key_prefix,
        description
    )
    .fetch_one(executor)
    .await
}

/// Every key, or one organization's, oldest first.
pub async fn list(
    executor: impl PgExecutor<'_>,
    organization_id: Option<&str>,
) -> Result<Vec<ApiKeyRecord>, sqlx::Error> {
    sqlx::query_as!(
        ApiKeyRecord,
        "select id, organization_id, key_prefix, description, created_at, revoked_at
         from webhook_api_keys
         where $1::text is null or organization_id = $1
         order by created_at, id",
        organization_id
    )
    .fetch_all(executor)
    .await
}

/// Revokes a key (revoking twice keeps the first time); `None` if there is no such key.
pub async fn revoke(executor: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ApiKeyRecord>, sqlx::Error> {
    sqlx::query_as!(
        ApiKeyRecord,
        "update webhook_api_keys set revoked_at = coalesce(revoked_at, now())
         where id = $1
         returning id, organization_id, key_prefix, description, created_at, revoked_at",
        id
    )
    .fetch_optional(executor)
    .await
}

/// The organization of the unrevoked key with this hash.
pub async fn organization_for(
    executor: impl PgExecutor<'_>,
    key_hash: &[u8],
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select organization_id from webhook_api_keys where key_hash = $1 and revoked_at is null",
        key_hash
    )
    .fetch_optional(executor)
    .await
}
