//! `webhook-outbox purge --older-than`: deletes old delivered (and optionally failed) rows in
//! short batches; pending and delivering rows are never touched.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::db::maintenance;

/// `webhook-outbox purge`
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Pending and delivering rows are never deleted. Each row's hand-off attempts \
                        (webhook_outbox_attempts) are deleted with it. Example: \
                        webhook-outbox purge --older-than 30d --dry-run")]
pub struct PurgeArgs {
    /// Delete rows created longer ago than this: a whole number and a unit, s, m, h, d or w
    /// (e.g. 30d, 12h, 90m).
    #[arg(long, value_name = "DURATION", value_parser = super::duration::parse)]
    pub older_than: Duration,
    /// Delete old failed rows too (they can then no longer be replayed).
    #[arg(long)]
    pub include_failed: bool,
    /// Only count the rows that would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows deleted per statement; each batch commits on its own so no lock is held for long.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: i64,
}

/// What a purge did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    /// Rows created before this (the database's clock) were eligible.
    pub cutoff: DateTime<Utc>,
    pub rows: i64,
}

impl PurgeArgs {
    pub async fn run(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let which = if self.include_failed { "delivered and failed" } else { "delivered" };
        let purged = purge(conn, &self).await?;
        let cutoff = purged.cutoff.format("%Y-%m-%d %H:%M:%S UTC");
        if self.dry_run {
            println!(
                "would purge {} {which} rows created before {cutoff} (dry run: nothing changed)",
                purged.rows
            );
        } else {
            println!("purged {} {which} rows created before {cutoff}, with their attempts", purged.rows);
        }
        Ok(())
    }
}

/// Deletes (or, with `dry_run`, counts) the rows `args` selects, batch by batch.
pub async fn purge(conn: &mut PgConnection, args: &PurgeArgs) -> anyhow::Result<Purged> {
    let secs = i64::try_from(args.older_than.as_secs()).context("--older-than is too long")?;
    let cutoff = maintenance::cutoff(conn, secs).await.context("computing the cutoff")?;
    if args.dry_run {
        let rows = maintenance::count_purgeable(conn, cutoff, args.include_failed)
            .await
            .context("counting rows to purge")?;
        return Ok(Purged { cutoff, rows });
    }
    let mut rows = 0;
    loop {
        // Outside an explicit transaction, each batch commits on its own.
        let deleted = maintenance::purge_batch(conn, cutoff, args.include_failed, args.batch_size)
            .await
            .with_context(|| format!("deleting rows ({rows} deleted so far; running purge again resumes)"))?;
        rows += deleted;
        tracing::debug!(deleted, total = rows, "purge batch");
        // A short batch means nothing else qualifies (or only rows locked right now, which the
        // next purge takes).
        if deleted < args.batch_size {
            break;
        }
    }
    Ok(Purged { cutoff, rows })
}
