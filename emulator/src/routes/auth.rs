//! Authentication: password login, refresh-token rotation, logout.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::signin::{self, session_response, Grant};
use super::ApiJson;
use crate::error::{codes, ApiError};
use crate::password;
use crate::state::{AppState, Stats};
use crate::store::{NewRefreshToken, Rotation, Standing};
use crate::tokens;

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
    let mut credentials = state.store.credentials(&identifier)?;
    // One check at a time per account, each seeing the failures recorded before it; read again
    // after waiting for the turn.
    let turn = match &credentials {
        Some(c) => Some(state.password_turn(&c.user_id).await),
        None => None,
    };
    if turn.is_some() {
        credentials = state.store.credentials(&identifier)?;
    }
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

    signin::complete_password_first_factor(
        &state,
        &user,
        &headers,
        state.clock.now(),
        checked_hash.as_deref(),
    )
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

#[cfg(test)]
mod tests {
    use axum::http::header::SET_COOKIE;
    use axum::http::StatusCode;
    use serde_json::json;

    use crate::config::Access;
    use crate::routes::tests::{app, json_post, request, send, send_for_headers, LOGIN};
    use crate::seed::DEMO_PASSWORD;

    #[tokio::test]
    async fn wrong_password_and_unknown_user_are_indistinguishable() {
        let app = app(Access::default()).await;
        let wrong = json!({ "email": "demo@example.com", "password": "nope-nope" });
        let (status, headers, wrong) = send_for_headers(&app, json_post(LOGIN, &wrong)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(!headers.contains_key(SET_COOKIE));
        let unknown = json!({ "email": "ghost@example.com", "password": "nope-nope" });
        let (status, unknown) = send(&app, json_post(LOGIN, &unknown)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong, unknown);
        assert_eq!(wrong["errors"][0], "Incorrect email or password");
        assert_eq!(wrong["errorCode"], "ER-01001");
    }

    #[tokio::test]
    async fn malformed_login_bodies_are_400_with_the_error_shape() {
        let app = app(Access::default()).await;
        for body in [
            r#"{"email":"demo@example.com"}"#,
            r#"{"password":"Demo-pass-123!"}"#,
            r#"{"email":"demo@example.com","password":""}"#,
            r#"{"email":5,"password":"Demo-pass-123!"}"#,
            r#"{"email":"demo@example.com","password":["x"]}"#,
            r#"{"email":"demo@example.com","password":"x","invitationToken":7}"#,
            r#"[1,2]"#,
            "not json at all",
            "",
        ] {
            let login = request("POST", LOGIN, Some("application/json"), body);
            let (status, error) = send(&app, login).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(error["errorCode"], "ER-01000", "{body}");
            assert!(error["errors"][0].as_str().is_some_and(|e| !e.is_empty()));
        }
    }

    #[tokio::test]
    async fn mfa_user_gets_a_challenge_and_no_tokens() {
        let app = app(Access::default()).await;
        let login = json!({ "email": "mfa@example.com", "password": DEMO_PASSWORD });
        let (status, headers, body) = send_for_headers(&app, json_post(LOGIN, &login)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!headers.contains_key(SET_COOKIE));
        assert_eq!(body["mfaRequired"], true);
        assert_eq!(body["mfaEnrolled"], true);
        assert!(body["mfaToken"].as_str().is_some_and(|t| t.len() >= 32));
        assert!(body.get("accessToken").is_none() && body.get("refreshToken").is_none());
        assert_eq!(
            body["mfaStrategies"],
            json!(["AuthenticatorApp", "EmailCode"])
        );
        let devices = &body["mfaDevices"];
        assert_eq!(devices["webauthn"], json!([]));
        assert_eq!(devices["phones"], json!([]));
        assert!(devices["authenticators"][0]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()));
        assert_eq!(devices["emails"], json!([{ "email": "mfa@example.com" }]));
        assert_eq!(body["userEmail"], "mfa@example.com");
        assert!(body["userId"].is_string());
        assert_eq!(body["isBreachedPassword"], false);
    }
}
