//! The integration test binary: every test runs against a real PostgreSQL, each in its own database,
//! and Svix is the project's Svix-compatible fake driven through the real `svix` SDK.

mod support;
mod svix_fake;

mod api;
mod events;
mod migrations;
mod ops;
mod outbox;
mod relay;
mod svix_fake_conformance;
mod svix_sdk;
