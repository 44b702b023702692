//! Developer endpoints under `/emulator/v1`: not part of the hosted API, for tests and demos.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{method_not_allowed, ApiJson};
use crate::clock::rfc3339;
use crate::config::Settings;
use crate::error::{codes, ApiError};
use crate::password;
use crate::seed;
use crate::state::AppState;
use crate::store::{CreateUser, NewUser, OutboxMessage};

/// The `/emulator/v1` routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/health", get(health))
        .route("/users", post(create_user))
        .route("/outbox", get(outbox))
        .route("/config", get(get_config).put(put_config))
        .route("/clock", get(get_clock).post(advance_clock))
        .route("/reset", post(reset))
        .route("/stats", get(stats))
        .method_not_allowed_fallback(method_not_allowed)
}

/// Query of `GET /emulator/v1/outbox`.
#[derive(Debug, Deserialize)]
struct OutboxQuery {
    to: Option<String>,
}

/// `GET /emulator/v1/outbox?to=ADDRESS`: what was "sent", oldest first.
async fn outbox(
    State(state): State<Arc<AppState>>,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(
        state.store.outbox(query.to.as_deref().map(str::trim))?,
    ))
}

/// `GET /emulator/v1/config`: the policies in force.
async fn get_config(State(state): State<Arc<AppState>>) -> Json<Settings> {
    Json(state.settings())
}

/// `PUT /emulator/v1/config`: merges the given fields into the policies in force (so a test
/// can send just `{ "mfa": { "enforce": "Force" } }`), validates, and answers the result.
async fn put_config(
    State(state): State<Arc<AppState>>,
    ApiJson(patch): ApiJson<Value>,
) -> Result<Json<Settings>, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::bad_request("the config must be a JSON object"));
    }
    let mut merged = serde_json::to_value(state.settings()).map_err(ApiError::internal)?;
    merge(&mut merged, patch);
    let settings: Settings = serde_json::from_value(merged)
        .map_err(|e| ApiError::bad_request(format!("invalid config: {e}")))?;
    settings.validate().map_err(ApiError::bad_request)?;
    state.set_settings(settings.clone());
    Ok(Json(settings))
}

/// Deep merge: objects merge key by key, anything else replaces.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(target.entry(key).or_insert(Value::Null), value);
            }
        }
        (target, patch) => *target = patch,
    }
}

/// The emulator clock, as `GET`/`POST /emulator/v1/clock` answer it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClockState {
    /// Emulator time, Unix seconds.
    now: i64,
    /// Emulator time, RFC 3339.
    now_iso: String,
    /// How far ahead of real time the clock runs.
    offset_seconds: i64,
}

fn clock_state(state: &AppState) -> ClockState {
    let now = state.clock.now();
    ClockState {
        now,
        now_iso: rfc3339(now),
        offset_seconds: state.clock.offset(),
    }
}

/// `GET /emulator/v1/clock`.
async fn get_clock(State(state): State<Arc<AppState>>) -> Json<ClockState> {
    Json(clock_state(&state))
}

/// Body of `POST /emulator/v1/clock`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdvanceClock {
    advance_seconds: i64,
}

/// `POST /emulator/v1/clock` with `{ advanceSeconds }`: moves the clock forward (only forward:
/// a clock going back would make used codes and rotated tokens valid again), by a whole number
/// of seconds within the clock's bounds; anything else is a 400.
async fn advance_clock(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<AdvanceClock>,
) -> Result<Json<ClockState>, ApiError> {
    state
        .clock
        .advance(body.advance_seconds)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(clock_state(&state)))
}

/// `GET /emulator/v1/stats`: `{ logins, refreshes, passwordHashes }` since start (or the last
/// reset).
async fn stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.stats.snapshot())
}

/// `POST /emulator/v1/reset`: wipes all data back to the seed, and the config back to the
/// start-up one. The signing key stays, so the JWKS a client cached is still right.
async fn reset(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    state.store.wipe()?;
    state.limiter.clear();
    state.stats.clear();
    state.set_settings(state.initial_settings().clone());
    seed::apply(&state.store, state.seed, state.clock.now())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "status": "ok" })))
}

/// `GET /emulator/v1/health`: 200 once the emulator serves.
async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Body of `POST /emulator/v1/users`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateUserBody {
    email: String,
    password: Option<String>,
    name: Option<String>,
    tenant_id: Option<String>,
    roles: Option<Vec<String>>,
    permissions: Option<Vec<String>>,
    phone_number: Option<String>,
    #[serde(default)]
    phone_number_type: PhoneNumberType,
    totp_secret: Option<String>,
}

/// What `phoneNumber` is for, named as in the hosted user-migration API. Unlike there, absent
/// means `auth`: fixtures for SMS sign-in must not find themselves challenged for MFA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum PhoneNumberType {
    /// The user's number for sign-in by SMS code (the profile's `phoneNumber`).
    #[default]
    Auth,
    /// An enrolled SMS MFA phone.
    Mfa,
}

/// The created user, as `POST /emulator/v1/users` answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedUser {
    id: String,
    email: String,
    name: String,
    tenant_id: String,
    tenant_ids: Vec<String>,
    roles: Vec<String>,
    permissions: Vec<String>,
}

/// A plausible email: something, `@`, something, no whitespace. The emulator sends no mail, so
/// stricter checks would only get in the way of test fixtures.
fn valid_email(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(char::is_whitespace)
}

/// Normalises a base32 TOTP secret (spaces and padding dropped, upper case) or rejects it.
fn normalize_totp_secret(secret: &str) -> Option<String> {
    let normalized: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = !normalized.is_empty()
        && normalized
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c));
    valid.then_some(normalized)
}

fn non_empty(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.is_empty() => Err(ApiError::bad_request(format!("{field} must not be empty"))),
        other => Ok(other),
    }
}

/// `POST /emulator/v1/users`: creates a user directly (no activation). Without `tenantId` the user
/// gets a new tenant of their own; a `tenantId` that does not exist yet is created. 409 if the
/// email or the (verified) phone number is taken. `totpSecret` enrolls an authenticator app;
/// `phoneNumber` is the verified number for SMS sign-in, or with `phoneNumberType: "mfa"` an
/// enrolled SMS MFA phone.
async fn create_user(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<Response, ApiError> {
    let email = body.email.trim().to_owned();
    if !valid_email(&email) {
        return Err(ApiError::bad_request("email must be a valid email address"));
    }
    if body.password.as_deref() == Some("") {
        return Err(ApiError::bad_request("password must not be empty"));
    }
    let totp_secret = match body.totp_secret {
        Some(secret) => Some(
            normalize_totp_secret(&secret)
                .ok_or_else(|| ApiError::bad_request("totpSecret must be base32"))?,
        ),
        None => None,
    };
    let name = non_empty("name", body.name)?
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let tenant_id =
        non_empty("tenantId", body.tenant_id)?.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let password_hash = match body.password {
        Some(password) => Some(
            tokio::task::spawn_blocking(move || password::hash(&password))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let phone_number = non_empty("phoneNumber", body.phone_number)?;
    let (phone_number, mfa_phone) = match body.phone_number_type {
        PhoneNumberType::Auth => (phone_number, None),
        PhoneNumberType::Mfa => (None, phone_number),
    };
    let new_user = NewUser {
        email,
        name,
        password_hash,
        phone_number,
        totp_secret,
        roles: body.roles.unwrap_or_default(),
        permissions: body.permissions.unwrap_or_default(),
        tenant_ids: vec![tenant_id],
    };
    let now = state.clock.now();
    match state.store.create_user(&new_user, now)? {
        CreateUser::Created(user) => {
            let user = *user;
            if let Some(phone) = mfa_phone {
                state.store.add_mfa_phone(&user.id, &phone, now)?;
            }
            let created = CreatedUser {
                tenant_id: user.tenant_ids.first().cloned().unwrap_or_default(),
                id: user.id,
                email: user.email,
                name: user.name,
                tenant_ids: user.tenant_ids,
                roles: user.roles,
                permissions: user.permissions,
            };
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        CreateUser::EmailTaken => Err(ApiError::new(
            StatusCode::CONFLICT,
            "A user with this email already exists",
            codes::USER_ALREADY_EXISTS,
        )),
        CreateUser::PhoneTaken => Err(crate::domain::phone::phone_taken()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_totp_secrets_are_checked() {
        assert!(valid_email("a@b"));
        assert!(!valid_email("a@"));
        assert!(!valid_email("@b"));
        assert!(!valid_email("a b@c"));
        assert_eq!(
            normalize_totp_secret("jbsw y3dp ehpk 3pxp==").as_deref(),
            Some("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(normalize_totp_secret("JBSW1"), None);
        assert_eq!(normalize_totp_secret(" "), None);
    }

    #[tokio::test]
    async fn bad_user_bodies_are_400() {
        use crate::config::Access;
        use crate::routes::tests::{app, json_post, send};

        let app = app(Access::default()).await;
        for body in [
            json!({}),
            json!({ "email": "no-at-sign" }),
            json!({ "email": 12 }),
            json!({ "email": "a@b.c", "roles": "Admin" }),
            json!({ "email": "a@b.c", "password": "" }),
            json!({ "email": "a@b.c", "totpSecret": "not base32!" }),
            json!({ "email": "a@b.c", "tenantId": "  " }),
        ] {
            let (status, error) = send(&app, json_post("/emulator/v1/users", &body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(error["errorCode"], "ER-01000", "{body}");
        }
    }
}
