//! Relays for tests: an in-process [`Relay`] to drive step by step, the `serve` loop in a task,
//! and the real binary as a child process (to be killed).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use webhook_outbox::relay::Relay;
use webhook_outbox::startup::{ServeOptions, Services};

use super::{TestDb, config};
use crate::svix_fake::SvixFake;

/// A relay over `db` delivering to `fake`, configured by `extra` flags, and its shutdown token.
pub fn relay(db: &TestDb, fake: &SvixFake, extra: &[&str]) -> (Relay, CancellationToken) {
    let (_, migrated) = watch::channel(true);
    let services = Services::new(config(db, Some(fake), extra), migrated).expect("services");
    let shutdown = CancellationToken::new();
    (Relay::new(&services, shutdown.clone()).expect("Svix is configured"), shutdown)
}

/// `webhook-outbox serve --no-api` in a task of this process, as the binary runs it; cancel the
/// token to stop it. `fake: None` runs it with Svix disabled.
pub fn serve_relay(
    db: &TestDb,
    fake: Option<&SvixFake>,
    extra: &[&str],
) -> (tokio::task::JoinHandle<()>, CancellationToken) {
    let config = config(db, fake, extra);
    let shutdown = CancellationToken::new();
    let options = ServeOptions { api: false, relay: true, migrate: true };
    let task = tokio::spawn(webhook_outbox::startup::run(config, None, options, shutdown.clone()));
    (tokio::spawn(async move { task.await.expect("serve task").expect("serve") }), shutdown)
}

/// The real binary running `serve --no-api` against `db` and `fake`, with `env` added.
pub fn spawn_relay_process(db: &TestDb, fake: &SvixFake, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_webhook-outbox"))
        .args(["serve", "--no-api"])
        .env("DATABASE_URL", &db.url)
        .env("SVIX_AUTH_TOKEN", SvixFake::TOKEN)
        .env("SVIX_SERVER_URL", fake.url())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the webhook-outbox binary")
}

/// Rows per status, as (pending, delivering, delivered, failed).
pub async fn statuses(pool: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "select count(*) filter (where status = 'pending'), count(*) filter (where status = 'delivering'),
                count(*) filter (where status = 'delivered'), count(*) filter (where status = 'failed')
         from webhook_outbox",
    )
    .fetch_one(pool)
    .await
    .expect("count statuses")
}

/// Waits until `delivered` rows are delivered, or panics after `timeout` with the statuses.
pub async fn wait_delivered(pool: &PgPool, delivered: i64, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let counts = statuses(pool).await;
        if counts.2 >= delivered {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered in {timeout:?}: (pending, delivering, delivered, failed) = {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Inserts `n` events over `orgs` organizations with the plain SQL a producer would use.
pub async fn insert_events(pool: &PgPool, n: i64, orgs: i64) {
    sqlx::query(
        "insert into webhook_outbox (organization_id, event_type, payload)
         select 'org-' || (i % $2), 'custom.event', jsonb_build_object('n', i) from generate_series(1, $1) i",
    )
    .bind(n)
    .bind(orgs)
    .execute(pool)
    .await
    .expect("insert events");
}

/// One row's delivery state: (status, attempts, svix_message_id, last_error).
pub async fn row_state(pool: &PgPool, id: uuid::Uuid) -> (String, i32, Option<String>, Option<String>) {
    sqlx::query_as("select status, attempts, svix_message_id, last_error from webhook_outbox where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("row state")
}

/// Sends SIGTERM (the std library can only SIGKILL).
pub fn terminate(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill -TERM failed");
}
