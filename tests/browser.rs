//! The wasm build, through its JS-facing API, in headless Chromium against the emulator:
//! browser mode, the httpOnly refresh cookie, and errors as JS values.
//! `scripts/test.sh` starts the emulator and passes its URL at build time.
#![cfg(target_arch = "wasm32")]

use frontegg_auth_wasm::js::{create_auth, FronteggAuth};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn emulator_url() -> &'static str {
    option_env!("FRONTEGG_EMULATOR_URL")
        .expect("build with FRONTEGG_EMULATOR_URL set (scripts/test.sh does)")
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, k| {
        Reflect::get(&v, &k.into()).unwrap_or(JsValue::UNDEFINED)
    })
}

fn obj(pairs: &[(&str, &str)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), &(*v).into()).unwrap();
    }
    o.into()
}

fn auth(base_url: &str) -> FronteggAuth {
    create_auth(obj(&[("baseUrl", base_url)])).unwrap_or_else(|e| panic!("createAuth: {e:?}"))
}

async fn ok(p: Promise) -> JsValue {
    JsFuture::from(p)
        .await
        .unwrap_or_else(|e| panic!("rejected: {:?}", get(&e, "message")))
}

async fn err(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => {
            assert!(
                e.is_instance_of::<js_sys::Error>(),
                "rejections are Error objects"
            );
            assert_eq!(
                get(&e, "name").as_string().as_deref(),
                Some("FronteggError")
            );
            e
        }
    }
}

fn login_args(email: &str, password: &str) -> JsValue {
    obj(&[("email", email), ("password", password)])
}

#[wasm_bindgen_test]
async fn browser_mode_sign_in_refresh_restore_sign_out() {
    let a = auth(emulator_url());
    assert!(a.session().unwrap().is_null());

    let result = ok(a.login(login_args("demo@example.com", "Demo-pass-123!"))).await;
    assert_eq!(
        get(&result, "status").as_string().as_deref(),
        Some("authenticated")
    );
    assert_eq!(
        get(&result, "session.user.email").as_string().as_deref(),
        Some("demo@example.com")
    );
    // Browser mode: the refresh token stays in the httpOnly cookie, out of page script's reach.
    assert!(get(&result, "session.refreshToken").is_undefined());
    assert!(get(&result, "session.expiresAt").as_f64().unwrap() > js_sys::Date::now());

    let profile = ok(a.get_profile()).await;
    assert_eq!(
        get(&profile, "email").as_string().as_deref(),
        Some("demo@example.com")
    );

    let refreshed = ok(a.refresh()).await;
    assert_eq!(
        get(&refreshed, "user.email").as_string().as_deref(),
        Some("demo@example.com")
    );

    // A second client on the same page (as after a reload) restores through the cookie.
    let reloaded = auth(emulator_url());
    let restored = ok(reloaded.restore()).await;
    assert_eq!(
        get(&restored, "user.email").as_string().as_deref(),
        Some("demo@example.com")
    );

    ok(a.logout()).await;
    assert!(a.session().unwrap().is_null());
    let after = ok(auth(emulator_url()).restore()).await;
    assert!(after.is_null(), "the cookie is gone after logout");
    let e = err(a.get_profile()).await;
    assert_eq!(get(&e, "code").as_string().as_deref(), Some("unauthorized"));
}

#[wasm_bindgen_test]
async fn wrong_password_is_a_typed_error() {
    let e = err(auth(emulator_url()).login(login_args("demo@example.com", "wrong"))).await;
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("invalid_credentials")
    );
    assert_eq!(get(&e, "status").as_f64(), Some(401.0));
    assert!(get(&e, "traceId").as_string().is_some());
    assert!(!get(&e, "message")
        .as_string()
        .unwrap_or_default()
        .is_empty());
}

#[wasm_bindgen_test]
async fn bad_input_is_rejected_before_any_request() {
    for bad in [
        JsValue::UNDEFINED,
        obj(&[]),
        obj(&[("baseUrl", "not a url")]),
    ] {
        let e = match create_auth(bad) {
            Ok(_) => panic!("expected invalid_input"),
            Err(e) => e,
        };
        assert_eq!(
            get(&e, "code").as_string().as_deref(),
            Some("invalid_input")
        );
    }
    let a = auth("http://127.0.0.1:9");
    let e = err(a.login(obj(&[("email", "demo@example.com")]))).await;
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("invalid_input")
    );
}

#[wasm_bindgen_test]
async fn unreachable_host_is_a_network_error() {
    let e = err(auth("http://127.0.0.1:9").login(login_args("demo@example.com", "x"))).await;
    assert_eq!(get(&e, "code").as_string().as_deref(), Some("network"));
    assert!(get(&e, "status").is_undefined());
    let _ = e.dyn_into::<js_sys::Error>().unwrap();
}

/// The wasm build decodes base64url with the runtime's `atob`: it must be exactly as strict as
/// the native codec, and round-trip every byte.
#[wasm_bindgen_test]
fn base64url_through_atob_and_btoa() {
    use frontegg_auth_wasm::base64url::{decode, encode};
    let all: Vec<u8> = (0..=255).collect();
    for len in [0, 1, 2, 3, 4, 255, 256] {
        let bytes = &all[..len];
        let text = encode(bytes);
        assert!(!text.contains(['=', '+', '/']), "{text}");
        assert_eq!(decode(&text).as_deref(), Some(bytes), "{text}");
    }
    assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    for junk in ["a", "ab=c", "AQ==", "+/8", " AQ", "é", "AQ\n"] {
        assert_eq!(decode(junk), None, "{junk:?}");
    }
}
