//! The exported client: `createAuth` builds it (options, storage, tabs, the lifecycle), and
//! `call(op, a, b)` is every method of the package's `FronteggAuth`: most are entries of the
//! driver's tables [`Calls::CALLS`] and [`CEREMONIES`], the rest arms of `call`, each
//! converting the caller's arguments for the driver and its result back. No flow rules live
//! here: the core builds the requests and reads the answers, the driver runs the flows.

use std::cell::Cell;
use std::rc::Rc;

use crate::core::json::Value;
use crate::core::json::{self, ToJson};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::client::calls::{Call, Calls, Out};
use crate::client::lifecycle::Lifecycle;
use crate::client::webauthn::{Ceremonied, CEREMONIES};
use crate::client::{Client, WithToken};
use crate::core::config::{Mode, Options, StorageKind};
use crate::core::error::Error;
use crate::core::refresh::lock_takeover_ms;
use crate::core::self_service::DisableResult;
use crate::core::webauthn::StartCeremony;
use crate::core::AuthCore;
use crate::wasm::ceremony::{ceremony, ceremony_args, webauthn_available, BrowserAuthenticator};
#[cfg(feature = "server")]
use crate::wasm::convert::ascii_string;
use crate::wasm::convert::{copy_of, from_js, promise, run, to_js, to_js_error, to_value};
#[cfg(feature = "server")]
use crate::wasm::edge;
use crate::wasm::effects::effects;
use crate::wasm::fetch::{fetch_error, sendable, FetchRuntime};
use crate::wasm::storage::SnapshotStore;
use crate::wasm::tabs::Peers;

#[wasm_bindgen]
extern "C" {
    /// `String(value)`, as `fetch` reads a URL that is not a `Request` (a `URL` gives its href).
    #[wasm_bindgen(js_name = String, catch)]
    fn js_string(value: &JsValue) -> Result<js_sys::JsString, JsValue>;
}

/// `auth.fetch(input, init)`: `fetch` with the session's access token. Refreshes first when the
/// token is about to expire, and once more (then retries) if the server answers 401; signed
/// out, the request goes as it is. Only the identity host, the page's own origin and
/// `bearerOrigins` get the token: a request elsewhere is refused with `invalid_input`, never sent.
fn fetch(client: Rc<Client<FetchRuntime>>, input: JsValue, init: JsValue) -> Promise {
    run(Box::pin(async move {
        let effects =
            effects().map_err(|_| Error::invalid_input("fetch: the SDK has no runtime."))?;
        let made = effects.request(&input, &init).map_err(|e| {
            let detail = Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_default();
            Error::invalid_input(format!("fetch: not a valid request ({detail})."))
        })?;
        let url = made.get(2).as_string().unwrap_or_default();
        client.check_bearer_target(&url, page_origin().as_deref())?;
        // Cloned before the body is read, so the retry can send it again.
        let retry = made.get(1);
        if retry.is_null() {
            return Err(Error::invalid_input(
                "fetch: the request body was already used.",
            ));
        }
        let used = Cell::new(false);
        let attempt = |token: Option<String>| {
            // The first attempt sends the request; the retry its clone.
            let request = if used.replace(true) {
                retry.clone()
            } else {
                made.get(0)
            };
            let sent = match token.as_deref().map(|t| sendable("authorization", t)) {
                Some(Err(e)) => Err(e),
                _ => Ok(effects.send(client.runtime().fetch_fn(), &request, token)),
            };
            let url = &url;
            async move {
                let response = JsFuture::from(sent?)
                    .await
                    .map_err(|e| fetch_error(&e, url, 0))?;
                let status = Reflect::get(&response, &"status".into())
                    .ok()
                    .and_then(|s| s.as_f64())
                    .unwrap_or_default();
                Ok((status as u16, response))
            }
        };
        match client.with_token(attempt).await? {
            // An ended session's 401 is the answer, as `fetch` would give it.
            WithToken::Done(response) | WithToken::SessionEnded(response, _) => Ok(response),
        }
    }))
}

/// Runs a WebAuthn method: `split` is its argument and signal ([`ceremony`]), `start` the
/// ceremony they ask for.
fn run_ceremony(
    client: Rc<Client<FetchRuntime>>,
    split: Result<(Value, BrowserAuthenticator), Error>,
    start: StartCeremony,
) -> Promise {
    run(Box::pin(async move {
        let (args, authenticator) = split?;
        match client.ceremony(start, &args, &authenticator).await? {
            Ceremonied::Login(result) => to_value(&result),
            Ceremonied::Device(device) => to_value(&device),
            Ceremonied::Removed => to_value(&DisableResult::Disabled),
        }
    }))
}

/// A promise that rejects with `error`.
fn reject(error: Error) -> Promise {
    promise(async move { Err::<(), _>(error) })
}

/// What a method that takes no argument reads, whatever it was given.
const NO_ARGUMENT: Result<Value, Error> = Ok(Value::Null);

/// Runs one of the driver's [`Calls`] with the caller's arguments.
fn one_request(
    client: Rc<Client<FetchRuntime>>,
    args: Result<Value, Error>,
    call: &'static Call<JsValue>,
) -> Promise {
    run(Box::pin(async move { client.run_call(call, &args?).await }))
}

/// In wasm, a result is a plain JS value ([`to_value`]).
impl Out for JsValue {
    fn of<T: ToJson + ?Sized>(value: &T) -> Result<Self, Error> {
        to_value(value)
    }

    fn nothing() -> Self {
        JsValue::UNDEFINED
    }
}

/// A client for one identity host, behind the package's `FronteggAuth` class (`js/client.js`).
/// Create it with `createAuth`.
#[wasm_bindgen(js_name = "Handle", skip_typescript)]
pub struct FronteggAuth {
    pub(crate) client: Rc<Client<FetchRuntime>>,
}

/// Validates the options and returns a ready client. Exposed through the package loader's
/// `createAuth`, which first initialises the wasm module.
#[wasm_bindgen(js_name = "createAuth", skip_typescript)]
pub fn create_auth(options: JsValue) -> Result<FronteggAuth, JsValue> {
    build(options).map_err(|e| to_js_error(&e))
}

fn build(options: JsValue) -> Result<FronteggAuth, Error> {
    if !options.is_object() {
        return Err(Error::invalid_input(
            "createAuth needs an options object, e.g. { baseUrl: \"https://app-x.frontegg.com\" }.",
        ));
    }
    // Copy, so taking out the JS-only options leaves the caller's object alone.
    let copy = copy_of("createAuth", &options)?;
    let fetch = match take_fetch(&copy, "createAuth")? {
        Some(fetch) => fetch,
        None => FetchRuntime::global_fetch().ok_or_else(|| {
            Error::invalid_input(
                "This runtime has no global `fetch`; pass one as the `fetch` option.",
            )
        })?,
    };
    let storage = Reflect::get(&copy, &"storage".into()).unwrap_or(JsValue::UNDEFINED);
    let adapter = storage.is_object().then(|| take(&copy, "storage"));
    let mut options = Options::from_json(&from_js("createAuth", copy.into())?)?;
    if adapter.is_some() {
        options.storage = StorageKind::Adapter;
    }
    let store = SnapshotStore::open(options.storage, adapter)?;
    let mode = options.mode.unwrap_or_else(default_mode);
    // One name per identity host: tabs of an origin that talk to the same host share a session.
    let key = format!("frontegg-auth-wasm:{}", options.base_url);
    let auto_refresh = options.auto_refresh;
    let store = Rc::new(store);
    let mut runtime = FetchRuntime::new(fetch);
    if mode == Mode::Browser {
        let takeover_ms = lock_takeover_ms(options.timeout_ms);
        runtime = runtime.with_refresh_lock(format!("{key}:refresh"), takeover_ms);
    }
    let persist = !store.is_memory();
    if persist {
        runtime = runtime.with_store(Rc::clone(&store), key.clone());
    }
    let client = Rc::new(Client::new(options, mode, runtime, js_sys::Date::now));
    let browser = mode == Mode::Browser;
    if browser {
        let weak = Rc::downgrade(&client);
        let peers = Peers::join(&key, move |message| {
            if let Some(client) = weak.upgrade() {
                client.on_peer_message(message);
            }
        });
        client.runtime().set_peers(peers);
    }
    client.start(Lifecycle {
        auto_refresh,
        persist,
        share_with_peers: browser,
    });
    if auto_refresh && browser {
        catch_up_when_back(&client);
    }
    Ok(FronteggAuth { client })
}

/// The page's own origin (`location.origin`) where there is one: a page or a worker, not Node.
/// An opaque origin (`"null"`) trusts nothing; `crate::core::origin` reads it so.
fn page_origin() -> Option<String> {
    let location = Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    if !location.is_object() {
        return None;
    }
    Reflect::get(&location, &"origin".into()).ok()?.as_string()
}

/// Removes the `fetch` option from `options`: `None` when not given, `invalid_input` (naming
/// `what`) when it is not a function.
fn take_fetch(options: &Object, what: &str) -> Result<Option<Function>, Error> {
    let fetch = take(options, "fetch");
    if fetch.is_undefined() || fetch.is_null() {
        return Ok(None);
    }
    fetch
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| Error::invalid_input(format!("{what}: `fetch` must be a function.")))
}

/// Removes `name` from `object` and returns its value.
fn take(object: &Object, name: &str) -> JsValue {
    let value = Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::delete_property(object, &name.into());
    value
}

/// Background tabs throttle timers and a laptop may have slept or been offline, so a page coming
/// back (visible, focused, or online: `whenBack` in `js/runtime.js`) checks its token at once.
fn catch_up_when_back(client: &Rc<Client<FetchRuntime>>) {
    let Ok(effects) = effects() else {
        return;
    };
    let weak = Rc::downgrade(client);
    let check = Closure::<dyn Fn(bool)>::new(move |visible: bool| {
        if let (true, Some(client)) = (visible, weak.upgrade()) {
            client.catch_up();
        }
    });
    if effects.when_back(check.as_ref()) {
        // The page owns these listeners for its lifetime; they only hold the client weakly.
        check.forget();
    }
}

/// Verifies an access token at the edge: the signature against the host's JWKS (fetched once,
/// cached, refetched when a token names an unknown key) with WebCrypto, then `exp`, `nbf`, `iss`
/// and `aud`. Resolves to the claims.
#[cfg(feature = "server")]
#[wasm_bindgen(js_name = "verifyAccessToken", skip_typescript)]
pub fn verify_access_token(token: JsValue, options: JsValue) -> Promise {
    // Not an async body: with the key at hand, the edge answers WebCrypto's promise, chained.
    let start = || {
        // Measured before it is copied in; the core refuses it as `unauthorized` (any header
        // an attacker sends ends up here).
        let too_long = (crate::core::verify::MAX_TOKEN_BYTES + 1) as u32;
        let token = match token.dyn_ref::<js_sys::JsString>() {
            Some(long) if long.length() > too_long => String::from(long.slice(0, too_long)),
            Some(token) => ascii_string(token),
            None => {
                return Err(Error::invalid_input(
                    "verifyAccessToken: the token must be a string.",
                ))
            }
        };
        // `fetch` (for the keys) is a function, not data: options holding one are copied
        // without it before the rest is read (most hold none, and are read as they are).
        let (options, fetch) = match options.dyn_ref::<Object>() {
            Some(given)
                if !Reflect::get(given, &"fetch".into()).is_ok_and(|f| f.is_undefined()) =>
            {
                let copy = copy_of("verifyAccessToken", given)?;
                let fetch = take_fetch(&copy, "verifyAccessToken")?;
                (JsValue::from(copy), fetch)
            }
            _ => (options, None),
        };
        edge::verify_access_token(&token, &options, fetch)
    };
    start().unwrap_or_else(reject)
}

/// The browser build's `verifyAccessToken`, which lives in the server build.
#[cfg(not(feature = "server"))]
#[wasm_bindgen(js_name = "verifyAccessToken", skip_typescript)]
pub fn verify_access_token(_token: JsValue, _options: JsValue) -> Promise {
    server_only("verifyAccessToken")
}

/// What the browser build leaves out (it is for servers and workers, and a browser holding an
/// API-token secret would be a leak): the call rejects and says where it lives.
#[cfg(not(feature = "server"))]
fn server_only(what: &str) -> Promise {
    reject(Error::invalid_input(format!(
        "{what} is for servers and workers: the package's browser build leaves it out (Node, \
         Deno and Workers load the server build)."
    )))
}

/// Browser mode where there is a page (a `document`); server mode in Node, Deno and workers.
fn default_mode() -> Mode {
    let has_document =
        Reflect::get(&js_sys::global(), &"document".into()).is_ok_and(|d| !d.is_undefined());
    if has_document {
        Mode::Browser
    } else {
        Mode::Server
    }
}

#[wasm_bindgen(js_class = "Handle")]
impl FronteggAuth {
    /// Runs the method `op` of the package's `FronteggAuth` class (`js/client.js`) with its
    /// arguments: `a`, and `b` for `fetch`. Every method that answers a promise is an entry of
    /// [`Calls::CALLS`] or [`CEREMONIES`] or an arm here; an unknown `op` rejects with
    /// `invalid_input`.
    pub fn call(&self, op: &str, a: JsValue, b: JsValue) -> Promise {
        let client = self.client.clone();
        if op == "fetch" {
            // A `Request` or a URL, not plain data; and the hot path, so nothing is converted.
            return fetch(client, a, b);
        }
        if let Some(call) = JsValue::call(op) {
            let args = if call.argument {
                from_js(op, a)
            } else {
                NO_ARGUMENT
            };
            return one_request(client, args, call);
        }
        if let Some((_, start)) = CEREMONIES.iter().find(|(name, _)| *name == op) {
            // The argument as plain data, and its `signal`.
            return run_ceremony(client, ceremony(op, a), *start);
        }
        match op {
            "refresh" => promise(async move { client.refresh().await }),
            "restore" => promise(async move { client.restore().await }),
            "logout" => {
                let input = from_js(op, a).and_then(|args| AuthCore::logout_input(&args));
                run(Box::pin(async move {
                    match input {
                        Ok(input) => client.logout_with(input).await?,
                        // Signed out all the same (a typo, or an event a click handler passed
                        // on), then told what was wrong with the argument.
                        Err(e) => {
                            client.logout().await;
                            return Err(e);
                        }
                    }
                    Ok(JsValue::UNDEFINED)
                }))
            }
            "switchTenant" => {
                let args = from_js(op, a);
                promise(async move { client.switch_tenant(&args?).await })
            }
            "mfaDisableDevice" => match ceremony_args(op, a) {
                Ok((args, authenticator))
                    if args.get("kind").and_then(Value::as_str) == Some("webauthn") =>
                {
                    let split = webauthn_available().map(|()| (args, authenticator));
                    run_ceremony(client, split, AuthCore::mfa_disable_webauthn_ceremony)
                }
                split => one_request(
                    client,
                    split.map(|(args, _)| args),
                    &JsValue::DISABLE_DEVICE,
                ),
            },
            #[cfg(feature = "server")]
            "loginWithApiToken" => one_request(client, from_js(op, a), &JsValue::API_TOKEN_LOGIN),
            #[cfg(not(feature = "server"))]
            "loginWithApiToken" => server_only(op),
            _ => reject(Error::invalid_input(format!(
                "FronteggAuth has no method `{op}`."
            ))),
        }
    }

    /// `onAuthStateChange(callback)`: calls `callback(event, session)` after every change of
    /// session (through `hear` in `js/runtime.js`). Answers the id [`FronteggAuth::unlisten`]
    /// takes.
    pub fn listen(&self, callback: JsValue) -> Result<u32, JsValue> {
        if !callback.is_function() {
            return Err(to_js_error(&Error::invalid_input(
                "onAuthStateChange needs a function.",
            )));
        }
        Ok(self
            .client
            .on_auth_state_change(Rc::new(move |event, session| {
                if let Ok(effects) = effects() {
                    effects.hear(&callback, event.as_str(), &json::to_string(&session));
                }
            })))
    }

    /// Stops the listener `id` (what `onAuthStateChange`'s answer calls); again does nothing.
    pub fn unlisten(&self, id: u32) {
        self.client.remove_listener(id);
    }

    /// The current session, or `null` when signed out.
    #[wasm_bindgen(getter)]
    pub fn session(&self) -> Result<JsValue, JsValue> {
        to_js(&self.client.session())
    }
}
