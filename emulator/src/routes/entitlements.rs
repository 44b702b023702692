//! The user's entitlements, as `@frontegg/rest-api`'s `getMeAndEntitlements` loads them when
//! the app turns entitlements on (`entitlementsOptions.enabled`).
//!
//! The emulator has no plans or features, so a user is entitled to exactly their permissions:
//! the answer has the `UserEntitlementsContext` shape with empty `features` and `plans`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::bearer::BearerUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The entitlements route, at the root and under the official client's `/frontegg` prefix (the
/// identity routes are nested under `/identity`, this one is not).
pub fn routes() -> Router<Arc<AppState>> {
    const PATH: &str = "/entitlements/api/v2/user-entitlements";
    Router::new()
        .route(PATH, get(user_entitlements))
        .route(&format!("/frontegg{PATH}"), get(user_entitlements))
}

/// `GET /entitlements/api/v2/user-entitlements`: `{ features, plans, permissions }`, where
/// `permissions` maps each of the user's permission keys to `true`.
async fn user_entitlements(BearerUser(user): BearerUser) -> Result<Response, ApiError> {
    let permissions: BTreeMap<&str, bool> = user
        .permissions
        .iter()
        .map(|key| (key.as_str(), true))
        .collect();
    Ok(Json(json!({ "features": {}, "plans": {}, "permissions": permissions })).into_response())
}
