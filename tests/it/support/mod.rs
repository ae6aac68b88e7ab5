//! Test helpers: throwaway databases (and, where no server runs, a throwaway cluster) and configs.

mod config;
pub mod db;
mod pg_cluster;
pub mod relay;

pub use config::config;
pub use db::TestDb;
