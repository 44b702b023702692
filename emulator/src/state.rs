//! What every request handler shares.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::OwnedMutexGuard;

use crate::clock::Clock;
use crate::config::Access;
use crate::config::{SeedMode, Settings};
use crate::error::ApiError;
use crate::keys::SigningKey;
use crate::limits::Limiter;
use crate::store::Store;

/// Shared state of the running emulator.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The key that signs access tokens.
    pub key: SigningKey,
    /// The emulator's adjustable clock.
    pub clock: Clock,
    /// Attempt counters for rate limits.
    pub limiter: Limiter,
    /// Requests counted for tests (`GET /emulator/v1/stats`).
    pub stats: Stats,
    /// What `POST /emulator/v1/reset` restores.
    pub seed: SeedMode,
    /// Origins and hosts the command line allows beyond the defaults.
    pub access: Access,
    /// One password check at a time per account ([`AppState::password_turn`]).
    password_turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    // Behind a lock because the developer config endpoint changes policies while serving.
    settings: RwLock<Settings>,
    /// The settings at start, which a developer reset restores.
    initial_settings: Settings,
    bound_address: String,
}

impl AppState {
    /// Assembles the state; `bound_address` (`http://HOST:PORT`) is the default issuer.
    pub fn new(
        store: Store,
        key: SigningKey,
        clock: Clock,
        settings: Settings,
        seed: SeedMode,
        access: Access,
        bound_address: String,
    ) -> Self {
        Self {
            store,
            key,
            clock,
            limiter: Limiter::default(),
            stats: Stats::default(),
            seed,
            access,
            password_turns: Mutex::default(),
            initial_settings: settings.clone(),
            settings: RwLock::new(settings),
            bound_address,
        }
    }

    /// Waits until no other password check for `user_id` is running, and holds the turn until
    /// dropped. Concurrent guesses would otherwise all pass the lockout check before the first
    /// failure is recorded: many more than `lockout.maxAttempts` guesses, with the right one
    /// told apart by its answer once the others had locked the account.
    pub async fn password_turn(&self, user_id: &str) -> OwnedMutexGuard<()> {
        let turn = {
            let mut turns = self
                .password_turns
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Only accounts with a check running or waiting keep an entry.
            turns.retain(|_, turn| Arc::strong_count(turn) > 1);
            Arc::clone(turns.entry(user_id.to_owned()).or_default())
        };
        turn.lock_owned().await
    }

    /// The settings the emulator started with.
    pub fn initial_settings(&self) -> &Settings {
        &self.initial_settings
    }

    /// Replaces the settings (developer config endpoint); the caller validated them.
    pub fn set_settings(&self, settings: Settings) {
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
    }

    /// Counts one guess (a password, a code, a recovery code) from `ip` against `subject` (an
    /// email, a user id, an MFA token) under the configured per-IP and per-user limits.
    pub fn limit_attempt(&self, ip: IpAddr, subject: &str) -> Result<(), ApiError> {
        let limits = self.settings().rate_limit;
        let now = self.clock.now();
        self.limiter
            .hit(&address_key(ip), limits.per_ip_per_minute, now)?;
        self.limiter.hit(
            &format!("subject:{}", subject.to_lowercase()),
            limits.per_user_per_minute,
            now,
        )
    }

    /// Counts one request from `ip` under the configured per-IP limit alone: for requests that
    /// name nobody, which no per-user budget can cover.
    pub fn limit_address(&self, ip: IpAddr) -> Result<(), ApiError> {
        let limits = self.settings().rate_limit;
        self.limiter
            .hit(&address_key(ip), limits.per_ip_per_minute, self.clock.now())
    }

    /// A snapshot of the current settings; take one per request so it sees consistent values.
    pub fn settings(&self) -> Settings {
        // Settings are plain data, always whole: a poisoned lock still holds a valid value.
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The `iss` for access tokens: the configured issuer, else the bound address.
    pub fn issuer(&self, settings: &Settings) -> String {
        settings
            .issuer
            .clone()
            .unwrap_or_else(|| self.bound_address.clone())
    }

    /// Where emailed links point: the configured `appUrl`, else the issuer; no trailing `/`,
    /// so a link is this plus its path.
    pub fn app_url(&self, settings: &Settings) -> String {
        let url = settings
            .app_url
            .clone()
            .unwrap_or_else(|| self.issuer(settings));
        url.trim_end_matches('/').to_owned()
    }

    /// Whether a browser origin may make credentialed calls (checked on every CORS request).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .origin_allowed(origin)
    }
}

/// Counts of requests received, so a test can assert how many a client sent (for example,
/// exactly one refresh for many concurrent callers).
#[derive(Debug, Default)]
pub struct Stats {
    /// Password login requests.
    pub logins: std::sync::atomic::AtomicU64,
    /// Refresh requests, accepted or not.
    pub refreshes: std::sync::atomic::AtomicU64,
    /// Argon2 hashes of new passwords (sign-up, activation, reset, change), so a test can tell
    /// that a refused request cost no hashing.
    pub password_hashes: std::sync::atomic::AtomicU64,
}

impl Stats {
    /// Counts one request.
    pub fn count(counter: &std::sync::atomic::AtomicU64) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The counts, as `GET /emulator/v1/stats` answers them.
    pub fn snapshot(&self) -> serde_json::Value {
        use std::sync::atomic::Ordering::Relaxed;
        serde_json::json!({
            "logins": self.logins.load(Relaxed),
            "refreshes": self.refreshes.load(Relaxed),
            "passwordHashes": self.password_hashes.load(Relaxed),
        })
    }

    /// Back to zero (developer reset).
    pub fn clear(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.logins.store(0, Relaxed);
        self.refreshes.store(0, Relaxed);
        self.password_hashes.store(0, Relaxed);
    }
}

/// The per-IP limit's key for `ip`. Every loopback address (127.0.0.0/8, ::1, and IPv4 mapped
/// into IPv6) is the one machine, so they share one budget rather than one each.
pub fn address_key(ip: IpAddr) -> String {
    let ip = ip.to_canonical();
    if ip.is_loopback() {
        "ip:loopback".to_owned()
    } else {
        format!("ip:{ip}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_loopback_address_shares_one_budget() {
        let key = |ip: &str| address_key(ip.parse().unwrap());
        assert_eq!(key("127.0.0.2"), key("127.0.0.1"));
        assert_eq!(key("::1"), key("127.0.0.1"));
        assert_eq!(key("::ffff:127.0.0.3"), key("127.0.0.1"));
        assert_eq!(key("::ffff:10.0.0.1"), key("10.0.0.1"));
        assert_ne!(key("10.0.0.1"), key("10.0.0.2"));
    }
}
