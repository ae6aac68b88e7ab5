//! Test helpers: throwaway databases (and, where no server runs, a throwaway cluster), configs,
//! and the real API server on port 0.

mod app;
mod config;
pub mod db;
mod pg_cluster;
pub mod relay;
pub mod tcp_proxy;

#[allow(unused_imports)] // each test module uses a different subset
pub use app::{
    ADMIN_TOKEN, Reply, TestApp, org_key, outbox_rows, revoked_key, set_status, spawn_app, spawn_app_for,
    spawn_app_with, spawn_app_with_flags, spawn_serving,
};
pub use config::config;
pub use db::TestDb;
