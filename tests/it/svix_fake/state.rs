//! The fake's shared state: the in-memory store (what Svix keeps in its database), the injected
//! faults and the request counters, all behind one `Arc` shared by the API and the handlers.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::wire::{AppIn, MessageIn, new_id, str_field};
use super::{FakeApp, FakeMessage, SvixFake};

#[derive(Clone, Default)]
pub(super) struct Shared(pub(super) Arc<Inner>);

#[derive(Default)]
pub(super) struct Inner {
    pub(super) state: Mutex<Store>,
    pub(super) faults: Mutex<Faults>,
    pub(super) stats: Mutex<Stats>,
    /// `"{path} {idempotency-key}"` → the first 2xx answer, replayed like Svix does.
    pub(super) idempotency: Mutex<HashMap<String, (StatusCode, Bytes)>>,
}

impl Shared {
    pub(super) fn state(&self) -> MutexGuard<'_, Store> {
        lock(&self.0.state)
    }
    pub(super) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.0.faults)
    }
    pub(super) fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.0.stats)
    }
}

/// A panicking test must not turn every later call into a poison error.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Default)]
pub(super) struct Stats {
    pub(super) requests: u64,
    pub(super) by_status: HashMap<u16, u64>,
}

#[derive(Default, Clone, Copy)]
pub(super) struct Countdown {
    pub(super) left: u32,
    pub(super) status: u16,
}

impl Countdown {
    pub(super) fn take(&mut self) -> Option<u16> {
        (self.left > 0).then(|| {
            self.left -= 1;
            self.status
        })
    }
}

#[derive(Clone, Copy)]
pub(super) enum AfterAccept {
    Status(u16),
    Hang(Duration),
}

pub(super) struct Faults {
    pub(super) token: Option<String>,
    pub(super) latency: Duration,
    pub(super) outage: Option<(Instant, u16)>,
    pub(super) next_any: Countdown,
    pub(super) next_message: Countdown,
    pub(super) failure_rate: Option<(f64, u16)>,
    pub(super) after_accept: Option<(u32, AfterAccept)>,
    pub(super) retry_after_secs: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            token: Some(SvixFake::TOKEN.to_owned()),
            latency: Duration::ZERO,
            outage: None,
            next_any: Countdown::default(),
            next_message: Countdown::default(),
            failure_rate: None,
            after_accept: None,
            retry_after_secs: 1,
        }
    }
}

impl Faults {
    /// The status an injected fault imposes on a message creation, if any.
    pub(super) fn message_fault(&mut self) -> Option<u16> {
        if let Some(status) = self.next_message.take() {
            return Some(status);
        }
        let (rate, status) = self.failure_rate?;
        rand::random_bool(rate).then_some(status)
    }

    pub(super) fn take_after_accept(&mut self) -> Option<AfterAccept> {
        let (left, what) = self.after_accept.as_mut()?;
        *left -= 1;
        let what = *what;
        if *left == 0 {
            self.after_accept = None;
        }
        Some(what)
    }
}

pub(super) struct AppRec {
    pub(super) app: FakeApp,
    pub(super) endpoints: Vec<Map<String, Value>>,
}

pub(super) struct MsgRec {
    pub(super) msg: FakeMessage,
    pub(super) app: usize,
    pub(super) attempts: Vec<Value>,
}

/// A `MessageAttemptOut` as stored, real response body included.
pub(super) fn attempt(endpoint: Option<&Map<String, Value>>, msg_id: &str, code: i16, body: &str) -> Value {
    let field = |key, fallback: &str| endpoint.map_or(fallback.to_owned(), |ep| str_field(ep, key));
    let ok = (200..300).contains(&code);
    json!({
        "url": field("url", "http://fake.invalid/"), "response": body,
        "responseStatusCode": code, "responseDurationMs": 1,
        "status": if ok { 0 } else { 2 }, "statusText": if ok { "success" } else { "fail" },
        "triggerType": 0, "msgId": msg_id, "endpointId": field("id", "ep_fake"),
        "id": new_id("atmpt"), "timestamp": Utc::now(),
    })
}

/// Everything Svix would keep in its database, indexed for 10k+ messages.
#[derive(Default)]
pub(super) struct Store {
    pub(super) apps: Vec<AppRec>,
    pub(super) app_by_key: HashMap<String, usize>, // id and uid
    pub(super) messages: Vec<MsgRec>,
    pub(super) msg_by_id: HashMap<String, usize>,
    pub(super) msg_by_event: HashMap<(usize, String), usize>,
    pub(super) event_types: BTreeMap<String, Map<String, Value>>,
}

pub(super) struct Conflict;

impl Store {
    pub(super) fn app_index(&self, key: &str) -> Option<usize> {
        self.app_by_key.get(key).copied()
    }

    pub(super) fn insert_app(&mut self, input: AppIn) -> usize {
        let app = FakeApp {
            id: new_id("app"),
            uid: input.uid,
            name: input.name,
            metadata: input.metadata.unwrap_or_default(),
            created_at: Utc::now(),
        };
        let idx = self.apps.len();
        self.app_by_key.insert(app.id.clone(), idx);
        if let Some(uid) = &app.uid {
            self.app_by_key.insert(uid.clone(), idx);
        }
        self.apps.push(AppRec { app, endpoints: Vec::new() });
        idx
    }

    pub(super) fn app_or_insert(&mut self, uid: &str) -> usize {
        match self.app_index(uid) {
            Some(idx) => idx,
            None => self.insert_app(AppIn { name: uid.into(), uid: Some(uid.into()), metadata: None }),
        }
    }

    /// Finds a message of `app` by its `msg_…` id or by its eventId, as Svix's paths allow.
    pub(super) fn msg_index(&self, app: usize, key: &str) -> Option<usize> {
        let by_id = self.msg_by_id.get(key).copied().filter(|&m| self.messages[m].app == app);
        by_id.or_else(|| self.msg_by_event.get(&(app, key.to_owned())).copied())
    }

    pub(super) fn insert_message(&mut self, app: usize, input: MessageIn) -> Result<usize, Conflict> {
        if let Some(event_id) = &input.event_id
            && self.msg_by_event.contains_key(&(app, event_id.clone()))
        {
            return Err(Conflict);
        }
        let rec = &self.apps[app];
        let msg = FakeMessage {
            app_id: rec.app.id.clone(),
            app_uid: rec.app.uid.clone(),
            id: new_id("msg"),
            event_id: input.event_id,
            event_type: input.event_type,
            payload: input.payload,
            channels: input.channels,
            tags: input.tags,
            timestamp: Utc::now(),
        };
        // the fake "delivers" at once: one successful attempt per enabled endpoint
        let enabled = rec.endpoints.iter().filter(|ep| ep.get("disabled") != Some(&json!(true)));
        let attempts = enabled.map(|ep| attempt(Some(ep), &msg.id, 200, r#"{"ok":true}"#));
        let attempts = attempts.collect();
        let idx = self.messages.len();
        self.msg_by_id.insert(msg.id.clone(), idx);
        if let Some(event_id) = &msg.event_id {
            self.msg_by_event.insert((app, event_id.clone()), idx);
        }
        self.messages.push(MsgRec { msg, app, attempts });
        Ok(idx)
    }

    pub(super) fn insert_endpoint(&mut self, app: usize, mut body: Map<String, Value>) -> String {
        let id = new_id("ep");
        let now = json!(Utc::now());
        body.remove("secret");
        body.remove("headers");
        body.insert("id".into(), json!(id));
        body.entry("metadata").or_insert_with(|| json!({}));
        body.entry("description").or_insert_with(|| json!(""));
        body.insert("createdAt".into(), now.clone());
        body.insert("updatedAt".into(), now);
        self.apps[app].endpoints.push(body);
        id
    }
}
