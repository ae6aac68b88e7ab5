//! The relay: claims committed outbox rows and delivers each to Svix exactly once.
//!
//! [`Relay::relay_once`] is one step: claim a batch under a lease (`claim.rs`), hand each row to
//! Svix with bounded concurrency (`deliver.rs`), decide what each result means (`policy.rs`, with
//! `backoff.rs`), and write the outcomes in batches, each only while this relay still holds the
//! row's lease. [`run`] is the loop around it: it waits for NOTIFY or the poll tick (`wake.rs`),
//! backs off while the database is down, pauses while Svix refuses the token, and drains on
//! shutdown.
//!
//! Exactly once: a row is claimed by one relay at a time (`FOR UPDATE SKIP LOCKED`, then a lease);
//! a relay that dies or stalls loses the lease and the row is handed off again with the same
//! `eventId`, which Svix answers with 409; the relay then records the message Svix already has.

mod backoff;
pub mod claim;
mod deliver;
mod policy;
mod wake;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use backoff::Backoff;
use backoff::Throttle;
use claim::{Claimed, Outcome, Recorded};
use policy::{Policy, Signal};
pub use wake::Wake;

use crate::startup::Services;
use crate::svix::{Applications, SvixError};
use crate::telemetry;

/// How often a relay whose token Svix refused asks again.
const REFUSED_RECHECK: Duration = Duration::from_secs(30);
/// The first and the longest wait before trying the database again.
const DB_RETRY_FIRST: Duration = Duration::from_millis(250);
const DB_RETRY_MAX: Duration = Duration::from_secs(10);
/// Tries at writing one batch of outcomes (with 0.25 s to 2 s between them) before leaving the
/// rows to their lease.
const RECORD_ATTEMPTS: u32 = 5;
/// Steps that may run at once (see [`Relay::run`]).
const STEPS_IN_FLIGHT: usize = 2;
/// An idle relay never sleeps less than this, so rows due but locked by another relay's claim
/// statement do not make it spin.
const MIN_IDLE_WAIT: Duration = Duration::from_millis(25);

/// What one [`Relay::relay_once`] step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub claimed: usize,
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
    /// Handed back unstarted (shutdown, throttling ate the lease, or Svix refused the token).
    pub released: usize,
    /// Outcomes not written because another relay has taken the row over since (or the
    /// database was unreachable); that relay's outcome stands.
    pub superseded: usize,
}

/// A relay instance: the settings, the Svix applications, and the state shared by its deliveries.
#[derive(Debug)]
pub struct Relay {
    id: String,
    pool: PgPool,
    apps: Applications,
    refused: Arc<AtomicBool>,
    batch_size: u32,
    // Hand-offs in flight, across overlapping steps (RELAY_CONCURRENCY).
    slots: Semaphore,
    lease: Duration,
    policy: Policy,
    shutdown_timeout: Duration,
    throttle: Throttle,
    shutdown: CancellationToken,
}

impl Relay {
    /// A relay over the shared services, or `None` when Svix is disabled (no `SVIX_AUTH_TOKEN`).
    pub fn new(services: &Services, shutdown: CancellationToken) -> Option<Relay> {
        let config = &services.config;
        Some(Relay {
            id: instance_name(),
            pool: services.pool.clone(),
            apps: services.svix.clone()?,
            refused: services.svix_refused.clone(),
            batch_size: config.relay_batch_size,
            slots: Semaphore::new(config.relay_concurrency as usize),
            lease: config.lease(),
            policy: Policy {
                max_attempts: i32::try_from(config.relay_max_attempts).unwrap_or(i32::MAX),
                backoff: Backoff { base: config.backoff_base(), max: config.backoff_max() },
            },
            shutdown_timeout: config.shutdown_timeout(),
            throttle: Throttle::default(),
            shutdown,
        })
    }

    /// This instance's name, as written to `leased_by` and the attempts table.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether Svix currently refuses our token (nothing is claimed meanwhile).
    pub fn is_refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }

    /// Asks Svix whether it accepts the token, entering or leaving refused mode accordingly.
    /// Other failures (Svix unreachable) leave the mode as it is: deliveries retry those.
    pub async fn check_svix(&self) {
        match self.apps.svix().check_token().await {
            Ok(()) => {
                if self.refused.swap(false, Ordering::Relaxed) {
                    tracing::info!("Svix accepts SVIX_AUTH_TOKEN again: delivery resumed");
                }
            }
            Err(SvixError::Unauthorized { status }) => self.enter_refused(status),
            Err(error) => {
                tracing::warn!(error = %error, "could not check the Svix token; will retry deliveries")
            }
        }
    }

    fn enter_refused(&self, status: u16) {
        if !self.refused.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                http.status = status,
                "Svix refused SVIX_AUTH_TOKEN: delivery paused, events wait as pending; fix the token \
                 (it is checked again every {}s)",
                REFUSED_RECHECK.as_secs()
            );
        }
    }

    /// One step: claims a batch, hands every row to Svix, records the outcomes, and says what it
    /// did. Claims nothing while Svix refuses the token. Errors only when the claim itself fails
    /// (database unreachable); rows claimed are always accounted for in the report.
    pub async fn relay_once(&self) -> Result<Report, sqlx::Error> {
        if self.is_refused() || self.shutdown.is_cancelled() {
            return Ok(Report::default());
        }
        let claim = claim::claim(&self.pool, &self.id, self.batch_size, self.lease).await?;
        if claim.rows.is_empty() {
            return Ok(Report::default());
        }
        let claimed = claim.rows.len();
        let claimed_at = Instant::now();
        let (done, results) = mpsc::channel(claimed);
        let deliver_all = async move {
            futures::stream::iter(claim.rows)
                // Every row waits for a slot in `process`, so the batch's size does not matter.
                .for_each_concurrent(None, |row| {
                    let done = done.clone();
                    async move {
                        let _ = done.send(self.process(row, claimed_at).await).await;
                    }
                })
                .await;
        };
        // Outcomes are written while later rows are still being delivered, batching whatever
        // has finished since the last write.
        let ((), report) = tokio::join!(deliver_all, self.record_all(claim.token, results));
        Ok(Report { claimed, ..report })
    }

    /// Hands one claimed row off (or releases it unstarted) and decides its outcome.
    async fn process(&self, row: Claimed, claimed_at: Instant) -> (Recorded, chrono::DateTime<Utc>) {
        let _slot = self.slots.acquire().await.expect("the slots semaphore is never closed");
        self.throttle.wait().await;
        let started_at = Utc::now();
        let start = Instant::now();
        // Starting late in the lease risks another relay taking the row while we still work on
        // it; handing it back costs nothing.
        let held_for = claimed_at.elapsed();
        let outcome = if self.shutdown.is_cancelled() || self.is_refused() || held_for > self.lease / 2 {
            Outcome::Released
        } else if let Some(outcome) = self.policy.exhausted_by_lost_leases(&row) {
            outcome
        } else {
            let lease_left = self.lease.saturating_sub(held_for);
            let hand_off = tokio::time::timeout(lease_left, deliver::hand_off(&self.apps, &row));
            tokio::select! {
                result = hand_off => match result {
                    Ok(result) => self.learn(self.policy.judge(&row, result)),
                    Err(_) => self.policy.retry_or_fail(&row, "Svix did not answer before the row's lease ran out".into(), None),
                },
                _ = self.drain_deadline() => {
                    self.policy.retry_or_fail(&row, "the relay shut down before Svix answered".into(), None)
                }
            }
        };
        let recorded =
            Recorded { id: row.id, attempt: row.attempts, started_at, duration: start.elapsed(), outcome };
        (recorded, row.created_at)
    }

    /// Resolves after shutdown plus `SHUTDOWN_TIMEOUT_SECS`: in-flight hand-offs are abandoned then.
    async fn drain_deadline(&self) {
        self.shutdown.cancelled().await;
        tokio::time::sleep(self.shutdown_timeout).await;
    }

    /// Applies what a hand-off taught the relay as a whole, and returns the row's outcome.
    fn learn(&self, (outcome, signal): (Outcome, Signal)) -> Outcome {
        match signal {
            Signal::Nothing => {}
            Signal::Accepted => self.throttle.succeeded(),
            Signal::RateLimited => self.throttle.rate_limited(),
            Signal::Refused { status } => self.enter_refused(status),
        }
        outcome
    }

    /// Writes outcomes as they arrive, in batches, and tallies what was written.
    async fn record_all(
        &self,
        token: Uuid,
        mut results: mpsc::Receiver<(Recorded, chrono::DateTime<Utc>)>,
    ) -> Report {
        let mut report = Report::default();
        let mut batch = Vec::new();
        while results.recv_many(&mut batch, 1024).await > 0 {
            let (outcomes, created): (Vec<Recorded>, Vec<_>) = batch.drain(..).unzip();
            let written: HashSet<Uuid> = self.record(token, &outcomes).await.into_iter().collect();
            for (recorded, created_at) in outcomes.iter().zip(created) {
                if written.contains(&recorded.id) {
                    tally(&mut report, &recorded.outcome, created_at);
                } else {
                    report.superseded += 1;
                }
            }
        }
        report
    }

    /// Writes one batch of outcomes, retrying briefly while the database is unreachable.
    async fn record(&self, token: Uuid, outcomes: &[Recorded]) -> Vec<Uuid> {
        let mut delay = DB_RETRY_FIRST;
        for attempt in 1..=RECORD_ATTEMPTS {
            match claim::record(&self.pool, token, &self.id, outcomes).await {
                Ok(written) => return written,
                Err(error) => {
                    tracing::warn!(error = %error, rows = outcomes.len(), attempt, "could not record outcomes");
                    if attempt < RECORD_ATTEMPTS {
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(DB_RETRY_MAX);
                    }
                }
            }
        }
        // Safe to give up: the rows stay leased, and when the lease expires they are handed off
        // again; Svix answers 409 for their eventIds and the relay records the messages it has.
        tracing::error!(
            rows = outcomes.len(),
            "could not record outcomes; the rows will be handed off again after their lease"
        );
        Vec::new()
    }

    /// Runs steps until `shutdown`: straight on while there is work, else until NOTIFY, the poll
    /// interval, or the earliest retry falls due; backs off while the database is unreachable.
    ///
    /// Two steps may overlap: the next batch is claimed as soon as a hand-off slot is free and no
    /// row of the current batch waits for one, so the current batch's slowest answers do not
    /// leave the other slots idle.
    pub async fn run(&self, wake: &Wake, poll: Duration) {
        tracing::info!(relay = %self.id, "relay started");
        self.check_svix().await;
        let mut steps = FuturesUnordered::new();
        let mut work_may_wait = true; // false once a claim found nothing, until something wakes us
        let mut db_delay = DB_RETRY_FIRST;
        let mut resume_at = Instant::now(); // after a failed claim, no claim before this
        loop {
            let stopping = self.shutdown.is_cancelled();
            if stopping && steps.is_empty() {
                break;
            }
            let refused = self.is_refused();
            let may_claim = !stopping && !refused && work_may_wait && steps.len() < STEPS_IN_FLIGHT;
            let backing_off = Instant::now() < resume_at;
            // Handlers must not await while steps run: `steps` only progresses while polled here.
            tokio::select! {
                Some(result) = steps.next() => match result {
                    Ok(Report { claimed, .. }) => {
                        db_delay = DB_RETRY_FIRST;
                        work_may_wait = claimed > 0;
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, retry_in_ms = db_delay.as_millis() as u64, "cannot claim: database unreachable");
                        resume_at = Instant::now() + db_delay;
                        db_delay = (db_delay * 2).min(DB_RETRY_MAX);
                    }
                },
                slot = self.slots.acquire(), if may_claim && !backing_off => {
                    drop(slot);
                    steps.push(self.relay_once());
                }
                _ = tokio::time::sleep_until(resume_at), if may_claim && backing_off => {}
                _ = self.idle(wake, poll), if !stopping && !refused && !work_may_wait && steps.is_empty() => {
                    work_may_wait = true;
                }
                _ = tokio::time::sleep(REFUSED_RECHECK), if !stopping && refused && steps.is_empty() => {
                    self.check_svix().await;
                }
                _ = self.shutdown.cancelled(), if !stopping => {}
            }
        }
        tracing::info!(relay = %self.id, "relay stopped");
    }

    /// Waits for NOTIFY, the poll interval, or the earliest retry falling due.
    async fn idle(&self, wake: &Wake, poll: Duration) {
        let wait = match claim::next_due(&self.pool).await {
            Ok(Some(due)) => (due - Utc::now()).to_std().unwrap_or_default().clamp(MIN_IDLE_WAIT, poll),
            _ => poll,
        };
        wake.wait(wait, &self.shutdown).await;
    }
}

fn tally(report: &mut Report, outcome: &Outcome, created_at: chrono::DateTime<Utc>) {
    match outcome {
        Outcome::Delivered { .. } => {
            report.delivered += 1;
            metrics::counter!(telemetry::DELIVERED_TOTAL).increment(1);
            let latency = (Utc::now() - created_at).to_std().unwrap_or_default();
            metrics::histogram!(telemetry::DELIVERY_LATENCY_SECONDS).record(latency.as_secs_f64());
        }
        Outcome::Retry { .. } => {
            report.retried += 1;
            metrics::counter!(telemetry::RETRIED_TOTAL).increment(1);
        }
        Outcome::Failed { .. } => {
            report.failed += 1;
            metrics::counter!(telemetry::FAILED_TOTAL).increment(1);
        }
        Outcome::Released => report.released += 1,
    }
}

/// `host:pid:random`, unique per relay instance (several may run in one process in tests).
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_else(|_| "relay".into());
    let suffix = &Uuid::new_v4().simple().to_string()[..6];
    format!("{}:{}:{suffix}", host.trim(), std::process::id())
}

/// Runs the relay until `shutdown` is cancelled: waits for the schema, then claims and delivers.
/// With Svix disabled it only waits: rows stay pending until a token is configured.
pub async fn run(services: Services, shutdown: CancellationToken) -> anyhow::Result<()> {
    let Some(relay) = Relay::new(&services, shutdown.clone()) else {
        shutdown.cancelled().await;
        return Ok(());
    };
    let mut migrated = services.migrated.clone();
    tokio::select! {
        _ = migrated.wait_for(|current| *current) => {}
        _ = shutdown.cancelled() => return Ok(()),
    }
    let wake = Wake::listen(&services.pool, shutdown.clone());
    relay.run(&wake, services.config.poll_interval()).await;
    Ok(())
}
