//! WebAuthn routes: passkeys as the whole sign-in, and WebAuthn authenticators as a second
//! factor (enrolled during login or from settings).
//!
//! Every ceremony is two requests: the first answers `options`, the second brings the
//! authenticator's response. How a ceremony is started, stored, taken back once and verified,
//! and for which relying party, is [`crate::domain::webauthn`]'s; the sign-in it leads to is
//! [`super::signin`]'s.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::bearer::BearerUser;
use super::signin::{self, issue_session};
use super::{ApiJson, ApiPath};
use crate::clock::rfc3339;
use crate::domain::webauthn::{
    device_not_found, finish_mfa_assertion, finish_passkey_login, finish_passkey_registration,
    kind, limit_mfa, start_mfa_assertion, start_mfa_registration, start_passkey_login,
    start_passkey_registration, store_mfa_key, verify_mfa_registration, AssertionCredential,
    AttestationCredential, DeviceType,
};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{WebauthnDevice, WebauthnPurpose};

/// The WebAuthn routes, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    const PASSKEYS: &str = "/resources/users/webauthn/v1/devices";
    const LOGIN_MFA: &str = "/resources/auth/v1/user/mfa/webauthn";
    const SETTINGS_MFA: &str = "/resources/users/v1/mfa/webauthn";
    Router::new()
        .route(
            PASSKEYS,
            post(passkey_registration_start).get(list_passkeys),
        )
        .route(
            &format!("{PASSKEYS}/verify"),
            post(passkey_registration_finish),
        )
        .route(&format!("{PASSKEYS}/{{device_id}}"), delete(delete_passkey))
        .route(
            "/resources/auth/v1/webauthn/prelogin",
            post(passkey_login_start),
        )
        .route(
            "/resources/auth/v1/webauthn/postlogin",
            post(passkey_login_finish),
        )
        .route(&format!("{LOGIN_MFA}/enroll"), post(login_enroll_start))
        .route(
            &format!("{LOGIN_MFA}/enroll/verify"),
            post(login_enroll_finish),
        )
        .route(
            &format!("{LOGIN_MFA}/{{device_id}}"),
            post(login_verify_start),
        )
        .route(
            &format!("{LOGIN_MFA}/{{device_id}}/verify"),
            post(login_verify_finish),
        )
        .route(
            &format!("{SETTINGS_MFA}/enroll"),
            post(settings_enroll_start),
        )
        .route(
            &format!("{SETTINGS_MFA}/enroll/verify"),
            post(settings_enroll_finish),
        )
        .route(
            &format!("{SETTINGS_MFA}/{{device_id}}/disable"),
            post(disable_start),
        )
        .route(
            &format!("{SETTINGS_MFA}/{{device_id}}/disable/verify"),
            post(disable_finish),
        )
}

// ---------------------------------------------------------------------------------------------
// Passkeys: registration and management (Bearer), login

/// `POST /users/webauthn/v1/devices` (Bearer): starts registering a passkey. Answers
/// `{ options }`: creation options asking for a discoverable credential (`residentKey:
/// required`) with user verification, so the passkey alone signs the user in.
async fn passkey_registration_start(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let public_key = start_passkey_registration(&state, &headers, &user)?;
    Ok(Json(json!({ "options": public_key })).into_response())
}

/// Body of `POST /users/webauthn/v1/devices/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyRegistrationBody {
    #[serde(flatten)]
    credential: AttestationCredential,
    device_type: Option<DeviceType>,
    name: Option<String>,
}

/// A device as the device lists show it.
fn device_json(device: &WebauthnDevice) -> Value {
    json!({
        "id": device.id,
        "deviceType": device.device_type,
        "name": device.name,
        "createdAt": rfc3339(device.created_at),
        "lastUsed": device.last_used.map(rfc3339),
    })
}

/// `POST /users/webauthn/v1/devices/verify` (Bearer): verifies the attestation and stores the
/// passkey. Answers 201 with the device.
async fn passkey_registration_finish(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<PasskeyRegistrationBody>,
) -> Result<Response, ApiError> {
    let device = finish_passkey_registration(
        &state,
        &user,
        &body.credential,
        body.device_type,
        body.name.as_deref(),
    )?;
    Ok((StatusCode::CREATED, Json(device_json(&device))).into_response())
}

/// `GET /users/webauthn/v1/devices` (Bearer): `{ devices: [{ id, deviceType, name, createdAt,
/// lastUsed }] }`, the user's passkeys.
async fn list_passkeys(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
) -> Result<Response, ApiError> {
    let devices: Vec<Value> = state
        .store
        .webauthn_devices(&user.id, WebauthnPurpose::Passkey)?
        .iter()
        .map(device_json)
        .collect();
    Ok(Json(json!({ "devices": devices })).into_response())
}

/// `DELETE /users/webauthn/v1/devices/{id}` (Bearer): removes one of the user's passkeys.
async fn delete_passkey(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
    ApiPath(device_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    if !state
        .store
        .delete_webauthn_device(&user.id, &device_id, WebauthnPurpose::Passkey)?
    {
        return Err(device_not_found());
    }
    Ok(Json(json!({})).into_response())
}

/// Body of `POST /auth/v1/webauthn/prelogin`: who is signing in, if known.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyPreloginBody {
    email: Option<String>,
    user_id: Option<String>,
    identifier: Option<String>,
    #[serde(rename = "recaptchaToken")]
    _recaptcha_token: Option<String>,
}

/// `POST /auth/v1/webauthn/prelogin`: starts a passkey sign-in. Answers `{ options }`. With an
/// email or user id of a user who has passkeys, `allowCredentials` lists them; otherwise
/// (nobody named, unknown user, no passkeys) it is empty and any discoverable passkey of this
/// RP may answer, so the answer does not tell whether an account exists.
///
/// Each one stores a challenge, so each counts like the other prelogins: against the address
/// and the email or user id it names, or the address alone when it names nobody (429 with
/// `Retry-After`).
async fn passkey_login_start(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasskeyPreloginBody>,
) -> Result<Response, ApiError> {
    let email = body
        .email
        .or(body.identifier)
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    let named = email.as_deref().or(body.user_id.as_deref());
    match named {
        Some(name) => state.limit_attempt(peer.ip(), &format!("passkey-prelogin:{name}"))?,
        None => state.limit_address(peer.ip())?,
    }
    let user_id = match (email, body.user_id) {
        (Some(email), _) => state.store.credentials(&email)?.map(|c| c.user_id),
        (None, user_id) => user_id,
    };
    let public_key = start_passkey_login(&state, &headers, user_id.as_deref())?;
    Ok(Json(json!({ "options": public_key })).into_response())
}

/// Body of `POST /auth/v1/webauthn/postlogin`: the assertion, plus fields the official client
/// may send.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyPostloginBody {
    #[serde(flatten)]
    credential: AssertionCredential,
    #[serde(rename = "recaptchaToken")]
    _recaptcha_token: Option<String>,
    #[serde(rename = "invitationToken")]
    _invitation_token: Option<String>,
}

/// `POST /auth/v1/webauthn/postlogin`: verifies a passkey assertion and signs its owner in
/// (tokens and refresh cookie, as password login). A user-verifying passkey is already two
/// factors, so there is no MFA step.
async fn passkey_login_finish(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<PasskeyPostloginBody>,
) -> Result<Response, ApiError> {
    let (user, now) = finish_passkey_login(&state, peer.ip(), &body.credential)?;
    issue_session(&state, &user, now, StatusCode::OK)
}

/// Body of `POST /auth/v1/user/mfa/webauthn/enroll`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginEnrollStartBody {
    mfa_token: String,
    device_type: Option<DeviceType>,
}

/// `POST /auth/v1/user/mfa/webauthn/enroll`: during a login that must enroll MFA (policy
/// `Force`, user without MFA), starts registering a WebAuthn authenticator. Answers
/// `{ webauthnToken, options }`. Refused for users who already have MFA: an MFA token proves
/// only the first factor, so it must not add devices to an enrolled account.
async fn login_enroll_start(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginEnrollStartBody>,
) -> Result<Response, ApiError> {
    let login = signin::enrolling_login(&state, &body.mfa_token, state.clock.now())?;
    let body = start_mfa_registration(&state, &headers, &login.user, body.device_type)?;
    Ok(Json(body).into_response())
}

/// Body of `POST /auth/v1/user/mfa/webauthn/enroll/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginEnrollFinishBody {
    mfa_token: String,
    webauthn_token: Option<String>,
    options: AttestationCredential,
    device_type: Option<DeviceType>,
    #[serde(default)]
    remember_device: bool,
}

/// `POST /auth/v1/user/mfa/webauthn/enroll/verify`: verifies the registration, stores the
/// authenticator and finishes the login: 201 with the tokens, the refresh cookie and
/// `recoveryCode`.
async fn login_enroll_finish(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginEnrollFinishBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = signin::enrolling_login(&state, &body.mfa_token, now)?;
    limit_mfa(&state, peer, &login.user)?;
    let new_key = verify_mfa_registration(
        &state,
        &login.user,
        body.webauthn_token.as_deref(),
        &body.options,
        body.device_type,
    )?;
    signin::consume(&state, &login, now)?;
    let (_, recovery_code) = store_mfa_key(&state, &login.user, &new_key, now)?;
    signin::enrolled_session(
        &state,
        &login.user,
        &recovery_code,
        body.remember_device,
        now,
    )
}

/// Body of `POST /auth/v1/user/mfa/webauthn/{deviceId}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginVerifyStartBody {
    mfa_token: String,
}

/// `POST /auth/v1/user/mfa/webauthn/{deviceId}`: during login, starts an assertion with one of
/// the user's WebAuthn MFA devices. Answers `{ webauthnToken, options }`.
async fn login_verify_start(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(device_id): ApiPath<String>,
    ApiJson(body): ApiJson<LoginVerifyStartBody>,
) -> Result<Response, ApiError> {
    let login = signin::mfa_login(&state, &body.mfa_token, state.clock.now())?;
    let body = start_mfa_assertion(&state, &headers, &login.user, &device_id, kind::MFA_LOGIN)?;
    Ok(Json(body).into_response())
}

/// Body of `POST /auth/v1/user/mfa/webauthn/{deviceId}/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginVerifyFinishBody {
    mfa_token: String,
    webauthn_token: Option<String>,
    options: AssertionCredential,
    #[serde(default)]
    remember_device: bool,
}

/// `POST /auth/v1/user/mfa/webauthn/{deviceId}/verify`: verifies the assertion and finishes the
/// login: 201 with the tokens and refresh cookie (and the remember-device cookie when asked).
async fn login_verify_finish(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    ApiJson(body): ApiJson<LoginVerifyFinishBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = signin::mfa_login(&state, &body.mfa_token, now)?;
    limit_mfa(&state, peer, &login.user)?;
    finish_mfa_assertion(
        &state,
        &login.user,
        &device_id,
        body.webauthn_token.as_deref(),
        &body.options,
        kind::MFA_LOGIN,
    )?;
    signin::finish_login(&state, &login, body.remember_device, now)
}

/// `POST /users/v1/mfa/webauthn/enroll` (Bearer): starts registering a WebAuthn MFA
/// authenticator from settings. Answers `{ webauthnToken, options }`.
async fn settings_enroll_start(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let body = start_mfa_registration(&state, &headers, &user, None)?;
    Ok(Json(body).into_response())
}

/// Body of `POST /users/v1/mfa/webauthn/enroll/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsEnrollFinishBody {
    webauthn_token: Option<String>,
    options: AttestationCredential,
    device_type: Option<DeviceType>,
}

/// `POST /users/v1/mfa/webauthn/enroll/verify` (Bearer): verifies the registration and stores
/// the authenticator. Answers 201 `{ id, deviceType, name, createdAt, lastUsed, recoveryCode }`.
async fn settings_enroll_finish(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<SettingsEnrollFinishBody>,
) -> Result<Response, ApiError> {
    limit_mfa(&state, peer, &user)?;
    let new_key = verify_mfa_registration(
        &state,
        &user,
        body.webauthn_token.as_deref(),
        &body.options,
        body.device_type,
    )?;
    let (id, recovery_code) = store_mfa_key(&state, &user, &new_key, state.clock.now())?;
    let device = state
        .store
        .webauthn_device(&id)?
        .ok_or_else(device_not_found)?;
    let mut body = device_json(&device);
    body["recoveryCode"] = json!(recovery_code);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /users/v1/mfa/webauthn/{deviceId}/disable` (Bearer): starts the assertion that proves
/// possession of the device before it is removed. Answers `{ webauthnToken, options }`.
async fn disable_start(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
    headers: HeaderMap,
    ApiPath(device_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let body = start_mfa_assertion(&state, &headers, &user, &device_id, kind::MFA_DISABLE)?;
    Ok(Json(body).into_response())
}

/// Body of `POST /users/v1/mfa/webauthn/{deviceId}/disable/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisableFinishBody {
    webauthn_token: Option<String>,
    options: AssertionCredential,
}

/// `POST /users/v1/mfa/webauthn/{deviceId}/disable/verify` (Bearer): verifies the assertion and
/// removes the device. Answers `{}`.
async fn disable_finish(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiPath(device_id): ApiPath<String>,
    ApiJson(body): ApiJson<DisableFinishBody>,
) -> Result<Response, ApiError> {
    limit_mfa(&state, peer, &user)?;
    let device = finish_mfa_assertion(
        &state,
        &user,
        &device_id,
        body.webauthn_token.as_deref(),
        &body.options,
        kind::MFA_DISABLE,
    )?;
    state
        .store
        .delete_webauthn_device(&user.id, &device.id, WebauthnPurpose::Mfa)?;
    Ok(Json(json!({})).into_response())
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use serde_json::{json, Value};

    use crate::config::Access;
    use crate::domain::webauthn::MAX_PENDING_PASSKEY_LOGINS;
    use crate::routes::router;
    use crate::routes::tests::{
        expect_error, from_origin, json_post, send, state, DEV_SERVER_ORIGIN,
    };

    const PRELOGIN: &str = "/identity/resources/auth/v1/webauthn/prelogin";
    const POSTLOGIN: &str = "/identity/resources/auth/v1/webauthn/postlogin";

    /// A prelogin from a page of the local dev server, which WebAuthn takes as relying party.
    fn prelogin(body: &Value) -> axum::http::Request<axum::body::Body> {
        from_origin(DEV_SERVER_ORIGIN, json_post(PRELOGIN, body))
    }

    /// The router over a demo emulator whose per-IP and per-user limits are as given.
    async fn app_with_limits(per_ip: u32, per_user: u32) -> axum::Router {
        let state = state(Access::default()).await;
        let mut settings = state.settings();
        settings.rate_limit.per_ip_per_minute = per_ip;
        settings.rate_limit.per_user_per_minute = per_user;
        state.set_settings(settings);
        router(state, None)
    }

    #[tokio::test]
    async fn passkey_prelogins_count_like_the_other_prelogins() {
        let app = app_with_limits(5, 2).await;
        let named = json!({ "email": "demo@example.com" });
        for _ in 0..2 {
            let (status, body) = send(&app, prelogin(&named)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        expect_error(
            &app,
            prelogin(&named),
            StatusCode::TOO_MANY_REQUESTS,
            "ER-01008",
        )
        .await;
        // Naming nobody spends the address's budget alone: two left of five, since the refused
        // attempt counted against the address before its name refused it.
        for _ in 0..2 {
            let (status, body) = send(&app, prelogin(&json!({}))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        expect_error(
            &app,
            prelogin(&json!({})),
            StatusCode::TOO_MANY_REQUESTS,
            "ER-01008",
        )
        .await;
    }

    /// A passkey postlogin whose `clientDataJSON` answers `challenge`, with a credential nobody
    /// registered: it gets as far as the ceremony lookup, and no further.
    fn postlogin(challenge: &str) -> axum::http::Request<axum::body::Body> {
        let client_data = json!({
            "type": "webauthn.get",
            "challenge": challenge,
            "origin": DEV_SERVER_ORIGIN,
        });
        let encode = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let body = json!({
            "id": encode(b"unregistered credential"),
            "response": {
                "clientDataJSON": encode(client_data.to_string().as_bytes()),
                "authenticatorData": encode(&[0; 37]),
                "signature": encode(&[0; 64]),
            },
        });
        from_origin(DEV_SERVER_ORIGIN, json_post(POSTLOGIN, &body))
    }

    #[tokio::test]
    async fn pending_passkey_logins_are_bounded_with_the_oldest_dropped_first() {
        // With the limits off, only the bound keeps a loop of prelogins from filling the store.
        let app = app_with_limits(0, 0).await;
        let mut challenges = Vec::new();
        for _ in 0..=MAX_PENDING_PASSKEY_LOGINS {
            let (status, body) = send(&app, prelogin(&json!({}))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            challenges.push(
                body["options"]["challenge"]
                    .as_str()
                    .expect("challenge")
                    .to_owned(),
            );
        }
        // The first one was dropped to make room; the second is still pending, so its answer
        // fails only at the unknown credential.
        expect_error(
            &app,
            postlogin(&challenges[0]),
            StatusCode::BAD_REQUEST,
            "ER-03011",
        )
        .await;
        expect_error(
            &app,
            postlogin(&challenges[1]),
            StatusCode::UNAUTHORIZED,
            "ER-03015",
        )
        .await;
    }
}
