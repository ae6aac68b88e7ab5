//! One Svix application per organization: got-or-created on first use (uid = organization id,
//! name = the registered name or the id), cached in memory and recorded in `webhook_organizations`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tokio::sync::OnceCell;

use super::{Svix, SvixError};
use crate::db::organizations;

/// Why an application could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error(transparent)]
    Svix(#[from] SvixError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl ApplicationError {
    /// Whether trying again later may succeed: Svix's retryable failures, and any database error.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApplicationError::Svix(error) => error.is_retryable(),
            ApplicationError::Database(_) => true,
        }
    }
}

/// The application-per-organization cache, shared by the relay's deliveries and the API.
#[derive(Debug, Clone)]
pub struct Applications {
    pool: PgPool,
    svix: Arc<dyn Svix>,
    // One cell per organization: concurrent callers for an organization not yet known wait for
    // the first lookup instead of all asking the database and Svix at once. A failed lookup
    // leaves the cell empty, so the next caller tries again.
    cache: Arc<Mutex<HashMap<String, Arc<OnceCell<String>>>>>,
}

impl Applications {
    pub fn new(pool: PgPool, svix: Arc<dyn Svix>) -> Self {
        Applications { pool, svix, cache: Arc::default() }
    }

    /// The Svix client behind the cache.
    pub fn svix(&self) -> &Arc<dyn Svix> {
        &self.svix
    }

    /// The organization's Svix `app_…` id, creating the application if it does not exist yet.
    pub async fn app_id(&self, organization_id: &str) -> Result<String, ApplicationError> {
        let cell = self.cell(organization_id);
        cell.get_or_try_init(|| self.resolve(organization_id)).await.cloned()
    }

    async fn resolve(&self, organization_id: &str) -> Result<String, ApplicationError> {
        let known = organizations::find(&self.pool, organization_id).await?;
        if let Some(app_id) = known.as_ref().and_then(|o| o.svix_app_id.clone()) {
            return Ok(app_id);
        }
        let name = known.map(|o| o.name).unwrap_or_else(|| organization_id.to_owned());
        match self.get_or_create(organization_id, &name).await {
            Ok(app_id) => {
                organizations::record_app(&self.pool, organization_id, &name, &app_id).await?;
                Ok(app_id)
            }
            Err(error) => {
                // Best effort: the error is what matters to the caller, the record is for people.
                let _ = organizations::record_error(&self.pool, organization_id, &error.to_string()).await;
                Err(error.into())
            }
        }
    }

    async fn get_or_create(&self, uid: &str, name: &str) -> Result<String, SvixError> {
        match self.svix.get_or_create_app(uid, name).await {
            // Two callers creating the same new application race; the loser's retry finds it.
            Err(SvixError::Conflict(_)) => self.svix.get_or_create_app(uid, name).await,
            other => other,
        }
    }

    /// Drops what is known of the organization's application, e.g. after Svix said it is gone.
    pub async fn forget(&self, organization_id: &str) -> Result<(), sqlx::Error> {
        self.lock().remove(organization_id);
        organizations::forget_app(&self.pool, organization_id).await
    }

    fn cell(&self, organization_id: &str) -> Arc<OnceCell<String>> {
        self.lock().entry(organization_id.to_owned()).or_default().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<String>>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}
