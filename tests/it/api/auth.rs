//! Who may call what: the auth matrix (no token, unknown token, admin, own-organization key,
//! other-organization key, revoked key) on every protected route, and the `api-key` commands.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{
    ADMIN_TOKEN, TestApp, TestDb, org_key, outbox_rows, revoked_key, set_status, spawn_app,
    spawn_app_with_flags,
};
use crate::svix_fake::SvixFake;

/// A protected route: method, path, body, and whether only admins may call it.
struct Route {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    admin_only: bool,
}

fn protected_routes() -> Vec<Route> {
    let org = "/api/webhooks/organizations/org-1";
    let route = |method, path: &str, body, admin_only| Route {
        method,
        path: format!("{org}{path}").leak(),
        body,
        admin_only,
    };
    vec![
        route("POST", "/app-portal-access", None, false),
        route("POST", "/send", Some(json!({"eventType": "custom.event", "payload": {}})), true),
        route("GET", "/messages/evt-1/attempts", None, false),
        route("GET", "/messages/evt-1", None, false),
        route("GET", "/messages?status=failed", None, false),
        route("POST", "/messages/evt-1/retry", None, true),
    ]
}

/// Who calls, with which token, and the status (and error code) they must get.
type Caller<'a> = (&'a str, Option<&'a str>, Expected);
/// A status, and `Some(code)` for a refusal or `None` for any 2xx.
type Expected = (u16, Option<&'static str>);

/// An app with org-1's message `evt-1` failed (so retry can succeed) and known to Svix.
async fn arranged() -> (TestDb, SvixFake, TestApp) {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;
    let sent =
        app.send("org-1", &json!({"eventType": "custom.event", "payload": {}, "eventId": "evt-1"})).await;
    set_status(&db, sent.json()["id"].as_str().unwrap(), "failed", None).await;
    let msg_id = fake.insert_message("org-1", "evt-1", "custom.event", json!({}));
    fake.record_attempt("org-1", &msg_id, 200, "OK").unwrap();
    (db, fake, app)
}

#[tokio::test]
async fn every_protected_route_enforces_the_auth_matrix() {
    let (db, _fake, app) = arranged().await;
    let own = org_key(&db, "org-1").await;
    let other = org_key(&db, "org-2").await;
    let revoked = revoked_key(&db, "org-1").await;

    for route in protected_routes() {
        let expect_own = if route.admin_only { (403, Some("forbidden")) } else { (200, None) };
        // Callers in this order: admin last, so an admin's retry or send does not change what
        // the others are refused on.
        let callers: [Caller; 6] = [
            ("no token", None, (401, Some("unauthorized"))),
            ("unknown token", Some("wok_not-a-key"), (401, Some("unauthorized"))),
            ("revoked key", Some(&revoked), (401, Some("unauthorized"))),
            ("other organization's key", Some(&other), (403, Some("forbidden"))),
            ("own organization's key", Some(&own), expect_own),
            ("admin", Some(ADMIN_TOKEN), (200, None)),
        ];
        for (who, token, (status, code)) in callers {
            let reply = app.request(route.method, route.path, token, route.body.as_ref()).await;

            let what = format!("{who} on {} {}: {}", route.method, route.path, reply.text());
            match code {
                Some(code) => assert_eq!((reply.status, reply.code().as_str()), (status, code), "{what}"),
                None => assert!((200..300).contains(&reply.status), "{what}"),
            }
        }
    }
}

#[tokio::test]
async fn routes_without_auth_answer_without_a_token() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    for path in ["/api/webhooks/status", "/healthz", "/metrics", "/openapi.json"] {
        let reply = app.get(path, None).await;

        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    }
}

#[tokio::test]
async fn a_forbidden_caller_is_refused_before_its_body_is_read() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let own = org_key(&db, "org-1").await;

    let reply = app
        .raw(
            "POST",
            "/api/webhooks/organizations/org-1/send",
            Some(&own),
            Some("application/json"),
            b"{".to_vec(),
        )
        .await;

    assert_eq!((reply.status, reply.code().as_str()), (403, "forbidden"));
    assert_eq!(outbox_rows(&db).await, 0);
}

#[tokio::test]
async fn without_admin_tokens_or_keys_protected_routes_still_need_auth() {
    let db = TestDb::new().await;
    let app = spawn_app_with_flags(&db, None, &[]).await;

    for token in [None, Some(""), Some("anything")] {
        let reply = app.get("/api/webhooks/organizations/org-1/messages", token).await;

        assert_eq!((reply.status, reply.code().as_str()), (401, "unauthorized"), "{token:?}");
    }
}

#[tokio::test]
async fn an_empty_api_tokens_setting_makes_no_admin() {
    let db = TestDb::new().await;
    let app = spawn_app_with_flags(&db, None, &["--api-tokens", ""]).await;

    let reply = app.get("/api/webhooks/organizations/org-1/messages", Some("")).await;

    assert_eq!((reply.status, reply.code().as_str()), (401, "unauthorized"));
}

fn cli(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_webhook-outbox"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("API_TOKENS")
        .output()
        .expect("run webhook-outbox")
}

#[tokio::test]
async fn keys_made_by_the_cli_work_until_revoked_and_are_stored_only_hashed() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let messages = "/api/webhooks/organizations/org-1/messages";

    let created = cli(&db, &["api-key", "create", "--org", "org-1", "--description", "dashboard"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let before = app.get(messages, Some(&key)).await;
    let listed = cli(&db, &["api-key", "list", "--org", "org-1"]);
    let listed = String::from_utf8(listed.stdout).unwrap();
    let id = listed.lines().nth(1).and_then(|line| line.split_whitespace().next()).unwrap().to_owned();
    let revoked = cli(&db, &["api-key", "revoke", &id]);
    let after = app.get(messages, Some(&key)).await;

    assert!(key.starts_with("wok_") && key.len() == 68, "{key}");
    assert_eq!(before.status, 200, "{}", before.text());
    assert!(
        listed.contains("dashboard") && listed.contains(&key[..12]) && !listed.contains(&key),
        "{listed}"
    );
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(after.status, 401);
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from webhook_api_keys where key_prefix = $1 and key_hash = sha256($2::bytea)",
    )
    .bind(&key[..12])
    .bind(key.as_bytes())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn revoking_an_unknown_key_fails_with_a_hint() {
    let db = TestDb::new().await;

    let output = cli(&db, &["api-key", "revoke", "00000000-0000-0000-0000-000000000000"]);

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("api-key list"));
}
