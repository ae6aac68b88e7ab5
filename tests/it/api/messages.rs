//! Delivery state routes: one message, the paginated list, and the retry of a failed message.

use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, TestApp, TestDb, set_status, spawn_app};

const BASE: &str = "/api/webhooks/organizations/org-1/messages";

async fn sent(app: &TestApp, event_id: &str) -> String {
    let body = json!({"eventType": "custom.event", "payload": {}, "eventId": event_id});
    app.send("org-1", &body).await.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_message_state_has_every_field_and_is_found_by_each_id() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let id = sent(&app, "evt-1").await;
    set_status(&db, &id, "delivered", Some("msg_1")).await;

    for reference in [id.as_str(), "evt-1", "msg_1"] {
        let reply = app.get(&format!("{BASE}/{reference}"), Some(ADMIN_TOKEN)).await;

        assert_eq!(reply.status, 200, "by {reference}: {}", reply.text());
        let state = reply.json();
        assert_eq!(state["id"], id.as_str());
        assert_eq!(state["eventId"], "evt-1");
        assert_eq!(state["eventType"], "custom.event");
        assert_eq!(state["status"], "delivered");
        assert_eq!(state["attempts"], 1);
        assert_eq!(state["svixMessageId"], "msg_1");
        assert_eq!(state["lastError"], Value::Null);
        for time in ["createdAt", "deliveredAt", "nextAttemptAt"] {
            assert!(state[time].is_string(), "{time} in {state}");
        }
    }
}

#[tokio::test]
async fn another_organizations_message_is_404() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let id = sent(&app, "evt-1").await;

    let reply = app.get(&format!("/api/webhooks/organizations/org-2/messages/{id}"), Some(ADMIN_TOKEN)).await;

    assert_eq!((reply.status, reply.code().as_str()), (404, "not_found"));
}

#[tokio::test]
async fn the_list_pages_newest_first_without_gaps_or_repeats() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(sent(&app, &format!("evt-{n}")).await);
    }
    ids.reverse();

    let mut seen = Vec::new();
    let mut path = format!("{BASE}?limit=2");
    let mut pages = 0;
    loop {
        let page = app.get(&path, Some(ADMIN_TOKEN)).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        seen.extend(page["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("{BASE}?limit=2&cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(seen, ids);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn the_list_filters_by_status() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let failed = sent(&app, "evt-1").await;
    sent(&app, "evt-2").await;
    set_status(&db, &failed, "failed", None).await;

    let reply = app.get(&format!("{BASE}?status=failed"), Some(ADMIN_TOKEN)).await;

    let data = reply.json()["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], failed.as_str());
    assert_eq!(reply.json()["nextCursor"], Value::Null);
}

#[tokio::test]
async fn bad_list_parameters_are_400_naming_the_problem() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    for (query, code) in [
        ("status=lost", "invalid_query"),
        ("limit=0", "invalid_query"),
        ("limit=201", "invalid_query"),
        ("limit=many", "invalid_query"),
        ("cursor=garbage", "invalid_cursor"),
        ("cursor=12_not-a-uuid", "invalid_cursor"),
    ] {
        let reply = app.get(&format!("{BASE}?{query}"), Some(ADMIN_TOKEN)).await;

        assert_eq!((reply.status, reply.code().as_str()), (400, code), "{query}: {}", reply.text());
    }
}

#[tokio::test]
async fn retry_puts_a_failed_message_back_to_pending_with_attempts_reset() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let id = sent(&app, "evt-1").await;
    set_status(&db, &id, "failed", None).await;

    let reply = app.post(&format!("{BASE}/evt-1/retry"), Some(ADMIN_TOKEN), &json!({})).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let state = reply.json();
    assert_eq!(state["status"], "pending");
    assert_eq!(state["attempts"], 0);
    assert!(state["lastError"].is_string(), "the last failure stays readable until the next attempt");
    let due: bool =
        sqlx::query_scalar("select next_attempt_at <= now() from webhook_outbox where id = $1::uuid")
            .bind(&id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(due);
}

#[tokio::test]
async fn retrying_a_message_that_has_not_failed_is_409_not_retryable() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let id = sent(&app, "evt-1").await;

    let reply = app.post(&format!("{BASE}/{id}/retry"), Some(ADMIN_TOKEN), &json!({})).await;

    assert_eq!((reply.status, reply.code().as_str()), (409, "not_retryable"), "{}", reply.text());
    assert!(reply.json()["message"].as_str().unwrap().contains("pending"));
}

#[tokio::test]
async fn retrying_an_unknown_message_is_404() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;

    let reply = app.post(&format!("{BASE}/nope/retry"), Some(ADMIN_TOKEN), &json!({})).await;

    assert_eq!((reply.status, reply.code().as_str()), (404, "not_found"));
}
