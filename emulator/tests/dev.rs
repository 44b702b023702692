//! Developer endpoints: outbox, config, clock, reset.

mod common;

use common::{demo, expect_error, Emulator, DEMO_PASSWORD, ME};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn put_config(emu: &Emulator, body: &Value) -> reqwest::Response {
    emu.http
        .put(emu.url("/emulator/v1/config"))
        .json(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn config_merges_partial_updates_and_rejects_nonsense() {
    let emu = demo().await;
    let config = emu.get_json("/emulator/v1/config").await;
    assert_eq!(config["mfa"]["enforce"], "DontForce");
    assert_eq!(config["accessTokenTtlSeconds"], 300);
    assert_eq!(config["passwordless"]["magicLink"], true);

    let response = put_config(
        &emu,
        &json!({ "mfa": { "enforce": "Force" }, "accessTokenTtlSeconds": 60 }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let config = emu.get_json("/emulator/v1/config").await;
    assert_eq!(config["mfa"]["enforce"], "Force");
    assert_eq!(
        config["mfa"]["allowRememberDevice"], true,
        "untouched fields keep their values"
    );
    assert_eq!(config["accessTokenTtlSeconds"], 60);

    for bad in [
        json!({ "mfa": { "enforce": "Sometimes" } }),
        json!({ "accessTokenTtlSeconds": -1 }),
        json!({ "mfa": { "strategies": ["Carrier pigeon"] } }),
        json!({ "noSuchPolicy": true }),
        json!([1, 2]),
    ] {
        let body = expect_error(put_config(&emu, &bad).await, StatusCode::BAD_REQUEST).await;
        assert!(
            body["errors"][0].as_str().is_some_and(|m| !m.is_empty()),
            "{bad}"
        );
    }
    assert_eq!(
        emu.get_json("/emulator/v1/config").await["accessTokenTtlSeconds"],
        60,
        "rejected updates change nothing"
    );
}

#[tokio::test]
async fn the_clock_moves_forward_and_expires_tokens() {
    let emu = demo().await;
    let before = emu.get_json("/emulator/v1/clock").await;
    assert_eq!(before["offsetSeconds"], 0);
    let (body, _) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    let token = body["accessToken"].as_str().expect("token").to_owned();
    assert_eq!(emu.me(ME, &token).await.status(), StatusCode::OK);

    let response = emu
        .post_json("/emulator/v1/clock", &json!({ "advanceSeconds": 301 }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let after: Value = response.json().await.expect("json");
    assert_eq!(after["offsetSeconds"], 301);
    assert!(after["now"].as_i64().unwrap() >= before["now"].as_i64().unwrap() + 301);
    assert!(after["nowIso"].as_str().is_some());
    assert_eq!(
        emu.me(ME, &token).await.status(),
        StatusCode::UNAUTHORIZED,
        "the 300 s token expired"
    );

    for bad in [
        json!({ "advanceSeconds": -5 }),
        json!({ "advanceSeconds": "5" }),
        json!({}),
    ] {
        expect_error(
            emu.post_json("/emulator/v1/clock", &bad).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn reset_restores_the_seed_and_the_config() {
    let emu = demo().await;
    let created = emu
        .post_json(
            "/emulator/v1/users",
            &json!({ "email": "temp@example.com", "password": "Temp-pass-1!" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let (_, cookie) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    assert_eq!(
        put_config(&emu, &json!({ "mfa": { "enforce": "Force" } }))
            .await
            .status(),
        StatusCode::OK
    );

    let response = emu.post_json("/emulator/v1/reset", &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);

    let gone = emu
        .post_json(
            common::LOGIN,
            &json!({ "email": "temp@example.com", "password": "Temp-pass-1!" }),
        )
        .await;
    assert_eq!(
        gone.status(),
        StatusCode::UNAUTHORIZED,
        "users created after the seed are gone"
    );
    assert_eq!(
        emu.refresh(&cookie).await.status(),
        StatusCode::UNAUTHORIZED,
        "sessions are gone"
    );
    emu.login("demo@example.com", DEMO_PASSWORD).await;
    assert_eq!(
        emu.get_json("/emulator/v1/config").await["mfa"]["enforce"],
        "DontForce"
    );
}

#[tokio::test]
async fn the_outbox_lists_nothing_until_something_is_sent() {
    let emu = demo().await;
    assert_eq!(emu.get_json("/emulator/v1/outbox").await, json!([]));
    assert_eq!(
        emu.get_json("/emulator/v1/outbox?to=demo@example.com")
            .await,
        json!([])
    );
}

#[tokio::test]
async fn stats_count_logins_and_refreshes_until_reset() {
    let emu = demo().await;
    let (_, cookie) = emu.login("demo@example.com", DEMO_PASSWORD).await;
    emu.refresh(&cookie).await;
    emu.refresh("not-a-token").await;
    assert_eq!(
        emu.get_json("/emulator/v1/stats").await,
        json!({ "logins": 1, "refreshes": 2, "passwordHashes": 0 })
    );
    emu.post_json("/emulator/v1/reset", &json!({})).await;
    assert_eq!(
        emu.get_json("/emulator/v1/stats").await,
        json!({ "logins": 0, "refreshes": 0, "passwordHashes": 0 })
    );
}
