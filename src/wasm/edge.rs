//! `verifyAccessToken` in any JS runtime: the JWKS is fetched with the runtime's `fetch` and its
//! keys imported into the runtime's WebCrypto, where the RS256 signature is checked. The rules
//! (what is parsed, which keys and claims hold, and when the JWKS is fetched again) are in
//! [`crate::core::verify`]; this file performs what they decide.
//!
//! It runs on every request a server or worker lets through, so with the key at hand a token
//! costs one synchronous pass and one WebCrypto promise: options seen before are not read
//! again, the payload is parsed once by the runtime's `JSON.parse` (the checks read six members
//! of that object, and the caller gets the object itself), and the signature's promise goes to
//! a continuation made once per module instead of through Rust futures. In Node and Deno the
//! loader hands over `node:crypto`'s synchronous verify ([`set_sync_verify`]), and there is no
//! promise to wait for at all.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortSignal, CryptoKey, RequestInit, SubtleCrypto};

use crate::core::error::{Error, ErrorCode, Result};
use crate::core::verify::{self, Claims, HeaderMemo, Jwk, KeyCache, Plan, VerifyOptions};
use crate::wasm::convert::{from_js, run, to_js_error};
use crate::wasm::fetch::{text, FetchFailure, FetchRuntime};

/// How long a JWKS fetch may take, body included: every token waiting on it waits this long
/// at worst.
const JWKS_TIMEOUT_MS: u32 = 10_000;

/// How many distinct options are remembered. A service verifies with one or a few; one that
/// builds them per token (an audience per tenant) only starts the memo over now and then.
const OPTIONS_KEPT: usize = 16;

#[wasm_bindgen]
extern "C" {
    /// A promise seen through `then(onFulfilled, onRejected)` with plain functions: js-sys's
    /// `then` takes closures, and the continuation here is a bound function.
    type Thenable;

    #[wasm_bindgen(method)]
    fn then(this: &Thenable, on_fulfilled: &Function, on_rejected: &Function) -> Promise;
}

/// Everything known about one JWKS URL.
#[derive(Default)]
struct KeySet {
    cache: KeyCache,
    /// The fetch under way, which every token that needs it awaits.
    in_flight: Option<Promise>,
    /// Imported keys by modulus, so a key is imported once however often the JWKS is fetched.
    /// A JWKS holds a key or three: a list finds one sooner than hashing a 2048-bit modulus.
    imported: Vec<(String, CryptoKey)>,
}

/// The runtime's WebCrypto and what each verification hands it, made once.
struct WebCrypto {
    subtle: SubtleCrypto,
    /// `{ name: "RSASSA-PKCS1-v1_5" }`.
    algorithm: Object,
    /// `(claims, verdict, valid)`: the claims object if the signature is valid and the claims'
    /// verdict (`undefined` or the error) passed, else the error. Bound to each call's claims
    /// and verdict.
    settle: Function,
    /// A WebCrypto failure, as the `server` error every other step gives.
    failed: Function,
}

thread_local! {
    static KEY_SETS: RefCell<HashMap<String, KeySet>> = RefCell::new(HashMap::new());
    /// Options read before, by their JSON text as the runtime holds it.
    static OPTIONS: RefCell<Vec<(JsValue, Rc<VerifyOptions>)>> = const { RefCell::new(Vec::new()) };
    static HEADERS: RefCell<HeaderMemo> = RefCell::new(HeaderMemo::default());
    static WEB_CRYPTO: RefCell<Option<Rc<WebCrypto>>> = const { RefCell::new(None) };
    /// `(key, signature, signed) => boolean`, synchronous, where the loader gave one.
    static SYNC_VERIFY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called by the Node and Deno loader (js/node.js) with `node:crypto`'s RSA verify for a
/// WebCrypto key, `(key, signature, signed) => boolean`. Node's WebCrypto runs every
/// verification as a thread-pool job and answers on a later turn of the event loop (about 47 µs
/// a token on a 2-core machine); `crypto.verify` on the same key takes about 17 µs,
/// synchronously. Where it answers anything but a boolean (a runtime whose `node:crypto` can't
/// take the key), or throws, WebCrypto decides as elsewhere.
#[wasm_bindgen(js_name = "__syncVerify", skip_typescript)]
pub fn set_sync_verify(verify: Function) {
    SYNC_VERIFY.with(|v| *v.borrow_mut() = Some(verify));
}

fn with_set<T>(url: &str, f: impl FnOnce(&mut KeySet) -> T) -> T {
    KEY_SETS.with(|sets| f(sets.borrow_mut().entry(url.to_owned()).or_default()))
}

/// Verifies `token` against `options` (the caller's, without `fetch`) and answers the promise
/// of its claims. With `fetch`, else the global one, the keys are fetched when needed.
pub fn verify_access_token(
    token: &str,
    options: &JsValue,
    fetch: Option<Function>,
) -> Result<Promise> {
    let options = read_options(options)?;
    let jwt = HEADERS.with(|headers| verify::parse(token, &mut headers.borrow_mut()))?;
    let now = js_sys::Date::now();
    if let Some(key) = held_key(&options.jwks_url, jwt.kid.as_deref(), now) {
        // The signature first: where WebCrypto works on another thread (Node, were there no
        // synchronous verify), the claims are read and judged meanwhile. Their verdict, a
        // payload that can't be read included, is reported after the signature's.
        return web_crypto()?.check(&key, jwt.signed, &jwt.signature, || {
            match read_claims(&jwt.payload) {
                Ok((object, claims)) => (object, check_claims(&claims, &options, now)),
                Err(e) => (JsValue::UNDEFINED, to_js_error(&e)),
            }
        });
    }
    // A payload that can't be read is refused before any fetch.
    let (object, claims) = read_claims(&jwt.payload)?;
    let (signed, kid, signature) = (jwt.signed.to_owned(), jwt.kid, jwt.signature);
    Ok(run(Box::pin(async move {
        let key = crypto_key(&options.jwks_url, kid.as_deref(), fetch).await?;
        // The fetch took time: the claims are judged as of now.
        let judged = || (object, check_claims(&claims, &options, js_sys::Date::now()));
        Ok(web_crypto()?
            .check(&key, &signed, &signature, judged)?
            .into())
    })))
}

/// The options for this JSON text, read once: they are the same for every token a service
/// verifies, and reading them (URLs, the issuer's origin) costs more than the rest of a call.
/// The text is compared where the runtime made it (`===`), so a text seen before is not even
/// copied into the wasm.
fn read_options(given: &JsValue) -> Result<Rc<VerifyOptions>> {
    let text = js_sys::JSON::stringify(given).map_or(JsValue::UNDEFINED, JsValue::from);
    let seen = OPTIONS.with(|kept| {
        let kept = kept.borrow();
        kept.iter()
            .find(|(t, _)| *t == text)
            .map(|(_, o)| o.clone())
    });
    if let Some(options) = seen {
        return Ok(options);
    }
    // Read as every argument is (bounded before it is converted); what fails is not kept.
    let options = Rc::new(VerifyOptions::from_json(&from_js(
        "verifyAccessToken",
        given.clone(),
    )?)?);
    if text.is_string() {
        OPTIONS.with(|kept| {
            let mut kept = kept.borrow_mut();
            if kept.len() >= OPTIONS_KEPT {
                kept.clear();
            }
            kept.push((text, options.clone()));
        });
    }
    Ok(options)
}

/// The payload as the runtime parses it, and the claims the checks read from that very object
/// (what the caller gets: no second copy is made).
fn read_claims(payload: &str) -> Result<(JsValue, Claims)> {
    let object = js_sys::JSON::parse(payload)
        .ok()
        .filter(|v| v.is_object() && !Array::is_array(v))
        .ok_or_else(verify::unreadable_payload)?;
    let claims =
        serde_wasm_bindgen::from_value(object.clone()).map_err(|_| verify::unreadable_payload())?;
    Ok((object, claims))
}

/// The claims' verdict at `now_ms`, as the continuation takes it: `undefined` or the error.
fn check_claims(claims: &Claims, options: &VerifyOptions, now_ms: f64) -> JsValue {
    match verify::check_claims(claims, options, now_ms / 1000.0) {
        Ok(()) => JsValue::UNDEFINED,
        Err(e) => to_js_error(&e),
    }
}

impl WebCrypto {
    /// The promise of the claims object `judged` gives once `signature` is found to be `key`'s
    /// over `signed` and the claims' verdict passed. A forged token is refused as forged
    /// whatever its claims say, as jose does, so the verdict waits for the signature's.
    /// `judged` answers `(claims object, verdict)`; it runs while WebCrypto works where
    /// WebCrypto works on another thread (Node without the synchronous verify).
    fn check(
        &self,
        key: &CryptoKey,
        signed: &str,
        signature: &[u8],
        judged: impl FnOnce() -> (JsValue, JsValue),
    ) -> Result<Promise> {
        if let Some(valid) = verify_now(key, signed, signature) {
            let (object, verdict) = judged();
            return Ok(match outcome(object, verdict, valid) {
                Ok(claims) => Promise::resolve(&claims),
                Err(error) => Promise::reject(&error),
            });
        }
        // WebCrypto copies both byte views before it returns, so they may point into the wasm
        // memory that is freed right after.
        let valid = self
            .subtle
            .verify_with_object_and_u8_array_and_u8_array(
                &self.algorithm,
                key,
                signature,
                signed.as_bytes(),
            )
            .map_err(|_| crypto_failed("verify"))?;
        let (object, verdict) = judged();
        let settle: Function = self
            .settle
            .bind2(&JsValue::NULL, &object, &verdict)
            .unchecked_into();
        Ok(valid
            .unchecked_ref::<Thenable>()
            .then(&settle, &self.failed))
    }
}

/// Whether `signature` is `key`'s over `signed`, from the synchronous verify if there is
/// one and it could answer (`None`: ask WebCrypto).
fn verify_now(key: &CryptoKey, signed: &str, signature: &[u8]) -> Option<bool> {
    let verify = SYNC_VERIFY.with(|v| v.borrow().clone())?;
    let signature = js_sys::Uint8Array::from(signature);
    let signed = js_sys::Uint8Array::from(signed.as_bytes());
    verify
        .call3(&JsValue::NULL, key, &signature, &signed)
        .ok()?
        .as_bool()
}

/// A verification's outcome: the claims `object` if the signature is `valid` and the claims'
/// `verdict` (`undefined` or the error) passed, else the error.
fn outcome(
    object: JsValue,
    verdict: JsValue,
    valid: bool,
) -> std::result::Result<JsValue, JsValue> {
    if !valid {
        return Err(to_js_error(&Error::new(
            ErrorCode::Unauthorized,
            "The access token is not valid: its signature does not match.",
        )));
    }
    if verdict.is_undefined() {
        Ok(object)
    } else {
        Err(verdict)
    }
}

/// The imported key for `kid` if the cache says to use a key it holds and it was imported:
/// then nothing needs awaiting.
fn held_key(url: &str, kid: Option<&str>, now: f64) -> Option<CryptoKey> {
    KEY_SETS.with(|sets| {
        let sets = sets.borrow();
        let set = sets.get(url)?;
        match set.cache.plan(kid, now) {
            Plan::Use(jwk) => imported(set, jwk),
            _ => None,
        }
    })
}

/// The WebCrypto key for `kid`, as the cache's plan says: a held key, or one after the fetch
/// this call starts (with `fetch`, else the global one) or joins.
async fn crypto_key(url: &str, kid: Option<&str>, fetch: Option<Function>) -> Result<CryptoKey> {
    // A fetch ends in keys or in a backoff, after which the plan is `Use` or `Refuse`; the
    // bound only guards against a clock that jumps while we wait.
    for _ in 0..3 {
        let step = with_set(url, |set| match set.cache.plan(kid, js_sys::Date::now()) {
            Plan::Use(jwk) => Step::Import(jwk.clone()),
            Plan::Refuse(error) => Step::Refuse(error),
            Plan::Wait => Step::Await(set.in_flight.clone()),
            Plan::Fetch => Step::Fetch,
        });
        let pending = match step {
            Step::Import(jwk) => return import_once(url, &jwk).await,
            Step::Refuse(error) => return Err(error),
            Step::Await(in_flight) => in_flight,
            Step::Fetch => Some(start_fetch(url, fetch.clone())),
        };
        if let Some(pending) = pending {
            // It always resolves: the outcome is recorded in the cache, not in the promise.
            let _ = JsFuture::from(pending).await;
        }
    }
    Err(verify::unknown_key())
}

/// A [`Plan`] taken out of the cache's borrow.
enum Step {
    Import(Jwk),
    Refuse(Error),
    Await(Option<Promise>),
    Fetch,
}

/// Starts fetching `url`'s JWKS in a task of its own (so it completes and is recorded even if
/// the caller that started it goes away) and answers the promise its waiters share.
fn start_fetch(url: &str, fetch: Option<Function>) -> Promise {
    with_set(url, |set| set.cache.start_fetch(js_sys::Date::now()));
    let owned = url.to_owned();
    let pending = future_to_promise(async move {
        let result = fetch_jwks(&owned, fetch).await;
        with_set(&owned, |set| {
            if let Ok((keys, _)) = &result {
                set.imported.retain(|(n, _)| keys.iter().any(|k| &k.n == n));
            }
            set.cache.fetched(result, js_sys::Date::now());
            set.in_flight = None;
        });
        Ok(JsValue::UNDEFINED)
    });
    with_set(url, |set| set.in_flight = Some(pending.clone()));
    pending
}

async fn import_once(url: &str, jwk: &Jwk) -> Result<CryptoKey> {
    if let Some(key) = with_set(url, |set| imported(set, jwk)) {
        return Ok(key);
    }
    let key = import(jwk).await?;
    with_set(url, |set| {
        if imported(set, jwk).is_none() {
            set.imported.push((jwk.n.clone(), key.clone()));
        }
    });
    Ok(key)
}

fn imported(set: &KeySet, jwk: &Jwk) -> Option<CryptoKey> {
    set.imported
        .iter()
        .find(|(n, _)| *n == jwk.n)
        .map(|(_, key)| key.clone())
}

/// The usable keys at `url` and how long to keep them. Redirects are refused, as jose does: the
/// keys come from where the options say or not at all.
async fn fetch_jwks(url: &str, fetch: Option<Function>) -> Result<(Vec<Jwk>, f64)> {
    let fetch = fetch.or_else(FetchRuntime::global_fetch).ok_or_else(|| {
        Error::new(
            ErrorCode::Network,
            "This runtime has no `fetch` to get the signing keys with.",
        )
    })?;
    let init = RequestInit::new();
    init.set_signal(Some(&AbortSignal::timeout_with_u32(JWKS_TIMEOUT_MS)));
    set(&init, "redirect", &"manual".into());
    let deadline = js_sys::Date::now() + f64::from(JWKS_TIMEOUT_MS);
    let left = || (deadline - js_sys::Date::now()).clamp(0.0, f64::from(JWKS_TIMEOUT_MS)) as u32;
    let response = FetchRuntime::new(fetch)
        .fetch_raw(&JsValue::from_str(url), Some(&init), left())
        .await
        .map_err(|e| e.classify(url, JWKS_TIMEOUT_MS))?;
    if response.status() != 200 {
        return Err(Error::new(
            ErrorCode::Server,
            format!(
                "The signing keys at {url} answered HTTP {}.",
                response.status()
            ),
        ));
    }
    let cache_control = response.headers().get("cache-control").ok().flatten();
    let body = text(&response, left())
        .await
        .map_err(|e| FetchFailure::Threw(e).classify(url, JWKS_TIMEOUT_MS))?;
    let keys = verify::parse_jwks(&body)?;
    Ok((keys, verify::keys_ttl_ms(cache_control.as_deref())))
}

async fn import(jwk: &Jwk) -> Result<CryptoKey> {
    let key_data = Object::new();
    for (k, v) in [
        ("kty", jwk.kty.as_str()),
        ("n", jwk.n.as_str()),
        ("e", jwk.e.as_str()),
        ("alg", "RS256"),
    ] {
        set(&key_data, k, &v.into());
    }
    let algorithm = Object::new();
    set(&algorithm, "name", &"RSASSA-PKCS1-v1_5".into());
    set(&algorithm, "hash", &"SHA-256".into());
    let usages = Array::of1(&"verify".into());
    let promise = web_crypto()?
        .subtle
        .import_key_with_object("jwk", &key_data, &algorithm, false, &usages)
        .map_err(|_| crypto_failed("importKey"))?;
    JsFuture::from(promise)
        .await
        .map_err(|_| {
            Error::new(
                ErrorCode::Server,
                "A signing key in the JWKS could not be imported.",
            )
        })?
        .dyn_into()
        .map_err(|_| crypto_failed("importKey"))
}

/// `globalThis.crypto.subtle` (browsers' secure contexts, workers, Node 20, Deno and workerd)
/// and the continuations, looked up and made on first use.
fn web_crypto() -> Result<Rc<WebCrypto>> {
    if let Some(crypto) = WEB_CRYPTO.with(|c| c.borrow().clone()) {
        return Ok(crypto);
    }
    let subtle = Reflect::get(&js_sys::global(), &"crypto".into())
        .and_then(|crypto| Reflect::get(&crypto, &"subtle".into()))
        .ok()
        .and_then(|s| s.dyn_into().ok())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Server,
                "This runtime has no WebCrypto (crypto.subtle).",
            )
        })?;
    let algorithm = Object::new();
    set(&algorithm, "name", &"RSASSA-PKCS1-v1_5".into());
    // Made once and kept for the module's life: `into_js_value` hands them to JS for good.
    let settle = Closure::<
        dyn Fn(JsValue, JsValue, JsValue) -> std::result::Result<JsValue, JsValue>,
    >::new(|object: JsValue, verdict: JsValue, valid: JsValue| {
        outcome(object, verdict, valid.as_bool() == Some(true))
    });
    let failed =
        Closure::<dyn Fn(JsValue) -> std::result::Result<JsValue, JsValue>>::new(|_: JsValue| {
            Err(to_js_error(&crypto_failed("verify")))
        });
    let crypto = Rc::new(WebCrypto {
        subtle,
        algorithm,
        settle: settle.into_js_value().unchecked_into(),
        failed: failed.into_js_value().unchecked_into(),
    });
    WEB_CRYPTO.with(|c| *c.borrow_mut() = Some(crypto.clone()));
    Ok(crypto)
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

fn crypto_failed(step: &str) -> Error {
    Error::new(ErrorCode::Server, format!("WebCrypto failed at {step}."))
}
