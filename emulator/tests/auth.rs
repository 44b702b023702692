//! Login, refresh rotation, logout and the profile endpoint, over HTTP against the binary.

mod common;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Verifies an access token with the emulator's published JWKS; returns header kid and claims.
async fn verify_with_jwks(emu: &Emulator, token: &str) -> (String, Value) {
    let jwks: Value = emu
        .http
        .get(emu.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = &jwks["keys"][0];
    assert_eq!(
        (
            jwk["kty"].as_str(),
            jwk["use"].as_str(),
            jwk["alg"].as_str()
        ),
        (Some("RSA"), Some("sig"), Some("RS256"))
    );
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[CLIENT_ID]);
    validation.set_issuer(&[emu.base.as_str()]);
    let data =
        jsonwebtoken::decode::<Value>(token, &key, &validation).expect("token verifies with JWKS");
    let kid = data.header.kid.expect("kid in header");
    assert_eq!(kid, jwk["kid"].as_str().unwrap());
    (kid, data.claims)
}

#[tokio::test]
async fn login_returns_tokens_and_cookie_and_a_jwks_verifiable_jwt() {
    let emu = demo().await;
    let response = emu
        .post_json(
            LOGIN,
            &json!({ "email": "demo@example.com", "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("frontegg-trace-id"));
    let set_cookie = refresh_set_cookie(&response).expect("cookie");
    for part in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=2592000"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let cookie = refresh_cookie(&response).unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["tokenType"], "bearer");
    assert_eq!(body["mfaRequired"], false);
    assert_eq!(body["expiresIn"], 300);
    assert_eq!(body["userEmail"], "demo@example.com");
    assert_eq!(body["emailVerified"], true);
    assert_eq!(body["isBreachedPassword"], false);
    assert_eq!(body["refreshToken"], cookie.as_str());
    assert!(body["expires"].as_str().unwrap().ends_with(" GMT"));

    let (_, claims) = verify_with_jwks(&emu, body["accessToken"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], body["userId"]);
    assert_eq!(claims["email"], "demo@example.com");
    assert_eq!(claims["name"], "Demo User");
    assert_eq!(claims["tenantId"], "tenant-acme");
    assert_eq!(claims["tenantIds"], json!(["tenant-acme", "tenant-globex"]));
    assert_eq!(claims["roles"], json!(["Admin"]));
    assert!(claims["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("fe.secure.read.*")));
    assert_eq!(claims["type"], "userToken");
    assert_eq!(claims["metadata"], json!({}));
    assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
}

#[tokio::test]
async fn login_by_username_and_email_ignores_case() {
    let emu = demo().await;
    let (body, _) = emu.login("DEMO@Example.com", DEMO_PASSWORD).await;
    assert_eq!(body["userEmail"], "demo@example.com");
    let response = emu
        .post_json(
            LOGIN,
            &json!({ "username": "demo@example.com", "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_rotates_and_replay_revokes_the_family() {
    let emu = demo().await;
    let (login, first) = emu.login("demo@example.com", DEMO_PASSWORD).await;

    let rotated = emu.refresh(&first).await;
    assert_eq!(rotated.status(), StatusCode::CREATED);
    let second = refresh_cookie(&rotated).expect("new cookie");
    assert_ne!(second, first);
    let body: Value = rotated.json().await.unwrap();
    assert_eq!(body["refreshToken"], second.as_str());
    assert_eq!(body["userId"], login["userId"]);
    let (_, claims) = verify_with_jwks(&emu, body["accessToken"].as_str().unwrap()).await;
    let (_, first_claims) = verify_with_jwks(&emu, login["accessToken"].as_str().unwrap()).await;
    assert_eq!(claims["sid"], first_claims["sid"], "same session");

    // `second` reached its client, which used it: `first` coming back is theft.
    let third = emu.refresh(&second).await;
    assert_eq!(third.status(), StatusCode::CREATED);
    let third = refresh_cookie(&third).expect("new cookie");
    let replay = emu.refresh(&first).await;
    let replay_cookie = refresh_set_cookie(&replay).unwrap();
    assert!(replay_cookie.contains("Max-Age=0"), "{replay_cookie}");
    assert_eq!(
        expect_error(replay, StatusCode::UNAUTHORIZED).await["errorCode"],
        "ER-01003"
    );
    // The newest token of the family died with it, and so did the session's access tokens.
    expect_error(emu.refresh(&third).await, StatusCode::UNAUTHORIZED).await;
    expect_error(
        emu.me(ME, body["accessToken"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// A refresh whose answer was lost: the client can only present the rotated token again. Within
/// `refreshRetryGraceSeconds`, while the successor it never received is unused, that is a retry,
/// not theft; after the grace, or with the grace set to 0, it is theft. So is the replaced
/// successor coming back after all: the rotated token was in two hands.
#[tokio::test]
async fn a_lost_refresh_answer_can_be_retried_within_the_grace() {
    let emu = demo().await;
    let (_, first) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let lost = refresh_cookie(&emu.refresh(&first).await).expect("rotated");

    let retry = emu.refresh(&first).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    let kept = refresh_cookie(&retry).expect("new cookie");
    let body: Value = retry.json().await.unwrap();
    assert_eq!(
        emu.me(ME, body["accessToken"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
    let kept = refresh_cookie(&emu.refresh(&kept).await).expect("the retry's token works");
    // The successor that never arrived did reach someone: theft, and the session ends.
    let stale = expect_error(emu.refresh(&lost).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(stale["errorCode"], "ER-01003");
    expect_error(emu.refresh(&kept).await, StatusCode::UNAUTHORIZED).await;

    let (_, first) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    refresh_cookie(&emu.refresh(&first).await).expect("rotated");
    let kept = refresh_cookie(&emu.refresh(&first).await).expect("the retry");

    // The grace counts from the first rotation.
    emu.advance(61).await;
    let late = emu.refresh(&kept).await;
    let next = refresh_cookie(&late).expect("rotated");
    emu.advance(61).await;
    let replay = expect_error(emu.refresh(&kept).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(replay["errorCode"], "ER-01003");
    expect_error(emu.refresh(&next).await, StatusCode::UNAUTHORIZED).await;

    emu.config(json!({ "refreshRetryGraceSeconds": 0 })).await;
    let (_, first) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    refresh_cookie(&emu.refresh(&first).await).expect("rotated");
    let strict = expect_error(emu.refresh(&first).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(strict["errorCode"], "ER-01003");
}

#[tokio::test]
async fn refresh_without_or_with_unknown_cookie_is_session_expired() {
    let emu = demo().await;
    let missing = expect_error(
        emu.post_with_cookie(REFRESH, None, &json!({})).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(missing["errors"][0], "Session expired");
    // The official client posts with no body at all.
    let no_body = emu.http.post(emu.url(REFRESH)).send().await.unwrap();
    expect_error(no_body, StatusCode::UNAUTHORIZED).await;
    let unknown = expect_error(emu.refresh("made-up-token").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(unknown["errorCode"], "ER-01002");
    let bad = emu
        .post_with_cookie(REFRESH, None, &json!({ "tenantId": 3 }))
        .await;
    expect_error(bad, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn refresh_can_switch_to_a_member_tenant_only() {
    let emu = demo().await;
    let (_, cookie) = emu.login("demo@example.com", DEMO_PASSWORD).await;

    let refused = emu
        .post_with_cookie(
            REFRESH,
            Some(&cookie),
            &json!({ "tenantId": "tenant-nope" }),
        )
        .await;
    assert_eq!(
        expect_error(refused, StatusCode::FORBIDDEN).await["errorCode"],
        "ER-01005"
    );

    // The refused request did not consume the token.
    let switched = emu
        .post_with_cookie(
            REFRESH,
            Some(&cookie),
            &json!({ "tenantId": "tenant-globex" }),
        )
        .await;
    assert_eq!(switched.status(), StatusCode::CREATED);
    let next = refresh_cookie(&switched).unwrap();
    let body: Value = switched.json().await.unwrap();
    let (_, claims) = verify_with_jwks(&emu, body["accessToken"].as_str().unwrap()).await;
    assert_eq!(claims["tenantId"], "tenant-globex");
    let me: Value = emu
        .me(ME, body["accessToken"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenantId"], "tenant-globex");

    // The session remembers the tenant on later refreshes without tenantId.
    let again: Value = emu.refresh(&next).await.json().await.unwrap();
    let (_, claims) = verify_with_jwks(&emu, again["accessToken"].as_str().unwrap()).await;
    assert_eq!(claims["tenantId"], "tenant-globex");
}

#[tokio::test]
async fn logout_revokes_only_its_own_session() {
    let emu = demo().await;
    let (first_login, first) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let (second_login, second) = emu.login("demo@example.com", DEMO_PASSWORD).await;

    let out = emu.post_with_cookie(LOGOUT, Some(&first), &json!({})).await;
    assert_eq!(out.status(), StatusCode::CREATED);
    assert!(out.headers().contains_key("frontegg-trace-id"));
    let cleared = refresh_set_cookie(&out).unwrap();
    assert!(
        cleared.starts_with(&format!("{COOKIE}=;")) && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    expect_error(emu.refresh(&first).await, StatusCode::UNAUTHORIZED).await;
    let first_token = first_login["accessToken"].as_str().unwrap();
    expect_error(emu.me(ME, first_token).await, StatusCode::UNAUTHORIZED).await;

    let second_token = second_login["accessToken"].as_str().unwrap();
    assert_eq!(emu.me(ME, second_token).await.status(), StatusCode::OK);
    assert_eq!(emu.refresh(&second).await.status(), StatusCode::CREATED);

    // Idempotent: no cookie, or a dead one, is still 201.
    let bare = emu.http.post(emu.url(LOGOUT)).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::CREATED);
    assert_eq!(
        emu.post_with_cookie(LOGOUT, Some(&first), &json!({}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn me_returns_the_profile_for_a_valid_token_only() {
    let emu = demo().await;
    let (login, _) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let token = login["accessToken"].as_str().unwrap();
    let response = emu.me(ME, token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["id"], login["userId"]);
    assert_eq!(me["sub"], login["userId"]);
    assert_eq!(me["email"], "demo@example.com");
    assert_eq!(me["name"], "Demo User");
    assert_eq!(me["verified"], true);
    assert_eq!(me["mfaEnrolled"], false);
    assert_eq!(me["provider"], "local");
    assert_eq!(me["tenantId"], "tenant-acme");
    assert_eq!(me["tenantIds"], json!(["tenant-acme", "tenant-globex"]));
    assert_eq!(
        me["roles"],
        json!([{ "id": "Admin", "key": "Admin", "name": "Admin" }])
    );
    assert_eq!(
        me["tenants"][1],
        json!({ "tenantId": "tenant-globex", "roles": me["roles"] })
    );
    assert_eq!(me["permissions"][0]["key"], "fe.secure.read.*");
    assert_eq!(me["metadata"], "{}");
    assert_eq!(
        (me["activatedForTenant"].clone(), me["isLocked"].clone()),
        (json!(true), json!(false))
    );
    assert!(me["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(me["lastLogin"].is_string());

    let garbage = expect_error(emu.me(ME, "not.a.jwt").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(garbage["errorCode"], "ER-01004");
    // A token whose signature does not match (payload tampered).
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[2] = "AAAA";
    expect_error(emu.me(ME, &parts.join(".")).await, StatusCode::UNAUTHORIZED).await;
    let no_header = emu.http.get(emu.url(ME)).send().await.unwrap();
    expect_error(no_header, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_frontegg_prefix_serves_the_same_api() {
    let emu = demo().await;
    let response = emu
        .post_json(
            "/frontegg/identity/resources/auth/v1/user",
            &json!({ "email": "demo@example.com", "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = refresh_cookie(&response).unwrap();
    let body: Value = response.json().await.unwrap();
    let me = emu
        .me(
            "/frontegg/identity/resources/users/v2/me",
            body["accessToken"].as_str().unwrap(),
        )
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let refreshed = emu
        .post_with_cookie(
            "/frontegg/identity/resources/auth/v1/user/token/refresh",
            Some(&cookie),
            &json!({}),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::CREATED);
}
