//! Test helpers: throwaway databases (and, where no server runs, a throwaway cluster).

pub mod db;
mod pg_cluster;

pub use db::TestDb;
