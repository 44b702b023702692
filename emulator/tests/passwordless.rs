//! Passwordless sign-in (magic links, email codes, SMS codes), over HTTP against the binary.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const BASE: &str = "/identity/resources/auth/v1/passwordless";

fn path(method: &str, step: &str) -> String {
    format!("{BASE}/{method}/{step}")
}

/// Asserts a successful sign-in: 201, tokens, and a refresh cookie equal to `refreshToken`.
async fn expect_session(response: reqwest::Response, email: &str) -> Value {
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = refresh_cookie(&response).expect("refresh cookie");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfaRequired"], false, "{body}");
    assert_eq!(body["userEmail"], email);
    assert_eq!(body["refreshToken"], cookie.as_str());
    body
}

/// Code prelogin; returns the answer (`{}`, or `{ phoneNumber }` for SMS by phone).
async fn code_prelogin(emu: &Emulator, method: &str, body: Value) -> Value {
    let response = emu.post_json(&path(method, "prelogin"), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn last_code(messages: &[Value], kind: &str) -> String {
    let message = messages.last().expect("a message was sent");
    assert_eq!(message["kind"], kind);
    let code = message["code"].as_str().expect("code").to_owned();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    code
}

#[tokio::test]
async fn magic_link_signs_in_once_and_expires() {
    let emu = demo().await;
    let response = emu
        .http
        .post(emu.url(&path("magiclink", "prelogin")))
        .header("origin", "http://localhost:5173")
        .json(&json!({ "email": "demo@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));

    let messages = emu.outbox("demo@example.com").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["kind"], "magic_link");
    let token = messages[0]["token"].as_str().unwrap();
    // The calling page's `Origin` does not choose where the link points: the config does, and
    // by default it is the emulator itself.
    assert_eq!(
        messages[0]["link"],
        format!("{}/account/login/magic-link?token={token}", emu.base)
    );

    let postlogin = path("magiclink", "postlogin");
    let body = expect_session(
        emu.post_json(&postlogin, &json!({ "token": token })).await,
        "demo@example.com",
    )
    .await;
    let me = emu.me(ME, body["accessToken"].as_str().unwrap()).await;
    assert_eq!(me.status(), StatusCode::OK);

    let reused = emu.post_json(&postlogin, &json!({ "token": token })).await;
    let error = expect_error(reused, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error["errorCode"], "ER-03002");

    // Links live 15 minutes.
    let response = emu
        .post_json(
            &path("magiclink", "prelogin"),
            &json!({ "email": "demo@example.com" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let messages = emu.outbox("demo@example.com").await;
    let token = messages[1]["token"].as_str().unwrap();
    assert!(messages[1]["link"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/account/login/magic-link?token=", emu.base)));
    emu.advance(15 * 60 + 1).await;
    let expired = emu.post_json(&postlogin, &json!({ "token": token })).await;
    let error = expect_error(expired, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error["errorCode"], "ER-03002");
}

#[tokio::test]
async fn email_code_signs_in_by_the_code_alone_once_and_expires() {
    let emu = demo().await;
    let postlogin = path("code", "postlogin");
    // The hosted service's answer and postlogin body: nothing but the code travels.
    let sent = code_prelogin(&emu, "code", json!({ "email": "demo@example.com" })).await;
    assert_eq!(sent, json!({}));
    let code = last_code(&emu.outbox("demo@example.com").await, "otc");
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let response = emu.post_json(&postlogin, &json!({ "token": wrong })).await;
    let error = expect_error(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error["errorCode"], "ER-03002");

    let ok = emu.post_json(&postlogin, &json!({ "token": code })).await;
    expect_session(ok, "demo@example.com").await;
    let reused = emu.post_json(&postlogin, &json!({ "token": code })).await;
    expect_error(reused, StatusCode::UNAUTHORIZED).await;

    // An email code is no SMS code.
    code_prelogin(&emu, "code", json!({ "email": "demo@example.com" })).await;
    let code = last_code(&emu.outbox("demo@example.com").await, "otc");
    let as_sms = emu
        .post_json(&path("smscode", "postlogin"), &json!({ "token": code }))
        .await;
    expect_error(as_sms, StatusCode::UNAUTHORIZED).await;

    // Codes live five minutes.
    emu.advance(5 * 60 + 1).await;
    let expired = emu.post_json(&postlogin, &json!({ "token": code })).await;
    let error = expect_error(expired, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error["errorCode"], "ER-03002");
}

#[tokio::test]
async fn a_new_code_replaces_the_previous_one_and_live_codes_differ() {
    let emu = demo().await;
    code_prelogin(&emu, "code", json!({ "email": "demo@example.com" })).await;
    let first_code = last_code(&emu.outbox("demo@example.com").await, "otc");
    code_prelogin(&emu, "code", json!({ "email": "demo@example.com" })).await;
    let second_code = last_code(&emu.outbox("demo@example.com").await, "otc");
    code_prelogin(&emu, "code", json!({ "email": "mfa@example.com" })).await;
    let other_code = last_code(&emu.outbox("mfa@example.com").await, "otc");
    assert_ne!(second_code, other_code, "a code names one login");
    let postlogin = path("code", "postlogin");
    if first_code != second_code && first_code != other_code {
        let old = emu
            .post_json(&postlogin, &json!({ "token": first_code }))
            .await;
        expect_error(old, StatusCode::UNAUTHORIZED).await;
    }
    let new = emu
        .post_json(&postlogin, &json!({ "token": second_code }))
        .await;
    expect_session(new, "demo@example.com").await;
}

#[tokio::test]
async fn sms_code_goes_to_the_users_phone() {
    let emu = start_none().await;
    // `auth`: the sign-in number only, not also an SMS MFA device.
    let user = json!({
        "email": "sms@example.com",
        "phoneNumber": "+15550100",
        "phoneNumberType": "auth",
    });
    let created = emu.post_json("/emulator/v1/users", &user).await;
    assert!(created.status().is_success());
    let postlogin = path("smscode", "postlogin");

    for identifier in [
        json!({ "email": "sms@example.com" }),
        json!({ "phoneNumber": "+15550100" }),
    ] {
        let by_phone = identifier.get("phoneNumber").is_some();
        let sent = code_prelogin(&emu, "smscode", identifier).await;
        // The login box shows the number it was given; asked by email, nothing tells whether
        // the account exists.
        let expected = if by_phone {
            json!({ "phoneNumber": "+15550100" })
        } else {
            json!({})
        };
        assert_eq!(sent, expected);
        let code = last_code(&emu.outbox("+15550100").await, "sms_code");
        let response = emu.post_json(&postlogin, &json!({ "token": code })).await;
        expect_session(response, "sms@example.com").await;
    }
    assert!(emu.outbox("sms@example.com").await.is_empty());

    // A user without a phone number gets nothing, and the answer looks the same.
    let user = json!({ "email": "nophone@example.com" });
    assert!(emu
        .post_json("/emulator/v1/users", &user)
        .await
        .status()
        .is_success());
    code_prelogin(&emu, "smscode", json!({ "email": "nophone@example.com" })).await;
    assert!(emu.outbox("nophone@example.com").await.is_empty());
    let missing = emu
        .post_json(&path("smscode", "prelogin"), &json!({}))
        .await;
    expect_error(missing, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn disabled_methods_are_refused() {
    let emu = demo().await;
    emu.config(json!({ "passwordless": { "magicLink": false, "otc": false, "smsCode": false } }))
        .await;
    for method in ["magiclink", "code", "smscode"] {
        let pre = emu
            .post_json(
                &path(method, "prelogin"),
                &json!({ "email": "demo@example.com" }),
            )
            .await;
        let error = expect_error(pre, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["errorCode"], "ER-03001");
        assert!(error["errors"][0]
            .as_str()
            .unwrap()
            .contains("should be enabled"));
        let post = emu
            .post_json(&path(method, "postlogin"), &json!({ "token": "x" }))
            .await;
        let error = expect_error(post, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["errorCode"], "ER-03001");
    }
    assert!(emu.outbox("demo@example.com").await.is_empty());
}

#[tokio::test]
async fn unknown_emails_are_indistinguishable_and_get_nothing() {
    let emu = demo().await;
    for method in ["magiclink", "code", "smscode"] {
        let known = emu
            .post_json(
                &path(method, "prelogin"),
                &json!({ "email": "demo@example.com" }),
            )
            .await;
        let unknown = emu
            .post_json(
                &path(method, "prelogin"),
                &json!({ "email": "nobody@example.com" }),
            )
            .await;
        assert_eq!(known.status(), unknown.status(), "{method}");
        let known: Value = known.json().await.unwrap();
        let unknown: Value = unknown.json().await.unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&known), keys(&unknown), "{method}");
        assert_eq!(known, unknown, "{method}");
    }
    assert!(emu.outbox("nobody@example.com").await.is_empty());
    let malformed = emu
        .post_json(&path("code", "prelogin"), &json!({ "email": 42 }))
        .await;
    expect_error(malformed, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn mfa_still_applies_after_a_passwordless_first_factor() {
    let emu = demo().await;
    let response = emu
        .post_json(
            &path("magiclink", "prelogin"),
            &json!({ "email": "mfa@example.com" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let messages = emu.outbox("mfa@example.com").await;
    let token = messages[0]["token"].as_str().unwrap();
    let response = emu
        .post_json(&path("magiclink", "postlogin"), &json!({ "token": token }))
        .await;
    assert!(response.status().is_success());
    assert!(refresh_cookie(&response).is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfaRequired"], true, "{body}");
    assert!(body["mfaToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body.get("accessToken").is_none());
}

#[tokio::test]
async fn wrong_codes_are_limited_per_address_and_right_ones_spend_nothing() {
    let emu = demo().await;
    emu.config(json!({ "rateLimit": { "perUserPerMinute": 3 } }))
        .await;
    let postlogin = path("code", "postlogin");
    // Right codes don't count: after two sign-ins, three wrong guesses still get a 401 each.
    // (Prelogin has its own per-address budget, also 3 here.)
    for _ in 0..2 {
        code_prelogin(&emu, "code", json!({ "email": "demo@example.com" })).await;
        let code = last_code(&emu.outbox("demo@example.com").await, "otc");
        let ok = emu.post_json(&postlogin, &json!({ "token": code })).await;
        expect_session(ok, "demo@example.com").await;
    }
    code_prelogin(&emu, "code", json!({ "email": "demo@example.com" })).await;
    let code = last_code(&emu.outbox("demo@example.com").await, "otc");
    for _ in 0..3 {
        let response = emu
            .post_json(&postlogin, &json!({ "token": "999999x" }))
            .await;
        expect_error(response, StatusCode::UNAUTHORIZED).await;
    }
    // The budget is spent: even the right code waits for the next window.
    let response = emu.post_json(&postlogin, &json!({ "token": code })).await;
    assert!(response.headers().contains_key("retry-after"));
    let error = expect_error(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(error["errorCode"], "ER-01008");
    emu.advance(60).await;
    let ok = emu.post_json(&postlogin, &json!({ "token": code })).await;
    expect_session(ok, "demo@example.com").await;
}

#[tokio::test]
async fn wrong_codes_stay_limited_when_the_rate_limits_are_off() {
    let emu = demo().await;
    emu.config(json!({ "rateLimit": { "perUserPerMinute": 0, "perIpPerMinute": 0 } }))
        .await;
    let postlogin = path("code", "postlogin");
    for _ in 0..100 {
        let response = emu
            .post_json(&postlogin, &json!({ "token": "999999x" }))
            .await;
        expect_error(response, StatusCode::UNAUTHORIZED).await;
    }
    let response = emu
        .post_json(&postlogin, &json!({ "token": "999999x" }))
        .await;
    let error = expect_error(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(error["errorCode"], "ER-01008");
}
