//! The runtime's timer, as a future.

use wasm_bindgen_futures::JsFuture;

use crate::core::refresh::MAX_TIMER_MS;
use crate::wasm::effects::effects;

/// Waits `ms` milliseconds on the runtime's timer (`sleep` in `js/runtime.js`).
pub async fn sleep(ms: u32) {
    // Timers fire at once for delays above 2^31 − 1 ms; callers re-arm longer waits.
    let ms = ms.min(MAX_TIMER_MS);
    match effects() {
        Ok(effects) => drop(JsFuture::from(effects.sleep(ms)).await),
        // Loaded without its runtime, nothing can be sent either: never wake, rather than spin.
        Err(_) => std::future::pending().await,
    }
}
