//! `verifyAccessToken` in any JS runtime: the JWKS is fetched once and cached, keys are imported
//! into the runtime's WebCrypto, and the RS256 signature is checked there. The rules (what is
//! parsed and which claims must hold) are in [`crate::core::verify`].

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::core::error::{Error, ErrorCode, Result};
use crate::core::verify::{self, Jwk, VerifyOptions};
use crate::wasm::fetch::{text, FetchRuntime};

/// An unknown `kid` refetches the JWKS (the host rotated its keys), but at most this often, so
/// tokens with made-up `kid`s can't turn every request into a fetch.
const REFETCH_AFTER_MS: f64 = 60_000.0;

/// The keys of one JWKS URL.
struct KeySet {
    keys: Vec<Jwk>,
    fetched_at: f64,
    imported: HashMap<String, CryptoKey>,
}

thread_local! {
    static KEY_SETS: RefCell<HashMap<String, KeySet>> = RefCell::new(HashMap::new());
}

/// Verifies `token` and answers its claims.
pub async fn verify_access_token(
    token: &str,
    options: &VerifyOptions,
) -> Result<Map<String, Value>> {
    let jwt = verify::parse(token)?;
    let key = crypto_key(&options.jwks_url, jwt.kid.as_deref()).await?;
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

/// The WebCrypto key for `kid`: imported once, from a JWKS fetched once (again only when a
/// `kid` is unknown, the host having rotated its keys).
async fn crypto_key(url: &str, kid: Option<&str>) -> Result<CryptoKey> {
    let cache_id = kid.unwrap_or("").to_owned();
    let cached = KEY_SETS.with(|sets| {
        let sets = sets.borrow();
        let set = sets.get(url)?;
        match set.imported.get(&cache_id) {
            Some(key) => Some(Ok(key.clone())),
            None => verify::find_key(&set.keys, kid).cloned().map(Err),
        }
    });
    let jwk = match cached {
        Some(Ok(key)) => return Ok(key),
        Some(Err(jwk)) => jwk,
        None => {
            let recently = KEY_SETS.with(|sets| {
                sets.borrow()
                    .get(url)
                    .is_some_and(|s| js_sys::Date::now() - s.fetched_at < REFETCH_AFTER_MS)
            });
            if recently {
                return Err(unknown_key());
            }
            let keys = fetch_jwks(url).await?;
            let jwk = verify::find_key(&keys, kid).cloned();
            KEY_SETS.with(|sets| {
                sets.borrow_mut().insert(
                    url.to_owned(),
                    KeySet {
                        keys,
                        fetched_at: js_sys::Date::now(),
                        imported: HashMap::new(),
                    },
                );
            });
            jwk.ok_or_else(unknown_key)?
        }
    };
    let key = import(&jwk).await?;
    KEY_SETS.with(|sets| {
        if let Some(set) = sets.borrow_mut().get_mut(url) {
            set.imported.insert(cache_id, key.clone());
        }
    });
    Ok(key)
}

async fn fetch_jwks(url: &str) -> Result<Vec<Jwk>> {
    let unreachable = || {
        Error::new(
            ErrorCode::Network,
            format!("Could not fetch the signing keys from {url}."),
        )
    };
    let fetch = FetchRuntime::global_fetch().ok_or_else(unreachable)?;
    let response = FetchRuntime::new(fetch)
        .fetch_raw(&JsValue::from_str(url), None)
        .await
        .map_err(|_| unreachable())?;
    if !response.ok() {
        return Err(Error::new(
            ErrorCode::Server,
            format!(
                "The signing keys at {url} answered HTTP {}.",
                response.status()
            ),
        ));
    }
    verify::parse_jwks(&text(&response).await.map_err(|_| unreachable())?)
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

fn unknown_key() -> Error {
    Error::new(
        ErrorCode::Unauthorized,
        "The access token is not valid: it is signed with an unknown key.",
    )
}
