//! `purge --older-than`: old delivered (and, if asked, failed) rows go with their attempts;
//! pending and delivering rows and anything newer than the cutoff stay; a dry run deletes nothing.

use std::time::Duration;

use uuid::Uuid;
use webhook_outbox::ops::purge::{self, PurgeArgs};

use super::{cli, row, statuses, stderr, stdout};
use crate::support::TestDb;

const DAY: i64 = 86_400;

fn args(older_than_days: u64, include_failed: bool, dry_run: bool) -> PurgeArgs {
    PurgeArgs {
        older_than: Duration::from_secs(older_than_days * DAY as u64),
        include_failed,
        dry_run,
        batch_size: 10_000,
    }
}

async fn purge(db: &TestDb, args: &PurgeArgs) -> i64 {
    let mut conn = db.pool.acquire().await.unwrap();
    purge::purge(&mut conn, args).await.expect("purge").rows
}

/// One row of every status, 40 days old: (pending, delivering, delivered, failed).
async fn old_rows(db: &TestDb) -> [Uuid; 4] {
    let mut ids = [Uuid::nil(); 4];
    for (id, status) in ids.iter_mut().zip(["pending", "delivering", "delivered", "failed"]) {
        *id = row(db, "org-1", status, 40 * DAY).await;
    }
    ids
}

async fn attempts_of(db: &TestDb, id: Uuid) -> i64 {
    sqlx::query_scalar("select count(*) from webhook_outbox_attempts where outbox_id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn old_delivered_rows_go_with_their_attempts_and_pending_delivering_and_failed_rows_stay() {
    let db = TestDb::new().await;
    let [pending, delivering, delivered, failed] = old_rows(&db).await;
    sqlx::query(
        "insert into webhook_outbox_attempts (outbox_id, attempt, relay, started_at, duration_ms, outcome)
         values ($1, 1, 'relay-1', now(), 5, 'delivered')",
    )
    .bind(delivered)
    .execute(&db.pool)
    .await
    .unwrap();

    let purged = purge(&db, &args(30, false, false)).await;

    let left = statuses(&db).await;
    assert_eq!(purged, 1);
    assert!(!left.contains_key(&delivered));
    assert_eq!(attempts_of(&db, delivered).await, 0);
    for id in [pending, delivering, failed] {
        assert!(left.contains_key(&id), "{id} was deleted");
    }
}

#[tokio::test]
async fn rows_newer_than_the_cutoff_stay() {
    let db = TestDb::new().await;
    let old = row(&db, "org-1", "delivered", 31 * DAY).await;
    let recent = row(&db, "org-1", "delivered", 29 * DAY).await;

    let purged = purge(&db, &args(30, true, false)).await;

    let left = statuses(&db).await;
    assert_eq!(purged, 1);
    assert!(!left.contains_key(&old) && left.contains_key(&recent));
}

#[tokio::test]
async fn include_failed_deletes_old_failed_rows_too_but_never_pending_or_delivering() {
    let db = TestDb::new().await;
    let [pending, delivering, _, _] = old_rows(&db).await;

    let purged = purge(&db, &args(30, true, false)).await;

    assert_eq!(purged, 2);
    assert_eq!(
        statuses(&db).await.into_keys().collect::<std::collections::HashSet<_>>(),
        [pending, delivering].into()
    );
}

#[tokio::test]
async fn a_dry_run_counts_the_rows_and_deletes_nothing() {
    let db = TestDb::new().await;
    old_rows(&db).await;
    let before = statuses(&db).await;

    let would = purge(&db, &args(30, true, true)).await;

    assert_eq!(would, 2);
    assert_eq!(statuses(&db).await, before);
}

#[tokio::test]
async fn more_rows_than_a_batch_are_all_deleted_batch_by_batch() {
    let db = TestDb::new().await;
    sqlx::query(
        "insert into webhook_outbox (organization_id, event_type, payload, status, svix_message_id,
                                     delivered_at, created_at)
         select 'org-1', 'custom.event', '{}', 'delivered', 'msg_' || i, now(), now() - interval '40 days'
         from generate_series(1, 7) i",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let pending = row(&db, "org-1", "pending", 40 * DAY).await;

    let purged = purge(&db, &PurgeArgs { batch_size: 2, ..args(30, false, false) }).await;

    assert_eq!(purged, 7);
    assert_eq!(statuses(&db).await.into_keys().collect::<Vec<_>>(), [pending]);
}

#[tokio::test]
async fn the_binary_purges_with_a_duration_and_prints_the_count() {
    let db = TestDb::new().await;
    let [pending, ..] = old_rows(&db).await;
    let recent = row(&db, "org-1", "delivered", 3_600).await;

    let dry = cli(&db, &["purge", "--older-than", "30d", "--include-failed", "--dry-run"], &[]).await;
    let real = cli(&db, &["purge", "--older-than", "90m"], &[]).await;

    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("would purge 2 delivered and failed rows"), "{}", stdout(&dry));
    assert!(real.status.success(), "{}", stderr(&real));
    assert!(stdout(&real).contains("purged 1 delivered rows"), "{}", stdout(&real));
    let left = statuses(&db).await;
    assert!(left.contains_key(&pending) && left.contains_key(&recent) && left.len() == 4);
}

#[tokio::test]
async fn the_binary_refuses_a_duration_without_a_unit_and_lists_the_units() {
    let db = TestDb::new().await;
    old_rows(&db).await;

    let output = cli(&db, &["purge", "--older-than", "30"], &[]).await;

    assert!(!output.status.success());
    assert!(stderr(&output).contains("s, m, h, d or w"), "{}", stderr(&output));
    assert_eq!(statuses(&db).await.len(), 4);
}
