//! Machine sign-in with API tokens: a client id and secret exchanged for an access token and a
//! rotating refresh token (`POST /auth/v2/api-token`, `.../token/refresh`), plus the developer
//! endpoint that creates credentials (`POST /emulator/v1/api-tokens`).
//!
//! A credential belongs to a tenant (a tenant token, `type: "tenantApiToken"`) or to a user in
//! one of their tenants (a personal token, `type: "userApiToken"`, with `userId`). The access
//! token's `sub` is the client id. Secrets are 32 random bytes, stored and looked up only as
//! SHA-256 hashes (high-entropy, so a slow hash would add nothing). Refresh tokens rotate like
//! the user refresh cookie: presenting a rotated one revokes its whole family.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{method_not_allowed, signin, ApiJson};
use crate::clock::http_date;
use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::{ApiCredential, ApiRotation, NewRefreshToken};
use crate::tokens;

/// `type` claim of access tokens for tenant API tokens.
pub const TENANT_API_TOKEN_TYPE: &str = "tenantApiToken";
/// `type` claim of access tokens for personal (user) API tokens.
pub const USER_API_TOKEN_TYPE: &str = "userApiToken";

/// API-token sign-in and refresh, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/resources/auth/v2/api-token", post(sign_in))
        .route("/resources/auth/v2/api-token/token/refresh", post(refresh))
}

/// The developer route that creates credentials, under `/emulator/v1`.
pub fn dev_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api-tokens", post(create))
        .method_not_allowed_fallback(method_not_allowed)
}

/// Claims of an API-token access token.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiTokenClaims<'a> {
    sub: &'a str,
    tenant_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    roles: &'a [String],
    permissions: &'a [String],
    metadata: Map<String, Value>,
    #[serde(rename = "type")]
    token_type: &'static str,
    iss: String,
    aud: &'a str,
    iat: i64,
    exp: i64,
    /// Unique token id: two grants in one second (a sign-in, then a refresh) still differ.
    jti: String,
}

/// Answer of sign-in and refresh, with the spec's snake_case names.
#[derive(Debug, Serialize)]
struct ApiTokens {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    expires: String,
}

fn token_type(credential: &ApiCredential) -> &'static str {
    match credential.user_id {
        Some(_) => USER_API_TOKEN_TYPE,
        None => TENANT_API_TOKEN_TYPE,
    }
}

/// Signs an access token for a credential and pairs it with `refresh_token`.
fn grant(
    state: &AppState,
    credential: &ApiCredential,
    refresh_token: String,
    now: i64,
) -> Result<Response, ApiError> {
    let settings = state.settings();
    let exp = now.saturating_add(settings.access_token_ttl_seconds);
    let claims = ApiTokenClaims {
        sub: &credential.client_id,
        tenant_id: &credential.tenant_id,
        user_id: credential.user_id.as_deref(),
        roles: &credential.roles,
        permissions: &credential.permissions,
        metadata: Map::new(),
        token_type: token_type(credential),
        iss: state.issuer(&settings),
        aud: &settings.client_id,
        iat: now,
        exp,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let access_token = state.key.sign(&claims).map_err(ApiError::internal)?;
    Ok(Json(ApiTokens {
        access_token,
        refresh_token,
        expires_in: settings.access_token_ttl_seconds,
        expires: http_date(exp),
    })
    .into_response())
}

/// A fresh refresh token and what the store keeps of it.
fn next_refresh(state: &AppState, now: i64) -> (String, NewRefreshToken) {
    let token = tokens::new_opaque_token();
    let stored = NewRefreshToken {
        hash: tokens::hash_token(&token),
        expires_at: now.saturating_add(state.settings().refresh_token_ttl_seconds),
    };
    (token, stored)
}

/// Body of `POST /auth/v2/api-token`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInBody {
    client_id: String,
    secret: String,
}

/// `POST /auth/v2/api-token`: `{ clientId, secret }` → 200 `{ access_token, refresh_token,
/// expires_in, expires }`. Unknown client id and wrong secret are the same 401 (`ER-04005`);
/// attempts count against the per-IP and per-client-id limits. A personal token of a locked or
/// unactivated user is refused like that user's password login (403), and so is its refresh.
async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<Response, ApiError> {
    state.limit_attempt(peer.ip(), &body.client_id)?;
    let credential = state
        .store
        .api_credential(&body.client_id, &tokens::hash_token(&body.secret))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Invalid client id or secret",
                codes::INVALID_API_CREDENTIALS,
            )
        })?;
    if let Some(user_id) = &credential.user_id {
        signin::ensure_may_sign_in(&state, user_id)?;
    }
    let now = state.clock.now();
    let (refresh_token, stored) = next_refresh(&state, now);
    state
        .store
        .start_api_family(&credential.client_id, stored, now)?;
    grant(&state, &credential, refresh_token, now)
}

/// Body of `POST /auth/v2/api-token/token/refresh`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    refresh_token: String,
}

/// `POST /auth/v2/api-token/token/refresh`: `{ refreshToken }` → a new pair (200, same shape as
/// sign-in). Unknown, expired or revoked tokens are 401 `ER-01002`; a token that was already
/// rotated is 401 `ER-01003` and revokes every token of its family.
async fn refresh(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let (refresh_token, stored) = next_refresh(&state, now);
    let rotation = state.store.rotate_api_refresh_token(
        &tokens::hash_token(&body.refresh_token),
        stored,
        now,
    )?;
    match rotation {
        ApiRotation::Rotated(credential) => grant(&state, &credential, refresh_token, now),
        ApiRotation::Invalid => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Session expired",
            codes::SESSION_EXPIRED,
        )),
        ApiRotation::Reused => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Refresh token was already used; its tokens have been revoked",
            codes::REFRESH_TOKEN_REUSED,
        )),
        ApiRotation::Refused(standing) => Err(signin::refusal(standing)),
    }
}

/// Body of `POST /emulator/v1/api-tokens`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    tenant_id: Option<String>,
    user_id: Option<String>,
    roles: Option<Vec<String>>,
    permissions: Option<Vec<String>>,
}

/// Answer of `POST /emulator/v1/api-tokens`; the secret is shown only here.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    client_id: String,
    secret: String,
    tenant_id: String,
    user_id: Option<String>,
    #[serde(rename = "type")]
    token_type: &'static str,
    roles: Vec<String>,
    permissions: Vec<String>,
}

/// `POST /emulator/v1/api-tokens`: creates a credential, 201 `{ clientId, secret, tenantId,
/// userId, type, roles, permissions }`. With `userId` it is a personal token of that user, in
/// `tenantId` (default: the user's first tenant; it must be one of theirs, else 403 `ER-01005`),
/// with the user's roles and permissions unless given; an unknown user is 404 `ER-04006`.
/// Without `userId`, `tenantId` is required and names a tenant token (a new tenant is created).
async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    let tenant_id = body
        .tenant_id
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let (tenant_id, user_id, roles, permissions) = match body.user_id {
        Some(user_id) => {
            let user = state.store.user(&user_id)?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "No user with this id",
                    codes::USER_NOT_FOUND,
                )
            })?;
            let tenant_id = match tenant_id {
                Some(t) if user.tenant_ids.contains(&t) => t,
                Some(_) => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "The user is not a member of the requested tenant",
                        codes::NOT_A_TENANT_MEMBER,
                    ))
                }
                None => user.tenant_ids.first().cloned().ok_or_else(|| {
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        "The user does not belong to any tenant",
                        codes::NOT_A_TENANT_MEMBER,
                    )
                })?,
            };
            (
                tenant_id,
                Some(user.id),
                body.roles.unwrap_or(user.roles),
                body.permissions.unwrap_or(user.permissions),
            )
        }
        None => (
            tenant_id.ok_or_else(|| ApiError::bad_request("tenantId or userId is required"))?,
            None,
            body.roles.unwrap_or_default(),
            body.permissions.unwrap_or_default(),
        ),
    };
    let credential = ApiCredential {
        client_id: uuid::Uuid::new_v4().to_string(),
        tenant_id,
        user_id,
        roles,
        permissions,
    };
    let secret = tokens::new_opaque_token();
    state.store.create_api_credential(
        &credential,
        &tokens::hash_token(&secret),
        state.clock.now(),
    )?;
    let created = Created {
        token_type: token_type(&credential),
        client_id: credential.client_id,
        secret,
        tenant_id: credential.tenant_id,
        user_id: credential.user_id,
        roles: credential.roles,
        permissions: credential.permissions,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}
