//! Queries on `webhook_organizations`: which Svix application serves each organization.

use sqlx::PgPool;

/// An organization as recorded.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub svix_app_id: Option<String>,
    pub last_error: Option<String>,
}

pub async fn find(pool: &PgPool, id: &str) -> Result<Option<Organization>, sqlx::Error> {
    sqlx::query_as!(
        Organization,
        "select id, name, svix_app_id, last_error from webhook_organizations where id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// Records the organization's Svix application (registering the organization if it was not).
pub async fn record_app(pool: &PgPool, id: &str, name: &str, app_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into webhook_organizations (id, name, svix_app_id) values ($1, $2, $3)
         on conflict (id) do update set svix_app_id = excluded.svix_app_id, last_error = null, updated_at = now()",
        id,
        name,
        app_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records why the organization's application could not be had.
pub async fn record_error(pool: &PgPool, id: &str, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into webhook_organizations (id, name, last_error) values ($1, $1, $2)
         on conflict (id) do update set last_error = excluded.last_error, updated_at = now()",
        id,
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets the organization's application id, so the next use gets-or-creates it again.
pub async fn forget_app(pool: &PgPool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("update webhook_organizations set svix_app_id = null, updated_at = now() where id = $1", id)
        .execute(pool)
        .await?;
    Ok(())
}
