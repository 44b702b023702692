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
//! WebAuthn second factors are another area's; it lists its devices in
//! [`Store::mfa_devices`](crate::store::Store::mfa_devices), and can redeem MFA tokens with
//! [`mfa_login`] and finish the sign-in with [`finish_login`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Builder, Secret, Totp};

use super::auth::{issue_session, issue_session_with_recovery_code};
use super::users::authenticate;
use super::ApiJson;
use crate::config::{MfaEnforce, MfaPolicy};
use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::{
    CodeBinding, CodeCheck, CodePurpose, MessageKind, MfaDevices, NewCode, NewMessage, UserRecord,
};
use crate::tokens;

/// How long an MFA token from the first factor stays redeemable.
const MFA_TOKEN_TTL_SECONDS: i64 = 600;
/// How long an SMS or email code stays valid.
const CODE_TTL_SECONDS: i64 = 300;
/// How long a proposed authenticator secret waits for its first code.
const ENROLLMENT_TTL_SECONDS: i64 = 600;
/// The issuer shown in authenticator apps.
const TOTP_ISSUER: &str = "Frontegg Emulator";

const AUTHENTICATOR_APP: &str = "AuthenticatorApp";
const SMS: &str = "SMS";
const EMAIL_CODE: &str = "EmailCode";

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
// Errors

fn mfa_token_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "MFA token expired or invalid; sign in again",
        codes::MFA_TOKEN_INVALID,
    )
}

fn invalid_code() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "Invalid code",
        codes::INVALID_MFA_CODE,
    )
}

pub(super) fn code_expired() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "The code expired or was already used; request a new one",
        codes::MFA_CODE_EXPIRED,
    )
}

fn device_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "MFA device not found",
        codes::MFA_DEVICE_NOT_FOUND,
    )
}

fn already_enrolled(message: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        message,
        codes::MFA_ALREADY_ENROLLED,
    )
}

fn enrollment_not_started() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "No authenticator app enrollment in progress; start the enrollment again",
        codes::MFA_ENROLLMENT_NOT_STARTED,
    )
}

fn require_strategy(policy: &MfaPolicy, strategy: &str) -> Result<(), ApiError> {
    if policy.strategies.iter().any(|s| s == strategy) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        format!("The MFA policy does not offer {strategy}"),
        codes::MFA_METHOD_DISABLED,
    ))
}

// ---------------------------------------------------------------------------------------------
// Response shapes

/// The `mfaDevices` object of login challenges and `GET /users/v1/mfa/devices`.
#[derive(Debug, Serialize)]
pub struct MfaDevicesBody {
    webauthn: Vec<WebAuthnDeviceBody>,
    phones: Vec<PhoneDeviceBody>,
    authenticators: Vec<AuthenticatorDeviceBody>,
    emails: Vec<EmailDeviceBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WebAuthnDeviceBody {
    id: String,
    device_type: String,
    name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhoneDeviceBody {
    id: String,
    phone_number: String,
}

#[derive(Debug, Serialize)]
struct AuthenticatorDeviceBody {
    id: String,
}

#[derive(Debug, Serialize)]
struct EmailDeviceBody {
    email: String,
}

/// Builds the `mfaDevices` object from the stored devices. Phone numbers are masked (the hosted
/// service never echoes them whole); the email is listed only when the policy offers email codes.
pub fn mfa_devices_body(devices: &MfaDevices, policy: &MfaPolicy) -> MfaDevicesBody {
    let email_codes = policy.strategies.iter().any(|s| s == EMAIL_CODE);
    MfaDevicesBody {
        webauthn: devices
            .webauthn
            .iter()
            .map(|d| WebAuthnDeviceBody {
                id: d.id.clone(),
                device_type: d.device_type.clone(),
                name: d.name.clone(),
            })
            .collect(),
        phones: devices
            .phones
            .iter()
            .map(|p| PhoneDeviceBody {
                id: p.id.clone(),
                phone_number: mask_phone(&p.phone_number),
            })
            .collect(),
        authenticators: devices
            .authenticators
            .iter()
            .map(|id| AuthenticatorDeviceBody { id: id.clone() })
            .collect(),
        emails: if email_codes {
            vec![EmailDeviceBody {
                email: devices.email.clone(),
            }]
        } else {
            Vec::new()
        },
    }
}

/// `+15550001234` → `+*******1234`: enough for the user to recognise their phone.
fn mask_phone(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen + 4 > digits {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The login answer when a second factor is needed (status 200, no tokens).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Challenge {
    mfa_required: bool,
    mfa_token: String,
    mfa_enrolled: bool,
    mfa_devices: MfaDevicesBody,
    mfa_strategies: Vec<String>,
    user_id: String,
    user_email: String,
    is_breached_password: bool,
    /// For a user who must enroll and may pick the authenticator app: its QR code, as the hosted
    /// login box shows it straight from this answer (it never calls the pre-enroll route).
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_code: Option<String>,
}

/// Strategies the user can answer a challenge with: their enrolled kinds, plus email codes,
/// in the policy's order.
fn usable_strategies(policy: &MfaPolicy, devices: &MfaDevices) -> Vec<String> {
    let has_webauthn = |kind: &str| devices.webauthn.iter().any(|d| d.device_type == kind);
    policy
        .strategies
        .iter()
        .filter(|s| match s.as_str() {
            AUTHENTICATOR_APP => !devices.authenticators.is_empty(),
            SMS => !devices.phones.is_empty(),
            EMAIL_CODE => true,
            "WebAuthnPlatform" => has_webauthn("Platform"),
            "WebAuthnCrossPlatform" => has_webauthn("CrossPlatform"),
            _ => false,
        })
        .cloned()
        .collect()
}

/// Strategies a user without MFA can enroll during login: every policy strategy but email
/// codes, which need no enrollment and so cannot satisfy a forced enrollment.
fn enrollable_strategies(policy: &MfaPolicy) -> Vec<String> {
    policy
        .strategies
        .iter()
        .filter(|s| *s != EMAIL_CODE)
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The second step of sign-in

/// A login waiting for its second factor: the user and the hash of the MFA token.
pub(crate) struct MfaLogin {
    /// The user who passed the first factor.
    pub user: UserRecord,
    token_hash: [u8; 32],
}

fn remember_cookie_name(client_id: &str) -> String {
    format!("fe_device_{}", client_id.replace('-', ""))
}

/// Decides what a first factor leads to (called by `auth::complete_first_factor`): `Some`
/// challenge when the user has MFA, or must enroll because the policy forces it; `None` when a
/// session may start now (no MFA, or a remembered device for this user).
pub(crate) fn challenge_if_required(
    state: &AppState,
    user: &UserRecord,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<Response>, ApiError> {
    let settings = state.settings();
    let policy = &settings.mfa;
    let Some(devices) = state.store.mfa_devices(&user.id)? else {
        return Err(ApiError::internal("user vanished during sign-in"));
    };
    let enrolled = devices.is_enrolled();
    let strategies = if enrolled {
        usable_strategies(policy, &devices)
    } else {
        enrollable_strategies(policy)
    };
    // With nothing enrollable on offer, forcing enrollment would lock every such user out.
    if !enrolled && (policy.enforce == MfaEnforce::DontForce || strategies.is_empty()) {
        return Ok(None);
    }
    if policy.allow_remember_device {
        let cookie = tokens::find_cookie(headers, &remember_cookie_name(&settings.client_id));
        if let Some(cookie) = cookie {
            if state
                .store
                .device_remembered(&tokens::hash_token(&cookie), &user.id, now)?
            {
                return Ok(None);
            }
        }
    }
    let mfa_token = tokens::new_opaque_token();
    state.store.insert_mfa_token(
        &tokens::hash_token(&mfa_token),
        &user.id,
        now.saturating_add(MFA_TOKEN_TTL_SECONDS),
        now,
    )?;
    let qr_code = if !enrolled && strategies.iter().any(|s| s == AUTHENTICATOR_APP) {
        Some(start_authenticator_enrollment(state, user, now)?)
    } else {
        None
    };
    let body = Challenge {
        qr_code,
        mfa_required: true,
        mfa_token,
        mfa_enrolled: enrolled,
        mfa_devices: mfa_devices_body(&devices, policy),
        mfa_strategies: strategies,
        user_id: user.id.clone(),
        user_email: user.email.clone(),
        is_breached_password: false,
    };
    Ok(Some(Json(body).into_response()))
}

/// The login an MFA token belongs to, if the token is unused and unexpired (it stays usable
/// until [`finish_login`]).
pub(crate) fn mfa_login(state: &AppState, mfa_token: &str, now: i64) -> Result<MfaLogin, ApiError> {
    let token_hash = tokens::hash_token(mfa_token);
    let user_id = state
        .store
        .mfa_token_user(&token_hash, now)?
        .ok_or_else(mfa_token_invalid)?;
    let user = state.store.user(&user_id)?.ok_or_else(mfa_token_invalid)?;
    Ok(MfaLogin { user, token_hash })
}

/// Uses up the MFA token; fails if another request used it first.
pub(crate) fn consume(state: &AppState, login: &MfaLogin, now: i64) -> Result<(), ApiError> {
    if state.store.consume_mfa_token(&login.token_hash, now)? {
        Ok(())
    } else {
        Err(mfa_token_invalid())
    }
}

/// Ends a sign-in whose second factor was just proven: uses up the MFA token, starts the
/// session (201, as the hosted verify routes answer) and, when asked and allowed, sets the
/// remember-device cookie.
pub(crate) fn finish_login(
    state: &AppState,
    login: &MfaLogin,
    remember_device: bool,
    now: i64,
) -> Result<Response, ApiError> {
    consume(state, login, now)?;
    let response = issue_session(state, &login.user, now, StatusCode::CREATED)?;
    with_remembered_device(state, &login.user, remember_device, response, now)
}

fn with_remembered_device(
    state: &AppState,
    user: &UserRecord,
    remember_device: bool,
    mut response: Response,
    now: i64,
) -> Result<Response, ApiError> {
    let settings = state.settings();
    if !(remember_device && settings.mfa.allow_remember_device) {
        return Ok(response);
    }
    let token = tokens::new_opaque_token();
    let max_age = settings.mfa.remember_device_seconds;
    state.store.remember_device(
        &tokens::hash_token(&token),
        &user.id,
        now.saturating_add(max_age),
        now,
    )?;
    let name = remember_cookie_name(&settings.client_id);
    // Same attributes as the refresh cookie: httpOnly, SameSite=Lax, never Secure (plain HTTP).
    let cookie = HeaderValue::from_str(&tokens::refresh_cookie(&name, &token, max_age))
        .map_err(ApiError::internal)?;
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}

/// Counts one guess (or one code sent) for this user from this IP.
fn limit(state: &AppState, ip: IpAddr, user_id: &str) -> Result<(), ApiError> {
    state.limit_attempt(ip, &format!("mfa:{user_id}"))
}

// ---------------------------------------------------------------------------------------------
// TOTP

fn totp(secret_base32: &str, account: &str) -> Result<Totp, ApiError> {
    let secret = Secret::try_from_base32(secret_base32).map_err(ApiError::internal)?;
    // `build_noncompliant` because developer-provided secrets (like the seed's 80-bit one)
    // may be shorter than the RFC's recommended 128 bits; the parameters are the RFC's.
    Ok(Builder::new()
        .with_secret(secret)
        .with_issuer(Some(TOTP_ISSUER))
        .with_account_name(account.replace(':', "_"))
        .build_noncompliant())
}

/// The time step a code matches (±1 step around `now`), if any. Token comparison is constant
/// time (totp-rs).
fn matching_step(secret_base32: &str, code: &str, now: i64) -> Result<Option<i64>, ApiError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let time = u64::try_from(now).map_err(ApiError::internal)?;
    let step = totp(secret_base32, "-")?.check(&code, time);
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

/// Checks a code against one authenticator and records its step as used. A code for a step
/// already used (or older) is refused like a wrong one.
fn verify_authenticator_code(
    state: &AppState,
    secret: &str,
    device_id: &str,
    code: &str,
    now: i64,
) -> Result<(), ApiError> {
    let step = matching_step(secret, code, now)?.ok_or_else(invalid_code)?;
    if state.store.accept_totp_step(device_id, step)? {
        Ok(())
    } else {
        Err(invalid_code())
    }
}

/// A fresh 160-bit secret, base32.
fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

/// Proposes a new authenticator secret to the user and answers its QR code.
fn start_authenticator_enrollment(
    state: &AppState,
    user: &UserRecord,
    now: i64,
) -> Result<String, ApiError> {
    let secret = new_totp_secret();
    state.store.set_pending_authenticator(
        &user.id,
        &secret,
        now.saturating_add(ENROLLMENT_TTL_SECONDS),
    )?;
    let png = totp(&secret, &user.email)?
        .to_qr_base64()
        .map_err(ApiError::internal)?;
    Ok(format!("data:image/png;base64,{png}"))
}

/// Checks the first code from the proposed secret; answers the secret and its matched step.
fn check_pending_authenticator(
    state: &AppState,
    user: &UserRecord,
    code: &str,
    now: i64,
) -> Result<(String, i64), ApiError> {
    let secret = state
        .store
        .pending_authenticator(&user.id, now)?
        .ok_or_else(enrollment_not_started)?;
    let step = matching_step(&secret, code, now)?.ok_or_else(invalid_code)?;
    Ok((secret, step))
}

/// Turns the checked pending secret into a device; answers the new recovery code.
fn complete_authenticator_enrollment(
    state: &AppState,
    user: &UserRecord,
    secret: &str,
    step: i64,
    now: i64,
) -> Result<String, ApiError> {
    let recovery_code = new_recovery_code();
    state
        .store
        .complete_authenticator_enrollment(
            &user.id,
            secret,
            step,
            &hash_recovery_code(&recovery_code),
            now,
        )?
        .ok_or_else(enrollment_not_started)?;
    Ok(recovery_code)
}

// ---------------------------------------------------------------------------------------------
// SMS and email codes

/// The code hash is keyed by the `otcToken`, which the store does not keep: a leaked database
/// does not let anyone brute-force the 10^6 codes offline.
fn code_hash(otc_token: &str, code: &str) -> [u8; 32] {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Sha256::new()
        .chain_update(otc_token.as_bytes())
        .chain_update(b":")
        .chain_update(code.as_bytes())
        .finalize()
        .into()
}

/// What a code is sent for and where.
pub(super) struct CodeRequest<'a> {
    pub(super) user: &'a UserRecord,
    pub(super) purpose: CodePurpose,
    pub(super) device_id: Option<&'a str>,
    pub(super) phone_number: Option<&'a str>,
    pub(super) mfa_token_hash: Option<[u8; 32]>,
    pub(super) to: &'a str,
    pub(super) kind: MessageKind,
}

/// Stores a new 6-digit code and "sends" it to the outbox; answers its `otcToken`.
pub(super) fn send_code(
    state: &AppState,
    request: &CodeRequest<'_>,
    now: i64,
) -> Result<String, ApiError> {
    let otc_token = tokens::new_opaque_token();
    let code = format!("{:06}", OsRng.gen_range(0..1_000_000));
    let new = NewCode {
        token_hash: tokens::hash_token(&otc_token),
        user_id: &request.user.id,
        purpose: request.purpose,
        device_id: request.device_id,
        phone_number: request.phone_number,
        mfa_token_hash: request.mfa_token_hash,
        code_hash: code_hash(&otc_token, &code),
        expires_at: now.saturating_add(CODE_TTL_SECONDS),
    };
    state.store.insert_code(&new, now)?;
    let message = NewMessage {
        to: request.to,
        kind: request.kind,
        code: Some(&code),
        token: None,
        link: None,
    };
    state.store.send_message(message, now)?;
    Ok(otc_token)
}

/// Redeems a code; answers the phone number of an SMS enrollment or phone verification.
pub(super) fn redeem(
    state: &AppState,
    otc_token: &str,
    code: &str,
    binding: &CodeBinding<'_>,
    now: i64,
) -> Result<Option<String>, ApiError> {
    let check = state.store.redeem_code(
        &tokens::hash_token(otc_token),
        &code_hash(otc_token, code),
        binding,
        now,
    )?;
    match check {
        CodeCheck::Accepted { phone_number } => Ok(phone_number),
        CodeCheck::Wrong => Err(invalid_code()),
        CodeCheck::Dead => Err(code_expired()),
    }
}

/// An E.164 number: `+`, then 7 to 15 digits.
fn valid_phone(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn phone_number(raw: &str) -> Result<String, ApiError> {
    let number = raw.trim();
    if valid_phone(number) {
        Ok(number.to_owned())
    } else {
        Err(ApiError::bad_request(
            "phoneNumber must be in E.164 format, for example +15550001234",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Recovery codes

/// Alphabet of recovery codes: no 0/O or 1/I, so a code copied by hand reads back right.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new recovery code: 20 random characters (100 bits) in groups of four.
pub(crate) fn new_recovery_code() -> String {
    let chars: Vec<char> = (0..20)
        .map(|_| char::from(RECOVERY_ALPHABET[OsRng.gen_range(0..RECOVERY_ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Hash of a recovery code as typed: case, dashes and spaces don't matter.
pub(crate) fn hash_recovery_code(code: &str) -> [u8; 32] {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(normalized.as_bytes()).into()
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
    let mut matched = None;
    for app in &apps {
        if let Some(step) = matching_step(&app.secret, &body.value, now)? {
            matched = Some((app, step));
            break;
        }
    }
    let (app, step) = matched.ok_or_else(invalid_code)?;
    if !state.store.accept_totp_step(&app.id, step)? {
        return Err(invalid_code());
    }
    finish_login(&state, &login, body.remember_device, now)
}

/// `POST /auth/v1/user/mfa/authenticator/{deviceId}/verify`: the same with a named device.
async fn login_verify_authenticator(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(device_id): Path<String>,
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

/// Whether `user` has a second factor enrolled.
fn is_enrolled(state: &AppState, user: &UserRecord) -> Result<bool, ApiError> {
    Ok(state
        .store
        .mfa_devices(&user.id)?
        .is_some_and(|d| d.is_enrolled()))
}

/// The login of an MFA token whose user has no MFA yet (forced enrollment).
pub(crate) fn enrolling_login(
    state: &AppState,
    mfa_token: &str,
    now: i64,
) -> Result<MfaLogin, ApiError> {
    let login = mfa_login(state, mfa_token, now)?;
    if is_enrolled(state, &login.user)? {
        return Err(already_enrolled(
            "MFA is already enrolled; verify it instead",
        ));
    }
    Ok(login)
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

/// Starts the session of a login that just enrolled a second factor: 201 with the tokens and
/// `recoveryCode`, plus the remember-device cookie when asked and allowed.
pub(crate) fn enrolled_session(
    state: &AppState,
    user: &UserRecord,
    recovery_code: &str,
    remember_device: bool,
    now: i64,
) -> Result<Response, ApiError> {
    let response =
        issue_session_with_recovery_code(state, user, now, StatusCode::CREATED, recovery_code)?;
    with_remembered_device(state, user, remember_device, response, now)
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
    let number = phone_number(&body.phone_number)?;
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
    Path(device_id): Path<String>,
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
    Path(device_id): Path<String>,
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

/// The login of an MFA token whose user is enrolled: email codes answer a challenge but cannot
/// stand in for a forced enrollment.
fn enrolled_login(state: &AppState, mfa_token: &str, now: i64) -> Result<MfaLogin, ApiError> {
    let login = mfa_login(state, mfa_token, now)?;
    let enrolled = state
        .store
        .mfa_devices(&login.user.id)?
        .is_some_and(|d| d.is_enrolled());
    if !enrolled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Email codes are available once an MFA method is enrolled",
            codes::MFA_METHOD_DISABLED,
        ));
    }
    Ok(login)
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
    let user_id = state.store.credentials(email)?.map(|c| c.user_id);
    let stored = match &user_id {
        Some(id) => state.store.recovery_code_hash(id)?,
        None => None,
    };
    let presented = hash_recovery_code(&body.recovery_code);
    // Compared against a dummy when there is nothing stored, so both failures take one path.
    let matches: bool = stored
        .as_deref()
        .unwrap_or(&[0u8; 32])
        .ct_eq(&presented)
        .into();
    match user_id {
        Some(user_id) if matches && stored.is_some() => {
            state.store.remove_all_mfa(&user_id)?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Invalid recovery code",
            codes::INVALID_RECOVERY_CODE,
        )),
    }
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

/// The signed-in user of a bearer token, or 401.
fn signed_in_user(state: &AppState, headers: &HeaderMap) -> Result<UserRecord, ApiError> {
    let claims = authenticate(state, headers)?;
    state
        .store
        .user(&claims.sub)?
        .ok_or_else(ApiError::unauthorized)
}

/// `GET /users/v1/mfa/devices`: the signed-in user's devices, in the `mfaDevices` shape.
async fn list_devices(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = signed_in_user(&state, &headers)?;
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
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = signed_in_user(&state, &headers)?;
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<TotpTokenBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = signed_in_user(&state, &headers)?;
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<SettingsEnrollSmsBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = signed_in_user(&state, &headers)?;
    require_strategy(&state.settings().mfa, SMS)?;
    let number = phone_number(&body.phone_number)?;
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<SettingsCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = signed_in_user(&state, &headers)?;
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<TotpTokenBody>,
) -> Result<Response, ApiError> {
    let user = signed_in_user(&state, &headers)?;
    disable_authenticator(&state, peer.ip(), &user, None, &body.token)
}

/// `POST /users/v1/mfa/authenticator/{deviceId}/disable/verify` `{ token }`: removes that app.
async fn settings_disable_authenticator(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TotpTokenBody>,
) -> Result<Response, ApiError> {
    let user = signed_in_user(&state, &headers)?;
    disable_authenticator(&state, peer.ip(), &user, Some(&device_id), &body.token)
}

/// `POST /users/v1/mfa/sms/{deviceId}/disable`: sends a code to the phone to remove.
/// 200 `{ otcToken, phoneNumber }` (masked).
async fn settings_predisable_sms(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = signed_in_user(&state, &headers)?;
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
    Path(device_id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SettingsCodeBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = signed_in_user(&state, &headers)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_but_for_the_last_four_digits() {
        assert_eq!(mask_phone("+15550001234"), "+*******1234");
        assert_eq!(mask_phone("+123"), "+123");
    }

    #[test]
    fn phone_numbers_must_be_e164() {
        assert!(valid_phone("+15550001234"));
        assert!(!valid_phone("15550001234"));
        assert!(!valid_phone("+1555 0001234"));
        assert!(!valid_phone("+123456"));
        assert!(!valid_phone("+1234567890123456"));
    }

    #[test]
    fn recovery_codes_are_random_and_typed_loosely() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 24);
        assert_ne!(code, new_recovery_code());
        assert_eq!(
            hash_recovery_code(&code),
            hash_recovery_code(&code.to_lowercase().replace('-', " "))
        );
        assert_ne!(hash_recovery_code(&code), hash_recovery_code("other"));
    }

    #[test]
    fn totp_matches_rfc_6238_within_one_step() {
        // RFC 6238 appendix B, SHA-1: secret "12345678901234567890", T = 59 s → 94287082 (8
        // digits); its last 6 digits are the 6-digit code.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(matching_step(&secret, "287082", 59).unwrap(), Some(1));
        assert_eq!(matching_step(&secret, "287 082", 89).unwrap(), Some(1));
        assert_eq!(matching_step(&secret, "287082", 90).unwrap(), None);
        assert_eq!(matching_step(&secret, "28708", 59).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", 59).unwrap(), None);
    }

    #[test]
    fn code_hashes_are_keyed_by_the_token() {
        assert_eq!(code_hash("t", "123456"), code_hash("t", " 123 456 "));
        assert_ne!(code_hash("t", "123456"), code_hash("u", "123456"));
    }
}
