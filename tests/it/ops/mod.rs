//! The operator's commands (`status`, `replay`, `purge`, `event-types sync`) against a real
//! database and the Svix fake, through the library and through the real binary.

mod event_types;
mod purge;
mod replay;
mod status;

use std::collections::HashMap;
use std::process::Output;

use uuid::Uuid;

use crate::support::TestDb;

/// Writes a row as a relay would have left it in `status`, created `age_secs` ago.
pub async fn row(db: &TestDb, org: &str, status: &str, age_secs: i64) -> Uuid {
    sqlx::query_scalar(
        "insert into webhook_outbox (organization_id, event_type, payload, status, attempts, created_at,
                                     next_attempt_at, svix_message_id, delivered_at, last_error,
                                     leased_by, lease_token)
         select $1, 'custom.event', '{}', $2, case when $2 = 'pending' then 0 else 3 end,
                now() - make_interval(secs => $3::float8),
                case when $2 = 'delivering' then now() + interval '1 minute'
                     else now() - make_interval(secs => $3::float8) end,
                case when $2 = 'delivered' then 'msg_' || gen_random_uuid() end,
                case when $2 = 'delivered' then now() end,
                case when $2 = 'failed' then 'Svix rejected the request (HTTP 400)' end,
                case when $2 = 'delivering' then 'relay-1' end,
                case when $2 = 'delivering' then gen_random_uuid() end
         returning id",
    )
    .bind(org)
    .bind(status)
    .bind(age_secs as f64)
    .fetch_one(&db.pool)
    .await
    .expect("insert a row")
}

/// Every row's status, by id.
pub async fn statuses(db: &TestDb) -> HashMap<Uuid, String> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("select id, status from webhook_outbox").fetch_all(&db.pool).await.expect("statuses");
    rows.into_iter().collect()
}

/// Runs the real binary against `db` (with `env` added) without blocking the test's runtime,
/// which may be serving the Svix fake the binary talks to.
pub async fn cli(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_webhook-outbox"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("SVIX_AUTH_TOKEN")
        .env_remove("SVIX_SERVER_URL")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run webhook-outbox")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
