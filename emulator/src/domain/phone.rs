//! Phone numbers: their form, and that a verified number identifies one account only.
//!
//! Used by profile updates, sign-up, MFA SMS enrollment and phone verification alike, so a number
//! is read the same way wherever it enters.

use axum::http::StatusCode;

use crate::error::{codes, ApiError};
use crate::state::AppState;

/// A phone number in E.164 form (`+` and 7 to 15 digits); spaces and dashes are dropped.
pub(crate) fn valid_phone_number(phone: &str) -> Result<String, ApiError> {
    let compact: String = phone
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or_default();
    if digits.len() < 7 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "phoneNumber must be in E.164 form, like +15551234567",
        ));
    }
    Ok(compact)
}

/// 409 `ER-04007`: the number is another account's verified number.
pub(crate) fn phone_taken() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "This phone number is already verified by another user",
        codes::PHONE_NUMBER_TAKEN,
    )
}

/// 409 unless `phone_number` is free for `user_id` (`None`: a user not created yet).
pub(crate) fn ensure_phone_free(
    state: &AppState,
    phone_number: &str,
    user_id: Option<&str>,
) -> Result<(), ApiError> {
    if state.store.phone_taken(phone_number, user_id)? {
        Err(phone_taken())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::valid_phone_number;

    #[test]
    fn phone_numbers_must_be_e164_once_spaces_and_dashes_are_dropped() {
        assert_eq!(valid_phone_number("+15550001234").unwrap(), "+15550001234");
        assert_eq!(
            valid_phone_number(" +1 555-000 1234 ").unwrap(),
            "+15550001234"
        );
        assert!(valid_phone_number("15550001234").is_err());
        assert!(valid_phone_number("+123456").is_err());
        assert!(valid_phone_number("+1234567890123456").is_err());
        assert!(valid_phone_number("+1555000123a").is_err());
    }
}
