//! The producer API and the plain SQL contract: what gets written, and what never does.

use serde_json::json;
use sqlx::{PgPool, Row};
use webhook_outbox::events::{Event, SandboxState, SandboxStateUpdated};
use webhook_outbox::outbox::{DEFAULT_MAX_PAYLOAD_BYTES, OutboxMessage};
use webhook_outbox::{Error, enqueue, enqueue_many, enqueue_message, register_organization};

use crate::support::TestDb;

fn state_change(org: &str) -> Event {
    Event::SandboxStateUpdated(SandboxStateUpdated {
        id: "sb-1".into(),
        organization_id: org.into(),
        old_state: SandboxState::Stopped,
        new_state: SandboxState::Started,
        updated_at: chrono::Utc::now(),
    })
}

async fn count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from webhook_outbox").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_committed_enqueue_is_a_pending_row_with_the_event_payload() {
    let db = TestDb::new().await;
    let mut tx = db.pool.begin().await.unwrap();
    let id = enqueue(&mut tx, &state_change("org-1")).await.unwrap();
    tx.commit().await.unwrap();

    let row = sqlx::query(
        "select organization_id, event_type, payload, status, attempts from webhook_outbox where id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("organization_id"), "org-1");
    assert_eq!(row.get::<String, _>("event_type"), "sandbox.state.updated");
    assert_eq!(row.get::<String, _>("status"), "pending");
    assert_eq!(row.get::<i32, _>("attempts"), 0);
    let payload: serde_json::Value = row.get("payload");
    assert_eq!(payload["event"], "sandbox.state.updated");
    assert_eq!(payload["newState"], "STARTED");
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_event() {
    let db = TestDb::new().await;
    let mut tx = db.pool.begin().await.unwrap();
    enqueue(&mut tx, &state_change("org-1")).await.unwrap();
    tx.rollback().await.unwrap();

    assert_eq!(count(&db.pool).await, 0);
}

#[tokio::test]
async fn an_uncommitted_event_is_invisible_to_other_connections() {
    let db = TestDb::new().await;
    let mut tx = db.pool.begin().await.unwrap();
    enqueue(&mut tx, &state_change("org-1")).await.unwrap();

    assert_eq!(count(&db.pool).await, 0);
    tx.commit().await.unwrap();
    assert_eq!(count(&db.pool).await, 1);
}

#[tokio::test]
async fn the_plain_sql_insert_of_three_columns_is_a_complete_enqueue() {
    let db = TestDb::new().await;
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("insert into webhook_outbox (organization_id, event_type, payload) values ('org-1', 'custom.event', '{\"a\":1}')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let row = sqlx::query(
        "select id, status, attempts, next_attempt_at <= now() as due, event_id from webhook_outbox",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("status"), "pending");
    assert_eq!(row.get::<i32, _>("attempts"), 0);
    assert!(row.get::<bool, _>("due"));
    assert_eq!(row.get::<Option<String>, _>("event_id"), None);
    assert!(!row.get::<uuid::Uuid, _>("id").is_nil());
}

#[tokio::test]
async fn the_database_refuses_plain_sql_rows_that_break_the_contract() {
    let db = TestDb::new().await;
    let bad = [
        "insert into webhook_outbox (organization_id, event_type, payload) values ('org-1', 'bad type!', '{}')",
        "insert into webhook_outbox (organization_id, event_type, payload) values ('org-1', 'a.b', '[1]')",
        "insert into webhook_outbox (organization_id, event_type, payload) values ('', 'a.b', '{}')",
        "insert into webhook_outbox (organization_id, event_type, payload) values ('org 1', 'a.b', '{}')",
        "insert into webhook_outbox (organization_id, event_type, payload) values ('app_1', 'a.b', '{}')",
        "insert into webhook_outbox (organization_id, event_type, payload, event_id) values ('o', 'a.b', '{}', 'e 1')",
        "insert into webhook_outbox (organization_id, event_type, payload, event_id) values ('o', 'a.b', '{}', 'msg_1')",
        "insert into webhook_outbox (organization_id, event_type, payload, status) values ('o', 'a.b', '{}', 'sent')",
    ];
    for statement in bad {
        assert!(sqlx::query(statement).execute(&db.pool).await.is_err(), "accepted: {statement}");
    }
    assert_eq!(count(&db.pool).await, 0);
}

#[tokio::test]
async fn a_repeated_event_id_returns_the_existing_row_and_writes_nothing() {
    let db = TestDb::new().await;
    let message = OutboxMessage::custom("org-1", "custom.event", json!({"n": 1})).with_event_id("evt-1");
    let mut conn = db.pool.acquire().await.unwrap();
    let first = enqueue_message(&mut conn, &message, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap();
    let again = enqueue_message(&mut conn, &message, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap();

    assert!(first.created);
    assert!(!again.created);
    assert_eq!(first.id, again.id);
    assert_eq!(count(&db.pool).await, 1);
}

#[tokio::test]
async fn the_same_event_id_in_another_organization_is_another_event() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    for org in ["org-1", "org-2"] {
        let message = OutboxMessage::custom(org, "custom.event", json!({})).with_event_id("evt-1");
        assert!(enqueue_message(&mut conn, &message, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap().created);
    }
    assert_eq!(count(&db.pool).await, 2);
}

#[tokio::test]
async fn enqueue_many_writes_every_row_and_returns_ids_in_input_order() {
    let db = TestDb::new().await;
    let messages: Vec<_> =
        (0..50).map(|n| OutboxMessage::custom("org-1", "custom.event", json!({ "n": n }))).collect();
    let mut tx = db.pool.begin().await.unwrap();
    let ids = enqueue_many(&mut tx, &messages, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(ids.len(), 50);
    for (n, id) in ids.iter().enumerate() {
        let payload: serde_json::Value =
            sqlx::query_scalar("select payload from webhook_outbox where id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(payload["n"], n);
    }
}

#[tokio::test]
async fn enqueue_many_gives_repeated_event_ids_the_existing_row() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let existing = enqueue_message(
        &mut conn,
        &OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("evt-old"),
        DEFAULT_MAX_PAYLOAD_BYTES,
    )
    .await
    .unwrap();
    let batch = vec![
        OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("evt-old"),
        OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("evt-new"),
        OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("evt-new"),
    ];
    let ids = enqueue_many(&mut conn, &batch, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap();

    assert_eq!(ids[0], existing.id);
    assert_eq!(ids[1], ids[2]);
    assert_eq!(count(&db.pool).await, 2);
}

#[tokio::test]
async fn enqueue_many_with_one_invalid_message_writes_none() {
    let db = TestDb::new().await;
    let batch = vec![
        OutboxMessage::custom("org-1", "custom.event", json!({})),
        OutboxMessage::custom("org-1", "not valid!", json!({})),
    ];
    let mut conn = db.pool.acquire().await.unwrap();
    let err = enqueue_many(&mut conn, &batch, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap_err();

    assert!(matches!(err, Error::InvalidEventType { .. }));
    assert_eq!(count(&db.pool).await, 0);
}

#[tokio::test]
async fn every_invalid_message_is_refused_with_its_own_error_and_writes_nothing() {
    let db = TestDb::new().await;
    let big = json!({ "blob": "x".repeat(300 * 1024) });
    type IsExpected = fn(&Error) -> bool;
    let cases: Vec<(OutboxMessage, IsExpected)> = vec![
        (OutboxMessage::custom("org-1", "", json!({})), |e| matches!(e, Error::InvalidEventType { .. })),
        (OutboxMessage::custom("org-1", "a".repeat(257), json!({})), |e| {
            matches!(e, Error::InvalidEventType { .. })
        }),
        (OutboxMessage::custom("org-1", "with space", json!({})), |e| {
            matches!(e, Error::InvalidEventType { .. })
        }),
        (OutboxMessage::custom("org-1", "custom.event", json!([1])), |e| {
            matches!(e, Error::PayloadNotObject { found: "an array" })
        }),
        (OutboxMessage::custom("org-1", "custom.event", json!("text")), |e| {
            matches!(e, Error::PayloadNotObject { .. })
        }),
        (OutboxMessage::custom("org-1", "custom.event", big), |e| {
            matches!(e, Error::PayloadTooLarge { limit: 262144, .. })
        }),
        (OutboxMessage::custom("", "custom.event", json!({})), |e| {
            matches!(e, Error::InvalidOrganizationId { .. })
        }),
        (OutboxMessage::custom("org/1", "custom.event", json!({})), |e| {
            matches!(e, Error::InvalidOrganizationId { .. })
        }),
        (OutboxMessage::custom("app_1", "custom.event", json!({})), |e| {
            matches!(e, Error::InvalidOrganizationId { .. })
        }),
        (OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("sb-1:created"), |e| {
            matches!(e, Error::InvalidEventId { .. })
        }),
        (OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("msg_1"), |e| {
            matches!(e, Error::InvalidEventId { .. })
        }),
        (OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id(""), |e| {
            matches!(e, Error::InvalidEventId { .. })
        }),
    ];
    let mut tx = db.pool.begin().await.unwrap();
    for (message, expected) in cases {
        let err = enqueue_message(&mut tx, &message, DEFAULT_MAX_PAYLOAD_BYTES).await.unwrap_err();
        assert!(expected(&err), "unexpected error {err:?} for {message:?}");
        assert!(err.is_invalid_input());
    }
    // The transaction is still usable: validation happens before any statement is sent.
    tx.commit().await.unwrap();
    assert_eq!(count(&db.pool).await, 0);
}

#[tokio::test]
async fn the_payload_limit_is_the_callers_to_set() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let message = OutboxMessage::custom("org-1", "custom.event", json!({ "blob": "x".repeat(100) }));

    let err = enqueue_message(&mut conn, &message, 50).await.unwrap_err();
    assert!(matches!(err, Error::PayloadTooLarge { limit: 50, .. }), "{err}");
    assert!(err.to_string().contains("MAX_PAYLOAD_BYTES"));
}

#[tokio::test]
async fn register_organization_records_and_renames_it() {
    let db = TestDb::new().await;
    let mut tx = db.pool.begin().await.unwrap();
    register_organization(&mut tx, "org-1", "First name").await.unwrap();
    register_organization(&mut tx, "org-1", "Acme").await.unwrap();
    tx.commit().await.unwrap();

    let name: String = sqlx::query_scalar("select name from webhook_organizations where id = 'org-1'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(name, "Acme");
}

#[tokio::test]
async fn register_organization_refuses_an_empty_name() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let err = register_organization(&mut conn, "org-1", "").await.unwrap_err();
    assert!(matches!(err, Error::InvalidOrganizationName { .. }));
}

#[tokio::test]
async fn a_commit_notifies_listeners_and_a_rollback_does_not() {
    let db = TestDb::new().await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&db.pool).await.unwrap();
    listener.listen("webhook_outbox").await.unwrap();

    let mut tx = db.pool.begin().await.unwrap();
    enqueue(&mut tx, &state_change("org-1")).await.unwrap();
    tx.rollback().await.unwrap();
    let nothing = tokio::time::timeout(std::time::Duration::from_millis(300), listener.recv()).await;
    assert!(nothing.is_err(), "a rolled-back insert notified");

    let mut tx = db.pool.begin().await.unwrap();
    enqueue(&mut tx, &state_change("org-1")).await.unwrap();
    tx.commit().await.unwrap();
    let notification = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv()).await;
    assert_eq!(notification.expect("no notification after commit").unwrap().channel(), "webhook_outbox");
}
