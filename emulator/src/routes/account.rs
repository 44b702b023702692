//! Accounts: sign-up with activation, and passwords (change, forgot, reset).
//!
//! Sign-up follows one rule, so both answers of the hosted service can be exercised without a
//! policy switch: a sign-up **with a password** is active at once and answers
//! `{ shouldActivate: false, userId, tenantId, authResponse }` (the `authResponse` being exactly
//! what password login answers, refresh cookie included); a sign-up **without a password** must
//! be activated: it answers `{ shouldActivate: true, userId, tenantId }` and "emails" an
//! `activation` message whose token `POST /users/v1/activate` redeems (optionally setting the
//! password), signing the user in.
//!
//! Emailed tokens are random, stored as SHA-256 hashes, single-use and expiring on the emulator
//! clock: password-reset links after 30 minutes, activation links after 24 hours.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::bearer::Bearer;
use super::users::{valid_metadata, valid_name};
use super::ApiJson;
use crate::domain::phone::valid_phone_number;
use crate::error::{codes, ApiError};
use crate::password;
use crate::state::{AppState, Stats};
use crate::store::{CreateUser, MessageKind, NewMessage, NewUser, ProfileUpdate, TokenPurpose};
use crate::tokens;

/// Sign-up, activation and password routes, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/resources/users/v1/signUp", post(sign_up))
        .route("/resources/users/v1/activate", post(activate))
        .route(
            "/resources/users/v1/passwords/change",
            post(change_password),
        )
        .route("/resources/users/v1/passwords/reset", post(forgot_password))
        .route(
            "/resources/users/v1/passwords/reset/verify",
            post(reset_password),
        )
}

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password; beyond it hashing would only cost time.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// How long a forgot-password link works.
pub const PASSWORD_RESET_TTL_SECONDS: i64 = 30 * 60;
/// How long an activation link works.
pub const ACTIVATION_TTL_SECONDS: i64 = 24 * 60 * 60;
/// Roles of the user who signs up: they own the new tenant.
const SIGN_UP_ROLES: [&str; 1] = ["Admin"];

/// The password policy: 400 (`ER-04001`) with a message saying what is wrong.
pub fn check_password_policy(password: &str) -> Result<(), ApiError> {
    let length = password.chars().count();
    let message = if length < MIN_PASSWORD_CHARS {
        format!("Password must be at least {MIN_PASSWORD_CHARS} characters long")
    } else if length > MAX_PASSWORD_CHARS {
        format!("Password must be at most {MAX_PASSWORD_CHARS} characters long")
    } else {
        return Ok(());
    };
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        message,
        codes::PASSWORD_POLICY,
    ))
}

/// Hashes a password off the async runtime (argon2 is slow on purpose), counted in the stats.
async fn hash_password(state: &AppState, password: String) -> Result<String, ApiError> {
    Stats::count(&state.stats.password_hashes);
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// A plausible email: something, `@`, something, no whitespace. The emulator sends no mail, so
/// stricter checks would only get in the way.
fn valid_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim();
    let plausible = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(char::is_whitespace);
    if !plausible {
        return Err(ApiError::bad_request("email must be a valid email address"));
    }
    Ok(email.to_owned())
}

fn invalid_link(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        format!("The {what} link is invalid or has expired"),
        codes::INVALID_LINK_TOKEN,
    )
}

/// 400 `ER-04002` unless the link's token is live, checked before any argon2 runs so a flood of
/// bogus tokens costs no CPU. Nothing is spent: redeeming checks again, atomically.
fn ensure_live_link(
    state: &AppState,
    purpose: TokenPurpose,
    user_id: &str,
    token_hash: &[u8; 32],
) -> Result<(), ApiError> {
    let live = state
        .store
        .user_token_live(purpose, user_id, token_hash, state.clock.now())?;
    if live {
        Ok(())
    } else {
        Err(invalid_link(match purpose {
            TokenPurpose::PasswordReset => "password reset",
            TokenPurpose::Activation => "activation",
        }))
    }
}

/// Creates a single-use emailed token for a user and puts the message in the outbox, with the
/// link a real email would carry (`{appUrl}/account/{page}?userId=...&token=...`).
fn send_link(
    state: &AppState,
    purpose: TokenPurpose,
    user_id: &str,
    email: &str,
    now: i64,
) -> Result<(), ApiError> {
    let (ttl, kind, page) = match purpose {
        TokenPurpose::PasswordReset => (
            PASSWORD_RESET_TTL_SECONDS,
            MessageKind::PasswordReset,
            "reset-password",
        ),
        TokenPurpose::Activation => (ACTIVATION_TTL_SECONDS, MessageKind::Activation, "activate"),
    };
    let token = tokens::new_opaque_token();
    state.store.insert_user_token(
        purpose,
        &tokens::hash_token(&token),
        user_id,
        now.saturating_add(ttl),
        now,
    )?;
    // User ids are UUIDs and tokens base64url, so neither needs escaping in the query.
    let link = format!(
        "{}/account/{page}?userId={user_id}&token={token}",
        state.app_url(&state.settings())
    );
    let message = NewMessage {
        to: email,
        kind,
        code: None,
        token: Some(&token),
        link: Some(&link),
    };
    state.store.send_message(message, now)?;
    Ok(())
}

/// Body of `POST /users/v1/signUp` (fields of the spec the emulator acts on; others are ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignUpBody {
    email: String,
    company_name: String,
    provider: Option<String>,
    password: Option<String>,
    name: Option<String>,
    phone_number: Option<String>,
    profile_picture_url: Option<String>,
    metadata: Option<String>,
}

/// `POST /users/v1/signUp`: creates a user and a tenant named after `companyName`, the user being
/// its `Admin`. Answers 201 (see the module docs for the two shapes). An email already in use is
/// 409 (`ER-01006`): the hosted service also says so, and sign-up attempts count against the
/// per-IP and per-email limits so this cannot be used to enumerate accounts quickly. A
/// `phoneNumber` is stored unverified (no SMS sign-in until verified); another user's verified
/// number is 409 `ER-04007`, checked before any hashing.
async fn sign_up(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignUpBody>,
) -> Result<Response, ApiError> {
    let email = valid_email(&body.email)?;
    state.limit_attempt(peer.ip(), &email)?;
    let company_name = body.company_name.trim();
    if company_name.is_empty() {
        return Err(ApiError::bad_request("companyName must not be empty"));
    }
    if body.provider.as_deref().is_some_and(|p| p != "local") {
        return Err(ApiError::bad_request(
            "provider: the emulator signs up local (email and password) users only",
        ));
    }
    if let Some(password) = &body.password {
        check_password_policy(password)?;
    }
    let name = match &body.name {
        Some(name) => valid_name(name)?,
        None => email.split('@').next().unwrap_or_default().to_owned(),
    };
    let phone_number = body
        .phone_number
        .as_deref()
        .map(valid_phone_number)
        .transpose()?;
    if let Some(phone_number) = &phone_number {
        crate::domain::phone::ensure_phone_free(&state, phone_number, None)?;
    }
    // The number goes in unverified, with the profile fields: it identifies nobody until a code
    // sent to it comes back.
    let update = ProfileUpdate {
        phone_number: phone_number.map(Some),
        profile_picture_url: body
            .profile_picture_url
            .as_deref()
            .map(|url| super::users::valid_picture_url(url).map(Some))
            .transpose()?,
        metadata: Some(
            body.metadata
                .as_deref()
                .map(valid_metadata)
                .transpose()?
                .unwrap_or_else(|| "{}".to_owned()),
        ),
        ..ProfileUpdate::default()
    };
    let password_hash = match body.password {
        Some(password) => Some(hash_password(&state, password).await?),
        None => None,
    };
    let tenant_id = uuid::Uuid::new_v4().to_string();
    let new_user = NewUser {
        email,
        name,
        password_hash,
        phone_number: None,
        totp_secret: None,
        roles: SIGN_UP_ROLES.map(str::to_owned).to_vec(),
        permissions: Vec::new(),
        tenant_ids: vec![tenant_id.clone()],
    };
    let now = state.clock.now();
    let user = match state.store.create_user(&new_user, now)? {
        CreateUser::Created(user) => *user,
        CreateUser::EmailTaken => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "A user with this email already exists",
                codes::USER_ALREADY_EXISTS,
            ))
        }
        CreateUser::PhoneTaken => return Err(crate::domain::phone::phone_taken()),
    };
    state.store.finish_sign_up(
        &user.id,
        &tenant_id,
        company_name,
        &update,
        new_user.password_hash.is_some(),
    )?;

    if new_user.password_hash.is_none() {
        send_link(&state, TokenPurpose::Activation, &user.id, &user.email, now)?;
        let body = json!({ "shouldActivate": true, "userId": user.id, "tenantId": tenant_id });
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    // Every sign-in ends in the same place (MFA enforcement included); its answer, cookie and
    // all, becomes the `authResponse` of the sign-up answer.
    let login = super::signin::complete_first_factor(&state, &user, &headers, now)?;
    let (mut parts, login_body) = login.into_parts();
    let bytes = to_bytes(login_body, usize::MAX)
        .await
        .map_err(ApiError::internal)?;
    let auth_response: Value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
    if !parts.status.is_success() {
        // An error from the sign-in step is passed on as it is.
        return Ok((parts, Json(auth_response)).into_response());
    }
    parts.status = StatusCode::CREATED;
    let body = json!({
        "shouldActivate": false,
        "userId": user.id,
        "tenantId": tenant_id,
        "authResponse": auth_response,
    });
    Ok((parts, Json(body)).into_response())
}

/// Body of `POST /users/v1/activate`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivateBody {
    user_id: String,
    token: String,
    password: Option<String>,
}

/// `POST /users/v1/activate`: redeems an activation link (single-use, 24 hours), sets the
/// password if one is given, and signs the user in: the answer is password login's. A bad,
/// used or expired link is 400 (`ER-04002`).
async fn activate(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActivateBody>,
) -> Result<Response, ApiError> {
    state.limit_attempt(peer.ip(), &body.user_id)?;
    let token_hash = tokens::hash_token(&body.token);
    ensure_live_link(&state, TokenPurpose::Activation, &body.user_id, &token_hash)?;
    let password_hash = match body.password {
        Some(password) => {
            check_password_policy(&password)?;
            Some(hash_password(&state, password).await?)
        }
        None => None,
    };
    let now = state.clock.now();
    let redeemed = state.store.redeem_user_token(
        TokenPurpose::Activation,
        &body.user_id,
        &token_hash,
        password_hash.as_deref(),
        now,
    )?;
    if !redeemed {
        return Err(invalid_link("activation"));
    }
    let user = state
        .store
        .user(&body.user_id)?
        .ok_or_else(|| invalid_link("activation"))?;
    super::signin::complete_first_factor(&state, &user, &headers, now)
}

/// Body of `POST /users/v1/passwords/change`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangePasswordBody {
    password: String,
    new_password: String,
}

/// `POST /users/v1/passwords/change` (bearer): replaces the password after checking the current
/// one. 400 `ER-04003` for a wrong current password (not 401, which clients take for an expired
/// session), `ER-04001` for a new password against the policy; attempts count against the
/// per-IP and per-user limits. 201 with no body; the session that changed it stays signed in,
/// every other session of the user is signed out.
async fn change_password(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Bearer(claims): Bearer,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<Response, ApiError> {
    state.limit_attempt(peer.ip(), &claims.sub)?;
    check_password_policy(&body.new_password)?;
    let stored = state.store.password_hash(&claims.sub)?;
    let current = body.password;
    let checked = stored.clone();
    let verified =
        tokio::task::spawn_blocking(move || password::verify(&current, stored.as_deref()))
            .await
            .map_err(ApiError::internal)?;
    if !verified {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "The current password is incorrect",
            codes::WRONG_CURRENT_PASSWORD,
        ));
    }
    let new_hash = hash_password(&state, body.new_password).await?;
    // A reset while argon2 ran ended this session (or replaced the password it was checked
    // against): the change must not undo it.
    if !state
        .store
        .change_password(&claims.sub, checked.as_deref(), &new_hash, &claims.sid)?
    {
        return Err(ApiError::unauthorized());
    }
    Ok(StatusCode::CREATED.into_response())
}

/// Body of `POST /users/v1/passwords/reset`: `{ email }` as the official client sends it, or
/// `{ identifier, identifierType: "email" }` as the spec has it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForgotPasswordBody {
    email: Option<String>,
    identifier: Option<String>,
    identifier_type: Option<String>,
}

/// `POST /users/v1/passwords/reset`: "emails" a `password_reset` message (token, and a link with
/// `userId` and `token`) if the email belongs to a user. Always 201 with no body, so the answer
/// does not tell who has an account.
async fn forgot_password(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<ForgotPasswordBody>,
) -> Result<Response, ApiError> {
    if body
        .identifier_type
        .as_deref()
        .is_some_and(|t| t != "email")
    {
        return Err(ApiError::bad_request(
            "identifierType: the emulator resets passwords by email only",
        ));
    }
    let email = body
        .email
        .or(body.identifier)
        .ok_or_else(|| ApiError::bad_request("email is required"))?;
    let email = valid_email(&email)?;
    state.limit_attempt(peer.ip(), &email)?;
    if let Some(credentials) = state.store.credentials(&email)? {
        let user = state
            .store
            .user(&credentials.user_id)?
            .ok_or_else(|| ApiError::internal("user vanished during password reset"))?;
        send_link(
            &state,
            TokenPurpose::PasswordReset,
            &user.id,
            &user.email,
            state.clock.now(),
        )?;
    }
    Ok(StatusCode::CREATED.into_response())
}

/// Body of `POST /users/v1/passwords/reset/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetPasswordBody {
    user_id: String,
    token: String,
    password: String,
}

/// `POST /users/v1/passwords/reset/verify`: sets a new password with a reset link's token
/// (single-use, 30 minutes; redeeming one spends the user's older links too), unlocks a locked
/// account, signs out every session of the user and forgets its remembered MFA devices. 201
/// with no body; 400 `ER-04002` for a bad, used or expired token.
async fn reset_password(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<ResetPasswordBody>,
) -> Result<Response, ApiError> {
    state.limit_attempt(peer.ip(), &body.user_id)?;
    let token_hash = tokens::hash_token(&body.token);
    ensure_live_link(
        &state,
        TokenPurpose::PasswordReset,
        &body.user_id,
        &token_hash,
    )?;
    check_password_policy(&body.password)?;
    let new_hash = hash_password(&state, body.password).await?;
    let redeemed = state.store.redeem_user_token(
        TokenPurpose::PasswordReset,
        &body.user_id,
        &token_hash,
        Some(&new_hash),
        state.clock.now(),
    )?;
    if !redeemed {
        return Err(invalid_link("password reset"));
    }
    Ok(StatusCode::CREATED.into_response())
}
