//! `fetch` runtime for wasm: browsers, workers, Node, Deno and workerd all have one. The core's
//! requests go out through the package's `exchange` (js/runtime.js), which calls the `fetch`
//! the caller injected (or the global one) with a plain init object and hands back what the
//! core reads in one array: two boundary crossings per request instead of one per header,
//! signal and getter, and no `Headers`, `Request` or `AbortSignal` bindings in the wasm.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
#[cfg(feature = "server")]
use web_sys::{RequestInit, Response};

use crate::client::runtime::{unreachable_message, PeerMessage, Runtime};
use crate::core::error::{Error, ErrorCode, Result};
use crate::core::http::{rate_limited, retry_after_ms, HttpRequest, HttpResponse, Method};
#[cfg(feature = "server")]
use crate::core::json;
use crate::core::origin::origin_of;
use crate::wasm::effects::effects;
use crate::wasm::storage::SnapshotStore;
use crate::wasm::tabs::{self, Peers, WebLock};
use crate::wasm::timer::sleep;

/// Sends requests with a JS `fetch` function.
pub struct FetchRuntime {
    fetch: Function,
    /// The Web Lock that serialises refreshes across tabs (browser mode), and how long to wait
    /// for it before taking it over.
    refresh_lock: Option<(String, u32)>,
    /// The snapshot store shared with other instances, and the key of this session in it.
    store: Option<(Rc<SnapshotStore>, String)>,
    /// The channel to this origin's other tabs (browser mode, where there is BroadcastChannel).
    peers: RefCell<Option<Peers>>,
}

impl FetchRuntime {
    /// Uses `fetch`, called with `globalThis` as `this` (some runtimes insist on it).
    pub fn new(fetch: Function) -> Self {
        Self {
            fetch,
            refresh_lock: None,
            store: None,
            peers: RefCell::new(None),
        }
    }

    /// Serialises refreshes across the origin's tabs with the Web Lock `name`, taken over from a
    /// holder after `takeover_ms`.
    pub fn with_refresh_lock(mut self, name: String, takeover_ms: u32) -> Self {
        self.refresh_lock = Some((name, takeover_ms));
        self
    }

    /// Reads the session snapshot under `key` in `store` before each refresh (see
    /// [`Runtime::stored_snapshot`]).
    pub fn with_store(mut self, store: Rc<SnapshotStore>, key: String) -> Self {
        self.store = Some((store, key));
        self
    }

    /// Tells the other tabs through `peers` (joined once the client they feed exists).
    pub fn set_peers(&self, peers: Option<Peers>) {
        *self.peers.borrow_mut() = peers;
    }

    /// The injected (or global) `fetch`.
    pub fn fetch_fn(&self) -> &Function {
        &self.fetch
    }

    /// `fetch(input, init)` with the injected (or global) `fetch`, given up after `timeout_ms`
    /// even if that `fetch` ignores `init`'s signal; `input` is a URL or a `Request`, sent as it
    /// is.
    #[cfg(feature = "server")]
    pub async fn fetch_raw(
        &self,
        input: &JsValue,
        init: Option<&RequestInit>,
        timeout_ms: u32,
    ) -> std::result::Result<Response, FetchFailure> {
        let global = js_sys::global();
        let promise: js_sys::Promise = match init {
            Some(init) => self.fetch.call2(&global, input, init),
            None => self.fetch.call1(&global, input),
        }
        .map_err(FetchFailure::Threw)?
        .dyn_into()
        .map_err(|_| FetchFailure::NotAResponse)?;
        let effects = effects().map_err(FetchFailure::Threw)?;
        JsFuture::from(effects.within(&promise, timeout_ms))
            .await
            .map_err(FetchFailure::Threw)?
            .dyn_into()
            .map_err(|_| FetchFailure::NotAResponse)
    }

    /// The runtime's global `fetch`, if it has one.
    pub fn global_fetch() -> Option<Function> {
        Reflect::get(&js_sys::global(), &"fetch".into())
            .ok()?
            .dyn_into()
            .ok()
    }
}

impl Runtime for FetchRuntime {
    async fn send(&self, request: HttpRequest, timeout_ms: u32) -> Result<HttpResponse> {
        let url = request.url;
        let headers = Object::new();
        for (name, value) in &request.headers {
            sendable(name, value)?;
            let _ = Reflect::set(&headers, &name.into(), &value.into());
        }
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        };
        let credentials = if request.with_credentials {
            "include"
        } else {
            "same-origin"
        };
        // One call performs the whole exchange in JS (js/runtime.js): request, timeout, body
        // and the headers the core reads.
        let answer: Array = async {
            let body = request
                .body
                .as_deref()
                .map_or(JsValue::UNDEFINED, JsValue::from_str);
            let pending = effects()?.exchange(
                &self.fetch,
                &url,
                method,
                &headers,
                &body,
                credentials,
                timeout_ms,
            )?;
            Ok::<_, JsValue>(JsFuture::from(pending).await?.into())
        }
        .await
        .map_err(|e| fetch_error(&e, &url, timeout_ms))?;
        let part = |i: u32| answer.get(i);
        let status = part(0).as_f64().unwrap_or_default() as u16;
        let body = part(1).as_string().unwrap_or_default();
        let trace_id = part(2).as_string();
        let retry_after = part(3).as_string();
        let set_cookies = Array::from(&part(4))
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        let date = |text: &str| Some(js_sys::Date::parse(text)).filter(|ms| ms.is_finite());
        let wait = retry_after.and_then(|v| retry_after_ms(&v, date, js_sys::Date::now()));
        if let Some(e) = rate_limited(status, wait, &body, trace_id.as_deref()) {
            return Err(e);
        }
        Ok(HttpResponse {
            status,
            body,
            trace_id,
            set_cookies,
        })
    }

    fn sleep(&self, ms: u32) -> impl std::future::Future<Output = ()> + use<> {
        sleep(ms)
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }

    async fn stored_snapshot(&self) -> Option<String> {
        let (store, key) = self.store.as_ref()?;
        store.get(key).await
    }

    async fn compare_and_set(&self, expected: &str, value: &str) -> Option<bool> {
        let (store, key) = self.store.as_ref()?;
        store.compare_and_set(key, expected, value).await
    }

    fn store_snapshot(&self, snapshot: Option<&str>) {
        if let Some((store, key)) = &self.store {
            match snapshot {
                Some(snapshot) => store.set(key, snapshot),
                None => store.remove(key),
            }
        }
    }

    fn tell_peers(&self, message: &PeerMessage) {
        if let Some(peers) = &*self.peers.borrow() {
            peers.tell(message);
        }
    }

    fn spawn(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
        wasm_bindgen_futures::spawn_local(task);
    }

    fn waited_for_peer(lock: &Option<WebLock>) -> bool {
        lock.as_ref().is_some_and(|l| l.waited)
    }

    type RefreshLock = Option<WebLock>;

    async fn refresh_lock(&self) -> Option<WebLock> {
        match &self.refresh_lock {
            Some((name, takeover_ms)) => tabs::acquire(name, *takeover_ms).await,
            None => None,
        }
    }
}

/// Whether `fetch` would take `value` for the header `name`: a line break, a NUL or a character
/// past U+00FF (say in an `appId`, or a token from a broken host) is the caller's input, not an
/// unreachable host, and is refused before anything is sent, without quoting it.
pub(crate) fn sendable(name: &str, value: &str) -> Result<()> {
    if value
        .chars()
        .any(|c| matches!(c, '\0' | '\n' | '\r') || u32::from(c) > 0xFF)
    {
        return Err(Error::invalid_input(format!(
            "The header `{name}` can't be sent."
        )));
    }
    Ok(())
}

/// A response's body as text (a failure while reading it is the exchange's failure).
///
/// A body longer than [`json::MAX_BYTES`] is cut off there before it is copied into the wasm
/// (whose memory a hostile host could otherwise exhaust): it then fails to parse, as a broken
/// answer.
#[cfg(feature = "server")]
pub async fn text(response: &Response, timeout_ms: u32) -> std::result::Result<String, JsValue> {
    let reading = effects()?.within(&response.text()?, timeout_ms);
    // A `Response` look-alike may answer anything: only text is read.
    let text: js_sys::JsString = JsFuture::from(reading)
        .await?
        .dyn_into()
        .map_err(|_| JsValue::from_str("The body is not text."))?;
    // UTF-16 units: each is at least one byte of UTF-8.
    let limit = json::MAX_BYTES as u32 + 1;
    let text = if text.length() > limit {
        text.slice(0, limit)
    } else {
        text
    };
    Ok(String::from(text))
}

/// Why `fetch` gave no response.
#[cfg(feature = "server")]
pub enum FetchFailure {
    /// It threw or rejected (network down, aborted, timed out).
    Threw(JsValue),
    /// The injected `fetch` returned something that is not a Promise of a Response.
    NotAResponse,
}

#[cfg(feature = "server")]
impl FetchFailure {
    /// The SDK error for a request to `url` sent with a `timeout_ms` budget.
    pub fn classify(&self, url: &str, timeout_ms: u32) -> Error {
        match self {
            Self::Threw(e) => fetch_error(e, url, timeout_ms),
            Self::NotAResponse => not_a_response(),
        }
    }
}

/// The injected `fetch` gave something that is not a Response: the caller's mistake.
fn not_a_response() -> Error {
    Error::invalid_input("The `fetch` option did not resolve to a Response.")
}

/// The SDK error for what `fetch` threw for `url`, sent with a `timeout_ms` budget (0: none of
/// the SDK's own).
pub(crate) fn fetch_error(e: &JsValue, url: &str, timeout_ms: u32) -> Error {
    let field = |k: &str| {
        Reflect::get(e, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    classify(&field("name"), &field("message"), url, timeout_ms)
}

/// The abort signal fires `TimeoutError` (or `AbortError` in older runtimes); anything else
/// thrown by `fetch` means the host could not be reached.
/// `timeout_ms == 0` means the SDK set no timeout of its own (the `fetch` wrapper): an abort
/// then came from the caller's signal.
fn classify(name: &str, message: &str, url: &str, timeout_ms: u32) -> Error {
    // js/runtime.js's name for the same failure as [`FetchFailure::NotAResponse`].
    if name == "NotAResponse" {
        return not_a_response();
    }
    if name == "TimeoutError" || name == "AbortError" {
        let message = match timeout_ms {
            0 => format!(
                "The request to {} was aborted or timed out.",
                origin_of(url).unwrap_or_else(|| "the server".to_owned())
            ),
            ms => format!("The identity server did not answer within {ms} ms."),
        };
        return Error::new(ErrorCode::Timeout, message);
    }
    let detail = if message.is_empty() {
        "fetch failed"
    } else {
        message
    };
    Error::new(ErrorCode::Network, unreachable_message(url, detail))
}
