//! Account state on every sign-in path: a locked or unactivated account gets no session by
//! password, passwordless, refresh or API token (passkeys: `webauthn.rs`), and password resets
//! and changes sign out the sessions that knew the old password. Over HTTP against the binary.

mod common;

use common::*;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const PASSWORDLESS: &str = "/identity/resources/auth/v1/passwordless";
const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
const ACTIVATE: &str = "/identity/resources/users/v1/activate";
const FORGOT: &str = "/identity/resources/users/v1/passwords/reset";
const RESET: &str = "/identity/resources/users/v1/passwords/reset/verify";
const CHANGE_PASSWORD: &str = "/identity/resources/users/v1/passwords/change";
const API_TOKEN: &str = "/identity/resources/auth/v2/api-token";
const API_REFRESH: &str = "/identity/resources/auth/v2/api-token/token/refresh";
const EMAIL: &str = "kim@example.com";
const PHONE: &str = "+15550123";

/// An emulator with one user (`EMAIL`, `PHONE`, [`DEMO_PASSWORD`]) locked after 3 failures.
async fn with_user() -> (Emulator, String) {
    let emu = start_none().await;
    emu.config(json!({ "lockout": { "maxAttempts": 3 } })).await;
    let user = emu
        .create_user(json!({ "email": EMAIL, "phoneNumber": PHONE }))
        .await;
    (emu, user["id"].as_str().unwrap().to_owned())
}

/// Locks the account with wrong passwords, and checks password login says so.
async fn lock(emu: &Emulator) {
    for _ in 0..3 {
        let wrong = emu
            .post_json(
                "/identity/resources/auth/v1/user",
                &json!({ "email": EMAIL, "password": "wrong-password" }),
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    expect_right_password_locked(emu).await;
}

/// The right password is refused too: the account is locked, not the guess wrong.
async fn expect_right_password_locked(emu: &Emulator) {
    let right = emu
        .post_json(
            "/identity/resources/auth/v1/user",
            &json!({ "email": EMAIL, "password": DEMO_PASSWORD }),
        )
        .await;
    expect_locked(right).await;
}

/// The password path's answer for a locked account: 403 `ER-01009`, no refresh cookie.
async fn expect_locked(response: Response) {
    assert!(refresh_cookie(&response).is_none());
    let body = expect_error(response, StatusCode::FORBIDDEN).await;
    assert_eq!(body["errorCode"], "ER-01009", "{body}");
}

/// Asks for a passwordless secret and returns what was "sent": the link token or the code.
async fn passwordless_secret(emu: &Emulator, method: &str, body: Value) -> String {
    let response = emu
        .post_json(&format!("{PASSWORDLESS}/{method}/prelogin"), &body)
        .await;
    assert!(response.status().is_success(), "{method} prelogin");
    let (to, kind, field) = match method {
        "magiclink" => (EMAIL, "magic_link", "token"),
        "code" => (EMAIL, "otc", "code"),
        _ => (PHONE, "sms_code", "code"),
    };
    emu.last_message_of(to, kind).await[field]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn passwordless_postlogin(emu: &Emulator, method: &str, token: &str) -> Response {
    emu.post_json(
        &format!("{PASSWORDLESS}/{method}/postlogin"),
        &json!({ "token": token }),
    )
    .await
}

/// Resets the password through the emailed link; asserts 201.
async fn reset_password(emu: &Emulator, user_id: &str) {
    let forgot = emu.post_json(FORGOT, &json!({ "email": EMAIL })).await;
    assert_eq!(forgot.status(), StatusCode::CREATED);
    let message = emu.last_message_of(EMAIL, "password_reset").await;
    let reset = emu
        .post_json(
            RESET,
            &json!({ "userId": user_id, "token": message["token"], "password": "fresh-password" }),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn parallel_guesses_get_no_more_tries_than_one_after_another() {
    let (emu, _) = with_user().await;
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let request = emu
            .http
            .post(format!("{}/identity/resources/auth/v1/user", emu.base))
            .json(&json!({ "email": EMAIL, "password": "wrong-password" }));
        guesses.spawn(async move { request.send().await.expect("request").status() });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    assert_eq!(
        (checked, locked),
        (3, 9),
        "three guesses, then locked: {statuses:?}"
    );
    expect_right_password_locked(&emu).await;
}

#[tokio::test]
async fn a_locked_account_cannot_sign_in_by_magic_link_until_a_reset() {
    let (emu, user_id) = with_user().await;
    lock(&emu).await;
    let token = passwordless_secret(&emu, "magiclink", json!({ "email": EMAIL })).await;
    expect_locked(passwordless_postlogin(&emu, "magiclink", &token).await).await;

    // A reset unlocks, and a magic link works again.
    reset_password(&emu, &user_id).await;
    let token = passwordless_secret(&emu, "magiclink", json!({ "email": EMAIL })).await;
    let signed_in = passwordless_postlogin(&emu, "magiclink", &token).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    assert!(refresh_cookie(&signed_in).is_some());
}

#[tokio::test]
async fn a_locked_account_cannot_sign_in_by_email_code() {
    let (emu, _) = with_user().await;
    lock(&emu).await;
    let code = passwordless_secret(&emu, "code", json!({ "email": EMAIL })).await;
    expect_locked(passwordless_postlogin(&emu, "code", &code).await).await;
}

#[tokio::test]
async fn a_locked_account_cannot_sign_in_by_sms_code() {
    let (emu, _) = with_user().await;
    lock(&emu).await;
    let code = passwordless_secret(&emu, "smscode", json!({ "phoneNumber": PHONE })).await;
    expect_locked(passwordless_postlogin(&emu, "smscode", &code).await).await;
}

#[tokio::test]
async fn a_session_cannot_refresh_once_its_account_is_locked() {
    let (emu, _) = with_user().await;
    let (_, cookie) = emu.login(EMAIL, DEMO_PASSWORD).await;
    let refreshed = emu.refresh(&cookie).await;
    assert_eq!(refreshed.status(), StatusCode::CREATED);
    let cookie = refresh_cookie(&refreshed).unwrap();

    lock(&emu).await;
    expect_locked(emu.refresh(&cookie).await).await;
    // Refused, not rotated: the same cookie is refused the same way, not taken for a replay.
    expect_locked(emu.refresh(&cookie).await).await;
}

#[tokio::test]
async fn a_locked_users_api_token_cannot_sign_in_or_refresh() {
    let (emu, user_id) = with_user().await;
    let created: Value = emu
        .post_json("/emulator/v1/api-tokens", &json!({ "userId": user_id }))
        .await
        .json()
        .await
        .unwrap();
    let credentials = json!({ "clientId": created["clientId"], "secret": created["secret"] });
    let signed_in = emu.post_json(API_TOKEN, &credentials).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let tokens: Value = signed_in.json().await.unwrap();

    lock(&emu).await;
    expect_locked(emu.post_json(API_TOKEN, &credentials).await).await;
    let refresh = json!({ "refreshToken": tokens["refresh_token"] });
    expect_locked(emu.post_json(API_REFRESH, &refresh).await).await;
}

#[tokio::test]
async fn an_account_awaiting_activation_cannot_sign_in_until_activated() {
    let emu = start_none().await;
    let signed_up: Value = emu
        .post_json(
            SIGN_UP,
            &json!({ "email": EMAIL, "companyName": "Kim Co", "phoneNumber": PHONE }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed_up["shouldActivate"], true);
    let activation = emu.last_message_of(EMAIL, "activation").await;

    // The phone given at sign-up is unverified, so no SMS code is sent (`tests/phone.rs`); the
    // SMS path's standing check is the one the locked-account test reaches.
    for (method, identifier) in [
        ("magiclink", json!({ "email": EMAIL })),
        ("code", json!({ "email": EMAIL })),
    ] {
        let secret = passwordless_secret(&emu, method, identifier).await;
        let refused = passwordless_postlogin(&emu, method, &secret).await;
        assert!(refresh_cookie(&refused).is_none());
        let body = expect_error(refused, StatusCode::FORBIDDEN).await;
        assert_eq!(body["errorCode"], "ER-01012", "{method}: {body}");
    }

    let activated = emu
        .post_json(
            ACTIVATE,
            &json!({ "userId": signed_up["userId"], "token": activation["token"] }),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::OK);
    let code = passwordless_secret(&emu, "code", json!({ "email": EMAIL })).await;
    let signed_in = passwordless_postlogin(&emu, "code", &code).await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_password_reset_signs_out_every_session() {
    let (emu, user_id) = with_user().await;
    let (first, first_cookie) = emu.login(EMAIL, DEMO_PASSWORD).await;
    let (_, second_cookie) = emu.login(EMAIL, DEMO_PASSWORD).await;

    reset_password(&emu, &user_id).await;
    for cookie in [&first_cookie, &second_cookie] {
        let refused = expect_error(emu.refresh(cookie).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(refused["errorCode"], "ER-01002");
    }
    let access_token = first["accessToken"].as_str().unwrap();
    assert_eq!(
        emu.me(ME, access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    emu.login(EMAIL, "fresh-password").await;
}

#[tokio::test]
async fn a_password_change_signs_out_every_other_session() {
    let (emu, _) = with_user().await;
    let (current, current_cookie) = emu.login(EMAIL, DEMO_PASSWORD).await;
    let (other, other_cookie) = emu.login(EMAIL, DEMO_PASSWORD).await;

    let changed = emu
        .http
        .post(emu.url(CHANGE_PASSWORD))
        .bearer_auth(current["accessToken"].as_str().unwrap())
        .json(&json!({ "password": DEMO_PASSWORD, "newPassword": "fresh-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::CREATED);

    let other_refresh = expect_error(emu.refresh(&other_cookie).await, StatusCode::UNAUTHORIZED);
    assert_eq!(other_refresh.await["errorCode"], "ER-01002");
    let other_token = other["accessToken"].as_str().unwrap();
    assert_eq!(
        emu.me(ME, other_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The session that changed the password lives on.
    assert_eq!(
        emu.me(ME, current["accessToken"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        emu.refresh(&current_cookie).await.status(),
        StatusCode::CREATED
    );
}

/// The argon2 hashes counted since start (`GET /emulator/v1/stats`).
async fn password_hashes(emu: &Emulator) -> u64 {
    emu.get_json("/emulator/v1/stats").await["passwordHashes"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn bogus_reset_and_activation_tokens_are_refused_before_any_hashing() {
    let (emu, user_id) = with_user().await;
    let signed_up: Value = emu
        .post_json(
            SIGN_UP,
            &json!({ "email": "lee@example.com", "companyName": "Lee Co" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let before = password_hashes(&emu).await;

    let forgot = emu.post_json(FORGOT, &json!({ "email": EMAIL })).await;
    assert_eq!(forgot.status(), StatusCode::CREATED);
    let real = emu.last_message_of(EMAIL, "password_reset").await["token"].clone();
    for (path, user, token) in [
        (RESET, json!(user_id), json!("not-a-token")),
        (RESET, json!("someone-else"), real.clone()),
        (ACTIVATE, signed_up["userId"].clone(), json!("not-a-token")),
        // A reset token is no activation token.
        (ACTIVATE, json!(user_id), real.clone()),
    ] {
        let body = json!({ "userId": user, "token": token, "password": "fresh-password" });
        let refused = expect_error(emu.post_json(path, &body).await, StatusCode::BAD_REQUEST);
        assert_eq!(refused.await["errorCode"], "ER-04002", "{path} {body}");
    }
    assert_eq!(
        password_hashes(&emu).await,
        before,
        "no argon2 for a bad link"
    );

    // A live token with a password against the policy is not spent either.
    let short = json!({ "userId": user_id, "token": real, "password": "short" });
    let refused = expect_error(emu.post_json(RESET, &short).await, StatusCode::BAD_REQUEST);
    assert_eq!(refused.await["errorCode"], "ER-04001");
    let good = json!({ "userId": user_id, "token": real, "password": "fresh-password" });
    assert_eq!(
        emu.post_json(RESET, &good).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(password_hashes(&emu).await, before + 1, "one hash, once");

    // Spent: a replay is refused without hashing.
    let replay = expect_error(emu.post_json(RESET, &good).await, StatusCode::BAD_REQUEST);
    assert_eq!(replay.await["errorCode"], "ER-04002");
    assert_eq!(password_hashes(&emu).await, before + 1);
}
