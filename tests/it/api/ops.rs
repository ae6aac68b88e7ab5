//! Operations routes (health, readiness, metrics) and the JSON answers for unknown routes and
//! methods.

use std::time::Duration;

use serde_json::json;

use crate::support::{ADMIN_TOKEN, TestApp, TestDb, spawn_app, spawn_app_for};

/// Readiness flips once the start-up schema check has run; poll it, bounded.
async fn wait_ready(app: &TestApp) -> u16 {
    let mut status = 0;
    for _ in 0..100 {
        status = app.get("/readyz", None).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    status
}

#[tokio::test]
async fn healthz_answers_while_the_process_is_up() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.get("/healthz", None).await;

    assert_eq!((reply.status, reply.json()), (200, json!({"status": "ok"})));
}

#[tokio::test]
async fn readyz_answers_200_once_the_database_is_migrated() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    assert_eq!(wait_ready(&app).await, 200);
}

#[tokio::test]
async fn readyz_answers_503_json_while_the_database_is_unreachable() {
    let db = TestDb::new().await;
    let mut config = crate::support::config(&db, None, &[]);
    // Nothing listens on port 1: the pool's connections fail at once.
    config.database_url = Some("postgres://postgres@127.0.0.1:1/none".to_owned().into());
    let app = spawn_app_for(config).await;

    let reply = app.get("/readyz", None).await;

    assert_eq!((reply.status, reply.code().as_str()), (503, "not_ready"), "{}", reply.text());
}

#[tokio::test]
async fn metrics_show_the_relays_metrics_with_help_lines_and_the_backlog() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    app.send("org-1", &json!({"eventType": "a", "payload": {}})).await;
    metrics::counter!("webhook_outbox_delivered_total").increment(1);
    metrics::counter!("webhook_outbox_failed_total").increment(1);
    metrics::counter!("webhook_outbox_retried_total").increment(1);
    metrics::histogram!("webhook_outbox_delivery_latency_seconds").record(0.2);
    metrics::histogram!("webhook_outbox_svix_request_duration_seconds", "call" => "create_message", "outcome" => "ok")
        .record(0.03);

    let reply = app.get("/metrics", None).await;

    assert_eq!(reply.status, 200);
    assert!(reply.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = reply.text();
    for expected in [
        "# HELP webhook_outbox_delivered_total",
        "webhook_outbox_delivered_total 1",
        "webhook_outbox_failed_total 1",
        "webhook_outbox_retried_total 1",
        "# TYPE webhook_outbox_delivery_latency_seconds histogram",
        "webhook_outbox_delivery_latency_seconds_bucket{le=\"0.25\"} 1",
        "webhook_outbox_svix_request_duration_seconds_bucket{call=\"create_message\",outcome=\"ok\",le=\"0.05\"} 1",
        "webhook_outbox_backlog{status=\"pending\"} 1",
        "webhook_outbox_backlog{status=\"failed\"} 0",
        "# TYPE webhook_outbox_oldest_pending_age_seconds gauge",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
}

#[tokio::test]
async fn an_unknown_route_is_404_json() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.get("/api/webhooks/nothing-here", Some(ADMIN_TOKEN)).await;

    assert_eq!((reply.status, reply.code().as_str()), (404, "not_found"));
}

#[tokio::test]
async fn a_wrong_method_is_405_json() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.request("DELETE", "/api/webhooks/status", Some(ADMIN_TOKEN), None).await;
    let send = app.get("/api/webhooks/organizations/org-1/send", Some(ADMIN_TOKEN)).await;

    assert_eq!((reply.status, reply.code().as_str()), (405, "method_not_allowed"));
    assert_eq!((send.status, send.code().as_str()), (405, "method_not_allowed"));
}
