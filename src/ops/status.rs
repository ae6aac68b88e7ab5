//! `webhook-outbox status`: the backlog, how far behind delivery is, and what failed, as aligned
//! text for a DBA's terminal or as JSON for machines.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use super::duration::format_age;
use crate::db::maintenance::{self, BacklogRow, FailureRow, OldestPending, OrganizationError};

/// Every status a row can have, so the report shows zeros instead of leaving lines out.
const STATUSES: [&str; 4] = ["pending", "delivering", "delivered", "failed"];

/// The longest `last_error` shown in text; JSON carries it whole.
const ERROR_WIDTH: usize = 100;

/// `webhook-outbox status`
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// Print JSON (camelCase fields) instead of text, for scripts and monitoring.
    #[arg(long)]
    pub json: bool,
    /// How many recent failures and organization errors to list.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i64).range(0..=10_000))]
    pub limit: i64,
}

/// What `status` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// One entry per status, all four always present, in lifecycle order.
    pub backlog: Vec<BacklogRow>,
    pub oldest_pending: OldestPending,
    /// The most recent failures (replay them with `webhook-outbox replay`).
    pub recent_failures: Vec<FailureRow>,
    /// Organizations whose Svix application could not be created or read.
    pub organization_errors: Vec<OrganizationError>,
    pub generated_at: DateTime<Utc>,
}

impl StatusArgs {
    pub async fn run(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let report = report(conn, self.limit).await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report).context("writing JSON")?);
        } else {
            print!("{}", render(&report));
        }
        Ok(())
    }
}

/// Reads the report from the DBA views, listing at most `limit` failures and organizations.
pub async fn report(conn: &mut PgConnection, limit: i64) -> anyhow::Result<StatusReport> {
    let hint = "reading the status views (run `webhook-outbox migrate` if they are missing)";
    let found = maintenance::backlog(conn).await.context(hint)?;
    let backlog = STATUSES
        .iter()
        .map(|status| {
            found.iter().find(|row| row.status == *status).cloned().unwrap_or(BacklogRow {
                status: (*status).to_owned(),
                events: 0,
                oldest_created_at: None,
            })
        })
        .collect();
    Ok(StatusReport {
        backlog,
        oldest_pending: maintenance::oldest_pending(conn).await.context(hint)?,
        recent_failures: maintenance::recent_failures(conn, limit).await.context(hint)?,
        organization_errors: maintenance::organization_errors(conn, limit).await.context(hint)?,
        generated_at: Utc::now(),
    })
}

/// The report as aligned plain text.
pub fn render(report: &StatusReport) -> String {
    [
        backlog_section(report),
        oldest_section(&report.oldest_pending),
        failures_section(report),
        organizations_section(report),
    ]
    .join("\n")
}

fn backlog_section(report: &StatusReport) -> String {
    let rows = report.backlog.iter().map(|row| {
        let oldest =
            row.oldest_created_at.map(|at| format!("{} ({} ago)", time(at), age(report.generated_at, at)));
        vec![row.status.clone(), row.events.to_string(), oldest.unwrap_or_else(|| "-".into())]
    });
    format!("Backlog\n{}", table(&["status", "events", "oldest"], rows.collect(), &[1]))
}

fn oldest_section(oldest: &OldestPending) -> String {
    match oldest.oldest_created_at {
        Some(at) => format!(
            "Oldest undelivered: {} old, written {} (pending or delivering: {})\n",
            format_age(oldest.oldest_age_secs),
            time(at),
            oldest.undelivered
        ),
        None => "Oldest undelivered: none (nothing pending or delivering)\n".into(),
    }
}

fn failures_section(report: &StatusReport) -> String {
    let failed = report.backlog.iter().find(|row| row.status == "failed").map_or(0, |row| row.events);
    let mut out = format!("Recent failures ({} of {failed} failed)\n", report.recent_failures.len());
    if report.recent_failures.is_empty() {
        out += "  none\n";
        return out;
    }
    let rows = report.recent_failures.iter().map(|f| {
        let dash = || "-".to_owned();
        vec![
            f.id.to_string(),
            f.organization_id.clone(),
            f.event_type.clone(),
            f.attempts.to_string(),
            f.last_http_status.map_or_else(dash, |s| s.to_string()),
            f.last_attempt_at.map_or_else(dash, time),
            one_line(f.last_error.as_deref().unwrap_or("-")),
        ]
    });
    let headers = ["id", "organization", "type", "attempts", "http", "last attempt", "last error"];
    out += &table(&headers, rows.collect(), &[3, 4]);
    out += "  Replay with `webhook-outbox replay --id ID`, `--org ORG` or `--all-failed`.\n";
    out
}

fn organizations_section(report: &StatusReport) -> String {
    let errors = &report.organization_errors;
    let mut out = format!("Organizations whose Svix application has an error ({})\n", errors.len());
    if errors.is_empty() {
        out += "  none\n";
        return out;
    }
    let rows = errors
        .iter()
        .map(|o| vec![o.id.clone(), o.name.clone(), time(o.updated_at), one_line(&o.last_error)]);
    out += &table(&["organization", "name", "since", "error"], rows.collect(), &[]);
    out
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    format_age((now - at).num_milliseconds() as f64 / 1000.0)
}

/// Errors can span lines and pages; a table row must not.
fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= ERROR_WIDTH {
        return flat;
    }
    let cut: String = flat.chars().take(ERROR_WIDTH - 1).collect();
    format!("{cut}…")
}

/// Rows under headers, two spaces apart and indented by two; columns in `right` align right.
/// The last column is not padded, so long errors don't leave trailing blanks.
fn table(headers: &[&str], rows: Vec<Vec<String>>, right: &[usize]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let last = row.len() - 1;
        let cells = row.iter().enumerate().map(|(i, cell)| match i {
            i if i == last => cell.clone(),
            i if right.contains(&i) => format!("{cell:>width$}", width = widths[i]),
            i => format!("{cell:<width$}", width = widths[i]),
        });
        let _ = writeln!(out, "  {}", cells.collect::<Vec<_>>().join("  "));
    }
    out
}
