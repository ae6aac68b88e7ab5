//! One fresh database per test, created on the test server and dropped when the test ends.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use super::pg_cluster;

/// A database of its own for one test, migrated unless made with [`TestDb::empty`].
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    /// A URL for this database, for child processes (`DATABASE_URL`).
    pub url: String,
    server: String,
}

impl TestDb {
    /// A migrated database.
    pub async fn new() -> TestDb {
        let db = TestDb::empty().await;
        let mut conn = db.pool.acquire().await.expect("acquire");
        webhook_outbox::db::migrate(&mut conn).await.expect("migrate");
        db
    }

    /// A database with no schema at all.
    pub async fn empty() -> TestDb {
        let server = pg_cluster::server_url();
        let name = format!("wo_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.expect("connect to the test server");
        sqlx::query(&format!("create database {name}")).execute(&mut admin).await.expect("create database");
        let url = with_database(&server, &name);
        let pool = PgPoolOptions::new()
            .max_connections(20)
            .connect_with(PgConnectOptions::from_str(&url).expect("url"))
            .await
            .expect("connect to the test database");
        TestDb { pool, name, url, server }
    }

    /// A single connection, outside the pool (e.g. for LISTEN).
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop can't await; a short-lived runtime on another thread drops the database so
        // repeated runs don't pile databases up on the server.
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&server).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// `url` with its database path replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}
