//! `status`: the backlog, the oldest undelivered age, recent failures and organization errors.

use serde_json::Value;
use webhook_outbox::ops::status::{self, StatusReport};

use super::{cli, row, stderr, stdout};
use crate::support::TestDb;

async fn report(db: &TestDb, limit: i64) -> StatusReport {
    let mut conn = db.pool.acquire().await.unwrap();
    status::report(&mut conn, limit).await.expect("status report")
}

#[tokio::test]
async fn the_backlog_counts_every_status_with_its_oldest_row_and_zeros_for_the_rest() {
    let db = TestDb::new().await;
    row(&db, "org-1", "pending", 120).await;
    row(&db, "org-1", "pending", 10).await;
    row(&db, "org-2", "delivered", 3_600).await;

    let report = report(&db, 10).await;

    let counts: Vec<(&str, i64, bool)> =
        report.backlog.iter().map(|b| (b.status.as_str(), b.events, b.oldest_created_at.is_some())).collect();
    assert_eq!(
        counts,
        [("pending", 2, true), ("delivering", 0, false), ("delivered", 1, true), ("failed", 0, false)]
    );
    assert_eq!(report.oldest_pending.undelivered, 2);
    assert!((119.0..200.0).contains(&report.oldest_pending.oldest_age_secs), "{:?}", report.oldest_pending);
}

#[tokio::test]
async fn recent_failures_come_newest_attempt_first_and_respect_the_limit() {
    let db = TestDb::new().await;
    let old = row(&db, "org-1", "failed", 600).await;
    let new = row(&db, "org-2", "failed", 60).await;
    let older = row(&db, "org-3", "failed", 900).await;
    sqlx::query(
        "insert into webhook_outbox_attempts (outbox_id, attempt, relay, started_at, duration_ms, outcome, http_status, error)
         values ($1, 3, 'relay-1', now() - interval '5 minutes', 12, 'failed', 400, 'bad'),
                ($2, 3, 'relay-1', now() - interval '1 minute', 12, 'failed', 422, 'bad')",
    )
    .bind(old)
    .bind(new)
    .execute(&db.pool)
    .await
    .unwrap();

    let report = report(&db, 2).await;

    let listed: Vec<_> = report.recent_failures.iter().map(|f| (f.id, f.last_http_status)).collect();
    assert_eq!(
        listed,
        [(new, Some(422)), (old, Some(400))],
        "{older} has no attempt and is cut by the limit"
    );
    assert_eq!(report.recent_failures[0].organization_id, "org-2");
    assert_eq!(report.recent_failures[0].last_error.as_deref(), Some("Svix rejected the request (HTTP 400)"));
}

#[tokio::test]
async fn organizations_whose_svix_app_has_an_error_are_listed_and_the_others_are_not() {
    let db = TestDb::new().await;
    webhook_outbox::db::organizations::record_app(&db.pool, "org-ok", "OK", "app_1").await.unwrap();
    webhook_outbox::db::organizations::record_error(&db.pool, "org-bad", "Svix answered 422").await.unwrap();

    let report = report(&db, 10).await;

    let listed: Vec<_> =
        report.organization_errors.iter().map(|o| (o.id.as_str(), o.last_error.as_str())).collect();
    assert_eq!(listed, [("org-bad", "Svix answered 422")]);
}

#[tokio::test]
async fn the_text_report_aligns_its_columns_and_says_how_to_replay() {
    let db = TestDb::new().await;
    row(&db, "org-1", "pending", 7_500).await;
    let failed = row(&db, "an-organization", "failed", 60).await;

    let text = status::render(&report(&db, 10).await);

    let header = text.lines().nth(1).expect("backlog header");
    let end = header.find("events").expect("events column") + "events".len();
    for line in text.lines().skip(2).take(4) {
        let count_ends_under_header = line[..end].ends_with(|c: char| c.is_ascii_digit());
        assert!(count_ends_under_header && line[end..].starts_with("  "), "{text}");
    }
    assert!(text.contains("  pending") && text.contains("(2h 5m ago)"), "{text}");
    assert!(text.contains("Oldest undelivered: 2h 5m old"), "{text}");
    assert!(text.contains(&failed.to_string()) && text.contains("an-organization"), "{text}");
    assert!(text.contains("webhook-outbox replay --id ID"), "{text}");
    let failure_header = text.lines().find(|l| l.trim_start().starts_with("id ")).expect("failures header");
    let failure_row = text.lines().find(|l| l.contains(&failed.to_string())).unwrap();
    let org_at = |line: &str, word: &str| line.find(word).unwrap();
    assert_eq!(org_at(failure_header, "organization"), org_at(failure_row, "an-organization"), "{text}");
}

#[tokio::test]
async fn the_binary_prints_json_for_machines_with_json() {
    let db = TestDb::new().await;
    row(&db, "org-1", "failed", 60).await;

    let output = cli(&db, &["status", "--json"], &[]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    assert_eq!(json["backlog"][3]["status"], "failed");
    assert_eq!(json["backlog"][3]["events"], 1);
    assert_eq!(json["recentFailures"][0]["organizationId"], "org-1");
    assert_eq!(json["oldestPending"]["undelivered"], 0);
    assert!(json["organizationErrors"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_database_fails_saying_what_to_check() {
    let db = TestDb::new().await;

    let output = cli(&db, &["status"], &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")]).await;

    assert!(!output.status.success());
    assert!(stderr(&output).contains("check that PostgreSQL is running"), "{}", stderr(&output));
}
