//! Runs this package's binary for black-box tests, through the workspace harness
//! (`frontegg-test-support`, shared with the SDK's tests); what only these tests need is here.

#![allow(dead_code)] // each test binary uses a different subset of these helpers

use reqwest::{Response, StatusCode};
use serde_json::Value;

pub use frontegg_test_support::*;

/// This package's binary, as cargo built it for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_frontegg-emulator");
pub const CLIENT_ID: &str = "b9a1f0b6-0c7e-4c55-9d8e-2f6f5b0c1e11";
pub const LOGOUT: &str = "/identity/resources/auth/v1/logout";
pub const ME: &str = "/identity/resources/users/v2/me";

/// `--port 0 --memory --seed demo`.
pub async fn demo() -> Emulator {
    Emulator::start_bin(BIN, DEMO_ARGS).await
}

/// `--port 0 --memory --seed none`.
pub async fn start_none() -> Emulator {
    Emulator::start_bin(BIN, EMPTY_ARGS).await
}

/// `--port 0` plus `args`.
pub async fn start(args: &[&str]) -> Emulator {
    Emulator::start_bin(BIN, args).await
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

/// The single number a SQL query answers (a `COUNT(*)`), from a database file read back.
pub fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |row| row.get(0)).unwrap()
}
