//! The signed-in user's profile.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::{self, AccessClaims};

/// Self-service routes, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/resources/users/v2/me", get(me))
}

/// A role or permission as `/users/v2/me` lists it. The emulator keeps only keys, so the key
/// doubles as id and name.
#[derive(Debug, Serialize)]
struct Named {
    id: String,
    key: String,
    name: String,
}

impl Named {
    fn from_key(key: &str) -> Self {
        Self {
            id: key.to_owned(),
            key: key.to_owned(),
            name: key.to_owned(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantRoles {
    tenant_id: String,
    roles: Vec<Named>,
}

/// `GET /users/v2/me` body, named as in the spec. Fields without a value are `null`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    id: String,
    sub: String,
    email: String,
    name: String,
    profile_picture_url: Option<String>,
    verified: bool,
    mfa_enrolled: bool,
    mfa_bypass: bool,
    phone_number: Option<String>,
    roles: Vec<Named>,
    permissions: Vec<Named>,
    provider: &'static str,
    tenant_id: String,
    tenant_ids: Vec<String>,
    activated_for_tenant: bool,
    is_locked: bool,
    tenants: Vec<TenantRoles>,
    invisible: bool,
    super_user: bool,
    metadata: &'static str,
    created_at: String,
    last_login: Option<String>,
}

/// The claims of a valid bearer access token whose session is still alive, or 401.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<AccessClaims, ApiError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(ApiError::unauthorized)?;
    let settings = state.settings();
    let claims = tokens::verify_access_token(
        &state.key,
        token,
        &state.issuer(&settings),
        &settings.client_id,
        state.clock.now(),
    )
    .ok_or_else(ApiError::unauthorized)?;
    if !state.store.session_active(&claims.sid)? {
        return Err(ApiError::unauthorized());
    }
    Ok(claims)
}

/// `GET /users/v2/me`: the profile of the token's user, in the token's tenant.
pub async fn me(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let claims = authenticate(&state, &headers)?;
    let user = state
        .store
        .user(&claims.sub)?
        .ok_or_else(ApiError::unauthorized)?;
    let roles = || {
        user.roles
            .iter()
            .map(|key| Named::from_key(key))
            .collect::<Vec<_>>()
    };
    let profile = Profile {
        id: user.id.clone(),
        sub: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        profile_picture_url: user.profile_picture_url.clone(),
        verified: true,
        mfa_enrolled: user.totp_secret.is_some(),
        mfa_bypass: false,
        phone_number: user.phone_number.clone(),
        roles: roles(),
        permissions: user
            .permissions
            .iter()
            .map(|key| Named::from_key(key))
            .collect(),
        provider: "local",
        tenant_id: claims.tenant_id,
        tenant_ids: user.tenant_ids.clone(),
        activated_for_tenant: true,
        is_locked: false,
        tenants: user
            .tenant_ids
            .iter()
            .map(|tenant_id| TenantRoles {
                tenant_id: tenant_id.clone(),
                roles: roles(),
            })
            .collect(),
        invisible: false,
        super_user: false,
        metadata: "{}",
        created_at: rfc3339(user.created_at),
        last_login: user.last_login.map(rfc3339),
    };
    Ok(Json(profile).into_response())
}
