//! Sign-up and activation, passwords, self-service profile, tenants, sessions, API tokens,
//! lockout and rate limits, over HTTP against the binary.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
const ACTIVATE: &str = "/identity/resources/users/v1/activate";
const CHANGE_PASSWORD: &str = "/identity/resources/users/v1/passwords/change";
const FORGOT: &str = "/identity/resources/users/v1/passwords/reset";
const RESET: &str = "/identity/resources/users/v1/passwords/reset/verify";
const ME_V3: &str = "/identity/resources/users/v3/me";
const TENANTS_V1: &str = "/identity/resources/users/v1/me/tenants";
const TENANTS_V2: &str = "/identity/resources/users/v2/me/tenants";
const AUTHORIZATION: &str = "/identity/resources/users/v1/me/authorization";
const SWITCH_TENANT: &str = "/identity/resources/users/v1/tenant";
const SESSIONS: &str = "/identity/resources/users/sessions/v1/me";
const API_TOKEN: &str = "/identity/resources/auth/v2/api-token";
const API_REFRESH: &str = "/identity/resources/auth/v2/api-token/token/refresh";
const DEV_API_TOKENS: &str = "/emulator/v1/api-tokens";

/// The claims of a JWT, decoded without verification (the auth tests verify signatures).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

fn access_token(body: &Value) -> &str {
    body["accessToken"].as_str().expect("accessToken")
}

async fn send_bearer(
    emu: &Emulator,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Response {
    let mut request = emu.http.request(method, emu.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

async fn get_bearer(emu: &Emulator, path: &str, token: &str) -> Value {
    let response = send_bearer(emu, reqwest::Method::GET, path, token, None).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

/// Creates a user through the developer endpoint; returns its id.
async fn create_user(emu: &Emulator, email: &str, password: &str) -> String {
    let user = emu
        .create_user(json!({ "email": email, "password": password }))
        .await;
    user["id"].as_str().unwrap().to_owned()
}

async fn login_status(emu: &Emulator, email: &str, password: &str) -> Response {
    emu.post_json(LOGIN, &json!({ "email": email, "password": password }))
        .await
}

#[tokio::test]
async fn sign_up_with_a_password_signs_in_at_once_in_a_new_tenant() {
    let emu = start_none().await;
    let response = emu
        .post_json(
            SIGN_UP,
            &json!({
                "provider": "local",
                "email": "Ada@Example.com",
                "password": "correct-horse",
                "name": "Ada",
                "companyName": "Analytical Engines",
                "metadata": "{\"plan\":\"pro\"}",
                "recaptchaToken": "ignored"
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(refresh_cookie(&response).is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["shouldActivate"], false);
    let auth = &body["authResponse"];
    assert_eq!(auth["mfaRequired"], false);
    assert_eq!(auth["userId"], body["userId"]);
    assert_eq!(auth["userEmail"], "Ada@Example.com");
    let token = access_token(auth);
    assert_eq!(claims(token)["tenantId"], body["tenantId"]);
    assert_eq!(claims(token)["roles"], json!(["Admin"]));

    let tenants = get_bearer(&emu, TENANTS_V2, token).await;
    assert_eq!(tenants.as_array().unwrap().len(), 1);
    assert_eq!(tenants[0]["tenantId"], body["tenantId"]);
    assert_eq!(tenants[0]["name"], "Analytical Engines");
    let me = get_bearer(&emu, ME, token).await;
    assert_eq!(
        (me["name"].as_str(), me["metadata"].as_str()),
        (Some("Ada"), Some("{\"plan\":\"pro\"}"))
    );
    emu.login("ada@example.com", "correct-horse").await;

    // The same email in any case is taken.
    let duplicate = emu
        .post_json(
            SIGN_UP,
            &json!({ "email": "ADA@example.com", "password": "another-one", "companyName": "X" }),
        )
        .await;
    assert_eq!(
        expect_error(duplicate, StatusCode::CONFLICT).await["errorCode"],
        "ER-01006"
    );
}

#[tokio::test]
async fn sign_up_rejects_bad_bodies_with_400() {
    let emu = start_none().await;
    let cases = [
        (
            json!({ "email": "a@x.io", "password": "long-enough" }),
            "ER-01000",
        ),
        (json!({ "email": "a@x.io", "companyName": " " }), "ER-01000"),
        (
            json!({ "email": "not-an-email", "companyName": "C" }),
            "ER-01000",
        ),
        (json!({ "email": 5, "companyName": "C" }), "ER-01000"),
        (
            json!({ "email": "a@x.io", "companyName": "C", "password": "short" }),
            "ER-04001",
        ),
        (
            json!({ "email": "a@x.io", "companyName": "C", "metadata": "[1]" }),
            "ER-01000",
        ),
        (
            json!({ "email": "a@x.io", "companyName": "C", "provider": "google" }),
            "ER-01000",
        ),
        (
            json!({ "email": "a@x.io", "companyName": "C", "phoneNumber": "call me" }),
            "ER-01000",
        ),
    ];
    for (body, code) in cases {
        let error =
            expect_error(emu.post_json(SIGN_UP, &body).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["errorCode"], code, "{body}");
    }
    let short = expect_error(
        emu.post_json(
            SIGN_UP,
            &json!({ "email": "a@x.io", "companyName": "C", "password": "1234567" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        short["errors"][0],
        "Password must be at least 8 characters long"
    );
    expect_error(
        emu.post_raw(SIGN_UP, "{nope").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(emu.outbox("a@x.io").await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn sign_up_without_a_password_is_activated_by_the_emailed_link() {
    let emu = start_none().await;
    let response = emu
        .post_json(
            SIGN_UP,
            &json!({ "email": "bob@x.io", "companyName": "Bob Co" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(refresh_cookie(&response).is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["shouldActivate"], true);
    assert!(body.get("authResponse").is_none() && body.get("activationToken").is_none());
    let user_id = body["userId"].as_str().unwrap();
    let message = emu.last_message_of("bob@x.io", "activation").await;
    let token = message["token"].as_str().unwrap();
    let link = message["link"].as_str().unwrap();
    assert!(link.starts_with(&emu.base), "{link}");
    assert!(
        link.contains(&format!("userId={user_id}")) && link.contains(&format!("token={token}"))
    );

    let wrong = emu
        .post_json(ACTIVATE, &json!({ "userId": user_id, "token": "nope" }))
        .await;
    assert_eq!(
        expect_error(wrong, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04002"
    );
    let weak = emu
        .post_json(
            ACTIVATE,
            &json!({ "userId": user_id, "token": token, "password": "short" }),
        )
        .await;
    assert_eq!(
        expect_error(weak, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04001"
    );

    let activated = emu
        .post_json(
            ACTIVATE,
            &json!({ "userId": user_id, "token": token, "password": "bobs-password" }),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::OK);
    assert!(refresh_cookie(&activated).is_some());
    let auth: Value = activated.json().await.unwrap();
    assert_eq!(auth["userId"], user_id);
    assert_eq!(claims(access_token(&auth))["tenantId"], body["tenantId"]);

    let again = emu
        .post_json(ACTIVATE, &json!({ "userId": user_id, "token": token }))
        .await;
    expect_error(again, StatusCode::BAD_REQUEST).await;
    emu.login("bob@x.io", "bobs-password").await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let emu = start_none().await;
    create_user(&emu, "c@x.io", "first-password").await;
    let (login, _) = emu.login("c@x.io", "first-password").await;
    let token = access_token(&login);
    let change = |body: Value| {
        let emu = &emu;
        async move {
            send_bearer(
                emu,
                reqwest::Method::POST,
                CHANGE_PASSWORD,
                token,
                Some(&body),
            )
            .await
        }
    };
    let wrong =
        change(json!({ "password": "not-it-at-all", "newPassword": "second-password" })).await;
    assert_eq!(
        expect_error(wrong, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04003"
    );
    let weak = change(json!({ "password": "first-password", "newPassword": "2short" })).await;
    assert_eq!(
        expect_error(weak, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04001"
    );
    let missing = change(json!({ "password": "first-password" })).await;
    expect_error(missing, StatusCode::BAD_REQUEST).await;
    let anonymous = emu
        .post_json(
            CHANGE_PASSWORD,
            &json!({ "password": "first-password", "newPassword": "second-password" }),
        )
        .await;
    expect_error(anonymous, StatusCode::UNAUTHORIZED).await;

    let done =
        change(json!({ "password": "first-password", "newPassword": "second-password" })).await;
    assert_eq!(done.status(), StatusCode::CREATED);
    expect_error(
        login_status(&emu, "c@x.io", "first-password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    emu.login("c@x.io", "second-password").await;
}

#[tokio::test]
async fn forgotten_passwords_are_reset_once_within_30_minutes() {
    let emu = start_none().await;
    let user_id = create_user(&emu, "d@x.io", "old-password").await;

    // The same answer whether or not the email has an account; only real ones get mail.
    for body in [
        json!({ "email": "nobody@x.io" }),
        json!({ "identifier": "d@x.io", "identifierType": "email" }),
    ] {
        let response = emu.post_json(FORGOT, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.text().await.unwrap(), "");
    }
    assert!(emu.outbox("nobody@x.io").await.is_empty());
    let message = emu.last_message_of("d@x.io", "password_reset").await;
    let token = message["token"].as_str().unwrap();
    let link = message["link"].as_str().unwrap();
    assert!(
        link.contains(&format!("userId={user_id}")) && link.contains(&format!("token={token}"))
    );
    let bad_type = emu
        .post_json(
            FORGOT,
            &json!({ "identifier": "+15550001", "identifierType": "phoneNumber" }),
        )
        .await;
    expect_error(bad_type, StatusCode::BAD_REQUEST).await;

    let weak = emu
        .post_json(
            RESET,
            &json!({ "userId": user_id, "token": token, "password": "short" }),
        )
        .await;
    assert_eq!(
        expect_error(weak, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04001"
    );
    let other_user = emu
        .post_json(
            RESET,
            &json!({ "userId": "someone-else", "token": token, "password": "new-password" }),
        )
        .await;
    assert_eq!(
        expect_error(other_user, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04002"
    );
    let reset = emu
        .post_json(
            RESET,
            &json!({ "userId": user_id, "token": token, "password": "new-password" }),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::CREATED);
    let reused = emu
        .post_json(
            RESET,
            &json!({ "userId": user_id, "token": token, "password": "newer-password" }),
        )
        .await;
    assert_eq!(
        expect_error(reused, StatusCode::BAD_REQUEST).await["errorCode"],
        "ER-04002"
    );
    emu.login("d@x.io", "new-password").await;

    // A link older than 30 minutes is dead.
    emu.post_json(FORGOT, &json!({ "email": "d@x.io" })).await;
    let late = emu.last_message_of("d@x.io", "password_reset").await;
    emu.advance(30 * 60 + 1).await;
    let expired = emu
        .post_json(
            RESET,
            &json!({ "userId": user_id, "token": late["token"], "password": "late-password" }),
        )
        .await;
    expect_error(expired, StatusCode::BAD_REQUEST).await;
    emu.login("d@x.io", "new-password").await;
}

#[tokio::test]
async fn the_profile_can_be_edited_and_is_validated() {
    let emu = demo().await;
    let (login, cookie) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let token = access_token(&login);
    let put = |body: Value| {
        let emu = &emu;
        async move { send_bearer(emu, reqwest::Method::PUT, ME, token, Some(&body)).await }
    };
    let response = put(json!({
        "name": " Demo Renamed ",
        "phoneNumber": "+1 555-123-4567",
        "profilePictureUrl": "https://example.com/a.png",
        "metadata": "{\"theme\":\"dark\"}"
    }))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["name"], "Demo Renamed");
    assert_eq!(me["phoneNumber"], "+15551234567");
    assert_eq!(me["profilePictureUrl"], "https://example.com/a.png");
    assert_eq!(me["metadata"], "{\"theme\":\"dark\"}");
    assert_eq!(me["roles"][0]["key"], "Admin");

    // v3 has the same profile, without roles and permissions.
    let v3 = get_bearer(&emu, ME_V3, token).await;
    assert_eq!(v3["name"], "Demo Renamed");
    assert_eq!(v3["tenantId"], "tenant-acme");
    assert!(v3.get("roles").is_none() && v3.get("permissions").is_none());

    // null clears; absent fields stay.
    let cleared: Value = put(json!({ "phoneNumber": null }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["phoneNumber"], Value::Null);
    assert_eq!(cleared["name"], "Demo Renamed");

    for body in [
        json!({ "name": "" }),
        json!({ "name": 5 }),
        json!({ "phoneNumber": "12" }),
        json!({ "profilePictureUrl": "javascript:alert(1)" }),
        json!({ "metadata": "not json" }),
        json!({ "metadata": { "an": "object, not a string" } }),
    ] {
        let error = expect_error(put(body.clone()).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["errorCode"], "ER-01000", "{body}");
    }
    let anonymous = emu
        .http
        .put(emu.url(ME))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(anonymous, StatusCode::UNAUTHORIZED).await;

    // The next token carries the new name.
    let refreshed: Value = emu.refresh(&cookie).await.json().await.unwrap();
    assert_eq!(claims(access_token(&refreshed))["name"], "Demo Renamed");
}

#[tokio::test]
async fn tenants_and_authorization_of_the_signed_in_user() {
    let emu = demo().await;
    let (login, _) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let token = access_token(&login);
    let v1 = get_bearer(&emu, TENANTS_V1, token).await;
    let ids: Vec<_> = v1["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenantId"].clone())
        .collect();
    assert_eq!(ids, [json!("tenant-acme"), json!("tenant-globex")]);
    assert_eq!(v1["activeTenant"]["tenantId"], "tenant-acme");
    assert_eq!(v1["activeTenant"]["name"], "Acme");
    let v2 = get_bearer(&emu, TENANTS_V2, token).await;
    assert_eq!(v2, v1["tenants"]);
    let tenant = &v2[1];
    assert_eq!(
        (tenant["id"].as_str(), tenant["name"].as_str()),
        (Some("tenant-globex"), Some("Globex"))
    );
    assert!(tenant["createdAt"].as_str().unwrap().ends_with('Z'));

    let authorization = get_bearer(&emu, AUTHORIZATION, token).await;
    assert_eq!(
        authorization["roles"],
        json!([{ "id": "Admin", "key": "Admin", "name": "Admin" }])
    );
    assert_eq!(authorization["permissions"][0]["key"], "fe.secure.read.*");
    let anonymous = emu.http.get(emu.url(AUTHORIZATION)).send().await.unwrap();
    expect_error(anonymous, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn switching_tenant_moves_the_session_and_the_next_refresh() {
    let emu = demo().await;
    let (login, cookie) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let (_, other_cookie) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let token = access_token(&login);
    let switch = |tenant: Value| {
        let emu = &emu;
        async move {
            let body = json!({ "tenantId": tenant });
            send_bearer(emu, reqwest::Method::PUT, SWITCH_TENANT, token, Some(&body)).await
        }
    };
    let refused = switch(json!("tenant-elsewhere")).await;
    assert_eq!(
        expect_error(refused, StatusCode::FORBIDDEN).await["errorCode"],
        "ER-01005"
    );
    expect_error(switch(json!("")).await, StatusCode::BAD_REQUEST).await;
    expect_error(switch(json!(7)).await, StatusCode::BAD_REQUEST).await;

    let switched = switch(json!("tenant-globex")).await;
    assert_eq!(switched.status(), StatusCode::OK);
    let profile: Value = switched.json().await.unwrap();
    assert_eq!(profile["tenantId"], "tenant-globex");

    let refreshed = emu.refresh(&cookie).await;
    assert_eq!(refreshed.status(), StatusCode::CREATED);
    let refreshed: Value = refreshed.json().await.unwrap();
    let new_token = access_token(&refreshed);
    assert_eq!(claims(new_token)["tenantId"], "tenant-globex");
    assert_eq!(
        get_bearer(&emu, ME, new_token).await["tenantId"],
        "tenant-globex"
    );
    assert_eq!(
        get_bearer(&emu, TENANTS_V1, new_token).await["activeTenant"]["tenantId"],
        "tenant-globex"
    );

    // Only the current session moved.
    let other: Value = emu.refresh(&other_cookie).await.json().await.unwrap();
    assert_eq!(claims(access_token(&other))["tenantId"], "tenant-acme");
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_or_all_but_current() {
    let emu = demo().await;
    let mut logins = Vec::new();
    for agent in ["agent-a", "agent-b", "agent-c"] {
        let response = emu
            .http
            .post(emu.url(LOGIN))
            .header("user-agent", agent)
            .json(&json!({ "email": "demo@example.com", "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = refresh_cookie(&response).unwrap();
        let body: Value = response.json().await.unwrap();
        logins.push((access_token(&body).to_owned(), cookie));
    }
    let (token_a, cookie_a) = &logins[0];
    let list = get_bearer(&emu, SESSIONS, token_a).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    let agents: Vec<_> = list
        .iter()
        .map(|s| s["userAgent"].as_str().unwrap())
        .collect();
    assert_eq!(agents, ["agent-a", "agent-b", "agent-c"]);
    let current: Vec<_> = list
        .iter()
        .map(|s| s["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current, [true, false, false]);
    assert_eq!(list[0]["id"], claims(token_a)["sid"]);
    assert_eq!(list[0]["ipAddress"], "127.0.0.1");
    for field in ["createdAt", "lastActiveAt", "expires"] {
        assert!(list[0][field].as_str().unwrap().ends_with('Z'), "{field}");
    }

    // Delete B: its refresh fails, A and C live on.
    let id_b = list[1]["id"].as_str().unwrap().to_owned();
    let path_b = format!("{SESSIONS}/{id_b}");
    let deleted = send_bearer(&emu, reqwest::Method::DELETE, &path_b, token_a, None).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    expect_error(emu.refresh(&logins[1].1).await, StatusCode::UNAUTHORIZED).await;
    expect_error(emu.me(ME, &logins[1].0).await, StatusCode::UNAUTHORIZED).await;
    let again = send_bearer(&emu, reqwest::Method::DELETE, &path_b, token_a, None).await;
    assert_eq!(
        expect_error(again, StatusCode::NOT_FOUND).await["errorCode"],
        "ER-04004"
    );

    // Someone else's session is "not found" too, and stays alive.
    create_user(&emu, "other@x.io", "other-password").await;
    let (other_login, other_cookie) = emu.login("other@x.io", "other-password").await;
    let other_sid = claims(access_token(&other_login))["sid"].clone();
    let path = format!("{SESSIONS}/{}", other_sid.as_str().unwrap());
    let foreign = send_bearer(&emu, reqwest::Method::DELETE, &path, token_a, None).await;
    expect_error(foreign, StatusCode::NOT_FOUND).await;
    assert_eq!(
        emu.refresh(&other_cookie).await.status(),
        StatusCode::CREATED
    );

    let a_refreshed = emu.refresh(cookie_a).await;
    assert_eq!(a_refreshed.status(), StatusCode::CREATED);
    let cookie_a = refresh_cookie(&a_refreshed).unwrap();
    assert_eq!(
        emu.refresh(&logins[2].1).await.status(),
        StatusCode::CREATED
    );

    // All but current: only A is left.
    let all = send_bearer(
        &emu,
        reqwest::Method::DELETE,
        &format!("{SESSIONS}/all"),
        token_a,
        None,
    )
    .await;
    assert_eq!(all.status(), StatusCode::OK);
    let list = get_bearer(&emu, SESSIONS, token_a).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["current"], true);
    assert_eq!(emu.refresh(&cookie_a).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn api_tokens_sign_in_refresh_and_replay_revokes() {
    let emu = demo().await;
    let created = emu
        .post_json(
            DEV_API_TOKENS,
            &json!({ "tenantId": "tenant-acme", "roles": ["Reader"], "permissions": ["read"] }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["type"], "tenantApiToken");
    let client_id = created["clientId"].as_str().unwrap();

    let wrong = emu
        .post_json(
            API_TOKEN,
            &json!({ "clientId": client_id, "secret": "wrong" }),
        )
        .await;
    assert_eq!(
        expect_error(wrong, StatusCode::UNAUTHORIZED).await["errorCode"],
        "ER-04005"
    );
    expect_error(
        emu.post_json(API_TOKEN, &json!({ "clientId": client_id }))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    let signed_in = emu
        .post_json(
            API_TOKEN,
            &json!({ "clientId": client_id, "secret": created["secret"] }),
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let tokens: Value = signed_in.json().await.unwrap();
    assert_eq!(tokens["expires_in"], 300);
    assert!(tokens["expires"].as_str().unwrap().ends_with(" GMT"));
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], client_id);
    assert_eq!(access["type"], "tenantApiToken");
    assert_eq!(access["tenantId"], "tenant-acme");
    assert_eq!(access["roles"], json!(["Reader"]));
    assert_eq!(access["permissions"], json!(["read"]));
    // Not a user: self-service refuses it.
    expect_error(
        emu.me(ME, tokens["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let first = tokens["refresh_token"].clone();
    let rotated = emu
        .post_json(API_REFRESH, &json!({ "refreshToken": first }))
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    assert_ne!(rotated["refresh_token"], first);
    assert_eq!(
        claims(rotated["access_token"].as_str().unwrap())["sub"],
        client_id
    );
    // Issued in the same second, the refreshed access token still differs (its `jti`).
    assert_ne!(rotated["access_token"], tokens["access_token"]);

    let replay = emu
        .post_json(API_REFRESH, &json!({ "refreshToken": first }))
        .await;
    assert_eq!(
        expect_error(replay, StatusCode::UNAUTHORIZED).await["errorCode"],
        "ER-01003"
    );
    let revoked = emu
        .post_json(
            API_REFRESH,
            &json!({ "refreshToken": rotated["refresh_token"] }),
        )
        .await;
    assert_eq!(
        expect_error(revoked, StatusCode::UNAUTHORIZED).await["errorCode"],
        "ER-01002"
    );
    let unknown = emu
        .post_json(API_REFRESH, &json!({ "refreshToken": "nope" }))
        .await;
    expect_error(unknown, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn user_api_tokens_and_the_demo_token() {
    let emu = demo().await;
    let (login, _) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let user_id = login["userId"].as_str().unwrap();
    let created: Value = emu
        .post_json(
            DEV_API_TOKENS,
            &json!({ "userId": user_id, "tenantId": "tenant-globex" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["type"], "userApiToken");
    let tokens: Value = emu
        .post_json(
            API_TOKEN,
            &json!({ "clientId": created["clientId"], "secret": created["secret"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        (access["type"].as_str(), access["userId"].as_str()),
        (Some("userApiToken"), Some(user_id))
    );
    assert_eq!(access["tenantId"], "tenant-globex");
    assert_eq!(access["roles"], json!(["Admin"]));

    let not_member = emu
        .post_json(
            DEV_API_TOKENS,
            &json!({ "userId": user_id, "tenantId": "tenant-x" }),
        )
        .await;
    expect_error(not_member, StatusCode::FORBIDDEN).await;
    let unknown = emu
        .post_json(DEV_API_TOKENS, &json!({ "userId": "nobody" }))
        .await;
    assert_eq!(
        expect_error(unknown, StatusCode::NOT_FOUND).await["errorCode"],
        "ER-04006"
    );
    expect_error(
        emu.post_json(DEV_API_TOKENS, &json!({})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    let demo = emu
        .post_json(
            API_TOKEN,
            &json!({
                "clientId": "5f0e7d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f",
                "secret": "demo-api-secret-3f9a6c2e8b7d4105"
            }),
        )
        .await;
    assert_eq!(demo.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_until_a_reset() {
    let emu = start_none().await;
    emu.config(json!({ "lockout": { "maxAttempts": 3 } })).await;
    let user_id = create_user(&emu, "e@x.io", "right-password").await;
    for _ in 0..3 {
        let wrong = login_status(&emu, "e@x.io", "wrong-password").await;
        assert_eq!(
            expect_error(wrong, StatusCode::UNAUTHORIZED).await["errorCode"],
            "ER-01001"
        );
    }
    // Locked: even the right password is refused, and says so.
    let locked = expect_error(
        login_status(&emu, "e@x.io", "right-password").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(locked["errorCode"], "ER-01009");
    assert_eq!(locked["errors"][0], "account locked");
    // Unknown emails never lock: the same 401 forever.
    for _ in 0..5 {
        let unknown = login_status(&emu, "ghost@x.io", "wrong-password").await;
        expect_error(unknown, StatusCode::UNAUTHORIZED).await;
    }

    emu.post_json(FORGOT, &json!({ "email": "e@x.io" })).await;
    let message = emu.last_message_of("e@x.io", "password_reset").await;
    let reset = emu
        .post_json(
            RESET,
            &json!({ "userId": user_id, "token": message["token"], "password": "fresh-password" }),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::CREATED);
    emu.login("e@x.io", "fresh-password").await;

    // A success resets the count: two failures after it do not lock.
    for _ in 0..2 {
        expect_error(
            login_status(&emu, "e@x.io", "wrong-password").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    emu.login("e@x.io", "fresh-password").await;
    for _ in 0..2 {
        expect_error(
            login_status(&emu, "e@x.io", "wrong-password").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    emu.login("e@x.io", "fresh-password").await;
}

#[tokio::test]
async fn too_many_attempts_per_user_answer_429_with_retry_after() {
    let emu = start_none().await;
    emu.config(json!({ "rateLimit": { "perUserPerMinute": 3 }, "lockout": { "maxAttempts": 0 } }))
        .await;
    create_user(&emu, "f@x.io", "right-password").await;
    for _ in 0..3 {
        expect_error(
            login_status(&emu, "f@x.io", "wrong-password").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let limited = login_status(&emu, "F@x.io", "right-password").await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        expect_error(limited, StatusCode::TOO_MANY_REQUESTS).await["errorCode"],
        "ER-01008"
    );
    // Other users are not affected, and the limit covers password resets too.
    create_user(&emu, "g@x.io", "right-password").await;
    emu.login("g@x.io", "right-password").await;
    for _ in 0..3 {
        emu.post_json(FORGOT, &json!({ "email": "h@x.io" })).await;
    }
    expect_error(
        emu.post_json(FORGOT, &json!({ "email": "h@x.io" })).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;

    emu.advance(60).await;
    emu.login("f@x.io", "right-password").await;
}
