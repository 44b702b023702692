//! The sign-in sequence, which every way in shares: a first factor (password, passwordless link
//! or code, activation, sign-up) ends in [`complete_first_factor`]; that either asks for a second
//! factor with an MFA challenge ([`challenge_if_required`], redeemed through [`mfa_login`] and
//! ended by [`finish_login`] or [`enrolled_session`]) or starts the session ([`issue_session`]).
//! Passkeys, a whole sign-in on their own, start the session directly.
//!
//! The account-state rule holds on every path: locked and unactivated users get no session.
//! Every path that hands out a session or tokens asks [`ensure_may_sign_in`] (first factors and
//! sessions here, user API tokens) or gets the same [`Standing`] from the store's atomic
//! rotations (refresh), and answers with [`refusal`], so a client tells a locked account apart
//! from bad credentials the same way on every path.
//!
//! The route modules call into this one and never into each other; the rules of the factors are
//! in `crate::domain`.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::client;
use crate::clock::http_date;
use crate::config::{MfaEnforce, MfaPolicy, Settings};
use crate::domain::mfa::{
    already_enrolled, enrollable_strategies, is_enrolled, mask_phone,
    start_authenticator_enrollment, usable_strategies, AUTHENTICATOR_APP, EMAIL_CODE,
};
use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::{MfaDevices, NewRefreshToken, Standing, UserRecord};
use crate::tokens::{self, TokenContext};

// ---------------------------------------------------------------------------------------------
// Account standing

/// Ok if the user may sign in now; else the error every sign-in path answers.
pub(crate) fn ensure_may_sign_in(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    match state.store.standing(user_id)? {
        Standing::Active => Ok(()),
        refused => Err(refusal(refused)),
    }
}

/// The answer for a user who may not sign in: 403 `ER-01009` for a locked account (as password
/// login has always answered it), 403 `ER-01012` for one awaiting activation, 401 `ER-01001`
/// for a user deleted mid-request.
pub(crate) fn refusal(standing: Standing) -> ApiError {
    match standing {
        Standing::Locked => ApiError::new(
            StatusCode::FORBIDDEN,
            "account locked",
            codes::ACCOUNT_LOCKED,
        ),
        Standing::Unactivated => ApiError::new(
            StatusCode::FORBIDDEN,
            "The account is not activated yet: use the activation link",
            codes::ACCOUNT_NOT_ACTIVATED,
        ),
        Standing::Active | Standing::Gone => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Incorrect email or password",
            codes::INVALID_CREDENTIALS,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The end of a first factor

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
    complete_password_first_factor(state, user, headers, now, None)
}

/// [`complete_first_factor`] for a password verified against `checked_hash`: the session starts
/// only if that is still the user's password hash (see [`crate::store::Store::start_session`]).
pub(crate) fn complete_password_first_factor(
    state: &AppState,
    user: &UserRecord,
    headers: &HeaderMap,
    now: i64,
    checked_hash: Option<&str>,
) -> Result<Response, ApiError> {
    // Before the MFA challenge too, so a locked account is not even asked for a second factor.
    ensure_may_sign_in(state, &user.id)?;
    if let Some(challenge) = challenge_if_required(state, user, headers, now)? {
        return Ok(challenge);
    }
    start_session(state, user, now, StatusCode::OK, None, checked_hash)
}

// ---------------------------------------------------------------------------------------------
// The MFA challenge and the second step

/// How long an MFA token from the first factor stays redeemable.
const MFA_TOKEN_TTL_SECONDS: i64 = 600;

fn mfa_token_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "MFA token expired or invalid; sign in again",
        codes::MFA_TOKEN_INVALID,
    )
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

/// A login waiting for its second factor: the user and the hash of the MFA token.
pub(crate) struct MfaLogin {
    /// The user who passed the first factor.
    pub user: UserRecord,
    /// The SHA-256 of the MFA token, which codes sent during this login are bound to.
    pub token_hash: [u8; 32],
}

fn remember_cookie_name(client_id: &str) -> String {
    format!("fe_device_{}", client_id.replace('-', ""))
}

/// Decides what a first factor leads to (called by [`complete_first_factor`]): `Some`
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

/// The login of an MFA token whose user is enrolled: email codes answer a challenge but cannot
/// stand in for a forced enrollment.
pub(crate) fn enrolled_login(
    state: &AppState,
    mfa_token: &str,
    now: i64,
) -> Result<MfaLogin, ApiError> {
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

// ---------------------------------------------------------------------------------------------
// The mfaDevices object of challenges and device lists

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

// ---------------------------------------------------------------------------------------------
// The session

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
    ensure_may_sign_in(state, &user.id)?;
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
        .ok_or_else(|| refusal(Standing::Active))?;
    let grant = Grant {
        user,
        tenant_id: &tenant_id,
        session_id: &session_id,
        refresh_token: &refresh_token,
        recovery_code,
    };
    session_response(state, &settings, &grant, now, status)
}

/// What a successful login or refresh hands out.
pub(super) struct Grant<'a> {
    pub user: &'a UserRecord,
    pub tenant_id: &'a str,
    pub session_id: &'a str,
    pub refresh_token: &'a str,
    pub recovery_code: Option<&'a str>,
}

/// The answer of a new or refreshed session: the tokens as JSON and the refresh cookie.
pub(super) fn session_response(
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
