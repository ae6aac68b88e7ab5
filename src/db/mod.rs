//! The database layer: connecting, migrating, and the queries the relay, the API and the CLI share.

mod migrate;

pub use migrate::{current_version, embedded_migrations, latest_version, migrate};
#[cfg(feature = "server")]
pub mod api_keys;
#[cfg(feature = "server")]
pub mod maintenance;
#[cfg(feature = "server")]
pub mod messages;
#[cfg(feature = "server")]
pub mod organizations;
