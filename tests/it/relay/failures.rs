//! Hand-offs that fail: retryable failures back off and wait, permanent ones and exhausted rows
//! become `failed` with an error a person can act on, and an outage loses nothing.

use std::time::{Duration, Instant};

use chrono::Utc;
use webhook_outbox::relay::Report;

use crate::support::TestDb;
use crate::support::relay::{insert_events, relay, row_state, serve_relay, statuses, wait_delivered};
use crate::svix_fake::SvixFake;

async fn one_event(db: &TestDb) -> uuid::Uuid {
    sqlx::query_scalar(
        "insert into webhook_outbox (organization_id, event_type, payload) values ('org-1', 'custom.event', '{}') returning id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn next_attempt_in(db: &TestDb, id: uuid::Uuid) -> chrono::Duration {
    let at: chrono::DateTime<Utc> =
        sqlx::query_scalar("select next_attempt_at from webhook_outbox where id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    at - Utc::now()
}

#[tokio::test]
async fn a_5xx_sends_the_row_back_to_pending_with_a_backoff() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = one_event(&db).await;
    let (relay, _) = relay(&db, &fake, &["--relay-backoff-base-ms", "60000"]);
    fake.fail_next(1, 503);

    let report = relay.relay_once().await.unwrap();

    assert_eq!(report, Report { claimed: 1, retried: 1, ..Report::default() });
    let (status, attempts, svix_message_id, last_error) = row_state(&db.pool, id).await;
    assert_eq!((status.as_str(), attempts, svix_message_id), ("pending", 1, None));
    assert!(last_error.unwrap().contains("HTTP 503"));
    let wait = next_attempt_in(&db, id).await;
    assert!(wait <= chrono::Duration::seconds(60) && wait > chrono::Duration::seconds(-1), "{wait}");
}

#[tokio::test]
async fn a_400_fails_the_row_with_an_error_that_says_what_to_do() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = one_event(&db).await;
    let (relay, _) = relay(&db, &fake, &[]);
    fake.fail_next(1, 400);

    let report = relay.relay_once().await.unwrap();

    assert_eq!(report.failed, 1);
    let (status, attempts, _, last_error) = row_state(&db.pool, id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    let last_error = last_error.unwrap();
    assert!(last_error.contains("HTTP 400"), "{last_error}");
    assert!(last_error.contains("replay"), "{last_error}");
    let (failed_id, http_status): (uuid::Uuid, Option<i32>) =
        sqlx::query_as("select id, last_http_status from webhook_outbox_failures")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((failed_id, http_status), (id, Some(400)));
}

#[tokio::test]
async fn a_row_past_the_maximum_attempts_fails() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let id = one_event(&db).await;
    let (relay, _) = relay(&db, &fake, &["--relay-max-attempts", "3", "--relay-backoff-base-ms", "1"]);
    fake.fail_next(10, 500);

    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(relay.relay_once().await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    assert_eq!(reports.iter().map(|r| (r.retried, r.failed)).collect::<Vec<_>>(), [(1, 0), (1, 0), (0, 1)]);
    let (status, attempts, _, last_error) = row_state(&db.pool, id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 3));
    assert!(last_error.unwrap().starts_with("gave up after 3 attempts (RELAY_MAX_ATTEMPTS)"));
}

#[tokio::test]
async fn a_429_pauses_the_whole_relay() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 3, 1).await;
    let (relay, _) = relay(&db, &fake, &["--relay-concurrency", "1"]);
    fake.fail_next(1, 429);

    let start = Instant::now();
    let report = relay.relay_once().await.unwrap();

    assert_eq!((report.retried, report.delivered), (1, 2));
    assert!(start.elapsed() >= Duration::from_millis(900), "the other rows waited out the pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_outage_delays_rows_but_fails_none() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 50, 5).await;
    fake.outage_for(Duration::from_secs(30), 503);
    let flags = [
        "--relay-backoff-base-ms",
        "500",
        "--relay-backoff-max-secs",
        "5",
        "--relay-poll-interval-ms",
        "200",
    ];
    let (task, shutdown) = serve_relay(&db, Some(&fake), &flags);

    tokio::time::sleep(Duration::from_secs(29)).await;
    let during = statuses(&db.pool).await;
    wait_delivered(&db.pool, 50, Duration::from_secs(30)).await;
    shutdown.cancel();
    task.await.unwrap();

    assert_eq!((during.2, during.3), (0, 0), "nothing delivered or failed during the outage");
    assert_eq!(statuses(&db.pool).await, (0, 0, 50, 0));
    assert_eq!(fake.message_count(), 50);
    let retries: i64 =
        sqlx::query_scalar("select count(*) from webhook_outbox_attempts where outcome = 'retry'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(retries >= 100, "rows were retried during the outage ({retries} retries)");
}
