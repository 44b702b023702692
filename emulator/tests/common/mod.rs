//! Runs the real emulator binary for black-box tests.

#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::process::Stdio;
use std::time::Duration;

use reqwest::header::SET_COOKIE;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The default client id's refresh cookie.
pub const COOKIE: &str = "fe_refresh_b9a1f0b60c7e4c559d8e2f6f5b0c1e11";
pub const CLIENT_ID: &str = "b9a1f0b6-0c7e-4c55-9d8e-2f6f5b0c1e11";
pub const LOGIN: &str = "/identity/resources/auth/v1/user";
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
pub const LOGOUT: &str = "/identity/resources/auth/v1/logout";
pub const ME: &str = "/identity/resources/users/v2/me";
pub const DEMO_PASSWORD: &str = "Demo-pass-123!";

/// A running emulator process, killed when dropped.
pub struct Emulator {
    child: Child,
    // Kept open so the emulator never writes to a closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
    pub base: String,
    pub http: reqwest::Client,
}

impl Emulator {
    /// `--port 0 --memory --seed demo`.
    pub async fn demo() -> Self {
        Self::start(&["--memory", "--seed", "demo"]).await
    }

    /// `--port 0 --memory --seed none`.
    pub async fn start_none() -> Self {
        Self::start(&["--memory", "--seed", "none"]).await
    }

    /// Starts the binary with `--port 0` plus `args` and waits for its first stdout line.
    pub async fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_frontegg-emulator"))
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

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

    pub async fn refresh(&self, cookie: &str) -> Response {
        self.post_with_cookie(REFRESH, Some(cookie), &json!({}))
            .await
    }

    pub async fn me(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
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

/// Asserts the API error shape and returns the body.
pub async fn expect_error(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert!(response.headers().contains_key("frontegg-trace-id"));
    let body: Value = response.json().await.expect("error body is JSON");
    let errors = body["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(errors[0].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(
        body["errorCode"]
            .as_str()
            .is_some_and(|c| c.starts_with("ER-")),
        "{body}"
    );
    body
}
