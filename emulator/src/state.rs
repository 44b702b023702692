//! What every request handler shares.

use std::sync::{PoisonError, RwLock};

use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::SigningKey;
use crate::store::Store;

/// Shared state of the running emulator.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The key that signs access tokens.
    pub key: SigningKey,
    /// The emulator's adjustable clock.
    pub clock: Clock,
    // Behind a lock because the developer config endpoint changes policies while serving.
    settings: RwLock<Settings>,
    bound_address: String,
}

impl AppState {
    /// Assembles the state; `bound_address` (`http://HOST:PORT`) is the default issuer.
    pub fn new(
        store: Store,
        key: SigningKey,
        clock: Clock,
        settings: Settings,
        bound_address: String,
    ) -> Self {
        Self {
            store,
            key,
            clock,
            settings: RwLock::new(settings),
            bound_address,
        }
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

    /// Whether a browser origin may make credentialed calls (checked on every CORS request).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .origin_allowed(origin)
    }
}
