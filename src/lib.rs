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
//!
//! With the default `server` feature: **the relay** ([`relay`]) claims committed rows with
//! `FOR UPDATE SKIP LOCKED` and delivers each to Svix exactly once; **the Svix seam** ([`svix`])
//! puts the SDK behind a trait and keeps one application per organization; **the HTTP API**
//! ([`api`]) serves delivery state and Svix access; [`startup`] wires them for `serve`,
//! [`cli`] and [`config`] are the command line, and [`ops`] holds the operator's commands
//! (status, replay, purge, event-types sync).

pub mod db;
mod error;
pub mod events;
pub mod outbox;
#[cfg(feature = "server")]
pub mod svix;

pub use error::{Error, Result};
pub use events::Event;
pub use outbox::{Enqueued, OutboxMessage, enqueue, enqueue_many, enqueue_message, register_organization};

#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod cli;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod ops;
#[cfg(feature = "server")]
pub mod relay;
#[cfg(feature = "server")]
pub mod startup;
#[cfg(feature = "server")]
pub mod telemetry;
