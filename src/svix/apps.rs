//! One Svix application per organization: got-or-created on first use (uid = organization id,
//! name = the registered name or the id), cached in memory and recorded in `webhook_organizations`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

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

/// The application-per-organization cache, shared by the relay's deliveries and the API.
#[derive(Debug, Clone)]
pub struct Applications {
    pool: PgPool,
    svix: Arc<dyn Svix>,
    cache: Arc<Mutex<HashMap<String, String>>>,
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
        if let Some(id) = self.cached(organization_id) {
            return Ok(id);
        }
        let known = organizations::find(&self.pool, organization_id).await?;
        if let Some(app_id) = known.as_ref().and_then(|o| o.svix_app_id.clone()) {
            self.remember(organization_id, &app_id);
            return Ok(app_id);
        }
        let name = known.map(|o| o.name).unwrap_or_else(|| organization_id.to_owned());
        match self.get_or_create(organization_id, &name).await {
            Ok(app_id) => {
                organizations::record_app(&self.pool, organization_id, &name, &app_id).await?;
                self.remember(organization_id, &app_id);
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
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).remove(organization_id);
        organizations::forget_app(&self.pool, organization_id).await
    }

    fn cached(&self, organization_id: &str) -> Option<String> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(organization_id).cloned()
    }

    fn remember(&self, organization_id: &str, app_id: &str) {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(organization_id.to_owned(), app_id.to_owned());
    }
}
