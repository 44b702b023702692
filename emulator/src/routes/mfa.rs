//! Multi-factor authentication: the second step of every sign-in, enrollment during login when
//! the policy forces MFA, recovery codes, remembered devices, and MFA management from settings.
//!
//! A first factor that needs a second one answers a challenge with a single-use `mfaToken`
//! (10 minutes). The second factor is one of: a TOTP code from an authenticator app (RFC 6238,
//! SHA-1, 6 digits, 30 s, ±1 step, each step accepted once per device), or a 6-digit code sent by
//! SMS or email (5 minutes, single use, bound by its `otcToken` to the device and the login, burned
//! after [`MAX_CODE_ATTEMPTS`](crate::store::MAX_CODE_ATTEMPTS) wrong guesses). Codes go to the developer outbox.
//!
//! Error statuses: a wrong code is 400 `INVALID_MFA_CODE`, because the same `mfaToken` may try
//! again; a dead `mfaToken` is 401 `MFA_TOKEN_INVALID`, because the whole sign-in must restart.
//! (The spec publishes no error statuses for these routes.) Every guess and every code sent
//! counts against the per-IP and per-user attempt limits (429 with `Retry-After`).
//!
//! The rules (TOTP, codes, recovery codes) are in [`crate::domain::mfa`]; the MFA token, the
//! challenge and the end of the sign-in are [`super::signin`]'s, shared with WebAuthn second
//! factors.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::bearer::BearerUser;
use super::signin::{
    consume, enrolled_login, enrolled_session, enrolling_login, finish_login, mfa_devices_body,
    mfa_login, MfaLogin,
};
use super::{ApiJson, ApiPath};
use crate::domain::mfa::{
    already_enrolled, check_pending_authenticator, complete_authenticator_enrollment,
    device_not_found, hash_recovery_code, is_enrolled, limit, mask_phone, new_recovery_code,
    recover_with_code, redeem, require_strategy, send_code, start_authenticator_enrollment,
    verify_any_authenticator_code, verify_authenticator_code, CodeRequest, AUTHENTICATOR_APP,
    EMAIL_CODE, SMS,
};
use crate::domain::phone::valid_phone_number;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{CodeBinding, CodePurpose, MessageKind, UserRecord};

/// MFA routes under `/identity`: login-time verification and enrollment, recovery, the
/// remember-device policy, and settings (bearer token) enrollment, listing and removal.
pub fn routes() -> Router<Arc<AppState>> {
    const AUTH: &str = "/resources/auth/v1/user/mfa";
    const USERS: &str = "/resources/users/v1/mfa";
    Router::new()
        .route(&format!("{AUTH}/verify"), post(login_verify_totp))
        .route(
            &format!("{AUTH}/authenticator/{{device_id}}/verify"),
            post(login_verify_authenticator),
        )
        .route(
            &format!("{AUTH}/authenticator/enroll"),
            post(login_enroll_authenticator),
        )
        .route(
            &format!("{AUTH}/authenticator/enroll/verify"),
            post(login_enroll_authenticator_verify),
        )
        .route(&format!("{AUTH}/sms/enroll"), post(login_enroll_sms))
        .route(
            &format!("{AUTH}/sms/enroll/verify"),
            post(login_enroll_sms_verify),
        )
        .route(&format!("{AUTH}/sms/{{device_id}}"), post(login_send_sms))
        .route(
            &format!("{AUTH}/sms/{{device_id}}/verify"),
            post(login_verify_sms),
        )
        .route(&format!("{AUTH}/emailcode"), post(login_send_email))
        .route(
            &format!("{AUTH}/emailcode/verify"),
            post(login_verify_email),
        )
        .route(&format!("{AUTH}/recover"), post(recover))
        .route(
            "/resources/configurations/v1/mfa-policy/allow-remember-device",
            get(allow_remember_device),
        )
        .route(&format!("{USERS}/devices"), get(list_devices))
        .route(
            &format!("{USERS}/enroll"),
            post(settings_enroll_authenticator),
        )
        .route(
            &format!("{USERS}/authenticator/enroll"),
            post(settings_enroll_authenticator),
        )
        .route(
            &format!("{USERS}/enroll/verify"),
            post(settings_enroll_authenticator_verify),
        )
        .route(
            &format!("{USERS}/authenticator/enroll/verify"),
            post(settings_enroll_authenticator_verify),
        )
        .route(&format!("{USERS}/sms/enroll"), post(settings_enroll_sms))
        .route(
            &format!("{USERS}/sms/enroll/verify"),
            post(settings_enroll_sms_verify),
        )
        .route(
            &format!("{USERS}/disable"),
            post(settings_disable_first_authenticator),
        )
        .route(
            &format!("{USERS}/authenticator/{{device_id}}/disable/verify"),
            post(settings_disable_authenticator),
        )
        .route(
            &format!("{USERS}/sms/{{device_id}}/disable"),
            post(settings_predisable_sms),
        )
        .route(
            &format!("{USERS}/sms/{{device_id}}/disable/verify"),
            post(settings_disable_sms),
        )
}

// ---------------------------------------------------------------------------------------------
// Login-time routes

/// Body of `POST /auth/v1/user/mfa/verify` and `.../authenticator/{deviceId}/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyTotpBody {
    mfa_token: String,
    value: String,
    #[serde(default)]
    remember_device: bool,
}

/// `POST /auth/v1/user/mfa/verify`: the second factor by a code from any of the user's
/// authenticator apps. 201 with the session tokens.
async fn login_verify_totp(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<VerifyTotpBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = mfa_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, AUTHENTICATOR_APP)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let apps = state.store.authenticators(&login.user.id)?;
    if apps.is_empty() && !is_enrolled(&state, &login.user)? {
        // A forced enrollment confirmed here: the login box shows the login answer's QR code and
        // sends the first code to `mfa/verify` (redux-store's `verifyMfaAfterForce`).
        return enroll_authenticator(&state, &login, &body.value, body.remember_device, now);
    }
    verify_any_authenticator_code(&state, &apps, &body.value, now)?;
    finish_login(&state, &login, body.remember_device, now)
}

/// `POST /auth/v1/user/mfa/authenticator/{deviceId}/verify`: the same with a named device.
async fn login_verify_authenticator(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    ApiJson(body): ApiJson<VerifyTotpBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = mfa_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, AUTHENTICATOR_APP)?;
    let app = state
        .store
        .authenticators(&login.user.id)?
        .into_iter()
        .find(|a| a.id == device_id)
        .ok_or_else(device_not_found)?;
    limit(&state, peer.ip(), &login.user.id)?;
    verify_authenticator_code(&state, &app.secret, &app.id, &body.value, now)?;
    finish_login(&state, &login, body.remember_device, now)
}

/// Body of the routes that only carry the MFA token.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MfaTokenBody {
    mfa_token: String,
}

/// `POST /auth/v1/user/mfa/authenticator/enroll`: proposes an authenticator secret during a
/// forced enrollment. 201 `{ qrCode }` (a PNG data URL of the `otpauth://` URI).
async fn login_enroll_authenticator(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<MfaTokenBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = enrolling_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, AUTHENTICATOR_APP)?;
    let qr_code = start_authenticator_enrollment(&state, &login.user, now)?;
    Ok((StatusCode::CREATED, Json(json!({ "qrCode": qr_code }))).into_response())
}

/// Body of `POST /auth/v1/user/mfa/authenticator/enroll/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginEnrollAuthenticatorBody {
    mfa_token: String,
    token: String,
    #[serde(default)]
    remember_device: bool,
}

/// `POST /auth/v1/user/mfa/authenticator/enroll/verify`: the first code from the new app
/// completes enrollment and sign-in. 201 with the session tokens and `recoveryCode`.
async fn login_enroll_authenticator_verify(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginEnrollAuthenticatorBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = enrolling_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, AUTHENTICATOR_APP)?;
    limit(&state, peer.ip(), &login.user.id)?;
    enroll_authenticator(&state, &login, &body.token, body.remember_device, now)
}

/// Finishes a forced enrollment with the first code from the proposed secret: the app is
/// enrolled and the session starts (201 with the tokens and `recoveryCode`).
fn enroll_authenticator(
    state: &AppState,
    login: &MfaLogin,
    code: &str,
    remember_device: bool,
    now: i64,
) -> Result<Response, ApiError> {
    let (secret, step) = check_pending_authenticator(state, &login.user, code, now)?;
    consume(state, login, now)?;
    let recovery_code = complete_authenticator_enrollment(state, &login.user, &secret, step, now)?;
    enrolled_session(state, &login.user, &recovery_code, remember_device, now)
}

/// Body of `POST /auth/v1/user/mfa/sms/enroll`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginEnrollSmsBody {
    mfa_token: String,
    phone_number: String,
}

/// `POST /auth/v1/user/mfa/sms/enroll`: sends a code to the phone being enrolled during a forced
/// enrollment. 201 `{ otcToken, phoneNumber }`.
async fn login_enroll_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginEnrollSmsBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = enrolling_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, SMS)?;
    let number = valid_phone_number(&body.phone_number)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let request = CodeRequest {
        user: &login.user,
        purpose: CodePurpose::EnrollSms,
        device_id: None,
        phone_number: Some(&number),
        mfa_token_hash: Some(login.token_hash),
        to: &number,
        kind: MessageKind::MfaSmsCode,
    };
    let otc_token = send_code(&state, &request, now)?;
    let body = json!({ "otcToken": otc_token, "phoneNumber": number });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Body of the login routes that redeem an SMS or email code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginCodeBody {
    mfa_token: String,
    otc_token: String,
    code: String,
    #[serde(default)]
    remember_device: bool,
}

/// `POST /auth/v1/user/mfa/sms/enroll/verify`: the code completes the phone's enrollment and
/// the sign-in. 201 with the session tokens and `recoveryCode`.
async fn login_enroll_sms_verify(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = enrolling_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, SMS)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let binding = CodeBinding {
        user_id: &login.user.id,
        purpose: CodePurpose::EnrollSms,
        device_id: None,
        mfa_token_hash: Some(login.token_hash),
    };
    let number = redeem(&state, &body.otc_token, &body.code, &binding, now)?
        .ok_or_else(|| ApiError::internal("SMS enrollment code without a phone number"))?;
    consume(&state, &login, now)?;
    let recovery_code = new_recovery_code();
    state.store.complete_phone_enrollment(
        &login.user.id,
        &number,
        &hash_recovery_code(&recovery_code),
        now,
    )?;
    enrolled_session(
        &state,
        &login.user,
        &recovery_code,
        body.remember_device,
        now,
    )
}

/// `POST /auth/v1/user/mfa/sms/{deviceId}`: sends a code to an enrolled phone.
/// 201 `{ otcToken, phoneNumber }` (masked).
async fn login_send_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    ApiJson(body): ApiJson<MfaTokenBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = mfa_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, SMS)?;
    let number = state
        .store
        .mfa_phone(&login.user.id, &device_id)?
        .ok_or_else(device_not_found)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let request = CodeRequest {
        user: &login.user,
        purpose: CodePurpose::LoginSms,
        device_id: Some(&device_id),
        phone_number: None,
        mfa_token_hash: Some(login.token_hash),
        to: &number,
        kind: MessageKind::MfaSmsCode,
    };
    let otc_token = send_code(&state, &request, now)?;
    let body = json!({ "otcToken": otc_token, "phoneNumber": mask_phone(&number) });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /auth/v1/user/mfa/sms/{deviceId}/verify`: the second factor by SMS code. 201 tokens.
async fn login_verify_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    ApiJson(body): ApiJson<LoginCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = mfa_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, SMS)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let binding = CodeBinding {
        user_id: &login.user.id,
        purpose: CodePurpose::LoginSms,
        device_id: Some(&device_id),
        mfa_token_hash: Some(login.token_hash),
    };
    redeem(&state, &body.otc_token, &body.code, &binding, now)?;
    finish_login(&state, &login, body.remember_device, now)
}

/// `POST /auth/v1/user/mfa/emailcode`: sends a code to the user's email. 201 `{ otcToken }`.
async fn login_send_email(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<MfaTokenBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = enrolled_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, EMAIL_CODE)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let request = CodeRequest {
        user: &login.user,
        purpose: CodePurpose::LoginEmail,
        device_id: None,
        phone_number: None,
        mfa_token_hash: Some(login.token_hash),
        to: &login.user.email,
        kind: MessageKind::MfaEmailCode,
    };
    let otc_token = send_code(&state, &request, now)?;
    Ok((StatusCode::CREATED, Json(json!({ "otcToken": otc_token }))).into_response())
}

/// `POST /auth/v1/user/mfa/emailcode/verify`: the second factor by email code. 201 tokens.
async fn login_verify_email(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let login = enrolled_login(&state, &body.mfa_token, now)?;
    require_strategy(&state.settings().mfa, EMAIL_CODE)?;
    limit(&state, peer.ip(), &login.user.id)?;
    let binding = CodeBinding {
        user_id: &login.user.id,
        purpose: CodePurpose::LoginEmail,
        device_id: None,
        mfa_token_hash: Some(login.token_hash),
    };
    redeem(&state, &body.otc_token, &body.code, &binding, now)?;
    finish_login(&state, &login, body.remember_device, now)
}

/// Body of `POST /auth/v1/user/mfa/recover`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecoverBody {
    email: String,
    recovery_code: String,
}

/// `POST /auth/v1/user/mfa/recover`: a valid recovery code removes all the user's MFA (the
/// code with it, so it works once); the user then signs in with the first factor alone (or
/// enrolls again if the policy forces MFA). 200, empty body. An unknown email fails exactly like
/// a wrong code.
async fn recover(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<RecoverBody>,
) -> Result<Response, ApiError> {
    let email = body.email.trim();
    if email.is_empty() {
        return Err(ApiError::bad_request("email must not be empty"));
    }
    state.limit_attempt(peer.ip(), email)?;
    recover_with_code(&state, email, &body.recovery_code)?;
    Ok(StatusCode::OK.into_response())
}

/// Query of `GET /configurations/v1/mfa-policy/allow-remember-device`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RememberDeviceQuery {
    mfa_token: String,
}

/// `GET /configurations/v1/mfa-policy/allow-remember-device?mfaToken=`: whether the login may
/// offer "remember this device", and for how long (seconds).
async fn allow_remember_device(
    State(state): State<Arc<AppState>>,
    query: Result<Query<RememberDeviceQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    mfa_login(&state, &query.mfa_token, state.clock.now())?;
    let policy = state.settings().mfa;
    // Named as `@frontegg/rest-api` types it (`IAllowedToRememberMfaDevice`) and redux-store
    // reads it: the login box offers "remember this device" only on `isAllowedToRemember`.
    let body = json!({
        "isAllowedToRemember": policy.allow_remember_device,
        "mfaDeviceExpiration": policy.remember_device_seconds,
    });
    Ok(Json(body).into_response())
}

// ---------------------------------------------------------------------------------------------
// Settings routes (bearer access token)

/// `GET /users/v1/mfa/devices`: the signed-in user's devices, in the `mfaDevices` shape.
async fn list_devices(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
) -> Result<Response, ApiError> {
    let devices = state
        .store
        .mfa_devices(&user.id)?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(mfa_devices_body(&devices, &state.settings().mfa)).into_response())
}

/// `POST /users/v1/mfa/authenticator/enroll` (and the older `/users/v1/mfa/enroll`): proposes an
/// authenticator secret. 200 `{ qrCode }`. One authenticator app per user.
async fn settings_enroll_authenticator(
    State(state): State<Arc<AppState>>,
    BearerUser(user): BearerUser,
) -> Result<Response, ApiError> {
    require_strategy(&state.settings().mfa, AUTHENTICATOR_APP)?;
    if !state.store.authenticators(&user.id)?.is_empty() {
        return Err(already_enrolled("An authenticator app is already enrolled"));
    }
    let qr_code = start_authenticator_enrollment(&state, &user, state.clock.now())?;
    Ok(Json(json!({ "qrCode": qr_code })).into_response())
}

/// Body of settings routes that take a TOTP code.
#[derive(Debug, Deserialize)]
struct TotpTokenBody {
    token: String,
}

/// `POST /users/v1/mfa/authenticator/enroll/verify` (and `/users/v1/mfa/enroll/verify`): the
/// first code completes enrollment. 200 `{ recoveryCode }`.
async fn settings_enroll_authenticator_verify(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<TotpTokenBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    require_strategy(&state.settings().mfa, AUTHENTICATOR_APP)?;
    limit(&state, peer.ip(), &user.id)?;
    let (secret, step) = check_pending_authenticator(&state, &user, &body.token, now)?;
    let recovery_code = complete_authenticator_enrollment(&state, &user, &secret, step, now)?;
    Ok(Json(json!({ "recoveryCode": recovery_code })).into_response())
}

/// Body of `POST /users/v1/mfa/sms/enroll`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsEnrollSmsBody {
    phone_number: String,
}

/// `POST /users/v1/mfa/sms/enroll`: sends a code to the phone to enroll.
/// 200 `{ otcToken, phoneNumber }`.
async fn settings_enroll_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<SettingsEnrollSmsBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    require_strategy(&state.settings().mfa, SMS)?;
    let number = valid_phone_number(&body.phone_number)?;
    limit(&state, peer.ip(), &user.id)?;
    let request = CodeRequest {
        user: &user,
        purpose: CodePurpose::EnrollSms,
        device_id: None,
        phone_number: Some(&number),
        mfa_token_hash: None,
        to: &number,
        kind: MessageKind::MfaSmsCode,
    };
    let otc_token = send_code(&state, &request, now)?;
    Ok(Json(json!({ "otcToken": otc_token, "phoneNumber": number })).into_response())
}

/// Body of settings routes that redeem an SMS code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsCodeBody {
    otc_token: String,
    code: String,
}

/// `POST /users/v1/mfa/sms/enroll/verify`: the code completes the phone's enrollment.
/// 200 `{ recoveryCode }`.
async fn settings_enroll_sms_verify(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<SettingsCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    require_strategy(&state.settings().mfa, SMS)?;
    limit(&state, peer.ip(), &user.id)?;
    let binding = CodeBinding {
        user_id: &user.id,
        purpose: CodePurpose::EnrollSms,
        device_id: None,
        mfa_token_hash: None,
    };
    let number = redeem(&state, &body.otc_token, &body.code, &binding, now)?
        .ok_or_else(|| ApiError::internal("SMS enrollment code without a phone number"))?;
    let recovery_code = new_recovery_code();
    state.store.complete_phone_enrollment(
        &user.id,
        &number,
        &hash_recovery_code(&recovery_code),
        now,
    )?;
    Ok(Json(json!({ "recoveryCode": recovery_code })).into_response())
}

/// Removes an authenticator after checking a current code from it. 200, empty body.
fn disable_authenticator(
    state: &AppState,
    ip: IpAddr,
    user: &UserRecord,
    device_id: Option<&str>,
    code: &str,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let app = state
        .store
        .authenticators(&user.id)?
        .into_iter()
        .find(|a| device_id.is_none_or(|id| a.id == id))
        .ok_or_else(device_not_found)?;
    limit(state, ip, &user.id)?;
    verify_authenticator_code(state, &app.secret, &app.id, code, now)?;
    state.store.delete_authenticator(&user.id, &app.id)?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /users/v1/mfa/disable` `{ token }`: removes the user's authenticator app (the older
/// single-device route).
async fn settings_disable_first_authenticator(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<TotpTokenBody>,
) -> Result<Response, ApiError> {
    disable_authenticator(&state, peer.ip(), &user, None, &body.token)
}

/// `POST /users/v1/mfa/authenticator/{deviceId}/disable/verify` `{ token }`: removes that app.
async fn settings_disable_authenticator(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<TotpTokenBody>,
) -> Result<Response, ApiError> {
    disable_authenticator(&state, peer.ip(), &user, Some(&device_id), &body.token)
}

/// `POST /users/v1/mfa/sms/{deviceId}/disable`: sends a code to the phone to remove.
/// 200 `{ otcToken, phoneNumber }` (masked).
async fn settings_predisable_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    BearerUser(user): BearerUser,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let number = state
        .store
        .mfa_phone(&user.id, &device_id)?
        .ok_or_else(device_not_found)?;
    limit(&state, peer.ip(), &user.id)?;
    let request = CodeRequest {
        user: &user,
        purpose: CodePurpose::DisableSms,
        device_id: Some(&device_id),
        phone_number: None,
        mfa_token_hash: None,
        to: &number,
        kind: MessageKind::MfaSmsCode,
    };
    let otc_token = send_code(&state, &request, now)?;
    Ok(Json(json!({ "otcToken": otc_token, "phoneNumber": mask_phone(&number) })).into_response())
}

/// `POST /users/v1/mfa/sms/{deviceId}/disable/verify` `{ otcToken, code }`: removes the phone.
/// 200, empty body.
async fn settings_disable_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiPath(device_id): ApiPath<String>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<SettingsCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    limit(&state, peer.ip(), &user.id)?;
    let binding = CodeBinding {
        user_id: &user.id,
        purpose: CodePurpose::DisableSms,
        device_id: Some(&device_id),
        mfa_token_hash: None,
    };
    redeem(&state, &body.otc_token, &body.code, &binding, now)?;
    if !state.store.delete_mfa_phone(&user.id, &device_id)? {
        return Err(device_not_found());
    }
    Ok(StatusCode::OK.into_response())
}
