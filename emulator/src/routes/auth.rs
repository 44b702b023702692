//! Authentication: password login, refresh-token rotation, logout.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{client, mfa, signin, ApiJson};
use crate::clock::http_date;
use crate::config::Settings;
use crate::error::{codes, ApiError};
use crate::password;
use crate::state::{AppState, Stats};
use crate::store::{NewRefreshToken, Rotation, Standing, UserRecord};
use crate::tokens::{self, TokenContext};

/// Password login, refresh and logout, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/resources/auth/v1/user", post(login))
        .route("/resources/auth/v1/user/token/refresh", post(refresh))
        .route("/resources/auth/v1/logout", post(logout))
}

/// Body of `POST /auth/v1/user`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginBody {
    email: Option<String>,
    username: Option<String>,
    password: String,
    // Type-checked like every field, but not acted on yet: invitations and reCAPTCHA are
    // accepted so clients that send them are not rejected.
    #[serde(rename = "invitationToken")]
    _invitation_token: Option<String>,
    #[serde(rename = "recaptchaToken")]
    _recaptcha_token: Option<String>,
}

/// Body of `POST /auth/v1/user/token/refresh`; the official client sends the tab's tenant.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshBody {
    tenant_id: Option<String>,
}

/// Successful login or refresh: the hosted service's field names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionTokens {
    token_type: &'static str,
    mfa_required: bool,
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    expires: String,
    user_id: String,
    user_email: String,
    email_verified: bool,
    is_breached_password: bool,
    /// Shown once, right after an MFA enrollment.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_code: Option<String>,
}

fn invalid_credentials() -> ApiError {
    // One message for unknown user and wrong password, so responses don't reveal who exists.
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Incorrect email or password",
        codes::INVALID_CREDENTIALS,
    )
}

fn session_expired() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Session expired",
        codes::SESSION_EXPIRED,
    )
}

/// `POST /auth/v1/user`: password login. Answers tokens and the refresh cookie, or an MFA
/// challenge for users with an authenticator app.
///
/// Every attempt counts against the per-IP and per-email limits (429). After `lockout.maxAttempts`
/// consecutive wrong passwords the account is locked: it then answers 403 `ACCOUNT_LOCKED`
/// whatever the password, until a password reset. Unknown emails never lock and answer 401
/// forever. The trade-off: whoever spends `maxAttempts` guesses on an email learns that it
/// exists (and locks its owner out), but a locked account is never a password oracle, because
/// the password is not even checked once it is locked.
pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    Stats::count(&state.stats.logins);
    let identifier = body
        .email
        .or(body.username)
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::bad_request("Either email or username is required"))?;
    if body.password.is_empty() {
        return Err(ApiError::bad_request("password must not be empty"));
    }
    state.limit_attempt(peer.ip(), &identifier)?;
    let credentials = state.store.credentials(&identifier)?;
    // Checked before argon2 as well as when the session starts, so a locked account costs no
    // hashing and is never a password oracle.
    if credentials.as_ref().is_some_and(|c| c.locked) {
        return Err(signin::refusal(Standing::Locked));
    }
    let (user_id, stored_hash) = match credentials {
        Some(c) => (Some(c.user_id), c.password_hash),
        None => (None, None),
    };
    let password = body.password;
    let checked_hash = stored_hash.clone();
    // Runs for unknown users too (against a dummy hash), so timing does not reveal existence.
    let verified =
        tokio::task::spawn_blocking(move || password::verify(&password, stored_hash.as_deref()))
            .await
            .map_err(ApiError::internal)?;
    let user_id = match (user_id, verified) {
        (Some(user_id), true) => user_id,
        (Some(user_id), false) => {
            state
                .store
                .record_failed_login(&user_id, state.settings().lockout.max_attempts)?;
            return Err(invalid_credentials());
        }
        (None, _) => return Err(invalid_credentials()),
    };
    state.store.clear_failed_logins(&user_id)?;
    let user = state
        .store
        .user(&user_id)?
        .ok_or_else(invalid_credentials)?;

    complete_checked_first_factor(
        &state,
        &user,
        &headers,
        state.clock.now(),
        checked_hash.as_deref(),
    )
}

/// Where every first factor (password, passwordless code or link) ends: refused for a locked or
/// unactivated account, else an MFA challenge when the user has a second factor (and no
/// remembered device) or must enroll one, else a new session. Passkeys skip this: a
/// user-verifying passkey is already two factors.
pub(crate) fn complete_first_factor(
    state: &AppState,
    user: &UserRecord,
    headers: &HeaderMap,
    now: i64,
) -> Result<Response, ApiError> {
    complete_checked_first_factor(state, user, headers, now, None)
}

/// [`complete_first_factor`] for a password verified against `checked_hash`: the session starts
/// only if that is still the user's password hash (see [`crate::store::Store::start_session`]).
fn complete_checked_first_factor(
    state: &AppState,
    user: &UserRecord,
    headers: &HeaderMap,
    now: i64,
    checked_hash: Option<&str>,
) -> Result<Response, ApiError> {
    // Before the MFA challenge too, so a locked account is not even asked for a second factor.
    signin::ensure_may_sign_in(state, &user.id)?;
    if let Some(challenge) = mfa::challenge_if_required(state, user, headers, now)? {
        return Ok(challenge);
    }
    start_session(state, user, now, StatusCode::OK, None, checked_hash)
}

/// Starts a session in the user's first tenant and answers its tokens and refresh cookie.
pub(crate) fn issue_session(
    state: &AppState,
    user: &UserRecord,
    now: i64,
    status: StatusCode,
) -> Result<Response, ApiError> {
    start_session(state, user, now, status, None, None)
}

/// [`issue_session`] right after an MFA enrollment: the answer also shows the new recovery code
/// (once) as `recoveryCode`, as the hosted service does.
pub(crate) fn issue_session_with_recovery_code(
    state: &AppState,
    user: &UserRecord,
    now: i64,
    status: StatusCode,
    recovery_code: &str,
) -> Result<Response, ApiError> {
    start_session(state, user, now, status, Some(recovery_code), None)
}

fn start_session(
    state: &AppState,
    user: &UserRecord,
    now: i64,
    status: StatusCode,
    recovery_code: Option<&str>,
    checked_hash: Option<&str>,
) -> Result<Response, ApiError> {
    // Every new session passes here (passkeys and MFA completions included), so this is the
    // check no sign-in path can skip.
    signin::ensure_may_sign_in(state, &user.id)?;
    let tenant_id = user.tenant_ids.first().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "The user does not belong to any tenant",
            codes::NOT_A_TENANT_MEMBER,
        )
    })?;
    let settings = state.settings();
    let refresh_token = tokens::new_opaque_token();
    let refresh = NewRefreshToken {
        hash: tokens::hash_token(&refresh_token),
        expires_at: now.saturating_add(settings.refresh_token_ttl_seconds),
    };
    let session_id = state
        .store
        .start_session(
            &user.id,
            &tenant_id,
            checked_hash,
            refresh,
            &client::current(),
            now,
        )?
        // The password was replaced (reset, change) while it was being checked.
        .ok_or_else(invalid_credentials)?;
    let grant = Grant {
        user,
        tenant_id: &tenant_id,
        session_id: &session_id,
        refresh_token: &refresh_token,
        recovery_code,
    };
    session_response(state, &settings, &grant, now, status)
}

/// `POST /auth/v1/user/token/refresh`: rotates the refresh cookie and issues a new access token.
///
/// With `tenantId`, the session switches to that tenant; a tenant the user does not belong to is
/// refused with 403 (`ER-01005`) and the presented token stays valid. Replaying a rotated token
/// revokes its whole session (401, `ER-01003`), except a retry within
/// `refreshRetryGraceSeconds` whose successor was never presented (its answer was lost). A session whose user has since been locked is
/// refused like a locked password login (403, `ER-01009`); one whose user is gone has expired.
pub async fn refresh(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, ApiError> {
    Stats::count(&state.stats.refreshes);
    let settings = state.settings();
    let cookie_name = tokens::refresh_cookie_name(&settings.client_id);
    let presented = tokens::find_cookie(&headers, &cookie_name).ok_or_else(session_expired)?;
    let tenant_id = body.tenant_id.filter(|t| !t.is_empty());
    let now = state.clock.now();
    let refresh_token = tokens::new_opaque_token();
    let next = NewRefreshToken {
        hash: tokens::hash_token(&refresh_token),
        expires_at: now.saturating_add(settings.refresh_token_ttl_seconds),
    };
    let rotation = state.store.rotate_refresh_token(
        &tokens::hash_token(&presented),
        tenant_id.as_deref(),
        next,
        now,
        settings.refresh_retry_grace_seconds,
    )?;
    let session = match rotation {
        Rotation::Rotated(session) => session,
        Rotation::Invalid => return Ok(clearing_cookie(session_expired(), &cookie_name)),
        Rotation::Reused => {
            let err = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Refresh token was already used; the session has been revoked",
                codes::REFRESH_TOKEN_REUSED,
            );
            return Ok(clearing_cookie(err, &cookie_name));
        }
        Rotation::NotAMember => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "The user is not a member of the requested tenant",
                codes::NOT_A_TENANT_MEMBER,
            ))
        }
        // Nothing is handed out and the session is left as it is: the only unlock, a password
        // reset, revokes it anyway.
        Rotation::Refused(standing) => return Err(signin::refusal(standing)),
    };
    let Some(user) = state.store.user(&session.user_id)? else {
        return Ok(clearing_cookie(session_expired(), &cookie_name));
    };
    let grant = Grant {
        user: &user,
        tenant_id: &session.tenant_id,
        session_id: &session.id,
        refresh_token: &refresh_token,
        recovery_code: None,
    };
    session_response(&state, &settings, &grant, now, StatusCode::CREATED)
}

/// `POST /auth/v1/logout`: revokes the cookie's session only (other sessions of the user live
/// on) and deletes the cookie. Always 201, cookie or not.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let cookie_name = tokens::refresh_cookie_name(&state.settings().client_id);
    if let Some(presented) = tokens::find_cookie(&headers, &cookie_name) {
        state
            .store
            .revoke_session_of_refresh_token(&tokens::hash_token(&presented))?;
    }
    Ok((
        StatusCode::CREATED,
        [(SET_COOKIE, tokens::clear_refresh_cookie(&cookie_name))],
    )
        .into_response())
}

fn clearing_cookie(err: ApiError, cookie_name: &str) -> Response {
    (
        [(SET_COOKIE, tokens::clear_refresh_cookie(cookie_name))],
        err,
    )
        .into_response()
}

/// What a successful login or refresh hands out.
struct Grant<'a> {
    user: &'a UserRecord,
    tenant_id: &'a str,
    session_id: &'a str,
    refresh_token: &'a str,
    recovery_code: Option<&'a str>,
}

fn session_response(
    state: &AppState,
    settings: &Settings,
    grant: &Grant<'_>,
    now: i64,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let Grant {
        user,
        tenant_id,
        session_id,
        refresh_token,
        recovery_code,
    } = *grant;
    let issuer = state.issuer(settings);
    let ctx = TokenContext {
        issuer: &issuer,
        client_id: &settings.client_id,
        now,
        ttl_seconds: settings.access_token_ttl_seconds,
    };
    let (access_token, claims) =
        tokens::issue_access_token(&state.key, &ctx, user, tenant_id, session_id)
            .map_err(ApiError::internal)?;
    let body = SessionTokens {
        token_type: "bearer",
        mfa_required: false,
        access_token,
        refresh_token: refresh_token.to_owned(),
        expires_in: settings.access_token_ttl_seconds,
        expires: http_date(claims.exp),
        user_id: user.id.clone(),
        user_email: user.email.clone(),
        email_verified: true,
        is_breached_password: false,
        recovery_code: recovery_code.map(str::to_owned),
    };
    let cookie = tokens::refresh_cookie(
        &tokens::refresh_cookie_name(&settings.client_id),
        refresh_token,
        settings.refresh_token_ttl_seconds,
    );
    Ok((status, [(SET_COOKIE, cookie)], Json(body)).into_response())
}
