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

    /// Moves the clock forward (or back, with a negative value) by `seconds`.
    pub fn advance(&self, seconds: i64) {
        // fetch_update so concurrent advances add up instead of overwriting each other.
        let _ = self
            .offset_seconds
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                Some(o.saturating_add(seconds))
            });
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
        clock.advance(3600);
        clock.advance(60);
        assert_eq!(clock.offset(), 3660);
        assert!(clock.now() >= before + 3660);
    }

    #[test]
    fn formats_dates() {
        assert_eq!(rfc3339(1_445_412_480), "2015-10-21T07:28:00Z");
        assert_eq!(http_date(1_445_412_480), "Wed, 21 Oct 2015 07:28:00 GMT");
    }
}
