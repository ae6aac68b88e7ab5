//! A Svix-compatible fake HTTP server: the real `svix` SDK pointed at it (via `server_url`) sees the
//! same paths, status codes and JSON shapes as an open-source svix-server, plus fault injection and
//! inspection hooks for tests and benchmarks. This file holds the public API; the server lives in
//! the child modules.
#![allow(dead_code)] // each test binary uses a different subset of the API
#![allow(clippy::result_large_err)] // handlers return `Err(Response)`: an answer, not an error value

mod routes;
mod state;
mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use routes::router;
use state::{AfterAccept, Conflict, Countdown, Faults, Shared, attempt};
use wire::{MessageIn, str_field};

/// An application as the fake stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeApp {
    pub id: String,
    pub uid: Option<String>,
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
}

/// A message as the fake received it (the payload is kept even when `with_content=false`).
#[derive(Clone, Debug, PartialEq)]
pub struct FakeMessage {
    pub app_id: String,
    pub app_uid: Option<String>,
    pub id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    pub payload: Value,
    pub channels: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub timestamp: DateTime<Utc>,
}

/// Which requests a `fail_next_in` countdown applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only `POST /api/v1/app/{app}/msg`.
    MessageCreate,
    /// Every request, health included.
    AllRequests,
}

/// A running fake; dropping it shuts the server down (idle keep-alive connections included).
///
/// ```ignore
/// let fake = SvixFake::start().await;
/// let options = SvixOptions { server_url: Some(fake.url()), num_retries: Some(0), ..Default::default() };
/// let svix = Svix::new(SvixFake::TOKEN.into(), Some(options));
/// fake.accept_then_fail_next(1, 500); // Svix stores the next message, the caller sees a 500
/// ```
pub struct SvixFake {
    addr: SocketAddr,
    shared: Shared,
    /// Dropping it (with the fake) starts a graceful shutdown.
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl SvixFake {
    /// The only bearer token accepted until `set_accepted_token` says otherwise.
    pub const TOKEN: &'static str = "testsk_fake";

    /// Serves on a random local port.
    pub async fn start() -> Self {
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        Self::start_on(addr).await.expect("bind the Svix fake")
    }

    /// Serves on a fixed address (e.g. to bring a "crashed" Svix back on the same port).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::default();
        let app = router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let stop = async {
                let _ = rx.await; // a dropped sender also means stop
            };
            let _ = axum::serve(listener, app).with_graceful_shutdown(stop).await;
        });
        let shutdown = tx;
        Ok(Self { addr, shared, shutdown, task })
    }

    /// Stops accepting and waits until in-flight requests are answered and the port is free.
    pub async fn stop(self) {
        drop(self.shutdown);
        let _ = self.task.await;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    // ---- fault injection -------------------------------------------------------------------

    /// The next `n` message creations answer `status` (nothing is stored).
    pub fn fail_next(&self, n: u32, status: u16) {
        self.fail_next_in(Scope::MessageCreate, n, status);
    }

    pub fn fail_next_in(&self, scope: Scope, n: u32, status: u16) {
        let mut f = self.shared.faults();
        let slot = match scope {
            Scope::MessageCreate => &mut f.next_message,
            Scope::AllRequests => &mut f.next_any,
        };
        *slot = Countdown { left: n, status };
    }

    /// That fraction (0.0..=1.0, drawn at random per call) of message creations answers `status`.
    pub fn set_failure_rate(&self, rate: f64, status: u16) {
        self.shared.faults().failure_rate = Some((rate.clamp(0.0, 1.0), status));
    }

    /// Delay added before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults().latency = latency;
    }

    /// Every request answers `status` until `window` has passed.
    pub fn outage_for(&self, window: Duration, status: u16) {
        self.shared.faults().outage = Some((Instant::now() + window, status));
    }

    /// `Some(t)`: only `t` is accepted; `None`: every token is rejected (a revoked key).
    pub fn set_accepted_token(&self, token: Option<&str>) {
        self.shared.faults().token = token.map(str::to_owned);
    }

    /// The `Retry-After` seconds sent with injected 429s (default 1).
    pub fn set_retry_after(&self, secs: u64) {
        self.shared.faults().retry_after_secs = secs;
    }

    /// The next `n` message creations are stored, then answered `status`: Svix accepted the
    /// message but the caller never learned it did.
    pub fn accept_then_fail_next(&self, n: u32, status: u16) {
        self.shared.faults().after_accept = Some((n, AfterAccept::Status(status)));
    }

    /// Like `accept_then_fail_next`, but the answer (a normal 202) comes only after `delay`, so a
    /// client with a shorter timeout gives up.
    pub fn accept_then_hang_next(&self, n: u32, delay: Duration) {
        self.shared.faults().after_accept = Some((n, AfterAccept::Hang(delay)));
    }

    /// Removes every fault and accepts `TOKEN` again.
    pub fn clear_faults(&self) {
        *self.shared.faults() = Faults::default();
    }

    // ---- inspection and seeding ------------------------------------------------------------

    /// All stored messages, in creation order.
    pub fn messages(&self) -> Vec<FakeMessage> {
        let st = self.shared.state();
        st.messages.iter().map(|m| m.msg.clone()).collect()
    }

    pub fn message_count(&self) -> usize {
        self.shared.state().messages.len()
    }

    /// The message in app `app` (id or uid) with this msg id or eventId.
    pub fn find_message(&self, app: &str, msg_or_event_id: &str) -> Option<FakeMessage> {
        let st = self.shared.state();
        let m = st.msg_index(st.app_index(app)?, msg_or_event_id)?;
        Some(st.messages[m].msg.clone())
    }

    /// All event types (`EventTypeOut` JSON: name, description, schemas, …), by name.
    pub fn event_types(&self) -> Vec<Value> {
        let st = self.shared.state();
        st.event_types.values().cloned().map(Value::Object).collect()
    }

    pub fn apps(&self) -> Vec<FakeApp> {
        let st = self.shared.state();
        st.apps.iter().map(|a| a.app.clone()).collect()
    }

    /// Requests received, whatever their outcome.
    pub fn request_count(&self) -> u64 {
        self.shared.stats().requests
    }

    /// How many answers had this status (e.g. 409 to count eventId conflicts).
    pub fn responses_with_status(&self, status: u16) -> u64 {
        let stats = self.shared.stats();
        stats.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Stores a message as if it had been created through the API (the app is created if
    /// missing); an already stored eventId returns the existing message's id.
    pub fn insert_message(&self, app_uid: &str, event_id: &str, event_type: &str, payload: Value) -> String {
        let mut st = self.shared.state();
        let app = st.app_or_insert(app_uid);
        let input = MessageIn {
            event_id: Some(event_id.into()),
            event_type: event_type.into(),
            payload,
            ..Default::default()
        };
        let m = match st.insert_message(app, input) {
            Ok(m) => m,
            Err(Conflict) => st.msg_by_event[&(app, event_id.to_owned())],
        };
        st.messages[m].msg.id.clone()
    }

    /// Adds an endpoint (the app is created if missing); later messages get one attempt each.
    pub fn add_endpoint(&self, app_uid: &str, url: &str) -> String {
        let mut st = self.shared.state();
        let app = st.app_or_insert(app_uid);
        let mut body = Map::new();
        body.insert("url".into(), json!(url));
        st.insert_endpoint(app, body)
    }

    /// Records a delivery attempt on an existing message; `None` if the app or message is unknown.
    pub fn record_attempt(
        &self,
        app: &str,
        msg_or_event_id: &str,
        status_code: i16,
        response: &str,
    ) -> Option<String> {
        let mut st = self.shared.state();
        let a = st.app_index(app)?;
        let m = st.msg_index(a, msg_or_event_id)?;
        let msg_id = &st.messages[m].msg.id;
        let attempt = attempt(st.apps[a].endpoints.first(), msg_id, status_code, response);
        let id = str_field(attempt.as_object()?, "id");
        st.messages[m].attempts.push(attempt);
        Some(id)
    }
}
