//! An application service using the outbox: a sandbox's state change and its
//! `sandbox.state.updated` event commit together, or not at all.
//!
//! Run against a migrated database: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo run --example sandbox_service` (run `webhook-outbox migrate` first).

use sqlx::{PgConnection, PgPool};
use webhook_outbox::events::{Event, SandboxState, SandboxStateUpdated};

/// The service's own table; the outbox knows nothing about it.
const SCHEMA: &str = "create table if not exists example_sandboxes (
    id text primary key, organization_id text not null, state text not null)";

/// Starts a sandbox: the state change and the webhook event are one transaction.
async fn start_sandbox(pool: &PgPool, id: &str) -> Result<uuid::Uuid, webhook_outbox::Error> {
    let mut tx = pool.begin().await?;
    let (org, old) = set_state(&mut tx, id, SandboxState::Started).await?;
    let event = Event::SandboxStateUpdated(SandboxStateUpdated {
        id: id.to_owned(),
        organization_id: org,
        old_state: old,
        new_state: SandboxState::Started,
        updated_at: chrono::Utc::now(),
    });
    let event_id = webhook_outbox::enqueue(&mut tx, &event).await?;
    tx.commit().await?; // the event exists if and only if the state change does
    Ok(event_id)
}

async fn set_state(
    conn: &mut PgConnection,
    id: &str,
    new: SandboxState,
) -> Result<(String, SandboxState), webhook_outbox::Error> {
    let new_name = serde_json::to_value(new).unwrap_or_default();
    let (org, old): (String, String) = sqlx::query_as(
        "update example_sandboxes s set state = $2 from example_sandboxes old \
         where s.id = $1 and old.id = s.id returning s.organization_id, old.state",
    )
    .bind(id)
    .bind(new_name.as_str())
    .fetch_one(conn)
    .await?;
    let old = serde_json::from_value(serde_json::Value::String(old)).unwrap_or(SandboxState::Unknown);
    Ok((org, old))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL to a migrated database")?;
    let pool = PgPool::connect(&url).await?;
    sqlx::query(SCHEMA).execute(&pool).await?;
    sqlx::query(
        "insert into example_sandboxes values ('sb-example', 'org-example', 'STOPPED') \
         on conflict (id) do update set state = 'STOPPED'",
    )
    .execute(&pool)
    .await?;
    let event_id = start_sandbox(&pool, "sb-example").await?;
    println!("sandbox sb-example started; event {event_id} is in the outbox");
    Ok(())
}
