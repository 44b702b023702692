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

/// The longest delay timers take: `setTimeout` (and Node's timers) fire at once for anything
/// above 2^31 − 1 ms, about 24.8 days, so a longer wait is armed in steps of at most this.
pub const MAX_TIMER_MS: u32 = i32::MAX as u32;

/// How long a session that arrived with at most this much life left (or none: a host whose
/// clock is behind, an answer without `expiresIn` or `iat`) waits before it is refreshed for
/// being due. Refreshed at once, it would be refreshed again at once, in a burst the host
/// rate-limits. Longer-lived tokens keep their jitter, which keeps tabs apart.
pub const MIN_REFRESH_GAP_MS: f64 = 5_000.0;

/// When (epoch ms) a session expiring at `expires_at_ms`, taken in at `taken_at_ms`, should be
/// refreshed, seen at `now_ms`: `leeway_ms` before expiry, and for short-lived tokens at half
/// their remaining life at the latest, so a leeway longer than the token's life can't cause a
/// loop. Never before `now_ms`, nor, for a token that arrived with [`MIN_REFRESH_GAP_MS`] of
/// life or less, within that gap of `taken_at_ms`.
///
/// `jitter` in `0.0..1.0` moves it earlier by up to half the leeway (at most a quarter of the
/// remaining life): tabs and processes holding the same session then don't all wake at the
/// same instant, and the first one's refresh reaches the others before their own timers fire.
pub fn refresh_due_at(
    now_ms: f64,
    taken_at_ms: f64,
    expires_at_ms: f64,
    leeway_ms: f64,
    jitter: f64,
) -> f64 {
    // `max` ignores a NaN floor.
    let floor = if expires_at_ms - taken_at_ms <= MIN_REFRESH_GAP_MS {
        taken_at_ms + MIN_REFRESH_GAP_MS
    } else {
        f64::NAN
    };
    now_ms
        .max(floor)
        .max(due_by_expiry(now_ms, expires_at_ms, leeway_ms, jitter))
}

/// [`refresh_due_at`] by the token's expiry alone.
fn due_by_expiry(now_ms: f64, expires_at_ms: f64, leeway_ms: f64, jitter: f64) -> f64 {
    let remaining = expires_at_ms - now_ms;
    if remaining.is_nan() || remaining <= 0.0 {
        return now_ms;
    }
    let at = (remaining - leeway_ms).max(remaining / 2.0).max(0.0);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let spread = (leeway_ms / 2.0).min(remaining / 4.0).max(0.0);
    now_ms + (at - jitter * spread).max(0.0)
}

impl Backoff {
    /// The longest one refresh can take with requests of `timeout_ms`: every attempt timing
    /// out, with the longest backoff between them.
    pub fn longest_refresh_ms(&self, timeout_ms: u32) -> u32 {
        self.longest_from(1, timeout_ms)
    }

    /// The longest the attempts from retry `attempt` on (1 = the first retry) can take, each
    /// timing out after the longest backoff before it.
    fn longest_from(&self, attempt: u32, timeout_ms: u32) -> u32 {
        (attempt..self.max_attempts).fold(timeout_ms, |total, later| {
            total
                .saturating_add(self.delay_ms(later, 0.0).unwrap_or(0))
                .saturating_add(timeout_ms)
        })
    }

    /// Whether a refresh `elapsed_ms` in may wait `wait_ms` (a 429's `Retry-After`, longer than
    /// its backoff) before retry `attempt`. Only if it still ends within
    /// [`Self::longest_refresh_ms`] with every later attempt timing out, and within `max_ms`:
    /// meanwhile it holds the tabs' lock and the store's lease, which the others take over
    /// after that long ([`lock_takeover_ms`]), and two refreshes with one token are theft to
    /// the host. A longer wait is the timer's, which comes back after it.
    pub fn may_wait(&self, attempt: u32, wait_ms: u32, elapsed_ms: u32, timeout_ms: u32) -> bool {
        let rest = self.longest_from(attempt.saturating_add(1), timeout_ms);
        wait_ms <= self.max_ms
            && elapsed_ms.saturating_add(wait_ms).saturating_add(rest)
                <= self.longest_refresh_ms(timeout_ms)
    }
}

/// How long a tab waits for another tab's refresh lock before taking it over: longer than any
/// refresh can hold it (taking over while the holder's request is out would send a second
/// refresh with a token the first one rotates, which the host treats as theft and answers by
/// revoking the session in every tab), but bounded, so a frozen tab doesn't block the others.
pub fn lock_takeover_ms(timeout_ms: u32) -> u32 {
    /// Room for the holder to hand its session over before it releases the lock.
    const MARGIN_MS: u32 = 2_000;
    Backoff::default()
        .longest_refresh_ms(timeout_ms)
        .saturating_add(MARGIN_MS)
}

/// Milliseconds from `now_ms` until `due_at_ms`, as one timer can wait: never negative, at most
/// [`MAX_TIMER_MS`] (a longer wait is re-armed when the timer fires).
pub fn timer_delay_ms(now_ms: f64, due_at_ms: f64) -> u32 {
    (due_at_ms - now_ms).clamp(0.0, f64::from(MAX_TIMER_MS)) as u32
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

    /// The first timer's delay for a session expiring at `expires_at_ms`.
    fn refresh_delay_ms(now_ms: f64, expires_at_ms: f64, leeway_ms: f64) -> u32 {
        timer_delay_ms(
            now_ms,
            refresh_due_at(now_ms, f64::NEG_INFINITY, expires_at_ms, leeway_ms, 0.0),
        )
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
        // A 60-day token: one step of the longest timer, never a delay timers fire at once.
        let sixty_days = 60.0 * 86_400_000.0;
        assert_eq!(refresh_delay_ms(0.0, sixty_days, 30_000.0), MAX_TIMER_MS);
        assert_eq!(refresh_delay_ms(0.0, f64::INFINITY, 0.0), MAX_TIMER_MS);
        // ... while the due time stays the real one, so the next step waits for the rest.
        let due = refresh_due_at(0.0, 0.0, sixty_days, 30_000.0, 0.0);
        assert_eq!(due, sixty_days - 30_000.0);
        let woke = f64::from(MAX_TIMER_MS);
        assert_eq!(timer_delay_ms(woke, due), MAX_TIMER_MS);
        assert_eq!(timer_delay_ms(2.0 * woke, due), (due - 2.0 * woke) as u32);
        assert_eq!(timer_delay_ms(due + 5.0, due), 0, "late: now");
        assert_eq!(refresh_delay_ms(0.0, f64::NAN, 0.0), 0);
    }

    #[test]
    fn the_lock_is_taken_over_only_after_the_longest_refresh() {
        // Three 15 s timeouts with 0.5 s and 1 s of backoff between them.
        assert_eq!(Backoff::default().longest_refresh_ms(15_000), 46_500);
        assert_eq!(lock_takeover_ms(15_000), 48_500);
        assert_eq!(lock_takeover_ms(2_000), 9_500);
        assert_eq!(lock_takeover_ms(u32::MAX), u32::MAX);
    }

    #[test]
    fn a_retry_after_is_sat_out_only_within_the_longest_refresh() {
        let b = Backoff::default();
        // 15 s requests, 46.5 s in all: after a first 429 at once, the two attempts left and
        // the 1 s backoff between them need 31 s, which leaves 15.5 s to wait.
        assert!(b.may_wait(1, 3_000, 0, 15_000));
        assert!(b.may_wait(1, 15_500, 0, 15_000));
        assert!(!b.may_wait(1, 15_501, 0, 15_000));
        // Time already spent counts; the last retry has only its own timeout after it.
        assert!(!b.may_wait(1, 15_500, 1, 15_000));
        assert!(b.may_wait(2, 16_000, 15_500, 15_000));
        assert!(!b.may_wait(2, 1_001, 46_000, 15_000));
        // Never beyond 30 s, however long the requests may take.
        assert!(!b.may_wait(1, 30_001, 0, 600_000));
        assert!(b.may_wait(1, 30_000, 0, 600_000));
        // Short requests leave little room: sent again when the host says, or not at all.
        assert!(!b.may_wait(1, 3_000, 0, 1_000));
        // The backoff's own delays always fit, when the attempts before took their longest.
        for t in [1, 1_000, 15_000, 600_000] {
            let first = b.delay_ms(1, 0.0).unwrap();
            assert!(b.may_wait(1, first, t, t));
            let second = b.delay_ms(2, 0.0).unwrap();
            assert!(b.may_wait(2, second, 2 * t + first, t));
        }
    }

    #[test]
    fn jitter_spreads_the_due_time_within_the_leeway() {
        // 300 s token, 30 s leeway: due between 255 s and 270 s.
        assert_eq!(
            refresh_due_at(0.0, f64::NEG_INFINITY, 300_000.0, 30_000.0, 0.0),
            270_000.0
        );
        assert_eq!(
            refresh_due_at(0.0, f64::NEG_INFINITY, 300_000.0, 30_000.0, 1.0),
            255_000.0
        );
        assert_eq!(
            refresh_due_at(0.0, f64::NEG_INFINITY, 300_000.0, 30_000.0, f64::NAN),
            270_000.0
        );
        // A 10 s token: at most a quarter of its life earlier, never in the past.
        assert_eq!(
            refresh_due_at(0.0, f64::NEG_INFINITY, 10_000.0, 30_000.0, 1.0),
            2_500.0
        );
        assert_eq!(
            refresh_due_at(5.0, f64::NEG_INFINITY, 4.0, 30_000.0, 1.0),
            5.0
        );
    }

    #[test]
    fn a_session_just_taken_in_is_not_refreshed_again_at_once() {
        // A token already expired when it arrived (the host's clock behind this one's): due
        // only after the gap, not at once, so refreshes come one per gap, not in a burst.
        assert_eq!(
            refresh_due_at(1_000.0, 1_000.0, 900.0, 30_000.0, 0.0),
            6_000.0
        );
        assert_eq!(
            refresh_due_at(7_000.0, 1_000.0, 900.0, 30_000.0, 0.0),
            7_000.0
        );
        // A leeway longer than the token's life, seen when it was taken in: at half its life.
        assert_eq!(
            refresh_due_at(0.0, 0.0, 300_000.0, 600_000.0, 0.0),
            150_000.0
        );
        // Arrived with 3 s left: the gap, not half of it.
        assert_eq!(refresh_due_at(0.0, 0.0, 3_000.0, 30_000.0, 1.0), 5_000.0);
        // A short token with more life than the gap: no floor, and the jitter that keeps tabs
        // apart stays.
        assert_eq!(refresh_due_at(0.0, 0.0, 8_000.0, 30_000.0, 0.0), 4_000.0);
        assert_eq!(refresh_due_at(0.0, 0.0, 8_000.0, 30_000.0, 1.0), 2_000.0);
        // A usual token: the gap changes nothing.
        assert_eq!(
            refresh_due_at(0.0, 0.0, 300_000.0, 30_000.0, 0.0),
            270_000.0
        );
    }

    #[test]
    fn event_names() {
        assert_eq!(AuthEvent::TokenRefreshed.as_str(), "TOKEN_REFRESHED");
        assert_eq!(AuthEvent::SessionExpired.as_str(), "SESSION_EXPIRED");
    }
}
