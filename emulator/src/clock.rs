//! The emulator's clock: real time plus an offset that tests can advance.
//!
//! Every expiry decision (access tokens, refresh tokens, MFA tokens) reads this clock instead of
//! the system time, so a test can jump forward an hour without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Real time shifted by an adjustable offset, in whole Unix seconds.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    /// A clock that starts at real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The emulator's current time, in seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.offset())
    }

    /// How far the clock has been moved ahead of real time, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset_seconds.load(Ordering::Relaxed)
    }

    /// Moves the clock forward by `seconds`: at most [`MAX_ADVANCE_SECONDS`] at a time, and
    /// never past [`MAX_OFFSET_SECONDS`] ahead of real time in all. Returns the new offset.
    pub fn advance(&self, seconds: i64) -> Result<i64, ClockError> {
        if !(0..=MAX_ADVANCE_SECONDS).contains(&seconds) {
            return Err(ClockError::StepOutOfRange);
        }
        // fetch_update so concurrent advances add up instead of overwriting each other.
        self.offset_seconds
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                offset
                    .checked_add(seconds)
                    .filter(|total| *total <= MAX_OFFSET_SECONDS)
            })
            .map(|previous| previous + seconds)
            .map_err(|_| ClockError::TooFarAhead)
    }
}

/// Longest single step of [`Clock::advance`]: ten years, more than any token or policy lasts.
pub const MAX_ADVANCE_SECONDS: i64 = 10 * 365 * 86_400;

/// Furthest the clock may run ahead of real time: a century. Dates stay far inside what
/// RFC 3339 and HTTP dates can express (year 9999), which an unbounded clock once overran.
pub const MAX_OFFSET_SECONDS: i64 = 100 * 365 * 86_400;

/// Why [`Clock::advance`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockError {
    /// The step is negative or longer than [`MAX_ADVANCE_SECONDS`].
    StepOutOfRange,
    /// The step would put the clock more than [`MAX_OFFSET_SECONDS`] ahead.
    TooFarAhead,
}

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::StepOutOfRange => write!(
                f,
                "advanceSeconds must be between 0 and {MAX_ADVANCE_SECONDS} (ten years)"
            ),
            Self::TooFarAhead => write!(
                f,
                "the clock may run at most {MAX_OFFSET_SECONDS} seconds (a century) ahead"
            ),
        }
    }
}

fn to_system_time(unix_seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix_seconds).unwrap_or(0))
}

/// Formats Unix seconds as an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`), the format of `expires`.
pub fn http_date(unix_seconds: i64) -> String {
    httpdate::fmt_http_date(to_system_time(unix_seconds))
}

/// Formats Unix seconds as RFC 3339 UTC (`2015-10-21T07:28:00Z`), the format of `createdAt`.
pub fn rfc3339(unix_seconds: i64) -> String {
    humantime::format_rfc3339_seconds(to_system_time(unix_seconds)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::new();
        let before = clock.now();
        assert_eq!(clock.advance(3600), Ok(3600));
        assert_eq!(clock.advance(60), Ok(3660));
        assert_eq!(clock.offset(), 3660);
        assert!(clock.now() >= before + 3660);
    }

    #[test]
    fn advancing_is_bounded() {
        let clock = Clock::new();
        assert_eq!(clock.advance(-1), Err(ClockError::StepOutOfRange));
        assert_eq!(
            clock.advance(MAX_ADVANCE_SECONDS + 1),
            Err(ClockError::StepOutOfRange)
        );
        assert_eq!(clock.advance(0), Ok(0));
        for step in 1..=10 {
            assert_eq!(
                clock.advance(MAX_ADVANCE_SECONDS),
                Ok(step * MAX_ADVANCE_SECONDS)
            );
        }
        assert_eq!(clock.advance(1), Err(ClockError::TooFarAhead));
        assert_eq!(
            clock.offset(),
            MAX_OFFSET_SECONDS,
            "a refused step changes nothing"
        );
        // The furthest date still formats (it panicked past year 9999 before).
        assert!(rfc3339(clock.now() + MAX_ADVANCE_SECONDS).starts_with("21"));
    }

    #[test]
    fn formats_dates() {
        assert_eq!(rfc3339(1_445_412_480), "2015-10-21T07:28:00Z");
        assert_eq!(http_date(1_445_412_480), "Wed, 21 Oct 2015 07:28:00 GMT");
    }
}
