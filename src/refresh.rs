//! When to refresh, and how to retry: pure rules over numbers, so they are tested with a fake
//! clock in microseconds.

/// Retry schedule for refreshes that failed on the network or with a 5xx: exponential from
/// `base_ms`, capped at `max_ms`, with up to 50 % subtracted by the caller's jitter so many
/// clients that failed together don't come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay.
    pub base_ms: u32,
    /// Largest delay.
    pub max_ms: u32,
    /// Attempts before giving up (the first try included).
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        // Three tries over about 1.5 s: long enough to ride out a blip, short enough that a page
        // load against a host that is down reports it promptly.
        Self {
            base_ms: 500,
            max_ms: 30_000,
            max_attempts: 3,
        }
    }
}

impl Backoff {
    /// Delay before attempt `attempt` (1 = the first retry), or `None` when attempts are used up.
    /// `jitter` in `0.0..1.0` (e.g. `Math.random()`) shortens the delay by up to half.
    pub fn delay_ms(&self, attempt: u32, jitter: f64) -> Option<u32> {
        if attempt == 0 || attempt >= self.max_attempts {
            return None;
        }
        let exp = self
            .base_ms
            .saturating_mul(1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX));
        let capped = f64::from(exp.min(self.max_ms));
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some((capped * (1.0 - jitter / 2.0)) as u32)
    }
}

/// Milliseconds from `now_ms` until a session expiring at `expires_at_ms` should be refreshed
/// (`leeway_ms` before expiry, never negative). Short-lived tokens are refreshed at half their
/// remaining life at the latest, so a leeway longer than the token's life can't cause a loop.
pub fn refresh_delay_ms(now_ms: f64, expires_at_ms: f64, leeway_ms: f64) -> u32 {
    let remaining = expires_at_ms - now_ms;
    if remaining <= 0.0 {
        return 0;
    }
    let at = (remaining - leeway_ms).max(remaining / 2.0).max(0.0);
    at.min(f64::from(u32::MAX)) as u32
}

/// Events reported to `onAuthStateChange` listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEvent {
    /// A session started (login, MFA, restore through the cookie, another tab signing in).
    SignedIn,
    /// The access token was replaced.
    TokenRefreshed,
    /// The user signed out (here or in another tab).
    SignedOut,
    /// The host rejected the refresh: the session is over.
    SessionExpired,
    /// A login step needs a second factor.
    MfaRequired,
}

impl AuthEvent {
    /// The name JS listeners receive.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "SIGNED_IN",
            Self::TokenRefreshed => "TOKEN_REFRESHED",
            Self::SignedOut => "SIGNED_OUT",
            Self::SessionExpired => "SESSION_EXPIRED",
            Self::MfaRequired => "MFA_REQUIRED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_stops() {
        let b = Backoff {
            base_ms: 500,
            max_ms: 30_000,
            max_attempts: 5,
        };
        let delays: Vec<_> = (1..6).map(|a| b.delay_ms(a, 0.0)).collect();
        assert_eq!(
            delays,
            [Some(500), Some(1000), Some(2000), Some(4000), None]
        );
        let defaults = Backoff::default();
        assert_eq!(defaults.delay_ms(3, 0.0), None, "three tries by default");
        let long = Backoff {
            base_ms: 500,
            max_ms: 3000,
            max_attempts: 100,
        };
        assert_eq!(long.delay_ms(40, 0.0), Some(3000));
        assert_eq!(
            b.delay_ms(1, 1.0),
            Some(250),
            "jitter shortens by up to half"
        );
        assert_eq!(b.delay_ms(1, f64::NAN), Some(500));
        assert_eq!(b.delay_ms(0, 0.0), None);
    }

    #[test]
    fn refresh_is_due_leeway_before_expiry() {
        // 300 s token, 30 s leeway: refresh after 270 s.
        assert_eq!(refresh_delay_ms(0.0, 300_000.0, 30_000.0), 270_000);
        // Already inside the leeway: at half the remaining life, not in a tight loop.
        assert_eq!(refresh_delay_ms(280_000.0, 300_000.0, 30_000.0), 10_000);
        // Expired: now.
        assert_eq!(refresh_delay_ms(301_000.0, 300_000.0, 30_000.0), 0);
        // A leeway longer than the token's life.
        assert_eq!(refresh_delay_ms(0.0, 10_000.0, 30_000.0), 5_000);
    }

    #[test]
    fn event_names() {
        assert_eq!(AuthEvent::TokenRefreshed.as_str(), "TOKEN_REFRESHED");
        assert_eq!(AuthEvent::SessionExpired.as_str(), "SESSION_EXPIRED");
    }
}
