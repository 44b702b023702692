//! Developer endpoints under `/emulator/v1`: not part of the hosted API, for tests and demos.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{method_not_allowed, ApiJson};
use crate::error::{codes, ApiError};
use crate::password;
use crate::state::AppState;
use crate::store::{CreateUser, NewUser};

/// The `/emulator/v1` routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/health", get(health))
        .route("/users", post(create_user))
        .method_not_allowed_fallback(method_not_allowed)
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
    totp_secret: Option<String>,
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
/// email is taken.
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
    let new_user = NewUser {
        email,
        name,
        password_hash,
        phone_number: non_empty("phoneNumber", body.phone_number)?,
        totp_secret,
        roles: body.roles.unwrap_or_default(),
        permissions: body.permissions.unwrap_or_default(),
        tenant_ids: vec![tenant_id],
    };
    match state.store.create_user(&new_user, state.clock.now())? {
        CreateUser::Created(user) => {
            let user = *user;
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
}
