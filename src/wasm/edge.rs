//! `verifyAccessToken` in any JS runtime: the JWKS is fetched with the runtime's `fetch` and its
//! keys imported into the runtime's WebCrypto, where the RS256 signature is checked. The rules
//! (what is parsed, which keys and claims hold, and when the JWKS is fetched again) are in
//! [`crate::core::verify`]; this file performs what they decide.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortSignal, CryptoKey, RequestInit, SubtleCrypto};

use crate::core::error::{Error, ErrorCode, Result};
use crate::core::verify::{self, Jwk, KeyCache, Plan, VerifyOptions};
use crate::wasm::fetch::{text, FetchFailure, FetchRuntime};

/// How long a JWKS fetch may take, body included: every token waiting on it waits this long
/// at worst.
const JWKS_TIMEOUT_MS: u32 = 10_000;

/// Everything known about one JWKS URL.
#[derive(Default)]
struct KeySet {
    cache: KeyCache,
    /// The fetch under way, which every token that needs it awaits.
    in_flight: Option<Promise>,
    /// Imported keys by modulus, so a key is imported once however often the JWKS is fetched.
    imported: HashMap<String, CryptoKey>,
}

thread_local! {
    static KEY_SETS: RefCell<HashMap<String, KeySet>> = RefCell::new(HashMap::new());
}

fn with_set<T>(url: &str, f: impl FnOnce(&mut KeySet) -> T) -> T {
    KEY_SETS.with(|sets| f(sets.borrow_mut().entry(url.to_owned()).or_default()))
}

/// Verifies `token` and answers its claims.
pub async fn verify_access_token(
    token: &str,
    options: &VerifyOptions,
    fetch: Option<Function>,
) -> Result<Map<String, Value>> {
    let jwt = verify::parse(token)?;
    let key = crypto_key(&options.jwks_url, jwt.kid.as_deref(), fetch).await?;
    let subtle = subtle()?;
    let algorithm = Object::new();
    set(&algorithm, "name", &"RSASSA-PKCS1-v1_5".into());
    let promise = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &algorithm,
            &key,
            &jwt.signature,
            jwt.signed.as_bytes(),
        )
        .map_err(|_| crypto_failed("verify"))?;
    let valid = JsFuture::from(promise)
        .await
        .map_err(|_| crypto_failed("verify"))?
        .as_bool()
        == Some(true);
    if !valid {
        return Err(Error::new(
            ErrorCode::Unauthorized,
            "The access token is not valid: its signature does not match.",
        ));
    }
    verify::check_claims(&jwt.claims, options, js_sys::Date::now() / 1000.0)?;
    Ok(jwt.claims)
}

/// The WebCrypto key for `kid`, as the cache's plan says: a held key, or one after the fetch
/// this call starts (with `fetch`, else the global one) or joins.
async fn crypto_key(url: &str, kid: Option<&str>, fetch: Option<Function>) -> Result<CryptoKey> {
    // A fetch ends in keys or in a backoff, after which the plan is `Use` or `Refuse`; the
    // bound only guards against a clock that jumps while we wait.
    for _ in 0..3 {
        let plan = with_set(url, |set| set.cache.plan(kid, js_sys::Date::now()));
        let pending = match plan {
            Plan::Use(jwk) => return import_once(url, &jwk).await,
            Plan::Refuse(error) => return Err(error),
            Plan::Wait => with_set(url, |set| set.in_flight.clone()),
            Plan::Fetch => Some(start_fetch(url, fetch.clone())),
        };
        if let Some(pending) = pending {
            // It always resolves: the outcome is recorded in the cache, not in the promise.
            let _ = JsFuture::from(pending).await;
        }
    }
    Err(verify::unknown_key())
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
                set.imported.retain(|n, _| keys.iter().any(|k| &k.n == n));
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
    if let Some(key) = with_set(url, |set| set.imported.get(&jwk.n).cloned()) {
        return Ok(key);
    }
    let key = import(jwk).await?;
    with_set(url, |set| set.imported.insert(jwk.n.clone(), key.clone()));
    Ok(key)
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
    let response = FetchRuntime::new(fetch)
        .fetch_raw(&JsValue::from_str(url), Some(&init))
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
    let body = text(&response)
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
    let promise = subtle()?
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

/// `globalThis.crypto.subtle`: browsers (secure contexts), workers, Node 20, Deno and workerd.
fn subtle() -> Result<SubtleCrypto> {
    Reflect::get(&js_sys::global(), &"crypto".into())
        .and_then(|crypto| Reflect::get(&crypto, &"subtle".into()))
        .ok()
        .and_then(|s| s.dyn_into().ok())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Server,
                "This runtime has no WebCrypto (crypto.subtle).",
            )
        })
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

fn crypto_failed(step: &str) -> Error {
    Error::new(ErrorCode::Server, format!("WebCrypto failed at {step}."))
}
