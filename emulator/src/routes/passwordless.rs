//! Passwordless sign-in: magic links and one-time codes by email or SMS.
//!
//! `prelogin` sends the link or code (to the outbox) and `postlogin` redeems it. Redeeming ends
//! where every first factor ends ([`complete_first_factor`]), so a user with MFA still gets an
//! MFA challenge. Prelogin answers the same whether or not the user exists (and then sends
//! nothing), so it cannot be used to find out who has an account.
//!
//! Codes are redeemed by the code alone, as the hosted service does: its postlogin body is
//! `{ token }`, and neither `@frontegg/rest-api` nor the login box (`@frontegg/redux-store`)
//! keeps anything from the code prelogin but `phoneNumber`. Live codes are therefore unique per
//! method, and wrong guesses are limited per client address and across all addresses
//! ([`WRONG_CODE_KEY`]), with caps the rate-limit config cannot turn off.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

use super::signin::complete_first_factor;
use super::ApiJson;
use crate::config::Settings;
use crate::error::{codes, ApiError};
use crate::state::{address_key, AppState};
use crate::store::{MessageKind, NewMessage, NewPasswordlessSecret, PasswordlessMethod};
use crate::tokens;

/// The passwordless routes, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    const BASE: &str = "/resources/auth/v1/passwordless";
    Router::new()
        .route(
            &format!("{BASE}/magiclink/prelogin"),
            post(magic_link_prelogin),
        )
        .route(
            &format!("{BASE}/magiclink/postlogin"),
            post(magic_link_postlogin),
        )
        .route(&format!("{BASE}/code/prelogin"), post(otc_prelogin))
        .route(&format!("{BASE}/code/postlogin"), post(otc_postlogin))
        .route(&format!("{BASE}/smscode/prelogin"), post(sms_prelogin))
        .route(&format!("{BASE}/smscode/postlogin"), post(sms_postlogin))
}

/// How long a magic link works.
const MAGIC_LINK_TTL_SECONDS: i64 = 15 * 60;
/// How long a one-time code works.
const CODE_TTL_SECONDS: i64 = 5 * 60;
/// The limiter key under which wrong passwordless codes are counted. A code names no user, so a
/// guess is a guess at every live code of its method: wrong guesses are counted per client
/// address (with the per-user budget, so one guesser can't lock everyone else out) and across
/// all addresses. Only wrong guesses count.
const WRONG_CODE_KEY: &str = "passwordless-code-misses";
/// Wrong codes per address per minute however the rate limits are configured (`0`, "unlimited",
/// included): with a million codes, a guess loop must never run free.
const MAX_WRONG_CODES_PER_ADDRESS: u32 = 100;
/// Wrong codes per minute from all addresses together, for each method.
const MAX_WRONG_CODES: u32 = 1_000;

/// Body of every `prelogin`: who wants to sign in. `phoneNumber` only identifies users for SMS
/// codes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreloginBody {
    email: Option<String>,
    user_id: Option<String>,
    phone_number: Option<String>,
    // Type-checked but not acted on, as in password login: clients that send them still work.
    #[serde(rename = "recaptchaToken")]
    _recaptcha_token: Option<String>,
    #[serde(rename = "invitationToken")]
    _invitation_token: Option<String>,
}

/// Body of every `postlogin`: the magic-link token, or the code, as `token`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostloginBody {
    token: String,
    #[serde(rename = "recaptchaToken")]
    _recaptcha_token: Option<String>,
    #[serde(rename = "invitationToken")]
    _invitation_token: Option<String>,
}

/// Who a prelogin names.
enum Identifier {
    Email(String),
    UserId(String),
    Phone(String),
}

impl Identifier {
    fn from_body(body: PreloginBody, method: PasswordlessMethod) -> Result<Self, ApiError> {
        let non_empty =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(email) = non_empty(body.email) {
            return Ok(Self::Email(email));
        }
        if let Some(user_id) = non_empty(body.user_id) {
            return Ok(Self::UserId(user_id));
        }
        match non_empty(body.phone_number) {
            Some(phone) if method == PasswordlessMethod::SmsCode => Ok(Self::Phone(phone)),
            _ if method == PasswordlessMethod::SmsCode => Err(ApiError::bad_request(
                "One of email, userId or phoneNumber is required",
            )),
            _ => Err(ApiError::bad_request("email or userId is required")),
        }
    }

    /// The rate-limit subject: the identifier as given.
    fn subject(&self) -> String {
        match self {
            Self::Email(v) | Self::UserId(v) | Self::Phone(v) => format!("passwordless:{v}"),
        }
    }
}

fn ensure_enabled(settings: &Settings, method: PasswordlessMethod) -> Result<(), ApiError> {
    let policy = &settings.passwordless;
    let (enabled, message) = match method {
        PasswordlessMethod::MagicLink => (
            policy.magic_link,
            "Invalid authentication type, magic link authentication should be enabled",
        ),
        PasswordlessMethod::Otc => (
            policy.otc,
            "Invalid authentication type, OTC (One-Time Code) authentication should be enabled",
        ),
        PasswordlessMethod::SmsCode => (
            policy.sms_code,
            "Invalid authentication type, SMS code authentication should be enabled",
        ),
    };
    if enabled {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message,
            codes::PASSWORDLESS_DISABLED,
        ))
    }
}

fn invalid(method: PasswordlessMethod) -> ApiError {
    let message = match method {
        PasswordlessMethod::MagicLink => "Invalid or expired link",
        PasswordlessMethod::Otc | PasswordlessMethod::SmsCode => "Invalid or expired code",
    };
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        message,
        codes::PASSWORDLESS_INVALID,
    )
}

/// A rate-limit subject for a secret: a hash prefix, so the limiter never holds the secret.
fn secret_subject(kind: &str, secret: &str) -> String {
    let hash = tokens::hash_token(secret);
    let hex: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}:{hex}")
}

/// What a code's row is keyed by: the code, tied to its method.
fn code_hash(method: PasswordlessMethod, code: &str) -> [u8; 32] {
    tokens::hash_token(&format!("{}:{code}", method.as_str()))
}

async fn magic_link_prelogin(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<PreloginBody>,
) -> Result<Response, ApiError> {
    prelogin(&state, peer, body, PasswordlessMethod::MagicLink)
}

async fn otc_prelogin(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<PreloginBody>,
) -> Result<Response, ApiError> {
    prelogin(&state, peer, body, PasswordlessMethod::Otc)
}

async fn sms_prelogin(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<PreloginBody>,
) -> Result<Response, ApiError> {
    prelogin(&state, peer, body, PasswordlessMethod::SmsCode)
}

/// Sends a link or code if the user exists (and, for SMS, has a phone number).
///
/// Answers: magic link `200 {}`; codes `201 {}`, or `201 { phoneNumber }` when an SMS code was
/// asked for by phone number. Known and unknown users get the same answer.
fn prelogin(
    state: &AppState,
    peer: SocketAddr,
    body: PreloginBody,
    method: PasswordlessMethod,
) -> Result<Response, ApiError> {
    let settings = state.settings();
    ensure_enabled(&settings, method)?;
    let identifier = Identifier::from_body(body, method)?;
    // Counted like a guess: it stops a loop from flooding one inbox or phone.
    state.limit_attempt(peer.ip(), &identifier.subject())?;
    let now = state.clock.now();
    let user_id = match &identifier {
        Identifier::Email(email) => state.store.credentials(email)?.map(|c| c.user_id),
        Identifier::UserId(id) => Some(id.clone()),
        Identifier::Phone(phone) => state.store.user_id_by_phone(phone)?,
    };
    let user = match user_id {
        Some(id) => state.store.user(&id)?,
        None => None,
    };

    if method == PasswordlessMethod::MagicLink {
        if let Some(user) = user {
            let token = tokens::new_opaque_token();
            let secret = NewPasswordlessSecret {
                hash: tokens::hash_token(&token),
                user_id: &user.id,
                method,
                expires_at: now.saturating_add(MAGIC_LINK_TTL_SECONDS),
            };
            // 256 random bits: never taken.
            state.store.insert_passwordless_secret(secret, now)?;
            // The configured app, never the request's `Origin`: a page must not be able to
            // have someone's link point at itself.
            let link = format!(
                "{}/account/login/magic-link?token={token}",
                state.app_url(&settings)
            );
            let message = NewMessage {
                to: &user.email,
                kind: MessageKind::MagicLink,
                code: None,
                token: Some(&token),
                link: Some(&link),
            };
            state.store.send_message(message, now)?;
        }
        return Ok(Json(json!({})).into_response());
    }

    // SMS codes go to the profile's phone number once verified (an unverified one may be
    // anyone's); a user without one is treated like an unknown user (nothing sent, same answer)
    // rather than with the hosted 400, which would tell that the account exists.
    let recipient = match (user, method) {
        (Some(user), PasswordlessMethod::SmsCode) => state
            .store
            .verified_phone(&user.id)?
            .map(|phone| (user.id, phone)),
        (Some(user), _) => Some((user.id, user.email)),
        (None, _) => None,
    };
    if let Some((user_id, to)) = recipient {
        let code = new_code(state, &user_id, method, now)?;
        let kind = match method {
            PasswordlessMethod::SmsCode => MessageKind::SmsCode,
            _ => MessageKind::Otc,
        };
        let message = NewMessage {
            to: &to,
            kind,
            code: Some(&code),
            token: None,
            link: None,
        };
        state.store.send_message(message, now)?;
    }
    // The login box shows `phoneNumber` ("code sent to …"). The emulator echoes the number only
    // when the request named it, so the answer never tells whether an email has an account.
    let answer = match identifier {
        Identifier::Phone(phone) => json!({ "phoneNumber": phone }),
        _ => json!({}),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Stores and returns a fresh six-digit code for `user_id`, one no other live login of
/// `method` holds.
fn new_code(
    state: &AppState,
    user_id: &str,
    method: PasswordlessMethod,
    now: i64,
) -> Result<String, ApiError> {
    // With a million codes and a handful live, a free one comes at the first or second draw;
    // the bound only keeps a full table from spinning.
    for _ in 0..64 {
        let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
        let secret = NewPasswordlessSecret {
            hash: code_hash(method, &code),
            user_id,
            method,
            expires_at: now.saturating_add(CODE_TTL_SECONDS),
        };
        if state.store.insert_passwordless_secret(secret, now)? {
            return Ok(code);
        }
    }
    Err(ApiError::rate_limited(CODE_TTL_SECONDS.unsigned_abs()))
}

async fn magic_link_postlogin(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostloginBody>,
) -> Result<Response, ApiError> {
    postlogin(&state, peer, &headers, body, PasswordlessMethod::MagicLink)
}

async fn otc_postlogin(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostloginBody>,
) -> Result<Response, ApiError> {
    postlogin(&state, peer, &headers, body, PasswordlessMethod::Otc)
}

async fn sms_postlogin(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostloginBody>,
) -> Result<Response, ApiError> {
    postlogin(&state, peer, &headers, body, PasswordlessMethod::SmsCode)
}

/// Redeems a link or code and continues like any first factor: tokens and the refresh cookie,
/// or an MFA challenge. Answers 201, as the hosted service does for these routes.
fn postlogin(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: PostloginBody,
    method: PasswordlessMethod,
) -> Result<Response, ApiError> {
    ensure_enabled(&state.settings(), method)?;
    let token = body.token.trim();
    if token.is_empty() {
        return Err(ApiError::bad_request("token must not be empty"));
    }
    let now = state.clock.now();
    let user_id = if method == PasswordlessMethod::MagicLink {
        state.limit_attempt(peer.ip(), &secret_subject("magic-link", token))?;
        state
            .store
            .redeem_passwordless_secret(&tokens::hash_token(token), method, now)?
    } else {
        let configured = state.settings().rate_limit.per_user_per_minute;
        let per_address = match configured {
            0 => MAX_WRONG_CODES_PER_ADDRESS,
            n => n.min(MAX_WRONG_CODES_PER_ADDRESS),
        };
        let mine = format!(
            "{WRONG_CODE_KEY}:{}:{}",
            method.as_str(),
            address_key(peer.ip())
        );
        let all = format!("{WRONG_CODE_KEY}:{}", method.as_str());
        state.limiter.check(&mine, per_address, now)?;
        state.limiter.check(&all, MAX_WRONG_CODES, now)?;
        let found =
            state
                .store
                .redeem_passwordless_secret(&code_hash(method, token), method, now)?;
        if found.is_none() {
            state.limiter.hit(&all, MAX_WRONG_CODES, now)?;
            state.limiter.hit(&mine, per_address, now)?;
        }
        found
    };
    let user = match user_id {
        Some(id) => state.store.user(&id)?,
        None => None,
    }
    .ok_or_else(|| invalid(method))?;
    let mut response = complete_first_factor(state, &user, headers, now)?;
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::CREATED;
    }
    Ok(response)
}
