//! Attempt limits: fixed one-minute windows per key (an IP, a user, an MFA token), counted on
//! the emulator clock so tests can move past a window without sleeping.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

const WINDOW_SECONDS: i64 = 60;
/// Keys longer than this are kept by their digest: a key is what a caller sent (an email of
/// megabytes), and each one is kept for a window.
const LONGEST_KEY: usize = 128;
/// Past this many keys, windows that have ended are dropped, so memory stays bounded.
const PRUNE_ABOVE: usize = 10_000;

/// Counts attempts per key in the current window.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl Limiter {
    /// Counts one attempt under `key` at `now` (Unix seconds). Once `max` attempts were made in
    /// the current window, answers 429 with the seconds left until it ends. `max == 0` means
    /// unlimited.
    pub fn hit(&self, key: &str, max: u32, now: i64) -> Result<(), ApiError> {
        if max == 0 {
            return Ok(());
        }
        let window = now - now.rem_euclid(WINDOW_SECONDS);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| *start == window);
        }
        let entry = windows
            .entry(stored_key(key).into_owned())
            .or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= max {
            let left = u64::try_from(window + WINDOW_SECONDS - now).unwrap_or(1);
            return Err(ApiError::rate_limited(left));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Refuses with 429, like [`Limiter::hit`], once `max` attempts were counted under `key` in
    /// the current window, without counting one: for limits on failures, checked before the
    /// attempt and counted ([`Limiter::hit`]) only when it fails.
    pub fn check(&self, key: &str, max: u32, now: i64) -> Result<(), ApiError> {
        let window = now - now.rem_euclid(WINDOW_SECONDS);
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows.get(stored_key(key).as_ref()) {
            Some(&(start, count)) if max > 0 && start == window && count >= max => {
                let left = u64::try_from(window + WINDOW_SECONDS - now).unwrap_or(1);
                Err(ApiError::rate_limited(left))
            }
            _ => Ok(()),
        }
    }

    /// Forgets every count (developer reset).
    pub fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// `key` as the table keeps it: as it is, or by its digest when it is long.
fn stored_key(key: &str) -> Cow<'_, str> {
    if key.len() <= LONGEST_KEY {
        return Cow::Borrowed(key);
    }
    let digest = Sha256::digest(key.as_bytes());
    Cow::Owned(format!(
        "sha256:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_key_is_kept_by_its_digest_and_still_counted() {
        let l = Limiter::default();
        let long = "x".repeat(2_000_000);
        assert!(l.hit(&long, 1, 600).is_ok());
        assert!(l.hit(&long, 1, 600).is_err(), "the same key, counted");
        assert!(l.hit(&format!("{long}y"), 1, 600).is_ok(), "another key");
        let windows = l.windows.lock().unwrap();
        assert!(windows.keys().all(|k| k.len() <= LONGEST_KEY));
    }

    #[test]
    fn limits_within_a_window_and_resets_after_it() {
        let l = Limiter::default();
        assert!(l.hit("k", 2, 600).is_ok());
        assert!(l.hit("k", 2, 610).is_ok());
        let err = l.hit("k", 2, 615).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(err.retry_after, Some(45));
        assert!(l.hit("other", 2, 615).is_ok(), "keys are independent");
        assert!(l.hit("k", 2, 660).is_ok(), "a new window starts afresh");
        assert!(
            l.hit("k", 0, 660).is_ok() && l.hit("k", 0, 660).is_ok(),
            "0 is unlimited"
        );
        assert!(
            l.check("k", 2, 661).is_ok() && l.check("k", 2, 661).is_ok(),
            "check counts nothing"
        );
        assert!(l.hit("k", 2, 661).is_ok());
        assert!(l.check("k", 2, 661).is_err(), "full");
    }
}
