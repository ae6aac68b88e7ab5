//! The schema: migrations apply once, and create exactly the documented, commented contract.

use crate::support::TestDb;

#[tokio::test]
async fn migrating_twice_applies_nothing_the_second_time() {
    let db = TestDb::empty().await;
    let mut conn = db.connect().await;

    let first = webhook_outbox::db::migrate(&mut conn).await.unwrap();
    let second = webhook_outbox::db::migrate(&mut conn).await.unwrap();

    assert_eq!(first, webhook_outbox::db::embedded_migrations());
    assert!(second.is_empty());
    assert_eq!(
        webhook_outbox::db::current_version(&mut conn).await.unwrap(),
        Some(webhook_outbox::db::latest_version())
    );
}

#[tokio::test]
async fn concurrent_migrations_apply_each_migration_once() {
    let db = TestDb::empty().await;
    let runs = (0..4).map(|_| async {
        let mut conn = db.connect().await;
        webhook_outbox::db::migrate(&mut conn).await.unwrap().len()
    });
    // Polled together so the runs really race for the advisory lock.
    let applied: usize = futures::future::join_all(runs).await.into_iter().sum();
    assert_eq!(applied, webhook_outbox::db::embedded_migrations().len());
}

#[tokio::test]
async fn the_outbox_table_has_exactly_the_public_columns_and_the_lease_columns() {
    let db = TestDb::new().await;
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "select column_name::text, data_type::text, is_nullable::text from information_schema.columns \
         where table_name = 'webhook_outbox' order by ordinal_position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected = [
        ("id", "uuid", "NO"),
        ("organization_id", "text", "NO"),
        ("event_type", "text", "NO"),
        ("payload", "jsonb", "NO"),
        ("event_id", "text", "YES"),
        ("status", "text", "NO"),
        ("attempts", "integer", "NO"),
        ("next_attempt_at", "timestamp with time zone", "NO"),
        ("svix_message_id", "text", "YES"),
        ("last_error", "text", "YES"),
        ("created_at", "timestamp with time zone", "NO"),
        ("delivered_at", "timestamp with time zone", "YES"),
        ("leased_by", "text", "YES"),
        ("lease_token", "uuid", "YES"),
        ("lease_expires_at", "timestamp with time zone", "YES"),
    ];
    let expected: Vec<_> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(columns, expected);
}

#[tokio::test]
async fn every_table_column_and_view_carries_a_comment() {
    let db = TestDb::new().await;
    let uncommented: Vec<String> = sqlx::query_scalar(
        "select c.relname || coalesce('.' || a.attname, '') \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped \
         where n.nspname = 'public' and c.relkind in ('r', 'v') and c.relname like 'webhook%' \
           and (obj_description(c.oid, 'pg_class') is null \
                or (a.attnum is not null and col_description(c.oid, a.attnum) is null))",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(uncommented.is_empty(), "without a comment: {uncommented:?}");
}

#[tokio::test]
async fn the_dba_views_summarise_the_backlog() {
    let db = TestDb::new().await;
    sqlx::query(
        "insert into webhook_outbox (organization_id, event_type, payload, status, last_error) values \
         ('o', 'a.b', '{}', 'pending', null), ('o', 'a.b', '{}', 'pending', null), ('o', 'a.b', '{}', 'failed', 'Svix said 400')",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    let pending: i64 =
        sqlx::query_scalar("select events from webhook_outbox_backlog where status = 'pending'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let undelivered: i64 = sqlx::query_scalar("select undelivered from webhook_outbox_oldest_pending")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let failure: String = sqlx::query_scalar("select last_error from webhook_outbox_failures")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(pending, 2);
    assert_eq!(undelivered, 2);
    assert_eq!(failure, "Svix said 400");
}

#[tokio::test]
async fn the_claim_index_serves_due_rows() {
    let db = TestDb::new().await;
    let indexes: Vec<String> = sqlx::query_scalar(
        "select indexname::text from pg_indexes where tablename = 'webhook_outbox' order by 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(indexes.contains(&"webhook_outbox_due_idx".to_owned()));
    assert!(indexes.contains(&"webhook_outbox_event_id_key".to_owned()));
}
