//! The HTTP API against the real server on port 0, a real PostgreSQL and the Svix fake.

mod auth;
mod delivery;
mod messages;
mod openapi;
mod ops;
mod seed_readme;
mod send;
mod webhooks;
