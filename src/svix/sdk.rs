//! The [`Svix`] seam over the official `svix` crate, with the SDK's own retries turned off: retry
//! policy lives in the relay alone, where it can back off and record every attempt.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use svix::api::{MessageAttemptListByMsgOptions, SvixOptions};
use svix::error::Error as SdkError;
use svix::models::{AppPortalAccessIn, ApplicationIn, EventTypeUpsertIn, MessageIn};

use super::{DeliveryAttempt, NewMessage, PortalAccess, Svix, SvixError};

/// How long one Svix request may take, connect to last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The production [`Svix`] implementation.
#[derive(Clone)]
pub struct SdkClient {
    svix: svix::api::Svix,
}

impl std::fmt::Debug for SdkClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token must never reach a log line.
        f.debug_struct("SdkClient").field("server_url", &self.svix.server_url()).finish_non_exhaustive()
    }
}

impl SdkClient {
    /// A client for `server_url` (or the token's region when `None`).
    pub fn new(token: &SecretString, server_url: Option<String>) -> Self {
        let options = SvixOptions {
            server_url,
            num_retries: Some(0),
            timeout: Some(REQUEST_TIMEOUT),
            ..Default::default()
        };
        SdkClient { svix: svix::api::Svix::new(token.expose_secret().to_owned(), Some(options)) }
    }
}

impl From<SdkError> for SvixError {
    fn from(error: SdkError) -> Self {
        match error {
            SdkError::Http(http) => {
                let status = http.status.as_u16();
                let detail = http.payload.map(|p| format!("{}: {}", p.code, p.detail)).unwrap_or_default();
                match status {
                    409 => SvixError::Conflict(detail),
                    401 | 403 => SvixError::Unauthorized { status },
                    404 => SvixError::NotFound(detail),
                    429 => SvixError::RateLimited,
                    500.. => SvixError::Server { status, detail },
                    _ => SvixError::Rejected { status, detail },
                }
            }
            SdkError::Validation(validation) => {
                let detail = validation
                    .payload
                    .map(|p| {
                        p.detail
                            .iter()
                            .map(|d| format!("{}: {}", d.loc.join("."), d.msg))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default();
                SvixError::Rejected { status: validation.status.as_u16(), detail }
            }
            SdkError::Timeout { .. } => SvixError::Timeout,
            SdkError::Generic(message) => SvixError::Transport(message),
        }
    }
}

#[async_trait]
impl Svix for SdkClient {
    async fn get_or_create_app(&self, uid: &str, name: &str) -> Result<String, SvixError> {
        let app = ApplicationIn { uid: Some(uid.to_owned()), ..ApplicationIn::new(name.to_owned()) };
        Ok(self.svix.application().get_or_create(app, None).await?.id)
    }

    async fn create_message(&self, app_id: &str, message: &NewMessage) -> Result<String, SvixError> {
        let mut input = MessageIn::new(message.event_type.clone(), message.payload.clone());
        input.event_id = Some(message.event_id.clone());
        Ok(self.svix.message().create(app_id.to_owned(), input, None).await?.id)
    }

    async fn find_message(&self, app_id: &str, id_or_event_id: &str) -> Result<String, SvixError> {
        Ok(self.svix.message().get(app_id.to_owned(), id_or_event_id.to_owned(), None).await?.id)
    }

    async fn list_attempts(&self, app_id: &str, msg_id: &str) -> Result<Vec<DeliveryAttempt>, SvixError> {
        let options = MessageAttemptListByMsgOptions {
            with_content: Some(true),
            limit: Some(250),
            ..Default::default()
        };
        let page = self
            .svix
            .message_attempt()
            .list_by_msg(app_id.to_owned(), msg_id.to_owned(), Some(options))
            .await?;
        Ok(page
            .data
            .into_iter()
            .map(|a| DeliveryAttempt {
                id: a.id,
                status: a.response_status_code,
                response: a.response,
                timestamp: a.timestamp,
                endpoint_id: a.endpoint_id,
                url: a.url,
                status_text: serde_json::to_value(a.status_text)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                response_duration_ms: a.response_duration_ms,
            })
            .collect())
    }

    async fn app_portal_access(&self, app_id: &str) -> Result<PortalAccess, SvixError> {
        let access = self
            .svix
            .authentication()
            .app_portal_access(app_id.to_owned(), AppPortalAccessIn::new(), None)
            .await?;
        Ok(PortalAccess { url: access.url, token: access.token })
    }

    async fn upsert_event_type(
        &self,
        name: &str,
        description: &str,
        schema: &Value,
    ) -> Result<(), SvixError> {
        let input = EventTypeUpsertIn {
            // Svix keys schemas by version; the catalogue has one version per type.
            schemas: Some(serde_json::json!({ "1": schema })),
            ..EventTypeUpsertIn::new(description.to_owned())
        };
        self.svix.event_type().upsert(name.to_owned(), input).await?;
        Ok(())
    }

    async fn check_token(&self) -> Result<(), SvixError> {
        // Any authenticated read tells a good token (404 for an app that can't exist) from a bad one (401).
        match self.svix.application().get("webhook-outbox-token-check".to_owned()).await {
            Ok(_) => Ok(()),
            Err(error) => match SvixError::from(error) {
                SvixError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }
}
