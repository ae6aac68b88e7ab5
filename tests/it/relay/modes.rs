//! Modes in which the relay claims nothing and loses nothing: Svix disabled, Svix refusing the
//! token, and shutdown (unstarted claims handed back, in-flight ones finished).

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use webhook_outbox::relay::{Relay, Report};

use crate::support::TestDb;
use crate::support::relay::{insert_events, relay, serve_relay, statuses};
use crate::svix_fake::SvixFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_svix_disabled_rows_wait_as_pending() {
    let db = TestDb::new().await;
    insert_events(&db.pool, 5, 1).await;
    let (task, shutdown) = serve_relay(&db, None, &["--relay-poll-interval-ms", "50"]);

    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.cancel();
    task.await.unwrap();

    assert_eq!(statuses(&db.pool).await, (5, 0, 0, 0));
    let attempts: i64 =
        sqlx::query_scalar("select sum(attempts) from webhook_outbox").fetch_one(&db.pool).await.unwrap();
    assert_eq!(attempts, 0);
}

#[tokio::test]
async fn a_refused_token_pauses_claiming_until_svix_accepts_it_again() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 5, 1).await;
    let (relay, _) = relay(&db, &fake, &[]);
    fake.set_accepted_token(None);

    relay.check_svix().await;
    let refused = relay.relay_once().await.unwrap();
    fake.set_accepted_token(Some(SvixFake::TOKEN));
    relay.check_svix().await;
    let accepted = relay.relay_once().await.unwrap();

    assert_eq!(refused, Report::default());
    assert_eq!(fake.message_count(), 5);
    assert_eq!(accepted.delivered, 5);
}

#[tokio::test]
async fn a_401_during_delivery_pauses_the_relay_and_keeps_the_rows() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 5, 1).await;
    let (relay, _) = relay(&db, &fake, &["--relay-concurrency", "1", "--relay-max-attempts", "1"]);
    fake.set_accepted_token(None);

    let report = relay.relay_once().await.unwrap();

    assert!(relay.is_refused());
    assert_eq!((report.retried, report.released, report.failed), (1, 4, 0));
    assert_eq!(statuses(&db.pool).await, (5, 0, 0, 0));
}

/// One step, with shutdown starting 100 ms into it.
async fn relay_once_shut_down_midway(relay: &Relay, shutdown: &CancellationToken) -> Report {
    let stop = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        shutdown.cancel();
    };
    let (report, ()) = tokio::join!(relay.relay_once(), stop);
    report.unwrap()
}

#[tokio::test]
async fn shutdown_finishes_hand_offs_in_flight_and_hands_back_the_rest() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 10, 1).await;
    let (relay, shutdown) = relay(&db, &fake, &["--relay-concurrency", "2", "--shutdown-timeout-secs", "5"]);
    fake.set_latency(Duration::from_millis(300));

    let report = relay_once_shut_down_midway(&relay, &shutdown).await;

    assert_eq!((report.claimed, report.delivered, report.released), (10, 2, 8));
    assert_eq!(statuses(&db.pool).await, (8, 0, 2, 0));
    assert_eq!(fake.message_count(), 2);
    let attempts: i64 =
        sqlx::query_scalar("select sum(attempts) from webhook_outbox where status = 'pending'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(attempts, 0, "handed-back rows used no attempt");
}

#[tokio::test]
async fn after_the_shutdown_timeout_hand_offs_in_flight_are_abandoned_and_retried_later() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 1, 1).await;
    let (relay, shutdown) = relay(&db, &fake, &["--shutdown-timeout-secs", "0"]);
    fake.set_latency(Duration::from_secs(3));

    let report = relay_once_shut_down_midway(&relay, &shutdown).await;

    assert_eq!(report.retried, 1);
    assert_eq!(statuses(&db.pool).await, (1, 0, 0, 0));
}
