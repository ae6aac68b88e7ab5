//! Schema migrations: refinery's embedded `migrations/V*__*.sql`, applied through sqlx.
//!
//! refinery's async drivers are tokio-postgres and friends; implementing its `AsyncMigrate`
//! for a sqlx connection keeps one PostgreSQL driver (one pool, one TLS stack, one set of
//! connection settings) in the whole crate.

use refinery::AsyncMigrate;
use refinery::Migration;
use refinery_core::traits::r#async::{AsyncQuery, AsyncTransaction};
use sqlx::postgres::{PgQueryResult, PgRow};
use sqlx::{Connection, Executor, PgConnection, Row};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::Error;

mod embedded {
    refinery::embed_migrations!("./migrations");
}

/// Any key works as long as nothing else in the database uses it: it serialises concurrent
/// `migrate` runs (several relays starting at once) so each migration is applied exactly once.
const MIGRATION_LOCK_KEY: i64 = 0x7765_6268_6f6f_6b31; // "webhook1"

/// Applies every pending migration and returns the names of those applied now (none when the
/// schema is current, so running it twice is a no-op).
pub async fn migrate(conn: &mut PgConnection) -> crate::Result<Vec<String>> {
    sqlx::query("select pg_advisory_lock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut *conn).await?;
    let result = embedded::migrations::runner()
        .run_async(&mut SqlxMigrator(&mut *conn))
        .await
        .map_err(|e| Error::Migration(e.to_string()));
    let unlocked =
        sqlx::query("select pg_advisory_unlock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut *conn).await;
    let report = result?;
    unlocked?;
    Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect())
}

/// The migrations compiled into this binary, as `V1__outbox`-style names.
pub fn embedded_migrations() -> Vec<String> {
    embedded::migrations::runner().get_migrations().iter().map(|m| m.to_string()).collect()
}

/// The latest migration version applied to the database, or `None` before the first.
pub async fn current_version(conn: &mut PgConnection) -> crate::Result<Option<i32>> {
    let exists: bool = sqlx::query_scalar("select to_regclass('refinery_schema_history') is not null")
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(None);
    }
    Ok(sqlx::query_scalar("select max(version) from refinery_schema_history").fetch_one(conn).await?)
}

/// The latest migration version this binary knows.
pub fn latest_version() -> i32 {
    embedded::migrations::runner().get_migrations().iter().map(|m| m.version()).max().unwrap_or(0)
}

struct SqlxMigrator<'c>(&'c mut PgConnection);

// refinery's traits demand `Send` futures, and `raw_sql`'s generic executor trips the
// compiler's "Executor is not general enough" limit there; the `Executor` methods return boxed
// futures with a named lifetime, which don't. A bare `&str` runs on the simple query protocol,
// so a migration file may hold many statements.
type BoxFuture<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'c>>;

fn execute<'c>(
    conn: &'c mut PgConnection,
    sql: &'c str,
) -> BoxFuture<'c, Result<PgQueryResult, sqlx::Error>> {
    conn.execute(sql)
}

fn fetch_all<'c>(conn: &'c mut PgConnection, sql: &'c str) -> BoxFuture<'c, Result<Vec<PgRow>, sqlx::Error>> {
    conn.fetch_all(sql)
}

impl AsyncTransaction for SqlxMigrator<'_> {
    type Error = sqlx::Error;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &'a mut self,
        queries: T,
    ) -> Result<usize, Self::Error> {
        let mut tx = self.0.begin().await?;
        let mut count = 0;
        for query in queries {
            execute(&mut tx, query).await?;
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }
}

impl AsyncQuery<Vec<Migration>> for SqlxMigrator<'_> {
    async fn query<'a>(&'a mut self, query: &'a str) -> Result<Vec<Migration>, Self::Error> {
        let rows = fetch_all(self.0, query).await?;
        rows.iter()
            .map(|row| {
                let applied_on: String = row.try_get(2)?;
                let applied_on = OffsetDateTime::parse(&applied_on, &Rfc3339)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                let checksum: String = row.try_get(3)?;
                let checksum = checksum.parse::<u64>().map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                Ok(Migration::applied(row.try_get(0)?, row.try_get(1)?, applied_on, checksum))
            })
            .collect()
    }
}

impl AsyncMigrate for SqlxMigrator<'_> {}
