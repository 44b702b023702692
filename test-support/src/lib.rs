//! The workspace's one test harness: starts the `frontegg-emulator` binary on a free port, stops
//! it when dropped, and wraps its developer endpoints (outbox, config, clock, users), RFC 6238
//! codes and the enrollment QR code. The SDK's tests (`tests/native_*.rs`) and the emulator's
//! (`emulator/tests/`) both use it; helpers only one side needs stay in that side's
//! `tests/common/mod.rs`. docs/testing.md says which test goes where.
//!
//! ```no_run
//! # async fn example() {
//! use frontegg_test_support::{totp_at, Emulator, DEMO_ARGS};
//! let emu = Emulator::start(DEMO_ARGS).await; // --port 0 --memory --seed demo
//! emu.config(serde_json::json!({ "mfa": { "enforce": "Force" } })).await;
//! let code = totp_at("JBSWY3DPEHPK3PXP", emu.now().await);
//! # }
//! ```

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::SET_COOKIE;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// In memory, with the demo seed (`demo@example.com`, `mfa@example.com`, …).
pub const DEMO_ARGS: &[&str] = &["--memory", "--seed", "demo"];
/// In memory, with no users at all.
pub const EMPTY_ARGS: &[&str] = &["--memory", "--seed", "none"];
/// The password of the demo seed's users, and of users `create_user` makes without one.
pub const DEMO_PASSWORD: &str = "Demo-pass-123!";
/// The default client id's refresh cookie.
pub const COOKIE: &str = "fe_refresh_b9a1f0b60c7e4c559d8e2f6f5b0c1e11";
pub const LOGIN: &str = "/identity/resources/auth/v1/user";
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";

/// The workspace's debug build of the emulator (`cargo build -p frontegg-emulator`), or the
/// binary `FRONTEGG_EMULATOR_BIN` names. The emulator's own tests pass
/// `env!("CARGO_BIN_EXE_frontegg-emulator")` to [`Emulator::start_bin`] instead.
pub fn workspace_bin() -> PathBuf {
    let bin = std::env::var_os("FRONTEGG_EMULATOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("the workspace root")
                .join("target/debug/frontegg-emulator")
        });
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p frontegg-emulator` (make test does) or set FRONTEGG_EMULATOR_BIN",
        bin.display()
    );
    bin
}

/// A running emulator process, killed when dropped.
pub struct Emulator {
    child: Child,
    // Kept open so the emulator never writes to a closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
    /// e.g. `http://127.0.0.1:41234`
    pub base: String,
    pub http: reqwest::Client,
}

impl Emulator {
    /// [`workspace_bin`] with `--port 0` plus `args` (e.g. [`DEMO_ARGS`]).
    pub async fn start(args: &[&str]) -> Self {
        Self::start_bin(workspace_bin(), args).await
    }

    /// Starts `bin --port 0 args…` and waits for its first stdout line, `listening on <url>`.
    pub async fn start_bin(bin: impl AsRef<OsStr>, args: &[&str]) -> Self {
        let mut child = Command::new(bin)
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn emulator");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("emulator started in time")
            .expect("read stdout")
            .expect("emulator printed a line");
        let base = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Self {
            child,
            _stdout: lines,
            base,
            http: reqwest::Client::new(),
        }
    }

    /// Kills the process and waits until it is gone (so a restart can reuse its database).
    pub async fn stop(mut self) {
        self.child.kill().await.expect("kill emulator");
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    // ----- plain HTTP -----

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// POST with a raw body and a JSON content type.
    pub async fn post_raw(&self, path: &str, body: &str) -> Response {
        self.http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }

    /// POST with the refresh cookie set to `cookie` (if any) and a JSON body.
    pub async fn post_with_cookie(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("other=1; {COOKIE}={cookie}"));
        }
        request.send().await.expect("request")
    }

    /// GET that must answer 200; returns the JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.expect("json")
    }

    /// GET with a bearer token.
    pub async fn me(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// POSTs the refresh cookie to the refresh route.
    pub async fn refresh(&self, cookie: &str) -> Response {
        self.post_with_cookie(REFRESH, Some(cookie), &json!({}))
            .await
    }

    /// Logs in with a password and returns (body, refresh cookie value), asserting success.
    pub async fn login(&self, email: &str, password: &str) -> (Value, String) {
        let response = self
            .post_json(LOGIN, &json!({ "email": email, "password": password }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = refresh_cookie(&response).expect("refresh cookie set");
        (response.json().await.expect("json body"), cookie)
    }

    // ----- developer endpoints (/emulator/v1/…) -----

    /// Merges `patch` into the config in force (`PUT /emulator/v1/config`), asserting 200.
    pub async fn config(&self, patch: Value) {
        let response = self
            .http
            .put(self.url("/emulator/v1/config"))
            .json(&patch)
            .send()
            .await
            .expect("config");
        assert_eq!(response.status(), StatusCode::OK, "config {patch}");
    }

    /// Moves the emulator's clock forward (expiry, a new TOTP window), asserting 200.
    pub async fn advance(&self, seconds: i64) {
        let response = self
            .post_json("/emulator/v1/clock", &json!({ "advanceSeconds": seconds }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// The emulator's clock, Unix seconds.
    pub async fn now(&self) -> i64 {
        self.get_json("/emulator/v1/clock").await["now"]
            .as_i64()
            .expect("now")
    }

    /// Creates a user (`POST /emulator/v1/users`, password [`DEMO_PASSWORD`] unless `user` has
    /// one), asserting 201; returns the created user.
    pub async fn create_user(&self, mut user: Value) -> Value {
        if user.get("password").is_none() {
            user["password"] = DEMO_PASSWORD.into();
        }
        let response = self.post_json("/emulator/v1/users", &user).await;
        assert_eq!(response.status(), StatusCode::CREATED, "create user {user}");
        response.json().await.expect("json")
    }

    /// Every message "sent" to `to` (an email address or phone number), oldest first.
    pub async fn outbox(&self, to: &str) -> Vec<Value> {
        let response = self
            .http
            .get(self.url("/emulator/v1/outbox"))
            .query(&[("to", to)])
            .send()
            .await
            .expect("outbox");
        assert_eq!(response.status(), StatusCode::OK, "outbox");
        response.json().await.expect("outbox is a list")
    }

    /// The newest message sent to `to`, of any kind.
    pub async fn last_message(&self, to: &str) -> Value {
        self.outbox(to)
            .await
            .pop()
            .unwrap_or_else(|| panic!("nothing sent to {to}"))
    }

    /// The newest message of `kind` (`activation`, `mfa_sms_code`, …) sent to `to`.
    pub async fn last_message_of(&self, to: &str, kind: &str) -> Value {
        let messages = self.outbox(to).await;
        messages
            .iter()
            .rev()
            .find(|m| m["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} message to {to}: {messages:?}"))
    }

    /// The 6-digit code of the newest message of `kind` sent to `to`.
    pub async fn outbox_code(&self, to: &str, kind: &str) -> String {
        let message = self.last_message_of(to, kind).await;
        let code = message["code"].as_str().expect("code").to_owned();
        assert!(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "{code}"
        );
        code
    }
}

/// The full `Set-Cookie` header for the refresh cookie, if the response set one.
pub fn refresh_set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{COOKIE}=")))
        .map(str::to_owned)
}

/// The refresh cookie's value, if the response set a non-empty one.
pub fn refresh_cookie(response: &Response) -> Option<String> {
    let header = refresh_set_cookie(response)?;
    let value = header.split(';').next()?.split_once('=')?.1.to_owned();
    (!value.is_empty()).then_some(value)
}

/// The 6-digit RFC 6238 code of a base32 secret at a Unix time (SHA-1, 30 s steps: what
/// authenticator apps use). Pass [`Emulator::now`], not the wall clock.
pub fn totp_at(secret: &str, time: i64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).expect("base32 secret"))
        .build_noncompliant()
        .generate(u64::try_from(time).expect("time after 1970"))
        .to_string()
}

/// The secret inside a `data:image/png;base64,...` QR code of an `otpauth://totp/` URI, as an
/// authenticator app would scan it.
pub fn secret_from_qr(qr_code: &str) -> String {
    let data = qr_code
        .strip_prefix("data:image/png;base64,")
        .unwrap_or_else(|| panic!("not a PNG data URL: {qr_code:.40}"));
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    let image = image::load_from_memory(&png).expect("png").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, uri) = grids[0].decode().expect("a QR code");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let query = uri.split_once('?').expect("otpauth query").1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("secret="))
        .expect("secret")
        .to_owned()
}
