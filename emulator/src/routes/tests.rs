//! In-process tests of the rules every request passes ([`super::guard`], panic recovery, bounds),
//! driving the real router with `oneshot` instead of starting the binary; and the harness that
//! the route modules' own `oneshot` tests share.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt as _;

use super::{router, with_layers};
use crate::clock::{Clock, MAX_ADVANCE_SECONDS};
use crate::config::Access;
use crate::config::{SeedMode, Settings, Storage, MAX_TTL_SECONDS};
use crate::error::codes;
use crate::keys::SigningKey;
use crate::state::AppState;
use crate::store::Store;

/// How the tests address the emulator, as a browser or script on this machine would.
const HOST_PORT: &str = "127.0.0.1:8787";
const OWN_ORIGIN: &str = "http://127.0.0.1:8787";
const EVIL_ORIGIN: &str = "http://evil.example";
/// In the default `allowedOrigins`: a local dev server calling the identity API.
pub(crate) const DEV_SERVER_ORIGIN: &str = "http://localhost:5173";
pub(crate) const LOGIN: &str = "/identity/resources/auth/v1/user";

/// The state of a demo-seeded emulator, with `access` as the command line would give it.
pub(crate) async fn state(access: Access) -> Arc<AppState> {
    // One RSA key for all tests: generating one per test is slow.
    static PEM: OnceLock<String> = OnceLock::new();
    let pem = PEM.get_or_init(|| SigningKey::generate().expect("key").1);
    let clock = Clock::new();
    let store = Store::open(&Storage::Memory).expect("store");
    crate::seed::apply(&store, SeedMode::Demo, clock.now())
        .await
        .expect("seed");
    Arc::new(AppState::new(
        store,
        SigningKey::from_pkcs8_pem(pem).expect("key"),
        clock,
        Settings::default(),
        SeedMode::Demo,
        access,
        format!("http://{HOST_PORT}"),
    ))
}

/// The whole router over [`state`].
pub(crate) async fn app(access: Access) -> Router {
    router(state(access).await, None)
}

/// A request from a script on this machine: right `Host`, no `Origin`, and `content_type` if any.
pub(crate) fn request(
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, HOST_PORT)
        .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
    if let Some(content_type) = content_type {
        builder = builder.header(CONTENT_TYPE, content_type);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

/// `request` as a browser page at `origin` sends it.
pub(crate) fn from_origin(origin: &str, mut request: Request<Body>) -> Request<Body> {
    request
        .headers_mut()
        .insert(ORIGIN, origin.parse().expect("origin"));
    request
}

/// A JSON `POST` from a script on this machine.
pub(crate) fn json_post(path: &str, body: &Value) -> Request<Body> {
    request("POST", path, Some("application/json"), &body.to_string())
}

/// Sends `request` and returns the status and JSON body (`null` if none).
pub(crate) async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = send_for_headers(app, request).await;
    (status, body)
}

/// [`send`], with the response headers too.
pub(crate) async fn send_for_headers(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Sends `request`, asserts an error in the API's shape with `status` and `code`.
pub(crate) async fn expect_error(
    app: &Router,
    request: Request<Body>,
    status: StatusCode,
    code: &str,
) {
    let (actual, body) = send(app, request).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors.len() == 1 && errors[0].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

/// The demo user's password login.
pub(crate) fn login_body() -> Value {
    json!({ "email": "demo@example.com", "password": crate::seed::DEMO_PASSWORD })
}

#[tokio::test]
async fn writes_need_a_json_content_type() {
    let app = app(Access::default()).await;
    let user = json!({ "email": "planted@example.com", "roles": ["Admin"] }).to_string();
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("not a type"),
    ] {
        expect_error(
            &app,
            request("POST", "/emulator/v1/users", content_type, &user),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ER-01011",
        )
        .await;
    }
    // From a page, even the emulator's own, text/plain is refused: it needs no preflight.
    let plain = request("POST", "/emulator/v1/users", Some("text/plain"), &user);
    expect_error(
        &app,
        from_origin(OWN_ORIGIN, plain),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "ER-01011",
    )
    .await;
    // The identity API takes JSON only, as the official client sends it.
    for content_type in [None, Some("text/plain")] {
        let plain = request("POST", LOGIN, content_type, &login_body().to_string());
        expect_error(&app, plain, StatusCode::UNSUPPORTED_MEDIA_TYPE, "ER-01011").await;
    }

    // What passes: JSON (with parameters or a +json suffix), and writes without a body.
    let (status, _) = send(&app, json_post(LOGIN, &login_body())).await;
    assert_eq!(status, StatusCode::OK);
    let json_utf8 = request(
        "POST",
        LOGIN,
        Some("application/json; charset=utf-8"),
        &login_body().to_string(),
    );
    assert_eq!(send(&app, json_utf8).await.0, StatusCode::OK);
    let suffixed = request(
        "POST",
        "/emulator/v1/clock",
        Some("application/merge-patch+json"),
        r#"{"advanceSeconds":1}"#,
    );
    assert_eq!(send(&app, suffixed).await.0, StatusCode::OK);
    // A script is held to JSON too: what Node's `fetch` labels a string body is refused.
    for content_type in [Some("text/plain;charset=UTF-8"), None] {
        let script = request(
            "POST",
            "/emulator/v1/clock",
            content_type,
            r#"{"advanceSeconds":1}"#,
        );
        expect_error(&app, script, StatusCode::UNSUPPORTED_MEDIA_TYPE, "ER-01011").await;
    }
    let (status, _) = send(&app, request("POST", "/emulator/v1/reset", None, "")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn foreign_origins_cannot_write_read_or_preflight() {
    let app = app(Access::default()).await;
    // The issue's attack: a simple cross-origin POST wiping the store or planting a user.
    let wipe = request("POST", "/emulator/v1/reset", Some("text/plain"), "");
    expect_error(
        &app,
        from_origin(EVIL_ORIGIN, wipe),
        StatusCode::FORBIDDEN,
        "ER-01007",
    )
    .await;
    let plant = request(
        "POST",
        "/emulator/v1/users",
        Some("text/plain"),
        r#"{"email":"planted@example.com","roles":["Admin"]}"#,
    );
    expect_error(
        &app,
        from_origin(EVIL_ORIGIN, plant),
        StatusCode::FORBIDDEN,
        "ER-01007",
    )
    .await;
    for path in [
        "/emulator/v1/outbox",
        "/.well-known/jwks.json",
        "/emulator/v1/health",
    ] {
        let read = from_origin(EVIL_ORIGIN, request("GET", path, None, ""));
        expect_error(&app, read, StatusCode::FORBIDDEN, "ER-01007").await;
    }
    for origin in [EVIL_ORIGIN, "null", "http://127.0.0.1:8787.evil.example"] {
        let login = from_origin(origin, json_post(LOGIN, &login_body()));
        expect_error(&app, login, StatusCode::FORBIDDEN, "ER-01007").await;
        let preflight = Request::builder()
            .method("OPTIONS")
            .uri("/emulator/v1/users")
            .header(HOST, HOST_PORT)
            .header(ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .expect("request");
        expect_error(&app, preflight, StatusCode::FORBIDDEN, "ER-01007").await;
    }
    // Nothing was wiped: the demo user still signs in.
    assert_eq!(
        send(&app, json_post(LOGIN, &login_body())).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn developer_endpoints_take_only_the_emulators_own_and_configured_origins() {
    let configured = "http://localhost:3000";
    let app = app(Access {
        origins: vec![configured.to_owned()],
        hosts: Vec::new(),
    })
    .await;
    let clock = || json_post("/emulator/v1/clock", &json!({ "advanceSeconds": 1 }));
    // A dev server in the default allowedOrigins may use the identity API, with CORS…
    let response = app
        .clone()
        .oneshot(from_origin(
            DEV_SERVER_ORIGIN,
            json_post(LOGIN, &login_body()),
        ))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        DEV_SERVER_ORIGIN
    );
    // …but not the developer endpoints.
    expect_error(
        &app,
        from_origin(DEV_SERVER_ORIGIN, clock()),
        StatusCode::FORBIDDEN,
        "ER-01007",
    )
    .await;
    // The emulator's own pages (same origin as the Host they address) and --allow-origin may.
    for origin in [OWN_ORIGIN, configured] {
        let (status, body) = send(&app, from_origin(origin, clock())).await;
        assert_eq!(status, StatusCode::OK, "{origin}: {body}");
    }
    let outbox = from_origin(configured, request("GET", "/emulator/v1/outbox", None, ""));
    assert_eq!(send(&app, outbox).await.0, StatusCode::OK);
}

#[tokio::test]
async fn foreign_hosts_are_refused() {
    let app = app(Access {
        origins: Vec::new(),
        hosts: vec!["emulator.test".to_owned()],
    })
    .await;
    let with_host = |host: Option<&str>| {
        let mut request = request("GET", "/emulator/v1/outbox", None, "");
        request.headers_mut().remove(HOST);
        if let Some(host) = host {
            request
                .headers_mut()
                .insert(HOST, host.parse().expect("host"));
        }
        request
    };
    // A DNS-rebinding page addresses the emulator by its own name.
    for host in [
        Some("rebind.evil.example:8787"),
        Some("localhost.evil.example"),
        None,
    ] {
        expect_error(
            &app,
            with_host(host),
            StatusCode::MISDIRECTED_REQUEST,
            "ER-01010",
        )
        .await;
    }
    for host in [
        "localhost:8787",
        "127.0.0.1:8787",
        "[::1]:8787",
        "emulator.test:8787",
    ] {
        let (status, body) = send(&app, with_host(Some(host))).await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }
}

#[tokio::test]
async fn the_clock_moves_by_bounded_whole_seconds() {
    let app = app(Access::default()).await;
    for bad in [
        r#"{"advanceSeconds": 3e11}"#,
        r#"{"advanceSeconds": 300000000000}"#,
        r#"{"advanceSeconds": 9223372036854775807}"#,
        r#"{"advanceSeconds": 1.5}"#,
        r#"{"advanceSeconds": -1}"#,
    ] {
        let advance = request("POST", "/emulator/v1/clock", Some("application/json"), bad);
        expect_error(&app, advance, StatusCode::BAD_REQUEST, "ER-01000").await;
    }
    let max = json_post(
        "/emulator/v1/clock",
        &json!({ "advanceSeconds": MAX_ADVANCE_SECONDS }),
    );
    let (status, body) = send(&app, max).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["offsetSeconds"], MAX_ADVANCE_SECONDS);
    // The server still answers, with a date it can format.
    let (status, body) = send(&app, request("GET", "/emulator/v1/clock", None, "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["nowIso"]
        .as_str()
        .is_some_and(|iso| iso.ends_with('Z')));
}

#[tokio::test]
async fn config_lifetimes_are_bounded() {
    let app = app(Access::default()).await;
    let put = |patch: Value| {
        request(
            "PUT",
            "/emulator/v1/config",
            Some("application/json"),
            &patch.to_string(),
        )
    };
    for patch in [
        json!({ "accessTokenTtlSeconds": 0 }),
        json!({ "accessTokenTtlSeconds": MAX_TTL_SECONDS + 1 }),
        json!({ "accessTokenTtlSeconds": 1e300 }),
        json!({ "refreshTokenTtlSeconds": i64::MAX }),
        json!({ "mfa": { "rememberDeviceSeconds": -1 } }),
    ] {
        expect_error(&app, put(patch), StatusCode::BAD_REQUEST, "ER-01000").await;
    }
    let (status, body) = send(
        &app,
        put(json!({ "refreshTokenTtlSeconds": MAX_TTL_SECONDS })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["refreshTokenTtlSeconds"], MAX_TTL_SECONDS);
    assert_eq!(
        body["accessTokenTtlSeconds"], 300,
        "refused patches changed nothing"
    );
}

/// A handler that fails the way a bug would.
async fn boom() -> &'static str {
    panic!("deliberate test panic")
}

#[tokio::test]
async fn a_panic_is_a_500_in_the_error_shape_and_the_server_lives_on() {
    // The real layers around a route that exists only in this test.
    let app = with_layers(
        Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" })),
        state(Access::default()).await,
    );
    let response = app
        .clone()
        .oneshot(from_origin(
            DEV_SERVER_ORIGIN,
            request("GET", "/boom", None, ""),
        ))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().contains_key(super::TRACE_ID_HEADER));
    // A page can read the error, as it can any other.
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        DEV_SERVER_ORIGIN
    );
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        body,
        json!({ "errors": ["Internal server error"], "errorCode": "ER-00500" })
    );
    let (status, _) = send(&app, request("GET", "/fine", None, "")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the same service answers after the panic"
    );
}

/// A request with `Authorization: Bearer {token}`.
pub(crate) fn with_bearer(token: &str, mut request: Request<Body>) -> Request<Body> {
    request.headers_mut().insert(
        axum::http::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

#[tokio::test]
async fn bearer_routes_refuse_bad_tokens_with_the_api_401_before_reading_the_body() {
    let app = app(Access::default()).await;
    let (status, login) = send(&app, json_post(LOGIN, &login_body())).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["accessToken"].as_str().expect("accessToken");
    let me = || request("GET", "/identity/resources/users/v2/me", None, "");
    // A malformed body is not even read without a valid token.
    let update = || {
        request(
            "PUT",
            "/identity/resources/users/v2/me",
            Some("application/json"),
            "{ not json",
        )
    };
    for bad in [
        me(),
        with_bearer("forged.token.here", me()),
        with_bearer(&format!("{token}x"), me()),
        update(),
        request("GET", "/identity/resources/users/v1/mfa/devices", None, ""),
        request(
            "GET",
            "/identity/resources/users/webauthn/v1/devices",
            None,
            "",
        ),
        request("GET", "/entitlements/api/v2/user-entitlements", None, ""),
    ] {
        expect_error(&app, bad, StatusCode::UNAUTHORIZED, "ER-01004").await;
    }
    let (status, body) = send(&app, with_bearer(token, me())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "demo@example.com");
    expect_error(
        &app,
        with_bearer(token, update()),
        StatusCode::BAD_REQUEST,
        "ER-01000",
    )
    .await;
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_an_api_error() {
    let app = app(Access::default()).await;
    let (_, signed_in) = send(&app, json_post(LOGIN, &login_body())).await;
    let token = signed_in["accessToken"].as_str().expect("token");
    for (method, path) in [
        ("POST", "/identity/resources/auth/v1/user/mfa/sms/%FF"),
        (
            "DELETE",
            "/identity/resources/users/webauthn/v1/devices/%FF",
        ),
        ("DELETE", "/identity/resources/users/sessions/v1/me/%FF"),
    ] {
        let sent = with_bearer(token, request(method, path, Some("application/json"), "{}"));
        let (status, body) = send(&app, sent).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(body["errors"][0].as_str().is_some(), "{path}: {body}");
        assert_eq!(body["errorCode"], codes::INVALID_REQUEST, "{path}: {body}");
    }
}
