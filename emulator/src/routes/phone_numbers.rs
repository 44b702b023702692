//! The signed-in user's phone number, verified by a code sent to it: the hosted
//! `users/phone-numbers/v1` routes, as `@frontegg/rest-api`'s `PhoneNumbersApi` calls them.
//!
//! Only a verified number identifies its user for SMS sign-in (`store::phone`), so a number
//! typed at sign-up or in a profile edit proves nothing until its code comes back. A number
//! another account has verified cannot be claimed (409 `ER-04007`): it is never taken over
//! silently, nor shared so that it stops identifying its owner.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::bearer::{Bearer, BearerUser};
use super::ApiJson;
use crate::domain::mfa::{code_expired, redeem, send_code, CodeRequest};
use crate::domain::phone::{ensure_phone_free, phone_taken, valid_phone_number};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{CodeBinding, CodePurpose, MessageKind, PhoneVerification, ProfileUpdate};

/// The phone-number routes, under `/identity`.
pub fn routes() -> Router<Arc<AppState>> {
    const BASE: &str = "/resources/users/phone-numbers/v1";
    Router::new()
        .route(BASE, post(set_phone_number))
        .route(&format!("{BASE}/verify"), post(verify_phone_number))
}

/// Body of `POST /users/phone-numbers/v1`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetPhoneBody {
    phone_number: String,
    /// Send a verification code (the default). Without one the number stays unverified.
    verify: Option<bool>,
}

/// `POST /users/phone-numbers/v1` (bearer): makes `phoneNumber` the user's number, unverified,
/// and sends it a code (outbox kind `phone_verification`). 201 `{ otcToken }`, or `{}` with
/// `verify: false` or when the number is already the user's verified one. Attempts count
/// against the per-IP and per-user limits, so it cannot be used to flood a phone.
async fn set_phone_number(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    BearerUser(user): BearerUser,
    ApiJson(body): ApiJson<SetPhoneBody>,
) -> Result<Response, ApiError> {
    let number = valid_phone_number(&body.phone_number)?;
    state.limit_attempt(peer.ip(), &format!("phone:{}", user.id))?;
    ensure_phone_free(&state, &number, Some(&user.id))?;
    if state.store.verified_phone(&user.id)?.as_deref() == Some(number.as_str()) {
        return Ok((StatusCode::CREATED, Json(json!({}))).into_response());
    }
    let update = ProfileUpdate {
        phone_number: Some(Some(number.clone())),
        ..ProfileUpdate::default()
    };
    state.store.update_profile(&user.id, &update)?;
    if body.verify == Some(false) {
        return Ok((StatusCode::CREATED, Json(json!({}))).into_response());
    }
    let request = CodeRequest {
        user: &user,
        purpose: CodePurpose::VerifyPhone,
        device_id: None,
        phone_number: Some(&number),
        mfa_token_hash: None,
        to: &number,
        kind: MessageKind::PhoneVerification,
    };
    let otc_token = send_code(&state, &request, state.clock.now())?;
    Ok((StatusCode::CREATED, Json(json!({ "otcToken": otc_token }))).into_response())
}

/// Body of `POST /users/phone-numbers/v1/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyPhoneBody {
    otc_token: String,
    code: String,
}

/// `POST /users/phone-numbers/v1/verify` (bearer): the code sent to the number verifies it, if
/// it is still the user's number. 200 `{}`. A wrong code is 400 `ER-02002` (five burn the
/// token), a dead token 400 `ER-02003`, a number replaced meanwhile `ER-02003` too, and one
/// another account verified first 409 `ER-04007`.
async fn verify_phone_number(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Bearer(claims): Bearer,
    ApiJson(body): ApiJson<VerifyPhoneBody>,
) -> Result<Response, ApiError> {
    state.limit_attempt(peer.ip(), &format!("phone:{}", claims.sub))?;
    let binding = CodeBinding {
        user_id: &claims.sub,
        purpose: CodePurpose::VerifyPhone,
        device_id: None,
        mfa_token_hash: None,
    };
    let now = state.clock.now();
    let number = redeem(&state, &body.otc_token, &body.code, &binding, now)?
        .ok_or_else(|| ApiError::internal("phone verification code without a phone number"))?;
    match state.store.verify_phone(&claims.sub, &number)? {
        PhoneVerification::Verified => Ok(Json(json!({})).into_response()),
        PhoneVerification::Replaced => Err(code_expired()),
        PhoneVerification::Taken => Err(phone_taken()),
    }
}
