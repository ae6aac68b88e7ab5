//! The real server for a test: `startup::run` on port 0 against the test's database (and the
//! Svix fake, when given), talked to over HTTP like any client.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use webhook_outbox::startup::{ServeOptions, run};

use super::{TestDb, config};
use crate::svix_fake::SvixFake;

/// The admin token every test server accepts (`--api-tokens`).
pub const ADMIN_TOKEN: &str = "admin-test-token";

/// A running API; dropping it shuts the server down.
pub struct TestApp {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `code` of an error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_else(|| panic!("no code in {}", self.text())).to_owned()
    }
}

/// The API (no relay) for `db`, with Svix at `fake` (disabled when `None`) and `ADMIN_TOKEN`.
pub async fn spawn_app(db: &TestDb, fake: Option<&SvixFake>) -> TestApp {
    spawn_app_with(db, fake, &[]).await
}

/// Like [`spawn_app`], with extra flags such as `["--max-payload-bytes", "1024"]`.
pub async fn spawn_app_with(db: &TestDb, fake: Option<&SvixFake>, extra: &[&str]) -> TestApp {
    let mut flags = vec!["--api-tokens", ADMIN_TOKEN];
    flags.extend_from_slice(extra);
    spawn_app_with_flags(db, fake, &flags).await
}

/// The API with exactly these flags: no admin token unless they name one.
pub async fn spawn_app_with_flags(db: &TestDb, fake: Option<&SvixFake>, flags: &[&str]) -> TestApp {
    spawn_app_for(config(db, fake, flags)).await
}

/// The API (no relay) for a config built by the test.
pub async fn spawn_app_for(config: webhook_outbox::config::Config) -> TestApp {
    spawn_serving(config, ServeOptions { api: true, relay: false, migrate: true }).await
}

/// `startup::run` with these options (e.g. with the relay too); `options.api` must be on.
pub async fn spawn_serving(config: webhook_outbox::config::Config, options: ServeOptions) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the API");
    let addr = listener.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    tokio::spawn(run(config, Some(listener), options, shutdown.clone()));
    let client = Client::builder(TokioExecutor::new()).build_http();
    TestApp { addr, shutdown, client }
}

impl TestApp {
    /// Sends a request; `body` is sent as `application/json` when it is JSON.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let content_type = body.map(|_| "application/json");
        self.raw(method, path, token, content_type, bytes.unwrap_or_default()).await
    }

    /// Sends exactly these bytes with this content type (or none).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(format!("http://{}{path}", self.addr));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request.body(Full::new(Bytes::from(body))).expect("request");
        let response = self.client.request(request).await.expect("the API answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("read the body").to_bytes();
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.request("POST", path, token, Some(body)).await
    }

    /// Sends `body` to `organization`'s send route as the admin.
    pub async fn send(&self, organization: &str, body: &Value) -> Reply {
        self.post(&format!("/api/webhooks/organizations/{organization}/send"), Some(ADMIN_TOKEN), body).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A new key of `organization`, as `webhook-outbox api-key create` makes one.
pub async fn org_key(db: &TestDb, organization: &str) -> String {
    let mut conn = db.pool.acquire().await.expect("acquire");
    webhook_outbox::api::keys::create(&mut conn, organization, Some("test")).await.expect("create a key").key
}

/// A key of `organization` that has been revoked.
pub async fn revoked_key(db: &TestDb, organization: &str) -> String {
    let mut conn = db.pool.acquire().await.expect("acquire");
    let issued =
        webhook_outbox::api::keys::create(&mut conn, organization, None).await.expect("create a key");
    webhook_outbox::db::api_keys::revoke(&mut *conn, issued.record.id)
        .await
        .expect("revoke")
        .expect("the key");
    issued.key
}

/// Rows in the outbox, to prove a refused request wrote nothing.
pub async fn outbox_rows(db: &TestDb) -> i64 {
    sqlx::query_scalar("select count(*) from webhook_outbox").fetch_one(&db.pool).await.expect("count")
}

/// Forces a row into `status` as a relay would leave it (delivered rows get a Svix id).
pub async fn set_status(db: &TestDb, id: &str, status: &str, svix_message_id: Option<&str>) {
    sqlx::query(
        "update webhook_outbox set status = $2, svix_message_id = coalesce($3, svix_message_id),
                delivered_at = case when $2 = 'delivered' then now() end,
                last_error = case when $2 = 'failed' then 'Svix rejected the request (HTTP 400)' end,
                attempts = case when $2 = 'pending' then attempts else attempts + 1 end
         where id = $1::uuid",
    )
    .bind(id)
    .bind(status)
    .bind(svix_message_id)
    .execute(&db.pool)
    .await
    .expect("set the status");
}
