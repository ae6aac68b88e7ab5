//! `POST …/send`: queues an outbox row (202), answers a repeated `eventId` with the first row
//! (200), and refuses every kind of bad input with a 4xx that names it, writing nothing.

use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, TestDb, outbox_rows, spawn_app, spawn_app_with};
use crate::svix_fake::SvixFake;

const SEND: &str = "/api/webhooks/organizations/org-1/send";

#[tokio::test]
async fn a_custom_event_is_queued_as_a_pending_row() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.send("org-1", &json!({"eventType": "custom.event", "payload": {"n": 1}})).await;

    assert_eq!(reply.status, 202, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["status"], "pending");
    assert_eq!(body["eventId"], body["id"], "without an eventId, Svix gets the row id");
    let (org, event_type, payload): (String, String, Value) =
        sqlx::query_as("select organization_id, event_type, payload from webhook_outbox where id = $1::uuid")
            .bind(body["id"].as_str().unwrap())
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((org.as_str(), event_type.as_str(), payload), ("org-1", "custom.event", json!({"n": 1})));
}

#[tokio::test]
async fn a_catalogue_event_type_is_accepted() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.send("org-1", &json!({"eventType": "sandbox.created", "payload": {"id": "sb-1"}})).await;

    assert_eq!(reply.status, 202, "{}", reply.text());
}

#[tokio::test]
async fn the_same_event_id_again_answers_200_with_the_first_row_and_writes_nothing() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let body = json!({"eventType": "custom.event", "payload": {"n": 1}, "eventId": "evt-1"});
    let first = app.send("org-1", &body).await;

    let again = app
        .send("org-1", &json!({"eventType": "custom.event", "payload": {"n": 2}, "eventId": "evt-1"}))
        .await;

    assert_eq!(first.status, 202);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["eventId"], "evt-1");
    assert_eq!(outbox_rows(&db).await, 1);
}

#[tokio::test]
async fn the_same_event_id_in_another_organization_is_another_message() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let body = json!({"eventType": "custom.event", "payload": {}, "eventId": "evt-1"});

    let one = app.send("org-1", &body).await;
    let two = app.send("org-2", &body).await;

    assert_eq!((one.status, two.status), (202, 202));
    assert_ne!(one.json()["id"], two.json()["id"]);
}

#[tokio::test]
async fn send_still_queues_while_svix_is_disabled() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.send("org-1", &json!({"eventType": "custom.event", "payload": {}})).await;

    assert_eq!(reply.status, 202);
    assert_eq!(outbox_rows(&db).await, 1);
}

/// A bad request: what it is, its content type and body, and the status and code it must get.
type BadRequest = (&'static str, Option<&'static str>, Vec<u8>, u16, &'static str);

fn bad_requests() -> Vec<BadRequest> {
    let json = Some("application/json");
    let body = |v: Value| v.to_string().into_bytes();
    vec![
        ("malformed JSON", json, b"{\"eventType\": ".to_vec(), 400, "invalid_json"),
        ("not JSON at all", json, b"hello".to_vec(), 400, "invalid_json"),
        (
            "no content type",
            None,
            body(json!({"eventType": "a", "payload": {}})),
            415,
            "unsupported_media_type",
        ),
        (
            "text/plain",
            Some("text/plain"),
            body(json!({"eventType": "a", "payload": {}})),
            415,
            "unsupported_media_type",
        ),
        ("missing eventType", json, body(json!({"payload": {}})), 422, "missing_field"),
        ("missing payload", json, body(json!({"eventType": "a"})), 422, "missing_field"),
        ("eventType not a string", json, body(json!({"eventType": 42, "payload": {}})), 422, "invalid_body"),
        ("body not an object", json, body(json!([1, 2])), 422, "invalid_body"),
        (
            "bad event type",
            json,
            body(json!({"eventType": "no spaces!", "payload": {}})),
            422,
            "invalid_event_type",
        ),
        ("empty event type", json, body(json!({"eventType": "", "payload": {}})), 422, "invalid_event_type"),
        (
            "payload an array",
            json,
            body(json!({"eventType": "a", "payload": [1]})),
            422,
            "payload_not_object",
        ),
        ("payload null", json, body(json!({"eventType": "a", "payload": null})), 422, "payload_not_object"),
        (
            "payload a string",
            json,
            body(json!({"eventType": "a", "payload": "x"})),
            422,
            "payload_not_object",
        ),
        (
            "empty eventId",
            json,
            body(json!({"eventType": "a", "payload": {}, "eventId": ""})),
            422,
            "invalid_event_id",
        ),
        (
            "eventId too long",
            json,
            body(json!({"eventType": "a", "payload": {}, "eventId": "e".repeat(257)})),
            422,
            "invalid_event_id",
        ),
        (
            "eventId Svix would refuse",
            json,
            body(json!({"eventType": "a", "payload": {}, "eventId": "sb-1:created"})),
            422,
            "invalid_event_id",
        ),
    ]
}

#[tokio::test]
async fn every_bad_input_is_a_4xx_that_names_it_and_writes_nothing() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    for (case, content_type, body, status, code) in bad_requests() {
        let reply = app.raw("POST", SEND, Some(ADMIN_TOKEN), content_type, body).await;

        assert_eq!((reply.status, reply.code().as_str()), (status, code), "{case}: {}", reply.text());
        assert!(!reply.json()["message"].as_str().unwrap().is_empty(), "{case}: a message for people");
    }
    assert_eq!(outbox_rows(&db).await, 0);
}

#[tokio::test]
async fn a_payload_over_max_payload_bytes_is_refused_with_413() {
    let db = TestDb::new().await;
    let app = spawn_app_with(&db, None, &["--max-payload-bytes", "1024"]).await;

    let reply = app.send("org-1", &json!({"eventType": "a", "payload": {"blob": "x".repeat(2000)}})).await;

    assert_eq!((reply.status, reply.code().as_str()), (413, "payload_too_large"), "{}", reply.text());
    assert!(reply.json()["message"].as_str().unwrap().contains("1024"));
    assert_eq!(outbox_rows(&db).await, 0);
}

#[tokio::test]
async fn a_body_over_the_request_limit_is_refused_unread_with_413() {
    let db = TestDb::new().await;
    let app = spawn_app_with(&db, None, &["--max-payload-bytes", "1024"]).await;
    let huge = json!({"eventType": "a", "payload": {"blob": "x".repeat(200 * 1024)}});

    let reply = app.send("org-1", &huge).await;

    assert_eq!((reply.status, reply.code().as_str()), (413, "payload_too_large"), "{}", reply.text());
    assert_eq!(outbox_rows(&db).await, 0);
}

#[tokio::test]
async fn an_invalid_organization_id_is_refused() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let org = "o".repeat(257);

    let reply = app.send(&org, &json!({"eventType": "a", "payload": {}})).await;

    assert_eq!((reply.status, reply.code().as_str()), (422, "invalid_organization_id"));
    assert_eq!(outbox_rows(&db).await, 0);
}

#[tokio::test]
async fn a_message_sent_with_svix_enabled_is_not_delivered_by_the_api_itself() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;

    let reply = app.send("org-1", &json!({"eventType": "a", "payload": {}})).await;

    assert_eq!(reply.status, 202);
    assert_eq!(fake.message_count(), 0, "delivery is the relay's job, after the commit");
}
