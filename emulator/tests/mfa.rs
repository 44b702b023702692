//! MFA over HTTP against the binary: TOTP, SMS and email codes at login, forced enrollment,
//! recovery codes, remembered devices, settings management and attempt limits.
//!
//! TOTP codes are computed at the emulator's clock (`GET /emulator/v1/clock`), SMS and email
//! codes are read from the developer outbox.

mod common;

use common::*;
use reqwest::header::SET_COOKIE;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const MFA_EMAIL: &str = "mfa@example.com";
const DEMO_EMAIL: &str = "demo@example.com";
const SEED_SECRET: &str = "JBSWY3DPEHPK3PXP";
const AUTH_MFA: &str = "/identity/resources/auth/v1/user/mfa";
const USERS_MFA: &str = "/identity/resources/users/v1/mfa";
const DEVICE_COOKIE: &str = "fe_device_b9a1f0b60c7e4c559d8e2f6f5b0c1e11";
const PHONE: &str = "+15550001234";

/// A 6-digit code that is not the right one at `time` (nor the steps beside it).
fn wrong_totp(secret: &str, time: i64) -> String {
    let right: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|d| totp_at(secret, time + d))
        .collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919) % 1_000_000))
        .find(|c| !right.contains(c))
        .unwrap()
}

/// Password login that must answer an MFA challenge; returns its body.
async fn challenge(emu: &Emulator, email: &str, password: &str) -> Value {
    let response = emu
        .post_json(LOGIN, &json!({ "email": email, "password": password }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(refresh_set_cookie(&response).is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfaRequired"], true, "{body}");
    assert!(body.get("accessToken").is_none());
    body
}

fn mfa_token(body: &Value) -> String {
    body["mfaToken"].as_str().unwrap().to_owned()
}

/// Login with a `Cookie` header (the remembered-device cookie).
async fn login_with_cookie(emu: &Emulator, email: &str, cookie: &str) -> Value {
    let response = emu
        .http
        .post(emu.url(LOGIN))
        .header("cookie", cookie)
        .json(&json!({ "email": email, "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn other_code(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn post_bearer(emu: &Emulator, path: &str, token: &str, body: &Value) -> Response {
    emu.http
        .post(emu.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get_bearer(emu: &Emulator, path: &str, token: &str) -> Value {
    let response = emu.me(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// Asserts a session answer (201 from the verify routes) and returns its body.
async fn expect_session(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(refresh_cookie(&response).is_some(), "refresh cookie set");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfaRequired"], false);
    assert!(body["accessToken"].as_str().is_some_and(|t| !t.is_empty()));
    body
}

async fn expect_code(response: Response, status: StatusCode, code: &str) -> Value {
    let body = expect_error(response, status).await;
    assert_eq!(body["errorCode"], code, "{body}");
    body
}

/// Logs in a user without MFA and returns the access token.
async fn access_token(emu: &Emulator, email: &str) -> String {
    let (body, _) = emu.login(email, DEMO_PASSWORD).await;
    assert_eq!(body["mfaRequired"], false, "{body}");
    body["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn totp_verifies_once_per_step_within_one_step_of_the_clock() {
    let emu = demo().await;
    let first = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    let device_id = first["mfaDevices"]["authenticators"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let verify = format!("{AUTH_MFA}/verify");
    let now = emu.now().await;

    let wrong = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&first), "value": wrong_totp(SEED_SECRET, now) }),
        )
        .await;
    let wrong = expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02002").await;
    assert_eq!(wrong["errors"][0], "Invalid code");

    let code = totp_at(SEED_SECRET, now);
    let ok = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&first), "value": code }),
        )
        .await;
    let tokens = expect_session(ok).await;
    assert_eq!(tokens["userEmail"], MFA_EMAIL);
    let me = get_bearer(&emu, ME, tokens["accessToken"].as_str().unwrap()).await;
    assert_eq!(me["mfaEnrolled"], true);

    // The MFA token was used up by the success.
    let again = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&first), "value": code }),
        )
        .await;
    expect_code(again, StatusCode::UNAUTHORIZED, "ER-02001").await;

    // The same code in a new login is refused: its step was already used.
    let second = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    let reused = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&second), "value": code }),
        )
        .await;
    expect_code(reused, StatusCode::BAD_REQUEST, "ER-02002").await;

    // Four steps later: the code of two steps ago is outside the window, the previous step's
    // code is inside it (and newer than the used step), through the named-device route.
    emu.advance(120).await;
    let now = emu.now().await;
    let by_device = format!("{AUTH_MFA}/authenticator/{device_id}/verify");
    let stale = emu
        .post_json(
            &by_device,
            &json!({ "mfaToken": mfa_token(&second), "value": totp_at(SEED_SECRET, now - 60) }),
        )
        .await;
    expect_code(stale, StatusCode::BAD_REQUEST, "ER-02002").await;
    let unknown = emu
        .post_json(
            &format!("{AUTH_MFA}/authenticator/nope/verify"),
            &json!({ "mfaToken": mfa_token(&second), "value": totp_at(SEED_SECRET, now) }),
        )
        .await;
    expect_code(unknown, StatusCode::NOT_FOUND, "ER-02004").await;
    let previous = emu
        .post_json(
            &by_device,
            &json!({ "mfaToken": mfa_token(&second), "value": totp_at(SEED_SECRET, now - 30) }),
        )
        .await;
    expect_session(previous).await;

    // Malformed bodies are 400 in the error shape.
    let third = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    let missing = emu
        .post_json(&verify, &json!({ "mfaToken": mfa_token(&third) }))
        .await;
    expect_code(missing, StatusCode::BAD_REQUEST, "ER-01000").await;
    let mistyped = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&third), "value": 123456 }),
        )
        .await;
    expect_code(mistyped, StatusCode::BAD_REQUEST, "ER-01000").await;
}

#[tokio::test]
async fn mfa_token_expires_after_ten_minutes() {
    let emu = demo().await;
    let body = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    emu.advance(11 * 60).await;
    let now = emu.now().await;
    let late = emu
        .post_json(
            &format!("{AUTH_MFA}/verify"),
            &json!({ "mfaToken": mfa_token(&body), "value": totp_at(SEED_SECRET, now) }),
        )
        .await;
    let late = expect_code(late, StatusCode::UNAUTHORIZED, "ER-02001").await;
    assert!(late["errors"][0].as_str().unwrap().contains("expired"));
    let policy = emu
        .http
        .get(emu.url("/identity/resources/configurations/v1/mfa-policy/allow-remember-device"))
        .query(&[("mfaToken", mfa_token(&body))])
        .send()
        .await
        .unwrap();
    expect_code(policy, StatusCode::UNAUTHORIZED, "ER-02001").await;
    let forged = emu
        .post_json(
            &format!("{AUTH_MFA}/emailcode"),
            &json!({ "mfaToken": "forged" }),
        )
        .await;
    expect_code(forged, StatusCode::UNAUTHORIZED, "ER-02001").await;
}

#[tokio::test]
async fn sms_codes_are_single_use_bound_expiring_and_burn_after_five_misses() {
    let emu = demo().await;
    emu.create_user(
        json!({ "email": "sms@example.com", "phoneNumber": PHONE, "phoneNumberType": "mfa" }),
    )
    .await;
    let bad_type = emu
        .post_json(
            "/emulator/v1/users",
            &json!({ "email": "x@example.com", "phoneNumber": PHONE, "phoneNumberType": "both" }),
        )
        .await;
    expect_code(bad_type, StatusCode::BAD_REQUEST, "ER-01000").await;
    let login = challenge(&emu, "sms@example.com", DEMO_PASSWORD).await;
    assert_eq!(login["mfaEnrolled"], true);
    assert_eq!(login["mfaStrategies"], json!(["SMS", "EmailCode"]));
    let phone = &login["mfaDevices"]["phones"][0];
    assert_eq!(phone["phoneNumber"], "+*******1234");
    let device_id = phone["id"].as_str().unwrap().to_owned();
    let send = format!("{AUTH_MFA}/sms/{device_id}");
    let verify = format!("{AUTH_MFA}/sms/{device_id}/verify");

    let sent = emu
        .post_json(&send, &json!({ "mfaToken": mfa_token(&login) }))
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["phoneNumber"], "+*******1234");
    let otc = sent["otcToken"].as_str().unwrap().to_owned();
    let code = emu.outbox_code(PHONE, "mfa_sms_code").await;

    let wrong = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&login), "otcToken": otc, "code": other_code(&code) }),
        )
        .await;
    expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02002").await;
    let ok = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&login), "otcToken": otc, "code": code }),
        )
        .await;
    expect_session(ok).await;

    // The used code does not work again, even with a fresh login.
    let next = challenge(&emu, "sms@example.com", DEMO_PASSWORD).await;
    let reused = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&next), "otcToken": otc, "code": code }),
        )
        .await;
    expect_code(reused, StatusCode::BAD_REQUEST, "ER-02003").await;
    let unknown = emu
        .post_json(
            &format!("{AUTH_MFA}/sms/nope"),
            &json!({ "mfaToken": mfa_token(&next) }),
        )
        .await;
    expect_code(unknown, StatusCode::NOT_FOUND, "ER-02004").await;

    // A code older than five minutes has expired.
    let sent: Value = emu
        .post_json(&send, &json!({ "mfaToken": mfa_token(&next) }))
        .await
        .json()
        .await
        .unwrap();
    let code = emu.outbox_code(PHONE, "mfa_sms_code").await;
    emu.advance(301).await;
    let expired = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&next), "otcToken": sent["otcToken"], "code": code }),
        )
        .await;
    expect_code(expired, StatusCode::BAD_REQUEST, "ER-02003").await;

    // Five wrong codes burn the otcToken: the right code no longer works.
    let sent: Value = emu
        .post_json(&send, &json!({ "mfaToken": mfa_token(&next) }))
        .await
        .json()
        .await
        .unwrap();
    let code = emu.outbox_code(PHONE, "mfa_sms_code").await;
    for _ in 0..5 {
        let wrong = emu
            .post_json(
                &verify,
                &json!({ "mfaToken": mfa_token(&next), "otcToken": sent["otcToken"], "code": other_code(&code) }),
            )
            .await;
        expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02002").await;
    }
    let burned = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&next), "otcToken": sent["otcToken"], "code": code }),
        )
        .await;
    expect_code(burned, StatusCode::BAD_REQUEST, "ER-02003").await;
}

#[tokio::test]
async fn email_codes_are_bound_to_their_login() {
    let emu = demo().await;
    let login = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(
        login["mfaDevices"]["emails"],
        json!([{ "email": MFA_EMAIL }])
    );
    let sent = emu
        .post_json(
            &format!("{AUTH_MFA}/emailcode"),
            &json!({ "mfaToken": mfa_token(&login) }),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let otc = sent.json::<Value>().await.unwrap()["otcToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = emu.outbox_code(MFA_EMAIL, "mfa_email_code").await;
    let verify = format!("{AUTH_MFA}/emailcode/verify");

    // The code belongs to the login that asked for it.
    let other = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    let foreign = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&other), "otcToken": otc, "code": code }),
        )
        .await;
    expect_code(foreign, StatusCode::BAD_REQUEST, "ER-02003").await;

    let ok = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": mfa_token(&login), "otcToken": otc, "code": code }),
        )
        .await;
    let tokens = expect_session(ok).await;
    assert_eq!(tokens["userEmail"], MFA_EMAIL);

    // Switched off by the policy, email codes are refused and no longer offered.
    emu.config(json!({ "mfa": { "strategies": ["AuthenticatorApp"] } }))
        .await;
    let login = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(login["mfaStrategies"], json!(["AuthenticatorApp"]));
    assert_eq!(login["mfaDevices"]["emails"], json!([]));
    let refused = emu
        .post_json(
            &format!("{AUTH_MFA}/emailcode"),
            &json!({ "mfaToken": mfa_token(&login) }),
        )
        .await;
    expect_code(refused, StatusCode::FORBIDDEN, "ER-02007").await;
}

#[tokio::test]
async fn forced_enrollment_with_an_authenticator_app() {
    let emu = demo().await;
    emu.config(json!({ "mfa": { "enforce": "Force" } })).await;
    let login = challenge(&emu, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(login["mfaEnrolled"], false);
    assert_eq!(
        login["mfaStrategies"],
        json!([
            "AuthenticatorApp",
            "SMS",
            "WebAuthnPlatform",
            "WebAuthnCrossPlatform"
        ])
    );
    let token = mfa_token(&login);

    // Email codes cannot stand in for the enrollment.
    let email = emu
        .post_json(
            &format!("{AUTH_MFA}/emailcode"),
            &json!({ "mfaToken": token }),
        )
        .await;
    expect_code(email, StatusCode::FORBIDDEN, "ER-02007").await;
    // The login answer already proposes a secret (the login box shows this QR code); a code
    // from anything else is refused.
    let proposed = secret_from_qr(login["qrCode"].as_str().expect("qrCode in the answer"));
    let early = emu
        .post_json(
            &format!("{AUTH_MFA}/authenticator/enroll/verify"),
            &json!({ "mfaToken": token, "token": wrong_totp(&proposed, emu.now().await) }),
        )
        .await;
    expect_code(early, StatusCode::BAD_REQUEST, "ER-02002").await;

    let enroll = emu
        .post_json(
            &format!("{AUTH_MFA}/authenticator/enroll"),
            &json!({ "mfaToken": token }),
        )
        .await;
    assert_eq!(enroll.status(), StatusCode::CREATED);
    let qr_code = enroll.json::<Value>().await.unwrap()["qrCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = secret_from_qr(&qr_code);
    assert_eq!(secret.len(), 32, "160-bit secret: {secret}");
    let now = emu.now().await;
    let verify = format!("{AUTH_MFA}/authenticator/enroll/verify");
    let wrong = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": token, "token": wrong_totp(&secret, now) }),
        )
        .await;
    expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02002").await;
    let ok = emu
        .post_json(
            &verify,
            &json!({ "mfaToken": token, "token": totp_at(&secret, now) }),
        )
        .await;
    let tokens = expect_session(ok).await;
    let recovery_code = tokens["recoveryCode"].as_str().unwrap();
    assert_eq!(recovery_code.len(), 24, "{recovery_code}");
    let me = get_bearer(&emu, ME, tokens["accessToken"].as_str().unwrap()).await;
    assert_eq!(me["mfaEnrolled"], true);

    // From now on the user is challenged, not asked to enroll, and the new app works.
    let login = challenge(&emu, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(login["mfaEnrolled"], true);
    let again = emu
        .post_json(
            &format!("{AUTH_MFA}/authenticator/enroll"),
            &json!({ "mfaToken": mfa_token(&login) }),
        )
        .await;
    expect_code(again, StatusCode::BAD_REQUEST, "ER-02005").await;
    emu.advance(30).await;
    let now = emu.now().await;
    let verified = emu
        .post_json(
            &format!("{AUTH_MFA}/verify"),
            &json!({ "mfaToken": mfa_token(&login), "value": totp_at(&secret, now) }),
        )
        .await;
    expect_session(verified).await;
}

#[tokio::test]
async fn forced_enrollment_by_sms() {
    let emu = demo().await;
    emu.config(json!({ "mfa": { "enforce": "Force" } })).await;
    let login = challenge(&emu, DEMO_EMAIL, DEMO_PASSWORD).await;
    let token = mfa_token(&login);
    let bad_number = emu
        .post_json(
            &format!("{AUTH_MFA}/sms/enroll"),
            &json!({ "mfaToken": token, "phoneNumber": "555-1234" }),
        )
        .await;
    expect_code(bad_number, StatusCode::BAD_REQUEST, "ER-01000").await;
    let sent = emu
        .post_json(
            &format!("{AUTH_MFA}/sms/enroll"),
            &json!({ "mfaToken": token, "phoneNumber": PHONE }),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["phoneNumber"], PHONE);
    let code = emu.outbox_code(PHONE, "mfa_sms_code").await;
    let ok = emu
        .post_json(
            &format!("{AUTH_MFA}/sms/enroll/verify"),
            &json!({ "mfaToken": token, "otcToken": sent["otcToken"], "code": code }),
        )
        .await;
    let tokens = expect_session(ok).await;
    assert!(tokens["recoveryCode"].as_str().is_some());
    let devices = get_bearer(
        &emu,
        &format!("{USERS_MFA}/devices"),
        tokens["accessToken"].as_str().unwrap(),
    )
    .await;
    assert_eq!(devices["phones"][0]["phoneNumber"], "+*******1234");
    let login = challenge(&emu, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(login["mfaEnrolled"], true);
    assert_eq!(login["mfaStrategies"], json!(["SMS", "EmailCode"]));
}

#[tokio::test]
async fn recovery_code_removes_mfa_once() {
    let emu = demo().await;
    let bearer = access_token(&emu, DEMO_EMAIL).await;
    let qr: Value = post_bearer(
        &emu,
        &format!("{USERS_MFA}/authenticator/enroll"),
        &bearer,
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let secret = secret_from_qr(qr["qrCode"].as_str().unwrap());
    let now = emu.now().await;
    let verified = post_bearer(
        &emu,
        &format!("{USERS_MFA}/authenticator/enroll/verify"),
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::OK);
    let recovery_code = verified.json::<Value>().await.unwrap()["recoveryCode"]
        .as_str()
        .unwrap()
        .to_owned();
    challenge(&emu, DEMO_EMAIL, DEMO_PASSWORD).await;

    let recover = format!("{AUTH_MFA}/recover");
    let wrong = emu
        .post_json(
            &recover,
            &json!({ "email": DEMO_EMAIL, "recoveryCode": "AAAA-BBBB-CCCC-DDDD-EEEE" }),
        )
        .await;
    let wrong = expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02006").await;
    let ghost = emu
        .post_json(
            &recover,
            &json!({ "email": "ghost@example.com", "recoveryCode": recovery_code }),
        )
        .await;
    let ghost = expect_code(ghost, StatusCode::BAD_REQUEST, "ER-02006").await;
    assert_eq!(wrong, ghost, "unknown email answers like a wrong code");

    // Typed loosely (lower case, spaces) it still matches.
    let typed = recovery_code.to_lowercase().replace('-', " ");
    let ok = emu
        .post_json(
            &recover,
            &json!({ "email": DEMO_EMAIL, "recoveryCode": typed }),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let bearer = access_token(&emu, DEMO_EMAIL).await;
    assert_eq!(get_bearer(&emu, ME, &bearer).await["mfaEnrolled"], false);

    let reused = emu
        .post_json(
            &recover,
            &json!({ "email": DEMO_EMAIL, "recoveryCode": recovery_code }),
        )
        .await;
    expect_code(reused, StatusCode::BAD_REQUEST, "ER-02006").await;
}

#[tokio::test]
async fn remembered_device_skips_mfa_until_it_expires() {
    let emu = demo().await;
    emu.create_user(json!({ "email": "other@example.com", "totpSecret": SEED_SECRET }))
        .await;
    let login = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    let policy: Value = emu
        .http
        .get(emu.url("/identity/resources/configurations/v1/mfa-policy/allow-remember-device"))
        .query(&[("mfaToken", mfa_token(&login))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        policy,
        json!({ "isAllowedToRemember": true, "mfaDeviceExpiration": 2_592_000 })
    );

    let now = emu.now().await;
    let verified = emu
        .post_json(
            &format!("{AUTH_MFA}/verify"),
            &json!({ "mfaToken": mfa_token(&login), "value": totp_at(SEED_SECRET, now), "rememberDevice": true }),
        )
        .await;
    let set_cookie = verified
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{DEVICE_COOKIE}=")))
        .expect("device cookie set")
        .to_owned();
    for part in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=2592000"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    expect_session(verified).await;
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let skipped = login_with_cookie(&emu, MFA_EMAIL, &cookie).await;
    assert_eq!(skipped["mfaRequired"], false);
    assert!(skipped["accessToken"].is_string());
    // The cookie is the device's for this user only.
    let other = login_with_cookie(&emu, "other@example.com", &cookie).await;
    assert_eq!(other["mfaRequired"], true);
    // Switched off by the policy, the cookie is not honoured.
    emu.config(json!({ "mfa": { "allowRememberDevice": false } }))
        .await;
    let off = login_with_cookie(&emu, MFA_EMAIL, &cookie).await;
    assert_eq!(off["mfaRequired"], true);
    emu.config(json!({ "mfa": { "allowRememberDevice": true } }))
        .await;

    emu.advance(2_592_000 + 1).await;
    let expired = login_with_cookie(&emu, MFA_EMAIL, &cookie).await;
    assert_eq!(expired["mfaRequired"], true);
}

#[tokio::test]
async fn settings_enroll_list_and_disable() {
    let emu = demo().await;
    let bearer = access_token(&emu, DEMO_EMAIL).await;
    let devices_path = format!("{USERS_MFA}/devices");
    let unauthenticated = emu.http.get(emu.url(&devices_path)).send().await.unwrap();
    expect_code(unauthenticated, StatusCode::UNAUTHORIZED, "ER-01004").await;
    assert_eq!(
        get_bearer(&emu, &devices_path, &bearer).await,
        json!({ "webauthn": [], "phones": [], "authenticators": [], "emails": [{ "email": DEMO_EMAIL }] })
    );

    // Authenticator app through the older routes.
    let qr = post_bearer(&emu, &format!("{USERS_MFA}/enroll"), &bearer, &json!({})).await;
    assert_eq!(qr.status(), StatusCode::OK);
    let secret = secret_from_qr(
        qr.json::<Value>().await.unwrap()["qrCode"]
            .as_str()
            .unwrap(),
    );
    let now = emu.now().await;
    let verified = post_bearer(
        &emu,
        &format!("{USERS_MFA}/enroll/verify"),
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::OK);
    assert!(verified.json::<Value>().await.unwrap()["recoveryCode"].is_string());
    let second = post_bearer(
        &emu,
        &format!("{USERS_MFA}/authenticator/enroll"),
        &bearer,
        &json!({}),
    )
    .await;
    expect_code(second, StatusCode::BAD_REQUEST, "ER-02005").await;
    assert_eq!(get_bearer(&emu, ME, &bearer).await["mfaEnrolled"], true);

    // A phone.
    let sent = post_bearer(
        &emu,
        &format!("{USERS_MFA}/sms/enroll"),
        &bearer,
        &json!({ "phoneNumber": PHONE }),
    )
    .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let sent: Value = sent.json().await.unwrap();
    let code = emu.outbox_code(PHONE, "mfa_sms_code").await;
    let enroll_sms = format!("{USERS_MFA}/sms/enroll/verify");
    let body = json!({ "otcToken": sent["otcToken"], "code": code });
    let ok = post_bearer(&emu, &enroll_sms, &bearer, &body).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let reused = post_bearer(&emu, &enroll_sms, &bearer, &body).await;
    expect_code(reused, StatusCode::BAD_REQUEST, "ER-02003").await;

    let devices = get_bearer(&emu, &devices_path, &bearer).await;
    let app_id = devices["authenticators"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let phone_id = devices["phones"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(devices["phones"][0]["phoneNumber"], "+*******1234");
    assert_eq!(devices["phones"].as_array().unwrap().len(), 1);

    // Removing the app takes a current code, and not the one already used to enroll.
    let disable_app = format!("{USERS_MFA}/authenticator/{app_id}/disable/verify");
    let used = post_bearer(
        &emu,
        &disable_app,
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    expect_code(used, StatusCode::BAD_REQUEST, "ER-02002").await;
    emu.advance(30).await;
    let now = emu.now().await;
    let disabled = post_bearer(
        &emu,
        &disable_app,
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    assert_eq!(disabled.status(), StatusCode::OK);

    // Removing the phone takes a code sent to it.
    let pre = post_bearer(
        &emu,
        &format!("{USERS_MFA}/sms/{phone_id}/disable"),
        &bearer,
        &json!({}),
    )
    .await;
    assert_eq!(pre.status(), StatusCode::OK);
    let pre: Value = pre.json().await.unwrap();
    assert_eq!(pre["phoneNumber"], "+*******1234");
    let code = emu.outbox_code(PHONE, "mfa_sms_code").await;
    let disable_sms = format!("{USERS_MFA}/sms/{phone_id}/disable/verify");
    let wrong = post_bearer(
        &emu,
        &disable_sms,
        &bearer,
        &json!({ "otcToken": pre["otcToken"], "code": other_code(&code) }),
    )
    .await;
    expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02002").await;
    let ok = post_bearer(
        &emu,
        &disable_sms,
        &bearer,
        &json!({ "otcToken": pre["otcToken"], "code": code }),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let devices = get_bearer(&emu, &devices_path, &bearer).await;
    assert_eq!(devices["authenticators"], json!([]));
    assert_eq!(devices["phones"], json!([]));
    assert_eq!(get_bearer(&emu, ME, &bearer).await["mfaEnrolled"], false);

    // The older single-app disable route.
    let qr: Value = post_bearer(
        &emu,
        &format!("{USERS_MFA}/authenticator/enroll"),
        &bearer,
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let secret = secret_from_qr(qr["qrCode"].as_str().unwrap());
    let now = emu.now().await;
    let verified = post_bearer(
        &emu,
        &format!("{USERS_MFA}/authenticator/enroll/verify"),
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::OK);
    emu.advance(30).await;
    let now = emu.now().await;
    let disabled = post_bearer(
        &emu,
        &format!("{USERS_MFA}/disable"),
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let none = post_bearer(
        &emu,
        &format!("{USERS_MFA}/disable"),
        &bearer,
        &json!({ "token": totp_at(&secret, now) }),
    )
    .await;
    expect_code(none, StatusCode::NOT_FOUND, "ER-02004").await;
    assert_eq!(get_bearer(&emu, ME, &bearer).await["mfaEnrolled"], false);
}

#[tokio::test]
async fn too_many_guesses_are_refused_with_retry_after() {
    let emu = demo().await;
    emu.config(json!({ "rateLimit": { "perUserPerMinute": 3 } }))
        .await;
    let login = challenge(&emu, MFA_EMAIL, DEMO_PASSWORD).await;
    let now = emu.now().await;
    let body = json!({ "mfaToken": mfa_token(&login), "value": wrong_totp(SEED_SECRET, now) });
    for _ in 0..3 {
        let wrong = emu.post_json(&format!("{AUTH_MFA}/verify"), &body).await;
        expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02002").await;
    }
    let limited = emu.post_json(&format!("{AUTH_MFA}/verify"), &body).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_code(limited, StatusCode::TOO_MANY_REQUESTS, "ER-01008").await;
    let right = emu
        .post_json(
            &format!("{AUTH_MFA}/verify"),
            &json!({ "mfaToken": mfa_token(&login), "value": totp_at(SEED_SECRET, now) }),
        )
        .await;
    expect_code(right, StatusCode::TOO_MANY_REQUESTS, "ER-01008").await;

    // Recovery guesses are limited per email too.
    for _ in 0..3 {
        let wrong = emu
            .post_json(
                &format!("{AUTH_MFA}/recover"),
                &json!({ "email": "ghost@example.com", "recoveryCode": "nope" }),
            )
            .await;
        expect_code(wrong, StatusCode::BAD_REQUEST, "ER-02006").await;
    }
    let limited = emu
        .post_json(
            &format!("{AUTH_MFA}/recover"),
            &json!({ "email": "ghost@example.com", "recoveryCode": "nope" }),
        )
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    expect_code(limited, StatusCode::TOO_MANY_REQUESTS, "ER-01008").await;
}
