//! Hand-offs that succeed: each row becomes exactly one Svix message, and its id is recorded.

use serde_json::json;
use webhook_outbox::OutboxMessage;
use webhook_outbox::relay::Report;

use crate::support::TestDb;
use crate::support::relay::{insert_events, relay, row_state};
use crate::svix_fake::SvixFake;

async fn enqueue(db: &TestDb, message: OutboxMessage) -> uuid::Uuid {
    let mut conn = db.pool.acquire().await.unwrap();
    webhook_outbox::enqueue_message(&mut conn, &message, 1 << 20).await.unwrap().id
}

#[tokio::test]
async fn a_committed_event_becomes_a_svix_message_and_its_id_is_recorded() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = enqueue(&db, OutboxMessage::custom("org-1", "custom.event", json!({"n": 1}))).await;
    let (relay, _) = relay(&db, &fake, &[]);

    let report = relay.relay_once().await.unwrap();

    assert_eq!(report, Report { claimed: 1, delivered: 1, ..Report::default() });
    let message = fake.find_message("org-1", &id.to_string()).expect("Svix has the message");
    assert_eq!(message.event_type, "custom.event");
    assert_eq!(message.payload, json!({"n": 1}));
    let (status, attempts, svix_message_id, last_error) = row_state(&db.pool, id).await;
    assert_eq!((status.as_str(), attempts, last_error), ("delivered", 1, None));
    assert_eq!(svix_message_id, Some(message.id));
}

#[tokio::test]
async fn the_producers_event_id_is_sent_as_the_svix_event_id() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let message = OutboxMessage::custom("org-1", "custom.event", json!({})).with_event_id("inv-42");
    let id = enqueue(&db, message).await;
    let (relay, _) = relay(&db, &fake, &[]);

    relay.relay_once().await.unwrap();

    let sent = fake.find_message("org-1", "inv-42").expect("found by eventId");
    assert_eq!(row_state(&db.pool, id).await.2, Some(sent.id));
}

#[tokio::test]
async fn each_organization_gets_one_application_named_as_registered() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let mut conn = db.pool.acquire().await.unwrap();
    webhook_outbox::register_organization(&mut conn, "org-0", "Acme").await.unwrap();
    insert_events(&db.pool, 20, 2).await;
    let (relay, _) = relay(&db, &fake, &["--relay-concurrency", "8"]);

    relay.relay_once().await.unwrap();

    let mut apps: Vec<(Option<String>, String)> = fake.apps().into_iter().map(|a| (a.uid, a.name)).collect();
    apps.sort();
    assert_eq!(apps, [(Some("org-0".into()), "Acme".into()), (Some("org-1".into()), "org-1".into())]);
    let recorded: i64 =
        sqlx::query_scalar("select count(*) from webhook_organizations where svix_app_id is not null")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, 2);
}

#[tokio::test]
async fn a_message_svix_already_has_is_recorded_not_created_again() {
    // Svix accepted an earlier hand-off but the relay died before recording it.
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = enqueue(&db, OutboxMessage::custom("org-1", "custom.event", json!({}))).await;
    let original = fake.insert_message("org-1", &id.to_string(), "custom.event", json!({}));
    let (relay, _) = relay(&db, &fake, &[]);

    let report = relay.relay_once().await.unwrap();

    assert_eq!(report.delivered, 1);
    assert_eq!(fake.message_count(), 1);
    assert_eq!(fake.responses_with_status(409), 1);
    assert_eq!(row_state(&db.pool, id).await.2, Some(original));
    let outcome: String =
        sqlx::query_scalar("select outcome from webhook_outbox_attempts where outbox_id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(outcome, "duplicate");
}

#[tokio::test]
async fn an_answer_lost_after_svix_accepted_is_recovered_by_the_409_on_retry() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = enqueue(&db, OutboxMessage::custom("org-1", "custom.event", json!({}))).await;
    let (relay, _) = relay(&db, &fake, &["--relay-backoff-base-ms", "1"]);
    fake.accept_then_fail_next(1, 500);

    let first = relay.relay_once().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = relay.relay_once().await.unwrap();

    assert_eq!((first.retried, second.delivered), (1, 1));
    let stored = fake.find_message("org-1", &id.to_string()).unwrap();
    assert_eq!(fake.message_count(), 1);
    let (status, attempts, svix_message_id, last_error) = row_state(&db.pool, id).await;
    assert_eq!(
        (status.as_str(), attempts, svix_message_id, last_error),
        ("delivered", 2, Some(stored.id), None)
    );
}

#[tokio::test]
async fn every_hand_off_is_logged_with_its_outcome_status_and_duration() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = enqueue(&db, OutboxMessage::custom("org-1", "custom.event", json!({}))).await;
    let (relay, _) = relay(&db, &fake, &["--relay-backoff-base-ms", "1"]);
    fake.fail_next(1, 503);

    relay.relay_once().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    relay.relay_once().await.unwrap();

    let log: Vec<(i32, String, Option<i32>, bool, String)> = sqlx::query_as(
        "select attempt, outcome, http_status, svix_message_id is not null, relay
         from webhook_outbox_attempts where outbox_id = $1 and duration_ms >= 0 order by attempt",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let relay_id = relay.id().to_owned();
    assert_eq!(
        log,
        [
            (1, "retry".into(), Some(503), false, relay_id.clone()),
            (2, "delivered".into(), None, true, relay_id)
        ]
    );
}

#[tokio::test]
async fn a_batch_larger_than_the_concurrency_is_delivered_whole() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 250, 3).await;
    let (relay, _) = relay(&db, &fake, &["--relay-batch-size", "100", "--relay-concurrency", "7"]);

    let reports = [
        relay.relay_once().await.unwrap(),
        relay.relay_once().await.unwrap(),
        relay.relay_once().await.unwrap(),
    ];

    assert_eq!(reports.map(|r| (r.claimed, r.delivered)), [(100, 100), (100, 100), (50, 50)]);
    assert_eq!(fake.message_count(), 250);
}
