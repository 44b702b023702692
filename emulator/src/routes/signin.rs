//! The account-state rule of sign-in: locked and unactivated users get no session by any path.
//!
//! Every path that hands out a session or tokens for a user asks [`ensure_may_sign_in`] (first
//! factors and sessions in `auth`, user API tokens) or gets the same [`Standing`] from the store's
//! atomic rotations (refresh), and answers with [`refusal`], so a client tells a locked account
//! apart from bad credentials the same way on every path.

use axum::http::StatusCode;

use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::Standing;

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
