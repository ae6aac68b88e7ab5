//! Real relay processes sharing one database: several drain a backlog together, one is killed
//! with SIGKILL again and again, and SIGTERM drains and exits 0. Whatever happens, every row
//! ends up as exactly one Svix message whose id the row records.

use std::collections::HashMap;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::support::TestDb;
use crate::support::relay::{insert_events, spawn_relay_process, statuses, terminate, wait_delivered};
use crate::support::tcp_proxy::TcpProxy;
use crate::svix_fake::SvixFake;

const EVENTS: i64 = 10_000;

/// Every row is delivered, the fake holds exactly one message per row (found by its eventId, the
/// row id), and each row records that message's id.
async fn assert_each_row_is_one_message(db: &TestDb, fake: &SvixFake, rows: i64) {
    assert_eq!(statuses(&db.pool).await, (0, 0, rows, 0));
    let messages: HashMap<String, String> =
        fake.messages().into_iter().map(|m| (m.event_id.expect("eventId set"), m.id)).collect();
    assert_eq!(fake.message_count(), rows as usize, "one Svix message per row, none twice");
    assert_eq!(messages.len(), rows as usize);
    let recorded: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("select id, svix_message_id from webhook_outbox").fetch_all(&db.pool).await.unwrap();
    for (id, svix_message_id) in recorded {
        assert_eq!(messages.get(&id.to_string()), Some(&svix_message_id), "row {id}");
    }
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_relay_processes_drain_ten_thousand_events_exactly_once() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, EVENTS, 10).await;

    let relays: Vec<Child> = (0..3).map(|_| spawn_relay_process(&db, &fake, &[])).collect();
    wait_delivered(&db.pool, EVENTS, Duration::from_secs(240)).await;
    relays.into_iter().for_each(stop);

    assert_each_row_is_one_message(&db, &fake, EVENTS).await;
    let relays_used: i64 = sqlx::query_scalar("select count(distinct relay) from webhook_outbox_attempts")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(relays_used, 3, "all three relays took part");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_killed_with_sigkill_and_restarted_lose_and_double_nothing() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, EVENTS, 10).await;
    // Slow answers keep hand-offs in flight when the kills land; short leases let the survivors
    // take over the dead relay's rows quickly.
    fake.set_latency(Duration::from_millis(20));
    let env = [("RELAY_LEASE_SECS", "2"), ("RELAY_BATCH_SIZE", "50"), ("RELAY_CONCURRENCY", "8")];
    let mut relays: Vec<Child> = (0..3).map(|_| spawn_relay_process(&db, &fake, &env)).collect();

    let deadline = Instant::now() + Duration::from_secs(240);
    let mut kills = 0;
    while statuses(&db.pool).await.2 < EVENTS {
        assert!(Instant::now() < deadline, "not drained: {:?}", statuses(&db.pool).await);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let victim = kills % relays.len();
        relays[victim].kill().expect("SIGKILL a relay");
        relays[victim].wait().expect("reap it");
        relays[victim] = spawn_relay_process(&db, &fake, &env);
        kills += 1;
    }
    relays.into_iter().for_each(stop);

    assert!(kills >= 3, "only {kills} kills happened before the backlog drained");
    assert_each_row_is_one_message(&db, &fake, EVENTS).await;
    println!("{kills} kills, {} eventId conflicts answered 409", fake.responses_with_status(409));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_hand_offs_and_exits_zero() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 200, 2).await;
    fake.set_latency(Duration::from_millis(200));
    let env = [("RELAY_CONCURRENCY", "4"), ("RELAY_BATCH_SIZE", "50"), ("SHUTDOWN_TIMEOUT_SECS", "10")];
    let mut relay = spawn_relay_process(&db, &fake, &env);
    wait_delivered(&db.pool, 4, Duration::from_secs(30)).await;

    terminate(&relay);
    let start = Instant::now();
    let status = tokio::task::spawn_blocking(move || relay.wait()).await.unwrap().unwrap();

    assert!(status.success(), "exit status {status}");
    assert!(start.elapsed() < Duration::from_secs(5), "drained in {:?}", start.elapsed());
    let (pending, delivering, delivered, failed) = statuses(&db.pool).await;
    assert_eq!((delivering, failed), (0, 0), "nothing left leased or failed");
    assert_eq!(pending + delivered, 200);
    assert_eq!(fake.message_count() as i64, delivered, "every hand-off in flight was recorded");

    fake.set_latency(Duration::ZERO);
    let next = spawn_relay_process(&db, &fake, &[]);
    wait_delivered(&db.pool, 200, Duration::from_secs(60)).await;
    stop(next);
    assert_each_row_is_one_message(&db, &fake, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_rides_out_a_database_outage_and_loses_and_doubles_nothing() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    insert_events(&db.pool, 2_000, 5).await;
    fake.set_latency(Duration::from_millis(5));
    // The relay reaches PostgreSQL through a proxy the test cuts; the test itself does not.
    let proxy = TcpProxy::to_database(&db.url).await;
    let url = proxy.url(&db.url);
    let env = [("DATABASE_URL", url.as_str()), ("RELAY_LEASE_SECS", "2"), ("RELAY_CONCURRENCY", "8")];
    let mut relay = spawn_relay_process(&db, &fake, &env);
    wait_delivered(&db.pool, 200, Duration::from_secs(60)).await;

    proxy.set_up(false);
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.set_up(true);
    wait_delivered(&db.pool, 2_000, Duration::from_secs(60)).await;

    assert!(relay.try_wait().unwrap().is_none(), "the relay kept running through the outage");
    terminate(&relay);
    let status = tokio::task::spawn_blocking(move || relay.wait()).await.unwrap().unwrap();
    assert!(status.success(), "exit status {status}");
    assert_each_row_is_one_message(&db, &fake, 2_000).await;
}
