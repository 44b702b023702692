//! Emailed links point into the configured `appUrl` (default: the emulator itself), never at
//! whatever the request's `Origin` says. Over HTTP against the binary.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const MAGIC_LINK: &str = "/identity/resources/auth/v1/passwordless/magiclink/prelogin";
const FORGOT: &str = "/identity/resources/users/v1/passwords/reset";
const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
/// An origin the default config allows, so only the link rule can keep it out of links.
const PAGE: &str = "http://localhost:5173";

/// Sends the three emailed links from `PAGE` (magic link, reset, activation); answers their
/// `link`s.
async fn links_sent_from_a_page(emu: &Emulator, new_email: &str) -> Vec<String> {
    let send = |path: &'static str, body: Value| async move {
        let response = emu
            .http
            .post(emu.url(path))
            .header("origin", PAGE)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
    };
    send(MAGIC_LINK, json!({ "email": "demo@example.com" })).await;
    send(FORGOT, json!({ "email": "demo@example.com" })).await;
    send(SIGN_UP, json!({ "email": new_email, "companyName": "Co" })).await;
    let mut links = Vec::new();
    for (to, kind) in [
        ("demo@example.com", "magic_link"),
        ("demo@example.com", "password_reset"),
        (new_email, "activation"),
    ] {
        let message = emu.last_message_of(to, kind).await;
        links.push(message["link"].as_str().unwrap().to_owned());
    }
    links
}

#[tokio::test]
async fn emailed_links_point_at_the_configured_app_never_the_callers_origin() {
    let emu = demo().await;
    let paths = [
        "/account/login/magic-link?token=",
        "/account/reset-password?userId=",
        "/account/activate?userId=",
    ];
    let links = links_sent_from_a_page(&emu, "a@example.com").await;
    for (link, path) in links.iter().zip(paths) {
        assert!(link.starts_with(&format!("{}{path}", emu.base)), "{link}");
    }

    emu.config(json!({ "appUrl": "https://app.example.test/base/" }))
        .await;
    let links = links_sent_from_a_page(&emu, "b@example.com").await;
    for (link, path) in links.iter().zip(paths) {
        let expected = format!("https://app.example.test/base{path}");
        assert!(link.starts_with(&expected), "{link}");
    }
}

#[tokio::test]
async fn app_url_must_be_an_absolute_http_url() {
    let emu = demo().await;
    for bad in ["evil.example", "javascript:alert(1)", "http://x.test/?a=b"] {
        let response = emu
            .http
            .put(emu.url("/emulator/v1/config"))
            .json(&json!({ "appUrl": bad }))
            .send()
            .await
            .unwrap();
        let body = expect_error(response, StatusCode::BAD_REQUEST).await;
        assert!(
            body["errors"][0].as_str().unwrap().contains("appUrl"),
            "{body}"
        );
    }
    assert_eq!(
        emu.get_json("/emulator/v1/config").await["appUrl"],
        Value::Null
    );
}
