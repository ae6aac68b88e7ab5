//! Wake-ups: NOTIFY delivers a committed event at once on an idle relay, the listener survives a
//! dropped connection, and without NOTIFY the poll still finds the row.

use std::time::{Duration, Instant};

use crate::support::TestDb;
use crate::support::relay::{insert_events, serve_relay, wait_delivered};
use crate::svix_fake::SvixFake;

const SLOW_POLL: [&str; 2] = ["--relay-poll-interval-ms", "10000"];

/// Commits one event and returns how long until a relay delivered it.
async fn time_to_delivery(db: &TestDb, delivered_before: i64) -> Duration {
    let start = Instant::now();
    insert_events(&db.pool, 1, 1).await;
    wait_delivered(&db.pool, delivered_before + 1, Duration::from_secs(15)).await;
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_on_an_idle_relay_goes_out_within_a_second() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let (task, shutdown) = serve_relay(&db, Some(&fake), &SLOW_POLL);
    time_to_delivery(&db, 0).await; // the relay is up and idle after this
    tokio::time::sleep(Duration::from_millis(300)).await;

    let elapsed = time_to_delivery(&db, 1).await;

    shutdown.cancel();
    task.await.unwrap();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?} with a 10 s poll interval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_reconnects_after_its_connection_is_killed() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let (task, shutdown) = serve_relay(&db, Some(&fake), &SLOW_POLL);
    time_to_delivery(&db, 0).await;

    let killed: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'webhook-outbox-listener' and datname = current_database()",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let elapsed = time_to_delivery(&db, 1).await;

    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(killed, [true]);
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?} with a 10 s poll interval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notify_the_poll_still_delivers() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    sqlx::query("drop trigger webhook_outbox_notify on webhook_outbox").execute(&db.pool).await.unwrap();
    let (task, shutdown) = serve_relay(&db, Some(&fake), &["--relay-poll-interval-ms", "200"]);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let elapsed = time_to_delivery(&db, 0).await;

    shutdown.cancel();
    task.await.unwrap();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}
