//! The wasm build, through its JS-facing API, in headless Chromium against the emulator:
//! browser mode, the httpOnly refresh cookie, and errors as JS values.
//! `scripts/test.sh` starts the emulator and passes its URL at build time.
#![cfg(target_arch = "wasm32")]

use frontegg_auth_wasm::wasm::auth::{create_auth, FronteggAuth};
use frontegg_auth_wasm::wasm::convert::init;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
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

/// The package's methods, called as `js/client.js` calls them: one operation each.
trait Methods {
    fn login(&self, params: JsValue) -> Promise;
    fn refresh(&self) -> Promise;
    fn restore(&self) -> Promise;
    fn get_profile(&self) -> Promise;
    fn logout(&self, options: JsValue) -> Promise;
}

impl Methods for FronteggAuth {
    fn login(&self, params: JsValue) -> Promise {
        self.call("login", params, JsValue::UNDEFINED)
    }
    fn refresh(&self) -> Promise {
        self.call("refresh", JsValue::UNDEFINED, JsValue::UNDEFINED)
    }
    fn restore(&self) -> Promise {
        self.call("restore", JsValue::UNDEFINED, JsValue::UNDEFINED)
    }
    fn get_profile(&self) -> Promise {
        self.call("getProfile", JsValue::UNDEFINED, JsValue::UNDEFINED)
    }
    fn logout(&self, options: JsValue) -> Promise {
        self.call("logout", options, JsValue::UNDEFINED)
    }
}

#[wasm_bindgen(module = "/js/runtime.js")]
extern "C" {
    // The package's runtime, whose exports the loader hands to the wasm (js/loader.js).
    #[wasm_bindgen(thread_local_v2, js_name = exchange)]
    static EXCHANGE: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = ceremony)]
    static CEREMONY: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = ask)]
    static ASK: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = sleep)]
    static SLEEP: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = lock)]
    static LOCK: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = holder)]
    static HOLDER: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = channel)]
    static CHANNEL: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = store)]
    static STORE: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = request)]
    static REQUEST: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = send)]
    static SEND: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = hear)]
    static HEAR: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = fail)]
    static FAIL: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = whenBack)]
    static WHEN_BACK: JsValue;
}

#[wasm_bindgen(module = "/js/error.js")]
extern "C" {
    /// The package's error class, which `js/runtime.js` constructs for every failure (importing
    /// it here also puts it beside the runtime, which imports it).
    #[wasm_bindgen(thread_local_v2, js_name = FronteggError)]
    static FRONTEGG_ERROR: js_sys::Function;
}

fn auth(base_url: &str) -> FronteggAuth {
    // As js/loader.js does.
    let effects = Object::new();
    for (name, export) in [
        ("exchange", &EXCHANGE),
        ("ceremony", &CEREMONY),
        ("ask", &ASK),
        ("sleep", &SLEEP),
        ("lock", &LOCK),
        ("holder", &HOLDER),
        ("channel", &CHANNEL),
        ("store", &STORE),
        ("request", &REQUEST),
        ("send", &SEND),
        ("whenBack", &WHEN_BACK),
        ("fail", &FAIL),
        ("hear", &HEAR),
    ] {
        Reflect::set(&effects, &name.into(), &export.with(JsValue::clone)).unwrap();
    }
    init(effects.unchecked_into());
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

    ok(a.logout(JsValue::UNDEFINED)).await;
    assert!(a.session().unwrap().is_null());
    let after = ok(auth(emulator_url()).restore()).await;
    assert!(after.is_null(), "the cookie is gone after logout");
    let e = err(a.get_profile()).await;
    assert_eq!(get(&e, "code").as_string().as_deref(), Some("unauthorized"));
}

#[wasm_bindgen_test]
async fn wrong_password_is_a_typed_error() {
    let e = err(auth(emulator_url()).login(login_args("demo@example.com", "wrong"))).await;
    let constructor = get(&e, "constructor");
    assert!(FRONTEGG_ERROR.with(|class| constructor == JsValue::from(class)));
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

/// The wasm build encodes base64url with the runtime's `btoa`: what it writes must decode to
/// every byte again, and decoding must be as strict as natively.
#[wasm_bindgen_test]
fn base64url_through_btoa() {
    use frontegg_auth_wasm::core::base64url::{decode, encode};
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

/// A client whose `fetch` answers every request with `answer`, and the remember-device policy
/// lookup with `policy`, as JSON with status 200.
fn auth_answering(answer: &serde_json::Value, policy: &serde_json::Value) -> FronteggAuth {
    // JSON text is a valid JS string literal once quoted as JSON again.
    let quoted = |v: &serde_json::Value| serde_json::to_string(&v.to_string()).unwrap();
    let fetch = js_sys::Function::new_with_args(
        "input, init",
        &format!(
            "const url = typeof input === 'string' ? input : input.url;\
             const body = url.includes('/mfa-policy/allow-remember-device') ? {} : {};\
             return Promise.resolve(new Response(body, {{ status: 200, headers: {{ 'content-type': 'application/json' }} }}));",
            quoted(policy),
            quoted(answer)
        ),
    );
    let options = obj(&[("baseUrl", "https://identity.example")]);
    Reflect::set(&options, &"fetch".into(), &fetch).unwrap();
    create_auth(options).unwrap_or_else(|e| panic!("createAuth: {e:?}"))
}

/// The hosted service sends `null` for absent values; the wasm build reads JSON through the
/// runtime's `JSON.parse` and serde-wasm-bindgen, so it is checked here too.
#[wasm_bindgen_test]
async fn explicit_nulls_in_the_mfa_challenge_and_the_login_answer() {
    use serde_json::json;
    let challenge = json!({
        "mfaRequired": true, "mfaToken": "m1", "mfaEnrolled": null, "accessToken": null,
        "refreshToken": null, "expiresIn": null, "resetPasswordToken": null, "recoveryCode": null,
        "userId": null, "userEmail": null, "mfaStrategies": null,
        "mfaDevices": {
            "authenticators": null, "emails": null, "webauthn": null,
            "phones": [{ "id": "p1", "phoneNumber": null }]
        }
    });
    let policy = json!({ "isAllowedToRemember": false, "mfaDeviceExpiration": null });
    let result = ok(auth_answering(&challenge, &policy).login(login_args("a@b.c", "pw"))).await;
    assert_eq!(
        get(&result, "status").as_string().as_deref(),
        Some("mfa_required")
    );
    assert_eq!(
        get(&result, "mfa.mfaToken").as_string().as_deref(),
        Some("m1")
    );
    assert_eq!(
        get(&result, "mfa.rememberDeviceAllowed").as_bool(),
        Some(false)
    );
    assert_eq!(
        get(&result, "mfa.devices.phones.0.phoneNumber")
            .as_string()
            .as_deref(),
        Some("")
    );
    assert_eq!(
        get(&result, "mfa.devices.authenticators.length").as_f64(),
        Some(0.0)
    );
    assert_eq!(get(&result, "mfa.strategies.length").as_f64(), Some(0.0));

    let enc = |v: serde_json::Value| {
        frontegg_auth_wasm::core::base64url::encode(v.to_string().as_bytes())
    };
    let token = format!(
        "{}.{}.sig",
        enc(json!({ "alg": "RS256" })),
        enc(
            json!({ "sub": "u1", "email": "a@b.c", "name": null, "tenantId": null, "tenantIds": null, "roles": null, "permissions": null, "profilePictureUrl": null })
        )
    );
    let tokens = json!({
        "accessToken": token, "refreshToken": null, "expiresIn": 300, "mfaRequired": null,
        "mfaToken": null, "mfaDevices": null, "recoveryCode": null, "resetPasswordToken": null
    });
    let result = ok(auth_answering(&tokens, &policy).login(login_args("a@b.c", "pw"))).await;
    assert_eq!(
        get(&result, "status").as_string().as_deref(),
        Some("authenticated")
    );
    assert_eq!(
        get(&result, "session.user.id").as_string().as_deref(),
        Some("u1")
    );
    assert_eq!(
        get(&result, "session.user.tenantIds.length").as_f64(),
        Some(0.0)
    );
    assert!(get(&result, "recoveryCode").is_undefined());

    // A required field that is null is a typed error, not a panic.
    let broken = json!({ "mfaRequired": true, "mfaToken": null });
    let e = err(auth_answering(&broken, &policy).login(login_args("a@b.c", "pw"))).await;
    assert_eq!(get(&e, "code").as_string().as_deref(), Some("server"));
}
