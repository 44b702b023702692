//! WebAuthn over HTTP against the binary: passkeys as the first factor and WebAuthn as MFA,
//! with a software authenticator (P-256, `fmt: "none"` attestation) built here, so the tests
//! control origins, challenges, signatures and sign counters.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ciborium::Value as Cbor;
use common::*;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "http://localhost:5173";
const DEVICES: &str = "/identity/resources/users/webauthn/v1/devices";
const PRELOGIN: &str = "/identity/resources/auth/v1/webauthn/prelogin";
const POSTLOGIN: &str = "/identity/resources/auth/v1/webauthn/postlogin";
const LOGIN_MFA: &str = "/identity/resources/auth/v1/user/mfa/webauthn";
const SETTINGS_MFA: &str = "/identity/resources/users/v1/mfa/webauthn";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// One credential held by the software authenticator.
struct SoftCredential {
    id: Vec<u8>,
    key: SigningKey,
    user_handle: Vec<u8>,
    counter: u32,
}

impl SoftCredential {
    /// `navigator.credentials.create()`: a new P-256 credential for the options' RP and user,
    /// with the client data claiming `origin`.
    fn create(options: &Value, origin: &str) -> (Self, Value) {
        let key = loop {
            if let Ok(key) = SigningKey::from_slice(&random::<32>()) {
                break key;
            }
        };
        let credential = Self {
            id: random::<16>().to_vec(),
            key,
            user_handle: unb64(options["user"]["id"].as_str().expect("user.id")),
            counter: 0,
        };
        let client_data = client_data("webauthn.create", options["challenge"].as_str(), origin);
        let point = credential.key.verifying_key().to_encoded_point(false);
        let cose_key = Cbor::Map(vec![
            (Cbor::from(1), Cbor::from(2)),
            (Cbor::from(3), Cbor::from(-7)),
            (Cbor::from(-1), Cbor::from(1)),
            (Cbor::from(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
            (Cbor::from(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
        ]);
        let mut auth_data = rp_id_hash(options["rp"]["id"].as_str().expect("rp.id"));
        // UP | UV | AT, counter 0, zero AAGUID, credential id, public key.
        auth_data.push(0x45);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&u16::try_from(credential.id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&credential.id);
        ciborium::into_writer(&cose_key, &mut auth_data).unwrap();
        let attestation = Cbor::Map(vec![
            (Cbor::from("fmt"), Cbor::from("none")),
            (Cbor::from("attStmt"), Cbor::Map(vec![])),
            (Cbor::from("authData"), Cbor::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::into_writer(&attestation, &mut attestation_object).unwrap();
        let response = json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation_object),
            },
        });
        (credential, response)
    }

    /// `navigator.credentials.get()` for request options, claiming `origin`, with the next
    /// sign counter.
    fn assert(&mut self, options: &Value, origin: &str) -> Value {
        self.counter += 1;
        self.assert_with_counter(options, origin, self.counter)
    }

    /// An assertion with an explicit sign counter.
    fn assert_with_counter(&self, options: &Value, origin: &str, counter: u32) -> Value {
        self.sign(options["challenge"].as_str(), options, origin, counter)
    }

    fn sign(&self, challenge: Option<&str>, options: &Value, origin: &str, counter: u32) -> Value {
        let client_data = client_data("webauthn.get", challenge, origin);
        let mut auth_data = rp_id_hash(options["rpId"].as_str().expect("rpId"));
        auth_data.push(0x05); // UP | UV
        auth_data.extend_from_slice(&counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&self.user_handle),
            },
        })
    }
}

fn client_data(kind: &str, challenge: Option<&str>, origin: &str) -> Vec<u8> {
    let challenge = challenge.expect("options.challenge");
    serde_json::to_vec(&json!({
        "type": kind,
        "challenge": challenge,
        "origin": origin,
        "crossOrigin": false,
    }))
    .unwrap()
}

fn rp_id_hash(rp_id: &str) -> Vec<u8> {
    Sha256::digest(rp_id.as_bytes()).to_vec()
}

/// A POST with the browser's `Origin`, an optional bearer token and a JSON body.
async fn post(emu: &Emulator, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = emu
        .http
        .post(emu.url(path))
        .header("origin", ORIGIN)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn json_ok(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

async fn access_token(emu: &Emulator, email: &str) -> String {
    let (body, _) = emu.login(email, DEMO_PASSWORD).await;
    body["accessToken"].as_str().unwrap().to_owned()
}

/// Registers a passkey for the bearer's user; returns the authenticator and the device id.
async fn register_passkey(emu: &Emulator, token: &str) -> (SoftCredential, String) {
    let options = json_ok(
        post(emu, DEVICES, Some(token), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let (credential, response) = SoftCredential::create(&options["options"], ORIGIN);
    let device = json_ok(
        post(emu, &format!("{DEVICES}/verify"), Some(token), &response).await,
        StatusCode::CREATED,
    )
    .await;
    (credential, device["id"].as_str().unwrap().to_owned())
}

/// Passkey prelogin; returns the request options.
async fn passkey_options(emu: &Emulator, body: Value) -> Value {
    json_ok(post(emu, PRELOGIN, None, &body).await, StatusCode::OK).await["options"].clone()
}

#[tokio::test]
async fn a_registered_passkey_signs_in_on_its_own() {
    let emu = demo().await;
    let token = access_token(&emu, "demo@example.com").await;
    let options = json_ok(
        post(&emu, DEVICES, Some(&token), &json!({})).await,
        StatusCode::OK,
    )
    .await["options"]
        .clone();
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(options["challenge"].as_str().is_some_and(|c| c.len() >= 43));
    let (mut credential, response) = SoftCredential::create(&options, ORIGIN);
    let device = json_ok(
        post(&emu, &format!("{DEVICES}/verify"), Some(&token), &response).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(device["deviceType"], "Platform");
    let listed = emu
        .http
        .get(emu.url(DEVICES))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let listed = json_ok(listed, StatusCode::OK).await;
    assert_eq!(listed["devices"][0]["id"], device["id"]);
    assert!(listed["devices"][0]["createdAt"].is_string());
    assert!(listed["devices"][0]["lastUsed"].is_null());

    // Without an identifier: discoverable credentials, nothing listed.
    let options = passkey_options(&emu, json!({})).await;
    assert_eq!(options["allowCredentials"], json!([]));
    assert_eq!(options["userVerification"], "required");
    let assertion = credential.assert(&options, ORIGIN);
    let response = post(&emu, POSTLOGIN, None, &assertion).await;
    assert!(refresh_cookie(&response).is_some());
    let body = json_ok(response, StatusCode::OK).await;
    assert_eq!(body["userEmail"], "demo@example.com");
    assert_eq!(body["mfaRequired"], false);
    let me = emu.me(ME, body["accessToken"].as_str().unwrap()).await;
    assert_eq!(
        json_ok(me, StatusCode::OK).await["email"],
        "demo@example.com"
    );

    // With an email: that user's credentials; an unknown email looks like no identifier.
    let options = passkey_options(&emu, json!({ "email": "demo@example.com" })).await;
    assert_eq!(options["allowCredentials"][0]["id"], b64(&credential.id));
    let assertion = credential.assert(&options, ORIGIN);
    json_ok(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::OK,
    )
    .await;
    let unknown = passkey_options(&emu, json!({ "email": "nobody@example.com" })).await;
    assert_eq!(unknown["allowCredentials"], json!([]));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&unknown), keys(&options));

    let listed = emu
        .http
        .get(emu.url(DEVICES))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(json_ok(listed, StatusCode::OK).await["devices"][0]["lastUsed"].is_string());
}

#[tokio::test]
async fn bad_passkey_assertions_are_rejected() {
    let emu = demo().await;
    let token = access_token(&emu, "demo@example.com").await;
    let (mut credential, _) = register_passkey(&emu, &token).await;

    // Wrong origin in the client data.
    let options = passkey_options(&emu, json!({})).await;
    let assertion = credential.assert(&options, "http://localhost:9999");
    let error = expect_error(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error["errorCode"], "ER-03012");

    // A challenge the emulator never issued.
    let options = passkey_options(&emu, json!({})).await;
    let forged = credential.sign(Some(&b64(&random::<32>())), &options, ORIGIN, 50);
    let error = expect_error(
        post(&emu, POSTLOGIN, None, &forged).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error["errorCode"], "ER-03011");

    // Tampered signature.
    let options = passkey_options(&emu, json!({})).await;
    let mut assertion = credential.assert(&options, ORIGIN);
    let mut signature = unb64(assertion["response"]["signature"].as_str().unwrap());
    let last = signature.len() - 1;
    signature[last] ^= 0x01;
    assertion["response"]["signature"] = json!(b64(&signature));
    let error = expect_error(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error["errorCode"], "ER-03013");

    // A good assertion works once; its challenge cannot be answered again.
    let options = passkey_options(&emu, json!({})).await;
    let assertion = credential.assert_with_counter(&options, ORIGIN, 10);
    json_ok(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::OK,
    )
    .await;
    let replay = expect_error(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(replay["errorCode"], "ER-03011");

    // The sign counter must increase (10 was stored): equal and lower are refused.
    for counter in [10, 3] {
        let options = passkey_options(&emu, json!({})).await;
        let assertion = credential.assert_with_counter(&options, ORIGIN, counter);
        let error = expect_error(
            post(&emu, POSTLOGIN, None, &assertion).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(error["errorCode"], "ER-03014", "counter {counter}");
    }
    let options = passkey_options(&emu, json!({})).await;
    credential.counter = 11;
    let assertion = credential.assert(&options, ORIGIN);
    json_ok(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::OK,
    )
    .await;

    // Registration is checked the same way: a wrong origin is refused, nothing is stored.
    let options = json_ok(
        post(&emu, DEVICES, Some(&token), &json!({})).await,
        StatusCode::OK,
    )
    .await["options"]
        .clone();
    let (_, response) = SoftCredential::create(&options, "http://localhost:9999");
    let error = expect_error(
        post(&emu, &format!("{DEVICES}/verify"), Some(&token), &response).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error["errorCode"], "ER-03012");
    let malformed = post(&emu, POSTLOGIN, None, &json!({ "id": 5 })).await;
    expect_error(malformed, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_deleted_passkey_no_longer_signs_in() {
    let emu = demo().await;
    let token = access_token(&emu, "demo@example.com").await;
    let (mut credential, device_id) = register_passkey(&emu, &token).await;
    let delete = |token: String, id: String| {
        let request = emu
            .http
            .delete(emu.url(&format!("{DEVICES}/{id}")))
            .bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    // Another user cannot delete it.
    let user = json!({ "email": "other@example.com", "password": DEMO_PASSWORD });
    assert!(emu
        .post_json("/emulator/v1/users", &user)
        .await
        .status()
        .is_success());
    let other = access_token(&emu, "other@example.com").await;
    let refused = delete(other, device_id.clone()).await;
    assert_eq!(
        expect_error(refused, StatusCode::NOT_FOUND).await["errorCode"],
        "ER-03017"
    );
    json_ok(
        delete(token.clone(), device_id.clone()).await,
        StatusCode::OK,
    )
    .await;
    let again = delete(token.clone(), device_id).await;
    expect_error(again, StatusCode::NOT_FOUND).await;

    let options = passkey_options(&emu, json!({ "email": "demo@example.com" })).await;
    assert_eq!(options["allowCredentials"], json!([]));
    let assertion = credential.assert(&options, ORIGIN);
    let error = expect_error(
        post(&emu, POSTLOGIN, None, &assertion).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error["errorCode"], "ER-03015");
}

#[tokio::test]
async fn a_locked_account_cannot_sign_in_by_passkey() {
    let emu = demo().await;
    let token = access_token(&emu, "demo@example.com").await;
    let (mut credential, _) = register_passkey(&emu, &token).await;
    emu.config(json!({ "lockout": { "maxAttempts": 3 } })).await;
    let wrong = json!({ "email": "demo@example.com", "password": "wrong-password" });
    for _ in 0..3 {
        let response = emu
            .post_json("/identity/resources/auth/v1/user", &wrong)
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    // The assertion itself is valid: the account state alone refuses it, as password login does.
    let options = passkey_options(&emu, json!({})).await;
    let assertion = credential.assert(&options, ORIGIN);
    let response = post(&emu, POSTLOGIN, None, &assertion).await;
    assert!(refresh_cookie(&response).is_none());
    let error = expect_error(response, StatusCode::FORBIDDEN).await;
    assert_eq!(error["errorCode"], "ER-01009");
}

/// Enrolls a WebAuthn MFA device from settings; returns the authenticator and the device id.
async fn enroll_mfa_from_settings(emu: &Emulator, token: &str) -> (SoftCredential, String) {
    let started = json_ok(
        post(
            emu,
            &format!("{SETTINGS_MFA}/enroll"),
            Some(token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let (credential, response) = SoftCredential::create(&started["options"], ORIGIN);
    let body = json!({
        "webauthnToken": started["webauthnToken"],
        "options": response,
        "deviceType": "CrossPlatform",
    });
    let device = json_ok(
        post(
            emu,
            &format!("{SETTINGS_MFA}/enroll/verify"),
            Some(token),
            &body,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(device["deviceType"], "CrossPlatform");
    assert!(device["recoveryCode"].is_string());
    (credential, device["id"].as_str().unwrap().to_owned())
}

/// Password login of a user with MFA: the challenge.
async fn mfa_challenge(emu: &Emulator, email: &str) -> Value {
    let response = emu
        .post_json(LOGIN, &json!({ "email": email, "password": DEMO_PASSWORD }))
        .await;
    let body = json_ok(response, StatusCode::OK).await;
    assert_eq!(body["mfaRequired"], true, "{body}");
    body
}

#[tokio::test]
async fn webauthn_mfa_enrolled_in_settings_is_required_at_login() {
    let emu = demo().await;
    let user = json!({ "email": "key@example.com", "password": DEMO_PASSWORD });
    assert!(emu
        .post_json("/emulator/v1/users", &user)
        .await
        .status()
        .is_success());
    let token = access_token(&emu, "key@example.com").await;
    let (mut credential, device_id) = enroll_mfa_from_settings(&emu, &token).await;

    let challenge = mfa_challenge(&emu, "key@example.com").await;
    assert_eq!(
        challenge["mfaDevices"]["webauthn"][0]["id"],
        device_id.as_str()
    );
    assert!(challenge["mfaStrategies"]
        .as_array()
        .unwrap()
        .contains(&json!("WebAuthnCrossPlatform")));
    let mfa_token = challenge["mfaToken"].as_str().unwrap();
    let verify_start = format!("{LOGIN_MFA}/{device_id}");
    let verify = format!("{LOGIN_MFA}/{device_id}/verify");

    // An assertion from another origin is refused and burns its challenge; the MFA token lives.
    let started = json_ok(
        post(&emu, &verify_start, None, &json!({ "mfaToken": mfa_token })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        started["options"]["allowCredentials"][0]["id"],
        b64(&credential.id)
    );
    let assertion = credential.assert(&started["options"], "http://evil.localhost:5173");
    let body = json!({ "mfaToken": mfa_token, "webauthnToken": started["webauthnToken"], "options": assertion });
    let error = expect_error(
        post(&emu, &verify, None, &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error["errorCode"], "ER-03012");

    let started = json_ok(
        post(&emu, &verify_start, None, &json!({ "mfaToken": mfa_token })).await,
        StatusCode::OK,
    )
    .await;
    let assertion = credential.assert(&started["options"], ORIGIN);
    let body = json!({ "mfaToken": mfa_token, "webauthnToken": started["webauthnToken"], "options": assertion });
    let response = post(&emu, &verify, None, &body).await;
    assert!(refresh_cookie(&response).is_some());
    let session = json_ok(response, StatusCode::CREATED).await;
    assert_eq!(session["userEmail"], "key@example.com");
    assert!(session["accessToken"].is_string());
    // The MFA token is used up.
    let again = post(&emu, &verify_start, None, &json!({ "mfaToken": mfa_token })).await;
    expect_error(again, StatusCode::UNAUTHORIZED).await;

    // Disabling needs an assertion from the device; afterwards the password alone signs in.
    let token = session["accessToken"].as_str().unwrap();
    let started = json_ok(
        post(
            &emu,
            &format!("{SETTINGS_MFA}/{device_id}/disable"),
            Some(token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let assertion = credential.assert(&started["options"], ORIGIN);
    let body = json!({ "webauthnToken": started["webauthnToken"], "options": assertion });
    let disable_verify = format!("{SETTINGS_MFA}/{device_id}/disable/verify");
    json_ok(
        post(&emu, &disable_verify, Some(token), &body).await,
        StatusCode::OK,
    )
    .await;
    let (body, _) = emu.login("key@example.com", DEMO_PASSWORD).await;
    assert_eq!(body["mfaRequired"], false);
}

#[tokio::test]
async fn forced_mfa_can_be_enrolled_with_webauthn_during_login() {
    let emu = demo().await;
    let config = json!({ "mfa": { "enforce": "Force" } });
    let response = emu
        .http
        .put(emu.url("/emulator/v1/config"))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let user = json!({ "email": "new@example.com", "password": DEMO_PASSWORD });
    assert!(emu
        .post_json("/emulator/v1/users", &user)
        .await
        .status()
        .is_success());
    let challenge = mfa_challenge(&emu, "new@example.com").await;
    assert_eq!(challenge["mfaEnrolled"], false);
    let mfa_token = challenge["mfaToken"].as_str().unwrap();

    let body = json!({ "mfaToken": mfa_token, "deviceType": "Platform" });
    let started = json_ok(
        post(&emu, &format!("{LOGIN_MFA}/enroll"), None, &body).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        started["options"]["authenticatorSelection"]["authenticatorAttachment"],
        "platform"
    );
    let (mut credential, response) = SoftCredential::create(&started["options"], ORIGIN);
    let body = json!({
        "mfaToken": mfa_token,
        "webauthnToken": started["webauthnToken"],
        "options": response,
        "deviceType": "Platform",
    });
    let session = json_ok(
        post(&emu, &format!("{LOGIN_MFA}/enroll/verify"), None, &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(session["accessToken"].is_string());
    assert!(session["recoveryCode"].is_string());

    // Enrolled now: the next login is challenged, and the device answers.
    let challenge = mfa_challenge(&emu, "new@example.com").await;
    assert_eq!(challenge["mfaEnrolled"], true);
    let device_id = challenge["mfaDevices"]["webauthn"][0]["id"]
        .as_str()
        .unwrap();
    assert_eq!(
        challenge["mfaDevices"]["webauthn"][0]["deviceType"],
        "Platform"
    );
    let mfa_token = challenge["mfaToken"].as_str().unwrap();
    // An enrolled user cannot add devices with a bare MFA token.
    let refused = post(
        &emu,
        &format!("{LOGIN_MFA}/enroll"),
        None,
        &json!({ "mfaToken": mfa_token }),
    )
    .await;
    assert!(refused.status().is_client_error());
    let started = json_ok(
        post(
            &emu,
            &format!("{LOGIN_MFA}/{device_id}"),
            None,
            &json!({ "mfaToken": mfa_token }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let assertion = credential.assert(&started["options"], ORIGIN);
    let body = json!({ "mfaToken": mfa_token, "options": assertion });
    json_ok(
        post(
            &emu,
            &format!("{LOGIN_MFA}/{device_id}/verify"),
            None,
            &body,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn webauthn_needs_a_domain_origin() {
    let emu = demo().await;
    let without = emu.post_json(PRELOGIN, &json!({})).await;
    let error = expect_error(without, StatusCode::BAD_REQUEST).await;
    assert_eq!(error["errorCode"], "ER-03010");
    let ip = emu
        .http
        .post(emu.url(PRELOGIN))
        .header("origin", "http://127.0.0.1:5173")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let error = expect_error(ip, StatusCode::BAD_REQUEST).await;
    assert!(error["errors"][0].as_str().unwrap().contains("localhost"));

    // Configured origins replace the Origin header.
    let config = json!({ "webauthn": { "origins": ["http://app.localhost:3000"] } });
    let response = emu
        .http
        .put(emu.url("/emulator/v1/config"))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let configured = emu.post_json(PRELOGIN, &json!({})).await;
    let options = json_ok(configured, StatusCode::OK).await;
    assert_eq!(options["options"]["rpId"], "app.localhost");
    let bad = json!({ "webauthn": { "origins": ["http://127.0.0.1:3000"] } });
    let response = emu
        .http
        .put(emu.url("/emulator/v1/config"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
}
