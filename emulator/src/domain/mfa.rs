//! The rules of multi-factor authentication, apart from HTTP: which strategies a user may use or
//! enroll, TOTP verification (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step, each step accepted once
//! per device), SMS and email codes (6 digits, 5 minutes, single use, keyed by their `otcToken`,
//! burned after [`MAX_CODE_ATTEMPTS`](crate::store::MAX_CODE_ATTEMPTS) wrong guesses), recovery
//! codes and the per-user attempt limit.
//!
//! The sign-in sequence that uses them (MFA tokens, challenges, remembered devices) is
//! `routes::signin`'s; the MFA routes are `routes::mfa`'s.

use std::net::IpAddr;

use axum::http::StatusCode;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Builder, Secret, Totp};

use crate::config::MfaPolicy;
use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::{
    Authenticator, CodeBinding, CodeCheck, CodePurpose, MessageKind, MfaDevices, NewCode,
    NewMessage, UserRecord,
};
use crate::tokens;

/// How long an SMS or email code stays valid.
const CODE_TTL_SECONDS: i64 = 300;
/// How long a proposed authenticator secret waits for its first code.
const ENROLLMENT_TTL_SECONDS: i64 = 600;
/// The issuer shown in authenticator apps.
const TOTP_ISSUER: &str = "Frontegg Emulator";
/// The policy's names of the strategies with codes: an authenticator app, SMS, email.
pub(crate) const AUTHENTICATOR_APP: &str = "AuthenticatorApp";
pub(crate) const SMS: &str = "SMS";
pub(crate) const EMAIL_CODE: &str = "EmailCode";

// ---------------------------------------------------------------------------------------------
// Errors

/// 400: the code is wrong (or a TOTP step was already used); the same `mfaToken` may retry.
pub(crate) fn invalid_code() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "Invalid code",
        codes::INVALID_MFA_CODE,
    )
}

/// 400: the `otcToken` is dead; a new code must be sent.
pub(crate) fn code_expired() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "The code expired or was already used; request a new one",
        codes::MFA_CODE_EXPIRED,
    )
}

/// 404: not one of the user's MFA devices.
pub(crate) fn device_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "MFA device not found",
        codes::MFA_DEVICE_NOT_FOUND,
    )
}

/// 400: enrollment refused, the user already has what it would add.
pub(crate) fn already_enrolled(message: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        message,
        codes::MFA_ALREADY_ENROLLED,
    )
}

/// 400: no authenticator-app enrollment is pending.
fn enrollment_not_started() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "No authenticator app enrollment in progress; start the enrollment again",
        codes::MFA_ENROLLMENT_NOT_STARTED,
    )
}

/// Refuses (403) a strategy the MFA policy does not offer.
pub(crate) fn require_strategy(policy: &MfaPolicy, strategy: &str) -> Result<(), ApiError> {
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
// Strategies and limits

/// `+15550001234` → `+*******1234`: enough for the user to recognise their phone.
pub(crate) fn mask_phone(number: &str) -> String {
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

/// Strategies the user can answer a challenge with: their enrolled kinds, plus email codes,
/// in the policy's order.
pub(crate) fn usable_strategies(policy: &MfaPolicy, devices: &MfaDevices) -> Vec<String> {
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
pub(crate) fn enrollable_strategies(policy: &MfaPolicy) -> Vec<String> {
    policy
        .strategies
        .iter()
        .filter(|s| *s != EMAIL_CODE)
        .cloned()
        .collect()
}

/// Whether `user` has a second factor enrolled.
pub(crate) fn is_enrolled(state: &AppState, user: &UserRecord) -> Result<bool, ApiError> {
    Ok(state
        .store
        .mfa_devices(&user.id)?
        .is_some_and(|d| d.is_enrolled()))
}

/// Counts one guess (or one code sent) for this user from this IP.
pub(crate) fn limit(state: &AppState, ip: IpAddr, user_id: &str) -> Result<(), ApiError> {
    state.limit_attempt(ip, &format!("mfa:{user_id}"))
}

// ---------------------------------------------------------------------------------------------
// TOTP

/// The RFC 6238 generator of an authenticator secret, labelled for `account`.
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
pub(crate) fn matching_step(
    secret_base32: &str,
    code: &str,
    now: i64,
) -> Result<Option<i64>, ApiError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let time = u64::try_from(now).map_err(ApiError::internal)?;
    let step = totp(secret_base32, "-")?.check(&code, time);
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

/// Checks a code against one authenticator and records its step as used. A code for a step
/// already used (or older) is refused like a wrong one.
pub(crate) fn verify_authenticator_code(
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

/// Checks a code against each of the user's authenticator apps and records the step of the
/// first that matches as used; refused like a wrong code when none does, or when that step
/// was already used.
pub(crate) fn verify_any_authenticator_code(
    state: &AppState,
    apps: &[Authenticator],
    code: &str,
    now: i64,
) -> Result<(), ApiError> {
    let mut matched = None;
    for app in apps {
        if let Some(step) = matching_step(&app.secret, code, now)? {
            matched = Some((app, step));
            break;
        }
    }
    let (app, step) = matched.ok_or_else(invalid_code)?;
    if !state.store.accept_totp_step(&app.id, step)? {
        return Err(invalid_code());
    }
    Ok(())
}

/// A fresh 160-bit secret, base32.
fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

/// Proposes a new authenticator secret to the user and answers its QR code.
pub(crate) fn start_authenticator_enrollment(
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
pub(crate) fn check_pending_authenticator(
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
pub(crate) fn complete_authenticator_enrollment(
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
pub(crate) struct CodeRequest<'a> {
    pub user: &'a UserRecord,
    pub purpose: CodePurpose,
    pub device_id: Option<&'a str>,
    pub phone_number: Option<&'a str>,
    pub mfa_token_hash: Option<[u8; 32]>,
    pub to: &'a str,
    pub kind: MessageKind,
}

/// Stores a new 6-digit code and "sends" it to the outbox; answers its `otcToken`.
pub(crate) fn send_code(
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

/// Redeems a code; answers the phone number of an SMS enrollment.
pub(crate) fn redeem(
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

/// Removes all of the MFA of the user with this email if `recovery_code` is theirs (the code
/// with it, so it works once). An unknown email fails exactly like a wrong code: 400
/// `INVALID_RECOVERY_CODE`.
pub(crate) fn recover_with_code(
    state: &AppState,
    email: &str,
    recovery_code: &str,
) -> Result<(), ApiError> {
    let user_id = state.store.credentials(email)?.map(|c| c.user_id);
    let stored = match &user_id {
        Some(id) => state.store.recovery_code_hash(id)?,
        None => None,
    };
    let presented = hash_recovery_code(recovery_code);
    // Compared against a dummy when there is nothing stored, so both failures take one path.
    let matches: bool = stored
        .as_deref()
        .unwrap_or(&[0u8; 32])
        .ct_eq(&presented)
        .into();
    match user_id {
        Some(user_id) if matches && stored.is_some() => {
            state.store.remove_all_mfa(&user_id)?;
            Ok(())
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Invalid recovery code",
            codes::INVALID_RECOVERY_CODE,
        )),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_but_for_the_last_four_digits() {
        assert_eq!(mask_phone("+15550001234"), "+*******1234");
        assert_eq!(mask_phone("+123"), "+123");
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
