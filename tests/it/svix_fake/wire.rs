//! Wire types and JSON helpers: request bodies, Svix-shaped error answers and the JSON the
//! fake sends back for apps, messages and lists.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{FakeApp, FakeMessage};

#[derive(Deserialize)]
pub(super) struct AppIn {
    pub(super) name: String,
    pub(super) uid: Option<String>,
    pub(super) metadata: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageIn {
    pub(super) event_id: Option<String>,
    pub(super) event_type: String,
    pub(super) payload: Value,
    pub(super) channels: Option<Vec<String>>,
    pub(super) tags: Option<Vec<String>>,
    pub(super) application: Option<AppIn>,
}

pub(super) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub(super) fn str_field(obj: &Map<String, Value>, key: &str) -> String {
    obj.get(key).and_then(Value::as_str).unwrap_or("").into()
}

/// Query flags default to true when absent, like the server (the SDK always sends them).
pub(super) fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name).is_none_or(|v| v != "false")
}

pub(super) fn number(q: &HashMap<String, String>, name: &str, default: usize) -> usize {
    q.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub(super) fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response()
}

pub(super) fn error(status: u16, code: &str, detail: &str) -> Response {
    reply(status, json!({ "code": code, "detail": detail }))
}

pub(super) fn not_found() -> Response {
    error(404, "not_found", "Entity not found")
}

/// The Svix-like answer to an injected fault.
pub(super) fn fault(status: u16, retry_after_secs: u64) -> Response {
    let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
    let reason = reason.unwrap_or("Injected fault");
    let (code, detail) = match status {
        401 => ("authentication_failed".into(), "Invalid token"),
        409 => ("conflict".into(), "A conflict has occurred"),
        _ => (reason.to_lowercase().replace(' ', "_"), reason),
    };
    let mut resp = error(status, &code, detail);
    if status == 429 {
        resp.headers_mut().insert(header::RETRY_AFTER, retry_after_secs.into());
    }
    resp
}

pub(super) fn validation(loc: &[&str], msg: &str) -> Response {
    reply(422, json!({ "detail": [{ "loc": loc, "msg": msg, "type": "value_error" }] }))
}

pub(super) fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| validation(&["body"], &e.to_string()))
}

/// Svix's name rule for event types: `^[a-zA-Z0-9\-_.]+$`.
pub(super) fn check_name(name: &str, loc: &[&str]) -> Result<(), Response> {
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        return Ok(());
    }
    Err(validation(loc, "String must match the following pattern: [a-zA-Z0-9\\-_.]."))
}

/// A uid (an application's `uid`, a message's `eventId`) as svix-server validates it: a name that
/// does not start with the prefix of the ids Svix generates for that kind of object.
pub(super) fn check_uid(uid: &str, id_prefix: &str, loc: &[&str]) -> Result<(), Response> {
    check_name(uid, loc)?;
    if uid.len() > 256 {
        return Err(validation(loc, "String too long"));
    }
    if uid.starts_with(id_prefix) {
        return Err(validation(
            loc,
            "Uids are not allowed to have the same prefix as the ID. Prefix with _?",
        ));
    }
    Ok(())
}

pub(super) fn app_json(app: &FakeApp) -> Value {
    let mut v = json!({
        "name": app.name, "id": app.id, "metadata": app.metadata,
        "createdAt": app.created_at, "updatedAt": app.created_at,
    });
    if let Some(uid) = &app.uid {
        v["uid"] = json!(uid);
    }
    v
}

pub(super) fn message_json(m: &FakeMessage, with_content: bool) -> Value {
    let payload = if with_content { m.payload.clone() } else { json!({}) };
    let mut v =
        json!({ "eventType": m.event_type, "payload": payload, "id": m.id, "timestamp": m.timestamp });
    for (key, value) in
        [("eventId", json!(m.event_id)), ("channels", json!(m.channels)), ("tags", json!(m.tags))]
    {
        if !value.is_null() {
            v[key] = value;
        }
    }
    v
}

pub(super) fn list_json(data: Vec<Value>, iterator: Option<String>) -> Value {
    json!({ "data": data, "done": iterator.is_none(), "iterator": iterator, "prevIterator": null })
}
