//! `replay`: failed rows go back to pending, due now, attempts 0, and the relays wake; no other
//! row is touched, and a dry run touches nothing.

use std::time::Duration;

use sqlx::postgres::PgListener;
use uuid::Uuid;
use webhook_outbox::ops::replay::{self, Selection};

use super::{cli, row, statuses, stderr, stdout};
use crate::support::TestDb;

/// One row of every status in `org`: (pending, delivering, delivered, failed).
async fn one_of_each(db: &TestDb, org: &str) -> [Uuid; 4] {
    let mut ids = [Uuid::nil(); 4];
    for (id, status) in ids.iter_mut().zip(["pending", "delivering", "delivered", "failed"]) {
        *id = row(db, org, status, 3_600).await;
    }
    ids
}

async fn replay(db: &TestDb, selection: Selection) -> i64 {
    let mut conn = db.pool.acquire().await.unwrap();
    replay::replay(&mut conn, &selection).await.expect("replay")
}

#[tokio::test]
async fn all_failed_replays_only_the_failed_rows_as_pending_due_now_with_attempts_reset() {
    let db = TestDb::new().await;
    let [pending, delivering, delivered, failed] = one_of_each(&db, "org-1").await;
    let other_failed = row(&db, "org-2", "failed", 60).await;
    let before = statuses(&db).await;

    let replayed = replay(&db, Selection::AllFailed).await;

    let after = statuses(&db).await;
    assert_eq!(replayed, 2);
    for id in [pending, delivering, delivered] {
        assert_eq!(after[&id], before[&id]);
    }
    let revived: Vec<(String, i32, bool, bool, Option<String>)> = sqlx::query_as(
        "select status, attempts, next_attempt_at <= now(), lease_token is null, last_error
         from webhook_outbox where id = any($1)",
    )
    .bind([failed, other_failed])
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let kept_error = Some("Svix rejected the request (HTTP 400)".to_owned());
    assert_eq!(revived, vec![("pending".to_owned(), 0, true, true, kept_error); 2]);
}

#[tokio::test]
async fn by_id_replays_the_named_failed_rows_and_skips_named_rows_that_are_not_failed() {
    let db = TestDb::new().await;
    let [_, _, delivered, failed] = one_of_each(&db, "org-1").await;
    let unnamed = row(&db, "org-1", "failed", 60).await;

    let replayed = replay(&db, Selection::Ids(vec![failed, delivered, Uuid::new_v4()])).await;

    let after = statuses(&db).await;
    assert_eq!(replayed, 1);
    assert_eq!((after[&failed].as_str(), after[&delivered].as_str()), ("pending", "delivered"));
    assert_eq!(after[&unnamed], "failed");
}

#[tokio::test]
async fn by_org_replays_only_that_organizations_failed_rows() {
    let db = TestDb::new().await;
    let mine = row(&db, "org-1", "failed", 60).await;
    let theirs = row(&db, "org-2", "failed", 60).await;

    let replayed = replay(&db, Selection::Organization("org-1".into())).await;

    let after = statuses(&db).await;
    assert_eq!(replayed, 1);
    assert_eq!((after[&mine].as_str(), after[&theirs].as_str()), ("pending", "failed"));
}

#[tokio::test]
async fn a_replay_wakes_the_relays_when_it_commits() {
    let db = TestDb::new().await;
    row(&db, "org-1", "failed", 60).await;
    let mut listener = PgListener::connect(&db.url).await.unwrap();
    listener.listen("webhook_outbox").await.unwrap();

    replay(&db, Selection::AllFailed).await;

    let woken = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await;
    assert!(matches!(woken, Ok(Ok(_))), "no NOTIFY webhook_outbox: {woken:?}");
}

#[tokio::test]
async fn a_dry_run_counts_the_rows_and_changes_nothing() {
    let db = TestDb::new().await;
    one_of_each(&db, "org-1").await;
    row(&db, "org-2", "failed", 60).await;
    let before = statuses(&db).await;

    let output = cli(&db, &["replay", "--all-failed", "--dry-run"], &[]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("would replay 2 failed rows"), "{}", stdout(&output));
    assert_eq!(statuses(&db).await, before);
}

#[tokio::test]
async fn the_binary_replays_by_repeated_id_and_prints_how_many() {
    let db = TestDb::new().await;
    let (a, b) = (row(&db, "org-1", "failed", 60).await, row(&db, "org-1", "failed", 60).await);
    let (a_text, b_text) = (a.to_string(), b.to_string());

    let output = cli(&db, &["replay", "--id", &a_text, "--id", &b_text], &[]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("replayed 2 failed rows"), "{}", stdout(&output));
    let after = statuses(&db).await;
    assert_eq!((after[&a].as_str(), after[&b].as_str()), ("pending", "pending"));
}

#[tokio::test]
async fn the_binary_refuses_to_replay_without_a_selection_and_names_the_choices() {
    let db = TestDb::new().await;
    let failed = row(&db, "org-1", "failed", 60).await;

    let none = cli(&db, &["replay"], &[]).await;
    let two = cli(&db, &["replay", "--org", "org-1", "--all-failed"], &[]).await;

    for output in [&none, &two] {
        assert!(!output.status.success());
        let error = stderr(output);
        assert!(
            error.contains("--id") && error.contains("--org") && error.contains("--all-failed"),
            "{error}"
        );
    }
    assert_eq!(statuses(&db).await[&failed], "failed");
}
