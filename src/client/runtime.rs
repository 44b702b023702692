//! What the driver needs from the platform it runs on. The wasm build's runtime is
//! `crate::wasm::fetch` (the JS `fetch`, timers, Web Locks); the native one is
//! [`crate::native`] (reqwest), so the same driver is tested natively against the emulator.

use std::future::Future;
use std::pin::Pin;

use crate::core::error::Result;
use crate::core::http::{HttpRequest, HttpResponse};
use crate::core::origin::origin_of;

/// What the client needs from its runtime: the network, timers, background tasks, a little
/// randomness, and (where there are any) the refresh lock, the snapshot store and other tabs.
/// Network failures and timeouts come back as `network` / `timeout` errors; any HTTP status is a
/// response, not an error.
// The SDK runs on one thread (a JS event loop), so its futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Runtime: 'static {
    /// Sends `request`, giving up after `timeout_ms`.
    async fn send(&self, request: HttpRequest, timeout_ms: u32) -> Result<HttpResponse>;

    /// Waits `ms` milliseconds (retry backoff, refresh timers). The wait borrows nothing, so a
    /// refresh timer need not keep the client alive while it runs.
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> + use<Self>;

    /// A number in `0.0..1.0` that differs between clients, to spread retries out.
    fn jitter(&self) -> f64;

    /// Held while refreshing; dropping it releases the lock.
    type RefreshLock;

    /// Waits until this client may refresh. In browsers it is a Web Lock shared by the tabs of
    /// one origin (each refresh rotates the shared cookie, so two tabs must never race); a
    /// single process needs nothing beyond the client's own single-flight.
    async fn refresh_lock(&self) -> Self::RefreshLock;

    /// Whether `lock` was held by another tab first, which may just have refreshed; its new
    /// session travels over a channel that, under load, can arrive after the lock does.
    fn waited_for_peer(_lock: &Self::RefreshLock) -> bool {
        false
    }

    /// The session snapshot as stored now (the `storage` option), which another instance
    /// sharing the store (a tab, a Worker isolate, a server process) may have replaced with a
    /// newer session. `None` where nothing is stored.
    async fn stored_snapshot(&self) -> Option<String> {
        None
    }

    /// Replaces the stored snapshot with `value` only if it is still `expected`, atomically:
    /// `Some(true)` if it did, `Some(false)` if another instance changed it first, `None` where
    /// the store can't compare-and-set (the `storage` adapter has no `compareAndSet`).
    async fn compare_and_set(&self, _expected: &str, _value: &str) -> Option<bool> {
        None
    }

    /// Keeps `snapshot` where the next page load and other instances find it (`None`: removes
    /// it). Started before this returns, in the order of the changes that caused it.
    fn store_snapshot(&self, _snapshot: Option<&str>) {}

    /// Tells the other tabs of this origin (browser mode); nothing elsewhere.
    fn tell_peers(&self, _message: &PeerMessage) {}

    /// Runs `task` in the background: refresh timers and catch-up refreshes.
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()>>>);
}

/// What tabs tell each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerMessage {
    /// A new session (a snapshot, never a refresh token in browser mode).
    Session(String),
    /// The user signed out.
    SignedOut,
}

/// What to tell the caller when a server can't be reached: its origin only, so no path, query
/// or credentials in the URL (an `auth.fetch` URL may carry an API key) end up in a message.
pub(crate) fn unreachable_message(url: &str, detail: &str) -> String {
    let origin = origin_of(url).unwrap_or_else(|| "the server".to_owned());
    format!("Could not reach {origin} ({detail}).")
}
