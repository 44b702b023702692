//! The bearer access token of protected routes, as extractors (axum's `FromRequestParts`).
//!
//! A handler that takes [`Bearer`] (the token's claims) or [`BearerUser`] (its user) runs only
//! for a valid access token whose session is alive; anything else is answered, before the
//! handler and before its body is read, with the API's 401 (`ER-01004`).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::UserRecord;
use crate::tokens::{self, AccessClaims};

/// The claims of the request's valid bearer access token, whose session is still alive.
#[derive(Debug)]
pub struct Bearer(pub AccessClaims);

/// The user of the request's bearer access token ([`Bearer`]), who must still exist.
#[derive(Debug)]
pub struct BearerUser(pub UserRecord);

impl FromRequestParts<Arc<AppState>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers).map(Bearer)
    }
}

impl FromRequestParts<Arc<AppState>> for BearerUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let claims = authenticate(state, &parts.headers)?;
        current_user(state, &claims).map(BearerUser)
    }
}

/// The claims of a valid bearer access token whose session is alive, or 401.
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<AccessClaims, ApiError> {
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

/// The signed-in user, or 401 if the token's user is gone.
pub fn current_user(state: &AppState, claims: &AccessClaims) -> Result<UserRecord, ApiError> {
    state
        .store
        .user(&claims.sub)?
        .ok_or_else(ApiError::unauthorized)
}
