//! The router, the gatekeeper in front of every route (latency, outages, auth, global faults,
//! idempotency, counting) and the Svix API handlers.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::state::{AfterAccept, Conflict, Shared, lock};
use super::wire::{
    AppIn, MessageIn, app_json, check_name, check_uid, error, fault, flag, list_json, message_json, new_id,
    not_found, number, parse, reply, str_field, validation,
};

type Reply = Result<Response, Response>;
type Params = Query<HashMap<String, String>>;
type St = State<Shared>;
type Key = Path<String>;
type Keys = Path<(String, String)>;

const HEALTH: &str = "/api/v1/health";

pub(super) fn router(shared: Shared) -> Router {
    Router::new()
        .route(HEALTH, get(|| async { Json(health_body()) }))
        .route("/api/v1/app", post(create_app))
        .route("/api/v1/app/{app}", get(get_app))
        .route("/api/v1/app/{app}/msg", post(create_message))
        .route("/api/v1/app/{app}/msg/{msg}", get(get_message))
        .route("/api/v1/app/{app}/attempt/msg/{msg}", get(list_attempts))
        .route("/api/v1/app/{app}/endpoint", post(create_endpoint))
        .route("/api/v1/auth/app-portal-access/{app}", post(app_portal_access))
        .route("/api/v1/event-type", post(create_event_type).get(list_event_types))
        .route(
            "/api/v1/event-type/{name}",
            get(get_event_type).put(upsert_event_type).patch(patch_event_type),
        )
        // the OSS server answers unknown routes with an empty 404
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn_with_state(shared.clone(), gatekeeper))
        .with_state(shared)
}

fn health_body() -> Value {
    json!({ "database": { "status": "ok" }, "queue": { "status": "ok" }, "cache": { "status": "ok" } })
}

/// Runs in front of every route: latency, outage, auth, global faults, idempotency, counting.
async fn gatekeeper(State(s): St, req: Request, next: Next) -> Response {
    let latency = s.faults().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let resp = match admit(&s, &req) {
        Some(refusal) => refusal,
        None => with_idempotency(&s, req, next).await,
    };
    let mut stats = s.stats();
    stats.requests += 1;
    *stats.by_status.entry(resp.status().as_u16()).or_default() += 1;
    resp
}

/// The answer that stops a request before its route runs, if any.
fn admit(s: &Shared, req: &Request) -> Option<Response> {
    let mut f = s.faults();
    if let Some((until, status)) = f.outage {
        if Instant::now() < until {
            return Some(fault(status, f.retry_after_secs));
        }
        f.outage = None;
    }
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = bearer.and_then(|v| v.strip_prefix("Bearer "));
    // health is unauthenticated on svix-server
    if req.uri().path() != HEALTH && (token.is_none() || token != f.token.as_deref()) {
        return Some(error(401, "authentication_failed", "Invalid token"));
    }
    let status = f.next_any.take()?;
    Some(fault(status, f.retry_after_secs))
}

/// Replays the first 2xx answer to a POST with the same `idempotency-key` (errors are not kept,
/// so a retry after a 5xx runs again and meets e.g. the 409 of its own earlier message).
async fn with_idempotency(s: &Shared, req: Request, next: Next) -> Response {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok());
    let key = match key {
        Some(k) if req.method() == Method::POST => format!("{} {k}", req.uri().path()),
        _ => return next.run(req).await,
    };
    let cached = lock(&s.0.idempotency).get(&key).cloned();
    if let Some((status, body)) = cached {
        return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let resp = next.run(req).await;
    if !resp.status().is_success() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    lock(&s.0.idempotency).insert(key, (parts.status, bytes.clone()));
    Response::from_parts(parts, Body::from(bytes))
}

async fn create_app(State(s): St, Query(q): Params, body: Bytes) -> Reply {
    let input: AppIn = parse(&body)?;
    if let Some(uid) = &input.uid {
        check_uid(uid, "app_", &["body", "uid", "__all__"])?;
    }
    let get_if_exists = q.get("get_if_exists").is_some_and(|v| v == "true");
    let mut st = s.state();
    if let Some(idx) = input.uid.as_deref().and_then(|uid| st.app_index(uid)) {
        if get_if_exists {
            return Ok(reply(200, app_json(&st.apps[idx].app)));
        }
        let detail = "An application with that id or uid already exists";
        return Err(error(409, "conflict", detail));
    }
    let idx = st.insert_app(input);
    Ok(reply(201, app_json(&st.apps[idx].app)))
}

async fn get_app(State(s): St, Path(app): Key) -> Reply {
    let st = s.state();
    let idx = st.app_index(&app).ok_or_else(not_found)?;
    Ok(reply(200, app_json(&st.apps[idx].app)))
}

async fn create_message(State(s): St, Path(app): Key, Query(q): Params, body: Bytes) -> Reply {
    let (injected, retry_after) = {
        let mut f = s.faults();
        (f.message_fault(), f.retry_after_secs)
    };
    if let Some(status) = injected {
        return Err(fault(status, retry_after));
    }
    let mut input: MessageIn = parse(&body)?;
    check_name(&input.event_type, &["body", "eventType", "__all__"])?;
    if let Some(event_id) = &input.event_id {
        check_uid(event_id, "msg_", &["body", "eventId", "__all__"])?;
    }
    let out = {
        let mut st = s.state();
        let idx = match (st.app_index(&app), input.application.take()) {
            (Some(idx), _) => idx,
            (None, Some(app_in)) => st.insert_app(AppIn { uid: app_in.uid.or(Some(app)), ..app_in }),
            (None, None) => return Err(error(404, "not_found", "Application not found")),
        };
        let m = st
            .insert_message(idx, input)
            .map_err(|Conflict| error(409, "conflict", "A conflict has occurred"))?;
        message_json(&st.messages[m].msg, flag(&q, "with_content"))
    };
    let after_accept = s.faults().take_after_accept();
    match after_accept {
        None => Ok(reply(202, out)),
        Some(AfterAccept::Status(status)) => Err(fault(status, retry_after)),
        Some(AfterAccept::Hang(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(reply(202, out))
        }
    }
}

async fn get_message(State(s): St, Path((app, msg)): Keys, Query(q): Params) -> Reply {
    let st = s.state();
    let a = st.app_index(&app).ok_or_else(not_found)?;
    let m = st.msg_index(a, &msg).ok_or_else(not_found)?;
    let out = message_json(&st.messages[m].msg, flag(&q, "with_content"));
    Ok(reply(200, out))
}

async fn list_attempts(State(s): St, Path((app, msg)): Keys, Query(q): Params) -> Reply {
    let st = s.state();
    let a = st.app_index(&app).ok_or_else(not_found)?;
    let rec = &st.messages[st.msg_index(a, &msg).ok_or_else(not_found)?];
    let (limit, with_content) = (number(&q, "limit", 50), flag(&q, "with_content"));
    let mut newest_first = rec.attempts.iter().rev().peekable();
    let mut data: Vec<Value> = newest_first.by_ref().take(limit).cloned().collect();
    let more = newest_first.peek().is_some();
    let last_id = data.last().and_then(|at| at["id"].as_str()).map(str::to_owned);
    let iterator = last_id.filter(|_| more);
    for at in data.iter_mut().filter(|_| !with_content) {
        at["response"] = json!("{}"); // the OSS server blanks bodies unless asked for content
    }
    Ok(reply(200, list_json(data, iterator)))
}

async fn create_endpoint(State(s): St, Path(app): Key, body: Bytes) -> Reply {
    let body: Map<String, Value> = parse(&body)?;
    if !body.get("url").is_some_and(Value::is_string) {
        return Err(validation(&["body", "url"], "field required"));
    }
    let mut st = s.state();
    let a = st.app_index(&app).ok_or_else(not_found)?;
    st.insert_endpoint(a, body);
    let ep = st.apps[a].endpoints.last().cloned().unwrap_or_default();
    Ok(reply(201, Value::Object(ep)))
}

async fn app_portal_access(State(s): St, Path(app): Key, body: Bytes) -> Reply {
    let _: Map<String, Value> = parse(&body)?;
    s.state().app_index(&app).ok_or_else(not_found)?;
    let token = new_id("appsk");
    let url = format!("https://app.svix.com/login#key={token}");
    Ok(reply(200, json!({ "url": url, "token": token })))
}

/// Fills in what `EventTypeOut` requires and the server maintains.
fn event_type_out(
    name: &str,
    body: Map<String, Value>,
    existing: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let now = json!(Utc::now());
    let mut out = existing.cloned().unwrap_or_default();
    out.extend(body);
    out.insert("name".into(), json!(name));
    out.entry("description").or_insert_with(|| json!(""));
    out.entry("deprecated").or_insert(json!(false));
    out.entry("archived").or_insert(json!(false));
    out.entry("createdAt").or_insert_with(|| now.clone());
    out.insert("updatedAt".into(), now);
    out
}

async fn create_event_type(State(s): St, body: Bytes) -> Reply {
    let body: Map<String, Value> = parse(&body)?;
    save_event_type(&s, str_field(&body, "name"), body, true)
}

async fn upsert_event_type(State(s): St, Path(name): Key, body: Bytes) -> Reply {
    save_event_type(&s, name, parse(&body)?, false)
}

/// POST (`create_only`, 409 on a taken name) and PUT (200 updated / 201 created).
fn save_event_type(s: &Shared, name: String, body: Map<String, Value>, create_only: bool) -> Reply {
    check_name(&name, &["body", "name", "__all__"])?;
    if !body.get("description").is_some_and(Value::is_string) {
        return Err(validation(&["body", "description"], "field required"));
    }
    let mut st = s.state();
    let existing = st.event_types.get(&name);
    if create_only && existing.is_some() {
        let detail = "An event_type with this name already exists";
        return Err(error(409, "event_type_exists", detail));
    }
    let status = if existing.is_some() { 200 } else { 201 };
    let out = event_type_out(&name, body, existing);
    st.event_types.insert(name, out.clone());
    Ok(reply(status, Value::Object(out)))
}

async fn patch_event_type(State(s): St, Path(name): Key, body: Bytes) -> Reply {
    let body: Map<String, Value> = parse(&body)?;
    let mut st = s.state();
    let existing = st.event_types.get(&name).ok_or_else(not_found)?;
    let mut out = event_type_out(&name, Map::new(), Some(existing));
    for (key, value) in body {
        // null clears an optional field; the SDK's required fields are never cleared
        match value {
            Value::Null if ["description", "deprecated"].contains(&key.as_str()) => {}
            Value::Null => {
                out.remove(&key);
            }
            value => {
                out.insert(key, value);
            }
        }
    }
    st.event_types.insert(name, out.clone());
    Ok(reply(200, Value::Object(out)))
}

async fn get_event_type(State(s): St, Path(name): Key) -> Reply {
    let st = s.state();
    let out = st.event_types.get(&name).ok_or_else(not_found)?;
    Ok(reply(200, Value::Object(out.clone())))
}

async fn list_event_types(State(s): St, Query(q): Params) -> Reply {
    let include_archived = q.get("include_archived").is_some_and(|v| v == "true");
    let st = s.state();
    let visible = st.event_types.values();
    let visible = visible.filter(|et| include_archived || et.get("archived") != Some(&json!(true)));
    let data = visible.cloned().map(Value::Object).collect();
    Ok(reply(200, list_json(data, None)))
}
