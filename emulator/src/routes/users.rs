//! The signed-in user's self-service: profile (read and edit), tenants, roles and permissions,
//! the active tenant of the session, and the user's sessions.
//!
//! Every route needs a bearer access token whose session is alive ([`Bearer`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};

use super::bearer::{current_user, Bearer};
use super::{ApiJson, ApiPath};
use crate::clock::rfc3339;
use crate::domain::phone::{ensure_phone_free, valid_phone_number};
use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::{ProfileUpdate, TenantRecord, UserRecord};
use crate::tokens::AccessClaims;

/// Self-service routes, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/resources/users/v2/me", get(me).put(update_me))
        .route("/resources/users/v3/me", get(me_v3))
        .route("/resources/users/v1/me/tenants", get(tenants_v1))
        .route("/resources/users/v2/me/tenants", get(tenants_v2))
        .route("/resources/users/v3/me/tenants", get(tenants_v1))
        .route("/resources/users/v1/me/authorization", get(authorization))
        .route("/resources/users/v1/tenant", put(switch_tenant))
        .route("/resources/users/sessions/v1/me", get(sessions))
        .route(
            "/resources/users/sessions/v1/me/current",
            get(current_session),
        )
        .route(
            "/resources/users/sessions/v1/me/all",
            delete(delete_other_sessions),
        )
        .route(
            "/resources/users/sessions/v1/me/{id}",
            delete(delete_session),
        )
}

/// Longest accepted display name.
const MAX_NAME_CHARS: usize = 255;
/// Longest accepted avatar URL.
const MAX_URL_CHARS: usize = 2048;

/// A role or permission as `/users/v2/me` and `/users/v1/me/authorization` list it. The emulator
/// keeps only keys, so the key doubles as id and name.
#[derive(Debug, Serialize)]
struct Named {
    id: String,
    key: String,
    name: String,
}

impl Named {
    fn list(keys: &[String]) -> Vec<Self> {
        keys.iter()
            .map(|key| Self {
                id: key.clone(),
                key: key.clone(),
                name: key.clone(),
            })
            .collect()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantRoles {
    tenant_id: String,
    roles: Vec<Named>,
}

/// `GET /users/v3/me` body, named as in the spec. Fields without a value are `null`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileV3 {
    id: String,
    sub: String,
    email: String,
    name: String,
    profile_picture_url: Option<String>,
    verified: bool,
    mfa_enrolled: bool,
    mfa_bypass: bool,
    phone_number: Option<String>,
    provider: &'static str,
    tenant_id: String,
    tenant_ids: Vec<String>,
    activated_for_tenant: bool,
    is_locked: bool,
    tenants: Vec<TenantRoles>,
    invisible: bool,
    super_user: bool,
    metadata: String,
    vendor_metadata: Option<String>,
    external_id: Option<String>,
    created_at: String,
    last_login: Option<String>,
    sub_account_access_allowed: bool,
    managed_by: &'static str,
}

/// `GET /users/v2/me` body: the v3 fields plus roles, permissions and groups.
#[derive(Debug, Serialize)]
struct ProfileV2 {
    #[serde(flatten)]
    base: ProfileV3,
    roles: Vec<Named>,
    permissions: Vec<Named>,
    /// Always empty: the emulator has no user groups.
    groups: Vec<Named>,
}

/// The v3 profile of `user` as seen in `tenant_id`.
fn profile_v3(state: &AppState, user: &UserRecord, tenant_id: &str) -> Result<ProfileV3, ApiError> {
    let account = state
        .store
        .account_state(&user.id)?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(ProfileV3 {
        id: user.id.clone(),
        sub: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        profile_picture_url: user.profile_picture_url.clone(),
        verified: true,
        mfa_enrolled: state
            .store
            .mfa_devices(&user.id)?
            .is_some_and(|devices| devices.is_enrolled()),
        mfa_bypass: false,
        phone_number: user.phone_number.clone(),
        provider: "local",
        tenant_id: tenant_id.to_owned(),
        tenant_ids: user.tenant_ids.clone(),
        activated_for_tenant: true,
        is_locked: account.locked,
        // Roles apply in every tenant of the user, so each tenant lists the same ones.
        tenants: user
            .tenant_ids
            .iter()
            .map(|tenant_id| TenantRoles {
                tenant_id: tenant_id.clone(),
                roles: Named::list(&user.roles),
            })
            .collect(),
        invisible: false,
        super_user: false,
        metadata: account.metadata,
        vendor_metadata: None,
        external_id: None,
        created_at: rfc3339(user.created_at),
        last_login: user.last_login.map(rfc3339),
        sub_account_access_allowed: false,
        managed_by: "frontegg",
    })
}

fn profile_v2(state: &AppState, user: &UserRecord, tenant_id: &str) -> Result<ProfileV2, ApiError> {
    Ok(ProfileV2 {
        base: profile_v3(state, user, tenant_id)?,
        roles: Named::list(&user.roles),
        permissions: Named::list(&user.permissions),
        groups: Vec::new(),
    })
}

/// `GET /users/v2/me`: the profile of the token's user, in the token's tenant, with roles and
/// permissions.
pub async fn me(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let user = current_user(&state, &claims)?;
    Ok(Json(profile_v2(&state, &user, &claims.tenant_id)?).into_response())
}

/// `GET /users/v3/me`: the profile without roles, permissions and groups (the hosted client
/// loads those from `/users/v1/me/authorization`).
async fn me_v3(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let user = current_user(&state, &claims)?;
    Ok(Json(profile_v3(&state, &user, &claims.tenant_id)?).into_response())
}

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Body of `PUT /users/v2/me`. `phoneNumber` and `profilePictureUrl` may be `null` to clear them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    profile_picture_url: Option<Option<String>>,
    metadata: Option<String>,
}

/// A display name: trimmed, not empty, at most [`MAX_NAME_CHARS`].
pub(crate) fn valid_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters long"
        )));
    }
    Ok(name.to_owned())
}

/// An avatar URL: `http://` or `https://`, at most [`MAX_URL_CHARS`].
pub(crate) fn valid_picture_url(url: &str) -> Result<String, ApiError> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > MAX_URL_CHARS || url.chars().any(char::is_whitespace) {
        return Err(ApiError::bad_request(
            "profilePictureUrl must be an http(s) URL",
        ));
    }
    Ok(url.to_owned())
}

/// Custom metadata: a stringified JSON object, stored as given.
pub(crate) fn valid_metadata(metadata: &str) -> Result<String, ApiError> {
    match serde_json::from_str::<serde_json::Value>(metadata) {
        Ok(value) if value.is_object() => Ok(metadata.to_owned()),
        _ => Err(ApiError::bad_request(
            "metadata must be a stringified JSON object, like \"{\\\"plan\\\":\\\"pro\\\"}\"",
        )),
    }
}

/// `PUT /users/v2/me`: edits the signed-in user's name, phone number, avatar and metadata, and
/// answers the updated v2 profile. Tokens issued afterwards (the next refresh) carry the changes.
/// A new phone number is unverified (it signs in by SMS once verified through
/// `users/phone-numbers/v1`); another user's verified number is 409 `ER-04007`.
async fn update_me(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Response, ApiError> {
    let update = ProfileUpdate {
        name: body.name.as_deref().map(valid_name).transpose()?,
        phone_number: body
            .phone_number
            .map(|phone| phone.as_deref().map(valid_phone_number).transpose())
            .transpose()?,
        profile_picture_url: body
            .profile_picture_url
            .map(|url| url.as_deref().map(valid_picture_url).transpose())
            .transpose()?,
        metadata: body.metadata.as_deref().map(valid_metadata).transpose()?,
    };
    if let Some(Some(phone_number)) = &update.phone_number {
        ensure_phone_free(&state, phone_number, Some(&claims.sub))?;
    }
    state.store.update_profile(&claims.sub, &update)?;
    let user = current_user(&state, &claims)?;
    Ok(Json(profile_v2(&state, &user, &claims.tenant_id)?).into_response())
}

/// A tenant as the official client's `ITenantsResponse` has it. The emulator has no separate
/// internal id, so `id` and `tenantId` are the same.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Tenant {
    id: String,
    tenant_id: String,
    name: String,
    vendor_id: String,
    is_reseller: bool,
    metadata: Option<String>,
    deleted_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl Tenant {
    fn new(record: TenantRecord, vendor_id: &str) -> Self {
        Self {
            id: record.id.clone(),
            tenant_id: record.id,
            name: record.name,
            vendor_id: vendor_id.to_owned(),
            is_reseller: false,
            metadata: None,
            deleted_at: None,
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.created_at),
        }
    }
}

/// The signed-in user's tenants, in the order joined.
fn tenant_list(state: &AppState, claims: &AccessClaims) -> Result<Vec<Tenant>, ApiError> {
    // The environment's client id stands in for the vendor id: one emulator is one environment.
    let vendor_id = state.settings().client_id;
    Ok(state
        .store
        .user_tenants(&claims.sub)?
        .into_iter()
        .map(|record| Tenant::new(record, &vendor_id))
        .collect())
}

/// `GET /users/v2/me/tenants`: the user's tenants as a plain array (the official client's
/// `getTenants`).
async fn tenants_v2(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    Ok(Json(tenant_list(&state, &claims)?).into_response())
}

/// `GET /users/v1/me/tenants` body (the official client's `GetCurrentUserTenantsResponse`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CurrentUserTenants {
    tenants: Vec<Tenant>,
    active_tenant: Option<Tenant>,
}

/// `GET /users/v1/me/tenants` and `/users/v3/me/tenants`: `{ tenants, activeTenant }`, the
/// active one being the token's. `@frontegg/rest-api` asks v3 after every sign-in, refresh and
/// passwordless or MFA completion (`generateLoginResponseV3`), v1 when sessions are per tenant;
/// the hosted service answers both alike (v3 "by the user's active tenant", v1 "by context").
async fn tenants_v1(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let tenants = tenant_list(&state, &claims)?;
    let active_tenant = state
        .store
        .user_tenants(&claims.sub)?
        .into_iter()
        .find(|t| t.id == claims.tenant_id)
        .map(|record| Tenant::new(record, &state.settings().client_id));
    Ok(Json(CurrentUserTenants {
        tenants,
        active_tenant,
    })
    .into_response())
}

/// `GET /users/v1/me/authorization` body.
#[derive(Debug, Serialize)]
struct Authorization {
    roles: Vec<Named>,
    permissions: Vec<Named>,
}

/// `GET /users/v1/me/authorization`: the user's roles and permissions (the same in every tenant).
async fn authorization(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let user = current_user(&state, &claims)?;
    Ok(Json(Authorization {
        roles: Named::list(&user.roles),
        permissions: Named::list(&user.permissions),
    })
    .into_response())
}

/// Body of `PUT /users/v1/tenant`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SwitchTenantBody {
    tenant_id: String,
}

/// `PUT /users/v1/tenant`: makes `tenantId` the active tenant of the current session (the one of
/// the token's `sid`) and answers the v2 profile in that tenant. The token in hand keeps its old
/// `tenantId`; as with the hosted service, the client refreshes next, and that refresh and every
/// later token carry the new tenant. 403 (`ER-01005`) for a tenant the user is not in.
async fn switch_tenant(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
    ApiJson(body): ApiJson<SwitchTenantBody>,
) -> Result<Response, ApiError> {
    let tenant_id = body.tenant_id.trim();
    if tenant_id.is_empty() {
        return Err(ApiError::bad_request("tenantId must not be empty"));
    }
    if !state
        .store
        .switch_session_tenant(&claims.sid, &claims.sub, tenant_id)?
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The user is not a member of the requested tenant",
            codes::NOT_A_TENANT_MEMBER,
        ));
    }
    let user = current_user(&state, &claims)?;
    Ok(Json(profile_v2(&state, &user, tenant_id)?).into_response())
}

/// One entry of `GET /users/sessions/v1/me` (the official client's `ISessionResponse`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    id: String,
    user_agent: Option<String>,
    ip_address: Option<String>,
    created_at: String,
    last_active_at: String,
    expires: String,
    current: bool,
}

/// The user's sessions that can still be refreshed, oldest first, `current` marking the token's.
fn session_list(state: &AppState, claims: &AccessClaims) -> Result<Vec<Session>, ApiError> {
    Ok(state
        .store
        .active_sessions(&claims.sub, state.clock.now())?
        .into_iter()
        .map(|s| Session {
            current: s.id == claims.sid,
            id: s.id,
            user_agent: s.client.user_agent,
            ip_address: s.client.ip_address,
            created_at: rfc3339(s.created_at),
            last_active_at: rfc3339(s.last_seen),
            expires: rfc3339(s.expires_at),
        })
        .collect())
}

/// `GET /users/sessions/v1/me`: the user's live sessions.
async fn sessions(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    Ok(Json(session_list(&state, &claims)?).into_response())
}

/// `GET /users/sessions/v1/me/current`: the session of the token in hand (rest-api's
/// `getCurrentUserSession`).
async fn current_session(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    let current = session_list(&state, &claims)?
        .into_iter()
        .find(|s| s.current)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(current).into_response())
}

/// `DELETE /users/sessions/v1/me/{id}`: signs one of the user's sessions out (its refresh tokens
/// stop working, its access tokens are refused). 404 (`ER-04004`) for an id that is not one of
/// the user's live sessions, whoever's it is.
async fn delete_session(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    if !state.store.revoke_user_session(&claims.sub, &id)? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Session not found",
            codes::SESSION_NOT_FOUND,
        ));
    }
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /users/sessions/v1/me/all`: signs out every session of the user but the current one.
async fn delete_other_sessions(
    State(state): State<Arc<AppState>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    state
        .store
        .revoke_other_sessions(&claims.sub, &claims.sid)?;
    Ok(StatusCode::OK.into_response())
}
