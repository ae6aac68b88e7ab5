//! The integration test binary: every test runs against a real PostgreSQL, each in its own database.

mod support;

mod events;
mod migrations;
mod outbox;
