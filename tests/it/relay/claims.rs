//! Claims: bounded batches, disjoint between relays, leases that expire, and outcomes written only
//! by the lease's holder.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use webhook_outbox::relay::claim::{self, Outcome, Recorded};

use crate::support::TestDb;
use crate::support::relay::{insert_events, row_state};

const LEASE: Duration = Duration::from_secs(60);

fn recorded(id: uuid::Uuid, attempt: i32, outcome: Outcome) -> Recorded {
    Recorded { id, attempt, started_at: Utc::now(), duration: Duration::from_millis(3), outcome }
}

#[tokio::test]
async fn a_claim_takes_at_most_the_batch_and_leases_what_it_takes() {
    let db = TestDb::new().await;
    insert_events(&db.pool, 10, 1).await;

    let claim = claim::claim(&db.pool, "relay-a", 4, LEASE).await.unwrap();

    assert_eq!(claim.rows.len(), 4);
    let leased: Vec<(String, i32, String)> = sqlx::query_as(
        "select status, attempts, leased_by from webhook_outbox where lease_token = $1 and next_attempt_at > now() + interval '50 seconds'",
    )
    .bind(claim.token)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(leased.len(), 4);
    assert!(leased.iter().all(|row| row == &("delivering".to_owned(), 1, "relay-a".to_owned())));
}

#[tokio::test]
async fn concurrent_claims_never_share_a_row() {
    let db = TestDb::new().await;
    insert_events(&db.pool, 1000, 1).await;

    let claims = futures::future::join_all((0..8).map(|_| claim::claim(&db.pool, "relay", 100, LEASE))).await;

    let mut seen = HashSet::new();
    for claim in claims {
        for row in claim.unwrap().rows {
            assert!(seen.insert(row.id), "row {} claimed twice", row.id);
        }
    }
    assert_eq!(seen.len(), 800);
}

#[tokio::test]
async fn a_leased_row_is_claimed_again_only_after_its_lease_expires() {
    let db = TestDb::new().await;
    insert_events(&db.pool, 1, 1).await;
    let first = claim::claim(&db.pool, "relay-a", 10, Duration::from_millis(300)).await.unwrap();

    let during = claim::claim(&db.pool, "relay-b", 10, LEASE).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = claim::claim(&db.pool, "relay-b", 10, LEASE).await.unwrap();

    assert!(during.rows.is_empty());
    assert_eq!(after.rows.len(), 1);
    assert_eq!((after.rows[0].id, after.rows[0].attempts), (first.rows[0].id, 2));
}

#[tokio::test]
async fn a_relay_whose_lease_expired_cannot_overwrite_the_newer_outcome() {
    let db = TestDb::new().await;
    insert_events(&db.pool, 1, 1).await;
    let slow = claim::claim(&db.pool, "relay-slow", 10, Duration::ZERO).await.unwrap();
    let id = slow.rows[0].id;
    let fresh = claim::claim(&db.pool, "relay-fresh", 10, LEASE).await.unwrap();
    let delivered = Outcome::Delivered { svix_message_id: "msg_fresh".into(), duplicate: false };
    let written =
        claim::record(&db.pool, fresh.token, "relay-fresh", &[recorded(id, 2, delivered)]).await.unwrap();

    let late = Outcome::Failed { error: "late answer".into(), http_status: Some(400) };
    let written_late =
        claim::record(&db.pool, slow.token, "relay-slow", &[recorded(id, 1, late)]).await.unwrap();

    assert_eq!((written, written_late), (vec![id], vec![]));
    let (status, attempts, svix_message_id, last_error) = row_state(&db.pool, id).await;
    assert_eq!(
        (status.as_str(), attempts, svix_message_id, last_error),
        ("delivered", 2, Some("msg_fresh".into()), None)
    );
    let logged: i64 = sqlx::query_scalar("select count(*) from webhook_outbox_attempts where outbox_id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(logged, 2, "the late hand-off is still logged for people");
}

#[tokio::test]
async fn a_released_row_is_pending_again_without_using_an_attempt() {
    let db = TestDb::new().await;
    insert_events(&db.pool, 1, 1).await;
    let claim = claim::claim(&db.pool, "relay-a", 10, LEASE).await.unwrap();
    let id = claim.rows[0].id;

    claim::record(&db.pool, claim.token, "relay-a", &[recorded(id, 1, Outcome::Released)]).await.unwrap();

    assert_eq!(row_state(&db.pool, id).await, ("pending".into(), 0, None, None));
    let again = claim::claim(&db.pool, "relay-b", 10, LEASE).await.unwrap();
    assert_eq!(again.rows.len(), 1, "due at once");
}
