//! `webhook-outbox replay`: puts `failed` rows back to `pending` so the relays try them again.

use anyhow::Context;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::db::maintenance::{self, FailedFilter};
use crate::db::messages;

/// Rows revived per transaction: big enough to be quick, small enough that one transaction
/// never holds many row locks for long.
pub const REPLAY_BATCH: i64 = 10_000;

/// `webhook-outbox replay`
#[derive(Debug, Clone, clap::Args)]
#[command(
    group = clap::ArgGroup::new("rows").required(true).args(["id", "org", "all_failed"]),
    after_help = "Only failed rows are touched: each goes back to pending, due now, with attempts reset \
                  to 0 (its last_error is kept until the next attempt). The relays are woken at once. \
                  `webhook-outbox status` lists the failures."
)]
pub struct ReplayArgs {
    /// Replay this failed row (its outbox id); repeat for several.
    #[arg(long, value_name = "ID")]
    pub id: Vec<Uuid>,
    /// Replay every failed row of this organization.
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
    /// Replay every failed row.
    #[arg(long)]
    pub all_failed: bool,
    /// Only count the rows that would be replayed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Which failed rows to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Ids(Vec<Uuid>),
    Organization(String),
    AllFailed,
}

impl Selection {
    fn filter(&self) -> FailedFilter<'_> {
        match self {
            Selection::Ids(ids) => FailedFilter { ids: Some(ids), organization_id: None },
            Selection::Organization(org) => FailedFilter { ids: None, organization_id: Some(org) },
            Selection::AllFailed => FailedFilter::default(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Selection::Ids(ids) => format!("of the {} given ids", ids.len()),
            Selection::Organization(org) => format!("of organization {org:?}"),
            Selection::AllFailed => "in total".to_owned(),
        }
    }
}

impl ReplayArgs {
    /// The selection the flags make (clap guarantees exactly one of them).
    pub fn selection(&self) -> anyhow::Result<Selection> {
        match (&self.id[..], &self.org, self.all_failed) {
            (ids, None, false) if !ids.is_empty() => {
                let mut ids = ids.to_vec();
                ids.sort_unstable();
                ids.dedup(); // an id given twice is still one row
                Ok(Selection::Ids(ids))
            }
            ([], Some(org), false) => Ok(Selection::Organization(org.clone())),
            ([], None, true) => Ok(Selection::AllFailed),
            _ => anyhow::bail!(
                "choose the rows to replay with one of --id ID (repeatable), --org ORG or --all-failed"
            ),
        }
    }

    pub async fn run(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let selection = self.selection()?;
        let what = selection.describe();
        if self.dry_run {
            let n = count(conn, &selection).await?;
            println!("would replay {n} failed rows {what} (dry run: nothing changed)");
            return Ok(());
        }
        let n = replay(conn, &selection).await?;
        if n == 0 {
            println!("replayed 0 rows: no failed rows {what}");
        } else {
            println!("replayed {n} failed rows {what}; they are pending again and the relays were woken");
        }
        if let Selection::Ids(ids) = &selection
            && (n as usize) < ids.len()
        {
            eprintln!(
                "note: {} of the given ids were not failed (unknown, already replayed, or not failed yet): \
                 `webhook-outbox status` lists the failed rows",
                ids.len() - n as usize
            );
        }
        Ok(())
    }
}

/// How many failed rows `selection` would replay.
pub async fn count(conn: &mut PgConnection, selection: &Selection) -> anyhow::Result<i64> {
    maintenance::count_failed(conn, selection.filter()).await.context("counting failed rows")
}

/// Replays the failed rows `selection` picks, in batches of [`REPLAY_BATCH`], each batch in a
/// transaction of its own that also wakes the relays; returns how many rows were replayed.
pub async fn replay(conn: &mut PgConnection, selection: &Selection) -> anyhow::Result<i64> {
    let filter = selection.filter();
    let (mut replayed, mut after) = (0, None);
    loop {
        let ids = maintenance::failed_ids(conn, filter, after, REPLAY_BATCH)
            .await
            .context("choosing failed rows")?;
        let Some(&last) = ids.last() else { break };
        let mut tx = conn.begin().await.context("starting a transaction")?;
        // The API's retry: one definition of what reviving a failed row means.
        replayed +=
            messages::retry_failed(&mut tx, &ids).await.context("replaying failed rows")?.len() as i64;
        tx.commit().await.context("committing the replay")?;
        if (ids.len() as i64) < REPLAY_BATCH {
            break;
        }
        after = Some(last);
    }
    Ok(replayed)
}
