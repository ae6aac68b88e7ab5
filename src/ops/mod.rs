//! Operator commands for a DBA's terminal: `status`, `replay`, `purge` and `event-types sync`.
//! Each file holds one command's flags and logic; their SQL lives in [`crate::db::maintenance`].

pub mod duration;
pub mod event_types;
pub mod purge;
pub mod replay;
pub mod status;
