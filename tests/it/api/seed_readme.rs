//! The old service's README examples, verbatim but for the bearer token this service requires,
//! work against the running service: the routes keep their paths and shapes.

use serde_json::Value;

use crate::support::{ADMIN_TOKEN, TestDb, spawn_app};
use crate::svix_fake::SvixFake;

/// The seed README's "Send Custom Webhook" request body, character for character.
const SEND_BODY: &str = r#"{
  "eventType": "custom.event",
  "payload": {
    "message": "Hello from Daytona!",
    "timestamp": "2025-01-01T00:00:00.000Z"
  },
  "eventId": "optional-unique-id"
}"#;

#[tokio::test]
async fn the_seed_readme_examples_work_verbatim_with_a_token() {
    let db = TestDb::new().await;
    let fake = SvixFake::start().await;
    let app = spawn_app(&db, Some(&fake)).await;
    let org = "org-uuid";

    // POST /api/webhooks/organizations/{organizationId}/app-portal-access (no body)
    let portal = app
        .raw(
            "POST",
            &format!("/api/webhooks/organizations/{org}/app-portal-access"),
            Some(ADMIN_TOKEN),
            None,
            vec![],
        )
        .await;
    // POST /api/webhooks/organizations/{organizationId}/send
    let send = app
        .raw(
            "POST",
            &format!("/api/webhooks/organizations/{org}/send"),
            Some(ADMIN_TOKEN),
            Some("application/json"),
            SEND_BODY.as_bytes().to_vec(),
        )
        .await;
    // (the relay's part, which this tree does not run: Svix has the message and one attempt)
    let msg_id = fake.insert_message(org, "optional-unique-id", "custom.event", serde_json::json!({}));
    fake.record_attempt(org, &msg_id, 200, "OK").unwrap();
    // GET /api/webhooks/organizations/{organizationId}/messages/{messageId}/attempts
    let attempts = app
        .get(&format!("/api/webhooks/organizations/{org}/messages/{msg_id}/attempts"), Some(ADMIN_TOKEN))
        .await;
    // GET /api/webhooks/status
    let status = app.get("/api/webhooks/status", None).await;

    assert_eq!(portal.status, 200, "{}", portal.text());
    assert!(portal.json()["url"].is_string());
    assert_eq!(send.status, 202, "{}", send.text());
    assert_eq!(send.json()["eventId"], "optional-unique-id");
    assert_eq!(attempts.status, 200, "{}", attempts.text());
    let attempt = &attempts.json()[0];
    for (field, is_right_type) in [
        ("id", Value::is_string as fn(&Value) -> bool),
        ("status", Value::is_number),
        ("response", Value::is_string),
        ("timestamp", Value::is_string),
    ] {
        assert!(is_right_type(&attempt[field]), "{field} in {attempt}");
    }
    assert_eq!((attempt["status"].as_i64(), attempt["response"].as_str()), (Some(200), Some("OK")));
    assert_eq!(status.json(), serde_json::json!({"enabled": true}));
}
