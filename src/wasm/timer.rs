//! The runtime's timer, as a future.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::core::refresh::MAX_TIMER_MS;

/// Waits `ms` milliseconds on the runtime's timer.
pub async fn sleep(ms: u32) {
    // Timers fire at once for delays above 2^31 − 1 ms; callers re-arm longer waits.
    let ms = ms.min(MAX_TIMER_MS);
    let promise = Promise::new(&mut |resolve, _| {
        let timer = set_timeout(&resolve, ms);
        // In Node and Deno a pending timer keeps the process alive; a refresh timer must not stop
        // a script from exiting.
        if let Some(unref) = Reflect::get(&timer, &"unref".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = unref.call0(&timer);
        }
    });
    let _ = JsFuture::from(promise).await;
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (windows, workers, Node, Deno and workerd all have it).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: u32) -> JsValue;
}
