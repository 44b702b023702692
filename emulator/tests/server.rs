//! Health, CORS, developer endpoints, persistence, static files and fallbacks.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn health_is_ok_with_a_trace_id() {
    let emu = demo().await;
    let response = emu
        .http
        .get(emu.url("/emulator/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let trace = response.headers()["frontegg-trace-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(trace.len(), 32);
    assert!(trace.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_error_shape() {
    let emu = demo().await;
    let missing = emu
        .http
        .get(emu.url("/identity/resources/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_error(missing, StatusCode::NOT_FOUND).await["errorCode"],
        "ER-00404"
    );
    let wrong_method = emu.http.get(emu.url(LOGIN)).send().await.unwrap();
    expect_error(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;
    let wrong_method = emu
        .http
        .delete(emu.url("/emulator/v1/users"))
        .send()
        .await
        .unwrap();
    expect_error(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn cors_allows_local_dev_origins_with_credentials_only() {
    let emu = demo().await;
    let preflight = |origin: &'static str| {
        emu.http
            .request(Method::OPTIONS, emu.url(LOGIN))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,frontegg-source,x-frontegg-sdk",
            )
            .send()
    };
    let ok = preflight("http://localhost:5173").await.unwrap();
    assert!(ok.status().is_success());
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(h["access-control-allow-credentials"], "true");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    for m in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        assert!(methods.contains(m), "{methods}");
    }
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("frontegg-source") && allowed.contains("x-frontegg-sdk"),
        "{allowed}"
    );
    let vary: Vec<_> = h
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect();
    assert!(vary.iter().any(|v| v.contains("origin")), "{vary:?}");
    assert!(h.contains_key("frontegg-trace-id"));

    let evil = preflight("http://evil.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    assert_eq!(
        expect_error(evil, StatusCode::FORBIDDEN).await["errorCode"],
        "ER-01007"
    );
    let evil_get = emu
        .http
        .get(emu.url("/emulator/v1/health"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(evil_get
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let actual = emu
        .http
        .post(emu.url(LOGIN))
        .header("origin", "http://127.0.0.1:3000")
        .json(&json!({ "email": "demo@example.com", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(actual.status(), StatusCode::OK);
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "http://127.0.0.1:3000"
    );
    assert_eq!(actual.headers()["access-control-allow-credentials"], "true");
    let exposed = actual.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("frontegg-trace-id"), "{exposed}");
}

#[tokio::test]
async fn created_users_can_log_in_and_duplicates_conflict() {
    let emu = start_none().await;
    let created = emu
        .post_json(
            "/emulator/v1/users",
            &json!({
                "email": "New.Person@example.com",
                "password": "Sup3r-secret!",
                "name": "New Person",
                "tenantId": "tenant-x",
                "roles": ["Viewer"],
                "permissions": ["fe.secure.read.*"]
            }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let user: Value = created.json().await.unwrap();
    assert!(user["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(user["email"], "New.Person@example.com");
    assert_eq!(user["name"], "New Person");
    assert_eq!(user["tenantId"], "tenant-x");
    assert_eq!(user["tenantIds"], json!(["tenant-x"]));
    assert_eq!(user["roles"], json!(["Viewer"]));
    assert_eq!(user["permissions"], json!(["fe.secure.read.*"]));

    let (login, _) = emu.login("new.person@example.com", "Sup3r-secret!").await;
    assert_eq!(login["userId"], user["id"]);

    let dup = emu
        .post_json(
            "/emulator/v1/users",
            &json!({ "email": "NEW.PERSON@example.com" }),
        )
        .await;
    assert_eq!(
        expect_error(dup, StatusCode::CONFLICT).await["errorCode"],
        "ER-01006"
    );

    // Without tenantId the user gets a tenant of their own; a TOTP secret means MFA at login.
    let mfa = emu
        .post_json("/emulator/v1/users", &json!({ "email": "otp@example.com", "password": "pw-pw-pw", "totpSecret": "jbsw y3dp ehpk 3pxp" }))
        .await;
    assert_eq!(mfa.status(), StatusCode::CREATED);
    let mfa: Value = mfa.json().await.unwrap();
    assert_eq!(mfa["name"], "otp");
    assert_eq!(mfa["tenantIds"], json!([mfa["tenantId"]]));
    let challenge: Value = emu
        .post_json(
            LOGIN,
            &json!({ "email": "otp@example.com", "password": "pw-pw-pw" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(challenge["mfaRequired"], true);

    // A user created without a password cannot log in with one.
    let no_pw = emu
        .post_json(
            "/emulator/v1/users",
            &json!({ "email": "nopw@example.com" }),
        )
        .await;
    assert_eq!(no_pw.status(), StatusCode::CREATED);
    let login = emu
        .post_json(
            LOGIN,
            &json!({ "email": "nopw@example.com", "password": "anything" }),
        )
        .await;
    expect_error(login, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn seed_none_has_no_demo_users() {
    let emu = start_none().await;
    let response = emu
        .post_json(
            LOGIN,
            &json!({ "email": "demo@example.com", "password": DEMO_PASSWORD }),
        )
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn data_and_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested").join("emulator.db");
    let db = db.to_str().unwrap();
    // A fixed issuer (via --config), so tokens from before the restart, when the port was
    // different, are still acceptable after it.
    let config = dir.path().join("emulator.toml");
    std::fs::write(
        &config,
        "issuer = \"http://emulator.test\"\naccessTokenTtlSeconds = 120\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let emu = start(&["--data", db, "--config", config]).await;
    let created = emu
        .post_json(
            "/emulator/v1/users",
            &json!({ "email": "keep@example.com", "password": "keep-me-1" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let (login, cookie) = emu.login("keep@example.com", "keep-me-1").await;
    assert_eq!(login["expiresIn"], 120);
    emu.stop().await;

    let emu = start(&["--data", db, "--config", config]).await;
    emu.login("keep@example.com", "keep-me-1").await;
    // The seed ran once, on the empty database; the demo user is still there, not duplicated.
    emu.login("demo@example.com", DEMO_PASSWORD).await;
    // Same signing key and sessions: the old access token and refresh cookie still work.
    let me = emu.me(ME, login["accessToken"].as_str().unwrap()).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(emu.refresh(&cookie).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn serve_dir_serves_static_files_behind_the_api() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>demo page</h1>").unwrap();
    std::fs::write(dir.path().join("app.js"), "console.log(1)").unwrap();
    let emu = start(&["--memory", "--serve", dir.path().to_str().unwrap()]).await;
    let index = emu.http.get(emu.url("/")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.text().await.unwrap(), "<h1>demo page</h1>");
    let js = emu.http.get(emu.url("/app.js")).send().await.unwrap();
    assert_eq!(js.text().await.unwrap(), "console.log(1)");
    let health = emu
        .http
        .get(emu.url("/emulator/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
