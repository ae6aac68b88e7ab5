//! The seed's Svix routes: app-portal access, a message's attempts (by any of its three ids),
//! the status route, and how each behaves while Svix is disabled or failing.

use serde_json::json;

use crate::support::{ADMIN_TOKEN, TestApp, TestDb, set_status, spawn_app};
use crate::svix_fake::{Scope, SvixFake};

const PORTAL: &str = "/api/webhooks/organizations/org-1/app-portal-access";

fn attempts_path(message_id: &str) -> String {
    format!("/api/webhooks/organizations/org-1/messages/{message_id}/attempts")
}

/// A message sent through the API and delivered to the fake (as the relay would), with one
/// recorded attempt; returns (row id, eventId, Svix msg id).
async fn delivered_message(db: &TestDb, app: &TestApp, fake: &SvixFake) -> (String, String, String) {
    let sent = app
        .send("org-1", &json!({"eventType": "custom.event", "payload": {"n": 1}, "eventId": "evt-1"}))
        .await;
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let msg_id = fake.insert_message("org-1", "evt-1", "custom.event", json!({"n": 1}));
    fake.record_attempt("org-1", &msg_id, 200, "OK").unwrap();
    set_status(db, &id, "delivered", Some(&msg_id)).await;
    (id, "evt-1".to_owned(), msg_id)
}

#[tokio::test]
async fn app_portal_access_creates_the_application_and_answers_url_and_token() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;

    let reply = app.post(PORTAL, Some(ADMIN_TOKEN), &json!({})).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert!(body["url"].as_str().unwrap().starts_with("https://"));
    assert!(!body["token"].as_str().unwrap().is_empty());
    assert_eq!(fake.apps().len(), 1);
    assert_eq!(fake.apps()[0].uid.as_deref(), Some("org-1"));
}

#[tokio::test]
async fn attempts_are_found_by_svix_message_id_row_id_and_event_id() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;
    let (row_id, event_id, msg_id) = delivered_message(&db, &app, &fake).await;

    for id in [&msg_id, &row_id, &event_id] {
        let reply = app.get(&attempts_path(id), Some(ADMIN_TOKEN)).await;

        assert_eq!(reply.status, 200, "by {id}: {}", reply.text());
        let attempts = reply.json();
        assert_eq!(attempts.as_array().unwrap().len(), 1, "by {id}");
        let attempt = &attempts[0];
        assert_eq!(attempt["status"], 200);
        assert_eq!(attempt["response"], "OK", "the endpoint's body, not Svix's `{{}}` placeholder");
        assert!(attempt["id"].as_str().unwrap().starts_with("atmpt"));
        assert!(attempt["timestamp"].is_string());
    }
}

#[tokio::test]
async fn a_message_still_in_the_outbox_has_no_attempts_yet() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;
    let sent = app.send("org-1", &json!({"eventType": "custom.event", "payload": {}})).await;

    let reply = app.get(&attempts_path(sent.json()["id"].as_str().unwrap()), Some(ADMIN_TOKEN)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!([]));
}

#[tokio::test]
async fn a_message_sent_before_the_outbox_is_asked_of_svix_directly() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;
    let msg_id = fake.insert_message("org-1", "legacy-1", "custom.event", json!({}));
    fake.record_attempt("org-1", &msg_id, 500, "boom").unwrap();

    let reply = app.get(&attempts_path("legacy-1"), Some(ADMIN_TOKEN)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()[0]["status"], 500);
}

#[tokio::test]
async fn attempts_of_an_unknown_message_are_404_not_found() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;

    let reply = app.get(&attempts_path("msg_nope"), Some(ADMIN_TOKEN)).await;

    assert_eq!((reply.status, reply.code().as_str()), (404, "not_found"), "{}", reply.text());
}

#[tokio::test]
async fn a_failing_svix_is_502_svix_unavailable_without_internals() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;
    fake.fail_next_in(Scope::AllRequests, 10, 500);

    let reply = app.post(PORTAL, Some(ADMIN_TOKEN), &json!({})).await;

    assert_eq!((reply.status, reply.code().as_str()), (502, "svix_unavailable"), "{}", reply.text());
    assert!(!reply.text().contains("HTTP 500"), "no upstream detail in a 5xx body: {}", reply.text());
}

#[tokio::test]
async fn routes_that_need_svix_answer_503_svix_disabled_when_it_is_disabled() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let portal = app.post(PORTAL, Some(ADMIN_TOKEN), &json!({})).await;
    let attempts = app.get(&attempts_path("evt-1"), Some(ADMIN_TOKEN)).await;

    assert_eq!((portal.status, portal.code().as_str()), (503, "svix_disabled"));
    assert_eq!((attempts.status, attempts.code().as_str()), (503, "svix_disabled"));
}

#[tokio::test]
async fn status_says_enabled_when_svix_is_configured() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;

    let reply = app.get("/api/webhooks/status", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"enabled": true}));
}

#[tokio::test]
async fn status_says_disabled_without_a_svix_token() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.get("/api/webhooks/status", None).await;

    assert_eq!(reply.json(), json!({"enabled": false}));
}
