//! End to end: a message sent through the API is delivered by the relay running in the same
//! server, and its state, its Svix attempts and a retry after failure are visible through the API.

use std::time::Duration;

use serde_json::{Value, json};
use webhook_outbox::startup::ServeOptions;

use crate::support::relay::wait_delivered;
use crate::support::{ADMIN_TOKEN, TestApp, TestDb, config, spawn_serving};
use crate::svix_fake::SvixFake;

const BASE: &str = "/api/webhooks/organizations/org-1/messages";

async fn spawn_api_and_relay(db: &TestDb, fake: &SvixFake) -> TestApp {
    let flags = ["--api-tokens", ADMIN_TOKEN, "--relay-backoff-base-ms", "1"];
    spawn_serving(config(db, Some(fake), &flags), ServeOptions { api: true, relay: true, migrate: true })
        .await
}

async fn state(app: &TestApp, id: &str) -> Value {
    let reply = app.get(&format!("{BASE}/{id}"), Some(ADMIN_TOKEN)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_message_is_delivered_by_the_relay_and_its_state_says_so() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    fake.add_endpoint("org-1", "https://customer.example/hooks");
    let app = spawn_api_and_relay(&db, &fake).await;

    let sent = app
        .send("org-1", &json!({"eventType": "custom.event", "payload": {"n": 1}, "eventId": "evt-1"}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    wait_delivered(&db.pool, 1, Duration::from_secs(10)).await;

    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let state = state(&app, &id).await;
    let message = fake.find_message("org-1", "evt-1").expect("Svix has it");
    assert_eq!(state["status"], "delivered");
    assert_eq!(state["attempts"], 1);
    assert_eq!(state["svixMessageId"], message.id.as_str());
    assert!(state["deliveredAt"].is_string());
    let attempts = app.get(&format!("{BASE}/evt-1/attempts"), Some(ADMIN_TOKEN)).await;
    assert_eq!(attempts.status, 200, "{}", attempts.text());
    assert_eq!(attempts.json().as_array().map(Vec::len), Some(1), "the fake's endpoint got one attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_message_retried_through_the_api_is_delivered() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    fake.fail_next(1, 400);
    let app = spawn_api_and_relay(&db, &fake).await;
    let sent = app.send("org-1", &json!({"eventType": "custom.event", "payload": {}})).await;
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while state(&app, &id).await["status"] != "failed" {
        assert!(tokio::time::Instant::now() < deadline, "never failed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let retried = app.post(&format!("{BASE}/{id}/retry"), Some(ADMIN_TOKEN), &json!({})).await;

    assert!(retried.status < 300, "{}", retried.text());
    wait_delivered(&db.pool, 1, Duration::from_secs(10)).await;
    assert_eq!(fake.message_count(), 1);
}
