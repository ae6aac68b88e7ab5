//! Who is calling: `Authorization: Bearer <token>` is an admin token from `API_TOKENS` (every
//! route) or an organization key (its own organization's app-portal-access and read routes).
//!
//! Missing, unknown or revoked token → 401 `unauthorized`; a known caller on a route it may not
//! use → 403 `forbidden`. With no admin tokens and no keys, every protected route answers 401:
//! there is no open mode. Tokens are never logged.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use super::error::ApiError;
use super::extract::Path;
use super::keys;
use crate::db::api_keys;
use crate::startup::Services;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Holds one of `API_TOKENS`.
    Admin,
    /// Holds an unrevoked key of this organization.
    Organization(String),
}

impl FromRequestParts<Services> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthorized)?;
        if is_admin_token(services, token) {
            return Ok(Caller::Admin);
        }
        // Looked up by hash: the database never sees the key, and equality on a SHA-256 of 256
        // random bits reveals nothing useful through timing.
        match api_keys::organization_for(&services.pool, &keys::hash(token)).await? {
            Some(organization_id) => Ok(Caller::Organization(organization_id)),
            None => Err(ApiError::Unauthorized),
        }
    }
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares digests so every comparison takes the same time whatever the lengths, and checks
/// every configured token so the time does not tell which one matched.
fn is_admin_token(services: &Services, token: &str) -> bool {
    let presented = Sha256::digest(token.as_bytes());
    let mut matched = Choice::from(0);
    for admin in &services.config.api_tokens {
        let admin = admin.expose_secret();
        if admin.is_empty() {
            continue; // `API_TOKENS=` must not make the empty token an admin
        }
        matched |= presented.as_slice().ct_eq(Sha256::digest(admin.as_bytes()).as_slice());
    }
    matched.into()
}

/// Extractor for admin-only routes (send, retry).
#[derive(Debug)]
pub struct AdminOnly;

impl FromRequestParts<Services> for AdminOnly {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, services).await? {
            Caller::Admin => Ok(AdminOnly),
            Caller::Organization(_) => {
                Err(ApiError::Forbidden("this route needs an admin token (API_TOKENS)"))
            }
        }
    }
}

/// Extractor for routes under `/organizations/{organizationId}` that organization keys may
/// use: admins, or a key of that organization. Runs before the body is read, so a caller who
/// may not use the route learns nothing about its input rules.
#[derive(Debug)]
pub struct OrganizationAccess;

impl FromRequestParts<Services> for OrganizationAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, services).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, services).await?;
        match caller {
            Caller::Admin => Ok(OrganizationAccess),
            Caller::Organization(own) if params.get("organizationId") == Some(&own) => Ok(OrganizationAccess),
            Caller::Organization(_) => Err(ApiError::Forbidden("this key belongs to another organization")),
        }
    }
}
