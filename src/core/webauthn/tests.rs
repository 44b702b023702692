use crate::core::json::json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use proptest::prelude::*;
use webauthn_rs_proto::{
    PublicKeyCredential, PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions,
    RegisterPublicKeyCredential,
};

use super::*;
use crate::core::config::{Mode, Options};

// Every checked output must fit webauthn-rs-proto's typed model of the options (the browser's
// dictionaries): the tests read the outputs through it.
impl CreationOptions {
    pub(crate) fn typed(&self) -> PublicKeyCredentialCreationOptions {
        serde_json::from_str(&crate::core::json::to_string(&self.public_key))
            .ok()
            .expect("fits the model")
    }
}

impl RequestOptions {
    pub(crate) fn typed(&self) -> PublicKeyCredentialRequestOptions {
        serde_json::from_str(&crate::core::json::to_string(&self.public_key))
            .ok()
            .expect("fits the model")
    }
}

/// Creation options as the emulator (webauthn-rs) sends them.
pub(crate) fn creation_json() -> Value {
    json!({
        "rp": { "name": "Frontegg emulator", "id": "localhost" },
        "user": { "id": "AAECAwQFBgcICQoLDA0ODw", "name": "a@b.c", "displayName": "A" },
        "challenge": "3q2-7w_-3q2-7w_-3q2-7w_-3q2-7w_-3q2-7w_-3q0",
        "pubKeyCredParams": [{ "type": "public-key", "alg": -7 }, { "type": "public-key", "alg": -257 }],
        "timeout": 300000,
        "excludeCredentials": [{ "type": "public-key", "id": "_-8" }],
        "authenticatorSelection": { "authenticatorAttachment": "platform", "residentKey": "required", "requireResidentKey": true, "userVerification": "required" },
        "attestation": "none",
        "extensions": { "credentialProtectionPolicy": "userVerificationRequired", "enforceCredentialProtectionPolicy": false, "uvm": true, "credProps": true }
    })
}

pub(crate) fn request_json() -> Value {
    json!({
        "challenge": "3q2-7w_-3q2-7w_-3q2-7w_-3q2-7w_-3q2-7w_-3q0",
        "timeout": 300000,
        "rpId": "localhost",
        "allowCredentials": [{ "type": "public-key", "id": "_-8", "transports": ["usb", "carrier-pigeon"] }],
        "userVerification": "preferred"
    })
}

/// Re-encodes every base64url string at `path`s with `variant` (0: as is, 1: padded url-safe,
/// 2: standard padded, 3: standard unpadded).
fn reencode(text: &str, variant: u8) -> String {
    let bytes = decode_b64(text).unwrap();
    match variant {
        0 => base64url::encode(&bytes),
        1 => URL_SAFE.encode(&bytes),
        2 => STANDARD.encode(&bytes),
        _ => STANDARD.encode(&bytes).trim_end_matches('=').to_owned(),
    }
}

fn map_binary(options: &mut Value, variant: u8) {
    let fix = |v: &mut Value| {
        if let Some(s) = v.as_str() {
            *v = Value::String(reencode(s, variant));
        }
    };
    fix(&mut options["challenge"]);
    if options.get("user").is_some() {
        fix(&mut options["user"]["id"]);
    }
    for key in ["excludeCredentials", "allowCredentials"] {
        if let Some(Value::Array(items)) = options.get_mut(key) {
            items.iter_mut().for_each(|d| fix(&mut d["id"]));
        }
    }
}

#[test]
fn base64_in_every_dialect() {
    let bytes = [0xfb, 0xff, 0xbf, 0x00, 0x01];
    for text in ["-_-_AAE", "-_-_AAE=", "+/+/AAE=", "+/+/AAE", " -_-_AAE= "] {
        assert_eq!(decode_b64(text).as_deref(), Some(&bytes[..]), "{text}");
    }
    assert_eq!(base64url::encode(&bytes), "-_-_AAE");
    for junk in ["*", "a", "ab=c", "é"] {
        assert_eq!(decode_b64(junk), None, "{junk}");
    }
}

#[test]
fn creation_options_are_typed_whatever_the_base64() {
    let canonical = creation_options(&creation_json()).unwrap().typed();
    assert_eq!(
        canonical.challenge,
        decode_b64(creation_json()["challenge"].as_str().unwrap()).unwrap()
    );
    assert_eq!(canonical.user.id, (0u8..16).collect::<Vec<_>>());
    assert_eq!(canonical.rp.id, "localhost");
    assert_eq!(
        canonical.exclude_credentials.as_ref().unwrap()[0].id,
        [0xff, 0xef]
    );
    assert_eq!(canonical.pub_key_cred_params[1].alg, -257);
    assert_eq!(canonical.timeout, Some(300_000));
    let ext = canonical.extensions.as_ref().expect("extensions kept");
    assert_eq!(ext.uvm, Some(true));
    for variant in 1..4 {
        let mut v = creation_json();
        map_binary(&mut v, variant);
        let typed = creation_options(&v).unwrap().typed();
        assert_eq!(
            crate::core::json::from_serde(&serde_json::to_value(&typed).unwrap()),
            crate::core::json::from_serde(&serde_json::to_value(&canonical).unwrap())
        );
    }
    // Wrapped as `{ publicKey }` too.
    let wrapped = creation_options(&json!({ "publicKey": creation_json() })).unwrap();
    assert_eq!(wrapped.typed().challenge, canonical.challenge);
}

#[test]
fn missing_optional_members_get_the_spec_defaults() {
    let typed = creation_options(&json!({
        "user": { "id": "AQ", "name": "a@b.c" },
        "challenge": "AQID",
        "pubKeyCredParams": [{ "alg": -7.0 }],
        "authenticatorSelection": { "residentKey": "required", "userVerification": "sometimes" },
        "attestation": "enterprise",
        "hints": ["client-device", "telepathy"],
        "extensions": { "uvm": "yes please" },
        "timeout": 1.5
    }))
    .unwrap()
    .typed();
    assert_eq!(typed.user.display_name, "a@b.c");
    assert_eq!(typed.rp.id, "", "left to the browser");
    assert_eq!(typed.pub_key_cred_params[0].type_, "public-key");
    assert_eq!(typed.pub_key_cred_params[0].alg, -7);
    let sel = typed.authenticator_selection.unwrap();
    assert!(sel.require_resident_key);
    assert_eq!(
        sel.user_verification,
        webauthn_rs_proto::UserVerificationPolicy::Preferred
    );
    assert!(typed.attestation.is_none() && typed.extensions.is_none() && typed.timeout.is_none());
    assert_eq!(typed.hints.unwrap().len(), 1);

    let typed = request_options(&json!({ "challenge": "AQID" }))
        .unwrap()
        .typed();
    assert!(typed.allow_credentials.is_empty());
    assert_eq!(typed.rp_id, "");
    assert_eq!(
        typed.user_verification,
        webauthn_rs_proto::UserVerificationPolicy::Preferred
    );
    let typed = request_options(&request_json()).unwrap().typed();
    assert_eq!(typed.allow_credentials[0].id, [0xff, 0xef]);
    assert_eq!(
        typed.allow_credentials[0]
            .transports
            .as_ref()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn extensions_keep_only_known_well_typed_inputs() {
    let mut options = creation_json();
    options["extensions"] = json!({
        "credProps": true, "uvm": "yes", "largeBlob": {},
        "credentialProtectionPolicy": "userVerificationRequired"
    });
    let checked = creation_options(&options).unwrap();
    assert_eq!(
        checked.public_key["extensions"],
        json!({ "credProps": true })
    );
    let checked = request_options(&json!({
        "challenge": "AQ", "extensions": { "appid": "https://x.test", "uvm": 1 }
    }))
    .unwrap();
    assert_eq!(
        checked.public_key["extensions"],
        json!({ "appid": "https://x.test" })
    );
    assert!(checked.typed().extensions.is_some());
}

#[test]
fn malformed_options_are_invalid_input() {
    let cases: Vec<(Value, &str)> = vec![
        (json!("options"), "not an object"),
        (json!({}), "`challenge` is missing"),
        (json!({ "challenge": "*" }), "`challenge` is not base64url"),
        (json!({ "challenge": "" }), "`challenge` must be 1 to"),
        (json!({ "challenge": 7 }), "`challenge` is not a string"),
        (
            json!({ "challenge": "AQ", "allowCredentials": {} }),
            "`allowCredentials` is not a list",
        ),
        (
            json!({ "challenge": "AQ", "allowCredentials": [{ "id": "**" }] }),
            "`allowCredentials[0].id`",
        ),
        (
            json!({ "challenge": "AQ", "allowCredentials": ["AQ"] }),
            "`allowCredentials[0]` is not an object",
        ),
        (
            json!({ "challenge": "AQ", "allowCredentials": [{ "id": "AQ", "transports": [1] }] }),
            "transports",
        ),
        (
            json!({ "challenge": "AQ", "rpId": 5 }),
            "`rpId` is not a string",
        ),
    ];
    for (options, what) in cases {
        let err = request_options(&options).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains(what), "{options}: {}", err.message);
    }
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let with = |path: &str, value: Value| {
        let mut v = creation_json();
        let mut target = &mut v;
        let parts: Vec<&str> = path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            target = &mut target[*part];
        }
        target[parts[parts.len() - 1]] = value;
        v
    };
    cases.push((with("user", Value::Null), "`user` is missing"));
    cases.push((
        with("user.id", json!(base64url::encode(&[1; 65]))),
        "`user.id` must be 1 to 64 bytes",
    ));
    cases.push((with("user.name", json!(3)), "`user.name` is not a string"));
    cases.push((with("rp", json!([])), "`rp` is not an object"));
    cases.push((with("pubKeyCredParams", json!([])), "non-empty list"));
    cases.push((
        with("pubKeyCredParams", json!([{ "alg": 1e300 }])),
        "COSE algorithm",
    ));
    cases.push((
        with(
            "pubKeyCredParams",
            json!([{ "alg": 9_007_199_254_740_993_i64 }]),
        ),
        "COSE algorithm",
    ));
    cases.push((
        with("pubKeyCredParams", json!([{ "alg": "ES256" }])),
        "COSE algorithm",
    ));
    cases.push((
        with("excludeCredentials", json!([{ "id": 1 }])),
        "excludeCredentials[0].id",
    ));
    for (options, what) in cases {
        let err = creation_options(&options).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains(what), "{options}: {}", err.message);
    }
}

pub(crate) fn attestation() -> BrowserCredential {
    BrowserCredential {
        raw_id: vec![0xfb, 0xff, 1, 2],
        type_: "public-key".into(),
        client_data_json: br#"{"type":"webauthn.create","challenge":"AQ"}"#.to_vec(),
        attestation_object: Some(vec![0xa3, 0x63, 0x66, 0x6d, 0x74]),
        authenticator_attachment: Some("platform".into()),
        transports: vec!["internal".into(), "hybrid".into()],
        client_extension_results: json!({ "credProps": { "rk": true } }),
        ..BrowserCredential::default()
    }
}

#[test]
fn credentials_are_encoded_as_the_official_client_sends_them() {
    let json = attestation().attestation_json().unwrap();
    assert_eq!(
        json,
        json!({
            "id": "-_8BAg", "rawId": "-_8BAg", "type": "public-key",
            "response": {
                "clientDataJSON": base64url::encode(br#"{"type":"webauthn.create","challenge":"AQ"}"#),
                "attestationObject": "o2NmbXQ",
                "transports": ["internal", "hybrid"]
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": { "credProps": { "rk": true } }
        })
    );
    let parsed: RegisterPublicKeyCredential =
        serde_json::from_value(crate::core::json::to_serde(&json)).unwrap();
    assert_eq!(parsed.raw_id, [0xfb, 0xff, 1, 2]);

    let assertion = BrowserCredential {
        attestation_object: None,
        authenticator_data: Some(vec![9; 37]),
        signature: Some(vec![0x30, 0x44]),
        user_handle: Some(vec![]),
        client_extension_results: json!(null),
        authenticator_attachment: None,
        ..attestation()
    };
    let json = assertion.assertion_json().unwrap();
    assert_eq!(json["response"]["signature"], "MEQ");
    assert!(
        json["response"].get("userHandle").is_none(),
        "an empty handle is no handle"
    );
    assert!(json["response"].get("attestationObject").is_none());
    assert!(json.get("authenticatorAttachment").is_none());
    assert_eq!(json["clientExtensionResults"], json!({}));
    let parsed: PublicKeyCredential =
        serde_json::from_value(crate::core::json::to_serde(&json)).unwrap();
    assert_eq!(parsed.response.authenticator_data, vec![9; 37]);

    // Half an answer is the browser's fault, not a request worth sending.
    assert_eq!(
        assertion.attestation_json().unwrap_err().code,
        ErrorCode::WebauthnUnsupported
    );
    assert_eq!(
        attestation().assertion_json().unwrap_err().code,
        ErrorCode::WebauthnUnsupported
    );
    let no_id = BrowserCredential {
        raw_id: vec![],
        ..attestation()
    };
    assert!(no_id.attestation_json().is_err());
}

// ---------------------------------------------------------------------------------------------
// Requests and the client flows, over a scripted runtime and a fake authenticator

fn core() -> AuthCore {
    AuthCore::new(
        Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap(),
        Mode::Browser,
    )
}

pub(crate) fn body(req: &HttpRequest) -> Value {
    crate::core::json::from_str(req.body.as_deref().unwrap_or("null")).unwrap()
}

#[test]
fn requests_match_the_identity_api() {
    let mut c = core();
    assert_eq!(
        c.passkey_register_start().unwrap_err().code,
        ErrorCode::Unauthorized
    );
    let input = AuthCore::passkey_login_input(&json!({ "email": " a@b.c " })).unwrap();
    let req = c.passkey_prelogin(&input);
    assert!(req
        .url
        .ends_with("/identity/resources/auth/v1/webauthn/prelogin"));
    assert!(
        req.with_credentials,
        "the answer to postlogin sets the refresh cookie"
    );
    assert_eq!(body(&req), json!({ "email": "a@b.c" }));
    assert_eq!(
        body(&c.passkey_prelogin(&AuthCore::passkey_login_input(&Value::Null).unwrap())),
        json!({})
    );

    assert!(c
        .mfa_verify_webauthn_input(&json!({ "deviceId": "d" }))
        .unwrap_err()
        .message
        .contains("no sign-in is waiting"));
    c.pending_mfa = Some("m".into());
    let input = c
        .mfa_verify_webauthn_input(&json!({ "deviceId": "d-1", "rememberDevice": true }))
        .unwrap();
    let start = c.mfa_webauthn_start(&input);
    assert!(start.url.ends_with("/auth/v1/user/mfa/webauthn/d-1"));
    assert_eq!(body(&start), json!({ "mfaToken": "m" }));
    let cred = json!({ "id": "x" });
    let finish = c.mfa_webauthn_finish(&input, Some("tok"), &cred);
    assert!(finish
        .url
        .ends_with("/auth/v1/user/mfa/webauthn/d-1/verify"));
    assert_eq!(
        body(&finish),
        json!({ "mfaToken": "m", "webauthnToken": "tok", "options": cred, "rememberDevice": true })
    );

    let input = c
        .mfa_enroll_webauthn_input(&json!({ "mfaToken": "m2", "deviceType": "CrossPlatform" }))
        .unwrap();
    assert_eq!(
        body(&c.mfa_webauthn_start(&input)),
        json!({ "mfaToken": "m2", "deviceType": "CrossPlatform" })
    );
    let finish = c.mfa_webauthn_finish(&input, Some("tok"), &cred);
    assert!(finish
        .url
        .ends_with("/auth/v1/user/mfa/webauthn/enroll/verify"));
    assert_eq!(
        body(&finish),
        json!({ "mfaToken": "m2", "webauthnToken": "tok", "options": cred, "deviceType": "CrossPlatform" })
    );

    for (result, what) in [
        (
            c.mfa_verify_webauthn_input(&json!({})),
            "`deviceId` is required",
        ),
        (
            c.mfa_verify_webauthn_input(&json!({ "deviceId": "../x" })),
            "not a valid id",
        ),
        (
            c.mfa_enroll_webauthn_input(&json!({})),
            "`deviceType` is required",
        ),
        (
            c.mfa_enroll_webauthn_input(&json!({ "deviceType": "Phone" })),
            "\"Platform\" or \"CrossPlatform\"",
        ),
        (
            c.mfa_verify_webauthn_input(&json!({ "deviceId": "d", "remember": true })),
            "unknown field `remember`",
        ),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains(what), "{}", err.message);
    }
    assert!(AuthCore::passkey_login_input(&json!({ "conditional": "yes" })).is_err());
    assert!(AuthCore::passkey_register_input(&json!({ "name": 1 })).is_err());
    assert!(AuthCore::mfa_settings_enroll_webauthn_input(&json!({})).is_err());
    assert!(c
        .mfa_disable_webauthn_ceremony(&json!({ "deviceId": "a/b", "kind": "webauthn" }))
        .is_err());
}

// ---------------------------------------------------------------------------------------------
// Properties

fn bytes(range: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), range)
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| if f.is_finite() {
            Value::from(f)
        } else {
            Value::Null
        }),
        "[A-Za-z0-9+/=_-]{0,12}".prop_map(Value::String),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let keys = prop_oneof![
            Just("challenge".to_owned()),
            Just("user".to_owned()),
            Just("id".to_owned()),
            Just("rp".to_owned()),
            Just("pubKeyCredParams".to_owned()),
            Just("alg".to_owned()),
            Just("allowCredentials".to_owned()),
            Just("excludeCredentials".to_owned()),
            Just("transports".to_owned()),
            Just("extensions".to_owned()),
            Just("timeout".to_owned()),
            Just("authenticatorSelection".to_owned()),
            Just("userVerification".to_owned()),
            Just("publicKey".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid creation options, as a server would write them.
fn arb_creation() -> impl Strategy<Value = Value> {
    (
        bytes(1..80),
        bytes(1..65),
        "[a-z@.]{0,12}",
        prop::collection::vec(-70000i64..70000, 1..4),
        prop::collection::vec(bytes(1..64), 0..4),
        prop::option::of(0u32..=u32::MAX),
        prop::sample::select(vec!["required", "preferred", "discouraged"]),
    )
        .prop_map(|(challenge, user_id, name, algs, exclude, timeout, uv)| {
            let mut v = json!({
                "rp": { "name": "RP", "id": "example.com" },
                "user": { "id": base64url::encode(&user_id), "name": name, "displayName": name },
                "challenge": base64url::encode(&challenge),
                "pubKeyCredParams": algs.iter().map(|a| json!({ "type": "public-key", "alg": a })).collect::<Vec<_>>(),
                "excludeCredentials": exclude.iter().map(|id| json!({ "type": "public-key", "id": base64url::encode(id), "transports": ["usb"] })).collect::<Vec<_>>(),
                "authenticatorSelection": { "requireResidentKey": false, "userVerification": uv },
            });
            if let Some(t) = timeout {
                v["timeout"] = json!(t);
            }
            v
        })
}

fn arb_request() -> impl Strategy<Value = Value> {
    (bytes(1..80), prop::collection::vec(bytes(1..64), 0..4), "[a-z.]{0,12}").prop_map(|(challenge, allow, rp_id)| {
        json!({
            "challenge": base64url::encode(&challenge),
            "rpId": rp_id,
            "allowCredentials": allow.iter().map(|id| json!({ "type": "public-key", "id": base64url::encode(id) })).collect::<Vec<_>>(),
            "userVerification": "preferred",
        })
    })
}

fn arb_credential() -> impl Strategy<Value = BrowserCredential> {
    (
        bytes(1..64),
        bytes(1..300),
        bytes(1..300),
        bytes(37..100),
        bytes(1..80),
        prop::option::of(bytes(1..65)),
        prop::option::of(prop::sample::select(vec!["platform", "cross-platform"])),
        prop::collection::vec(
            prop::sample::select(vec!["usb", "nfc", "ble", "internal", "hybrid"]),
            0..3,
        ),
    )
        .prop_map(
            |(
                raw_id,
                client_data,
                attestation,
                data,
                signature,
                handle,
                attachment,
                transports,
            )| BrowserCredential {
                raw_id,
                type_: "public-key".into(),
                client_data_json: client_data,
                attestation_object: Some(attestation),
                authenticator_data: Some(data),
                signature: Some(signature),
                user_handle: handle,
                authenticator_attachment: attachment.map(str::to_owned),
                transports: transports.into_iter().map(str::to_owned).collect(),
                client_extension_results: json!({}),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn base64_round_trips_in_every_dialect(data in bytes(0..200), variant in 0u8..4) {
        let text = match variant {
            0 => base64url::encode(&data),
            1 => URL_SAFE.encode(&data),
            2 => STANDARD.encode(&data),
            _ => STANDARD.encode(&data).trim_end_matches('=').to_owned(),
        };
        prop_assert_eq!(decode_b64(&text), Some(data));
    }

    /// encode (a server's JSON, in any base64 dialect) then decode gives the server's options.
    #[test]
    fn creation_options_round_trip(options in arb_creation(), variant in 0u8..4) {
        let mut sent = options.clone();
        map_binary(&mut sent, variant);
        let typed = creation_options(&sent).unwrap().typed();
        let again = crate::core::json::from_serde(&serde_json::to_value(&typed).unwrap());
        prop_assert_eq!(&again["challenge"], &options["challenge"]);
        prop_assert_eq!(&again["user"], &options["user"]);
        prop_assert_eq!(&again["excludeCredentials"], &options["excludeCredentials"]);
        prop_assert_eq!(&again["pubKeyCredParams"], &options["pubKeyCredParams"]);
        prop_assert_eq!(again.get("timeout"), options.get("timeout"));
        // And the typed value decodes to itself.
        let twice = creation_options(&again).unwrap().typed();
        prop_assert_eq!(crate::core::json::from_serde(&serde_json::to_value(&twice).unwrap()), again);
    }

    #[test]
    fn request_options_round_trip(options in arb_request(), variant in 0u8..4) {
        let mut sent = options.clone();
        map_binary(&mut sent, variant);
        let typed = request_options(&sent).unwrap().typed();
        prop_assert_eq!(crate::core::json::from_serde(&serde_json::to_value(&typed).unwrap()), options);
    }

    /// decode(encode(credential)), read as a server (webauthn-rs) reads it, gives the bytes back.
    #[test]
    fn credentials_round_trip(cred in arb_credential()) {
        let json = cred.attestation_json().unwrap();
        let id = base64url::encode(&cred.raw_id);
        prop_assert_eq!(json["id"].as_str(), Some(id.as_str()));
        prop_assert!(!json.to_string().contains('='), "unpadded");
        let reg: RegisterPublicKeyCredential = serde_json::from_value(crate::core::json::to_serde(&json)).unwrap();
        prop_assert_eq!(&reg.raw_id, &cred.raw_id);
        prop_assert_eq!(&reg.response.client_data_json, &cred.client_data_json);
        prop_assert_eq!(Some(&reg.response.attestation_object), cred.attestation_object.as_ref());
        prop_assert_eq!(reg.response.transports.map_or(0, |t| t.len()), cred.transports.len());

        let json = cred.assertion_json().unwrap();
        let auth: PublicKeyCredential = serde_json::from_value(crate::core::json::to_serde(&json)).unwrap();
        prop_assert_eq!(&auth.raw_id, &cred.raw_id);
        prop_assert_eq!(Some(&auth.response.authenticator_data), cred.authenticator_data.as_ref());
        prop_assert_eq!(Some(&auth.response.signature), cred.signature.as_ref());
        prop_assert_eq!(auth.response.user_handle, cred.user_handle);
    }

    /// Garbage never panics: it is typed options or `invalid_input`.
    #[test]
    fn garbage_options_never_panic(value in arb_json()) {
        let checked = [
            creation_options(&value).map(|o| drop(o.typed())),
            request_options(&value).map(|o| drop(o.typed())),
        ];
        for result in checked {
            if let Err(e) = result {
                prop_assert_eq!(e.code, ErrorCode::InvalidInput);
            }
        }
    }

    /// Valid options with one member replaced by garbage: still no panic, and anything accepted
    /// is within what the JS conversion handles (safe integers, bounded ids).
    #[test]
    fn damaged_options_never_panic(options in arb_creation(), key in prop::sample::select(vec![
        "challenge", "user", "rp", "pubKeyCredParams", "excludeCredentials", "authenticatorSelection",
        "timeout", "extensions", "attestation", "hints",
    ]), junk in arb_json()) {
        let mut damaged = options;
        damaged[key] = junk.clone();
        match creation_options(&damaged) {
            Ok(checked) => {
                let p = checked.typed();
                prop_assert!(!p.challenge.is_empty() && (1..=64).contains(&p.user.id.len()));
                prop_assert!(p.pub_key_cred_params.iter().all(|a| i32::try_from(a.alg).is_ok()));
            }
            Err(e) => prop_assert_eq!(e.code, ErrorCode::InvalidInput),
        }
        let mut request = json!({ "challenge": "AQID" });
        request[key] = junk;
        match request_options(&request) {
            Ok(checked) => drop(checked.typed()),
            Err(e) => prop_assert_eq!(e.code, ErrorCode::InvalidInput),
        }
    }
}
