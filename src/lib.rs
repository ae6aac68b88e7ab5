//! webhook-outbox: a transactional outbox for webhooks, delivered through Svix.
//!
//! **Producers** write events into the `webhook_outbox` table in the same transaction as the
//! state change they describe, with [`enqueue`] (or a plain SQL insert from any language), so an
//! event exists if and only if its change committed. This part needs only sqlx: depend on the
//! crate with `default-features = false`.
//!
//! **The event catalogue** ([`events`]) defines the seven webhook events, their payloads and
//! their JSON Schemas.
//!
//! **The database layer** ([`db`]) owns the schema (refinery migrations) and the shared queries.

pub mod db;
mod error;
pub mod events;
pub mod outbox;

pub use error::{Error, Result};
pub use events::Event;
pub use outbox::{Enqueued, OutboxMessage, enqueue, enqueue_many, enqueue_message, register_organization};

#[cfg(feature = "server")]
pub mod cli;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod telemetry;
