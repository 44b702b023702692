//! Starts the emulator binary for a test and stops it when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running `frontegg-emulator --port 0 --memory --seed demo`.
pub struct Emulator {
    child: Child,
    /// e.g. `http://127.0.0.1:41234`
    pub url: String,
}

impl Emulator {
    pub fn start() -> Self {
        let bin = std::env::var_os("FRONTEGG_EMULATOR_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/debug/frontegg-emulator")
            });
        assert!(
            bin.exists(),
            "{} is missing: run `cargo build -p frontegg-emulator` (make test does) or set FRONTEGG_EMULATOR_BIN",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--memory", "--seed", "demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the emulator: {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emulator's developer endpoints, for arranging a test and reading what was "sent".
// Each test binary compiles this module; not every one of them arranges things this way.
#[allow(dead_code)]
pub mod dev {
    use serde_json::Value;

    async fn json(response: reqwest::Response) -> Value {
        assert!(
            response.status().is_success(),
            "developer endpoint: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    /// The last message sent to `to`.
    pub async fn last_message(base: &str, to: &str) -> Value {
        let url = format!("{base}/emulator/v1/outbox?to={}", to.replace('+', "%2B"));
        let messages = json(reqwest::get(url).await.expect("outbox")).await;
        messages
            .as_array()
            .and_then(|m| m.last().cloned())
            .unwrap_or_else(|| panic!("nothing sent to {to}"))
    }

    /// Merges `patch` into the emulator's config.
    pub async fn config(base: &str, patch: Value) {
        let client = reqwest::Client::new();
        json(
            client
                .put(format!("{base}/emulator/v1/config"))
                .json(&patch)
                .send()
                .await
                .expect("config"),
        )
        .await;
    }

    /// Creates a user (password `Demo-pass-123!` unless given).
    pub async fn create_user(base: &str, mut user: Value) {
        if user.get("password").is_none() {
            user["password"] = "Demo-pass-123!".into();
        }
        let client = reqwest::Client::new();
        json(
            client
                .post(format!("{base}/emulator/v1/users"))
                .json(&user)
                .send()
                .await
                .expect("create user"),
        )
        .await;
    }

    /// Moves the emulator's clock forward (a new TOTP window, say).
    pub async fn advance(base: &str, seconds: u64) {
        let client = reqwest::Client::new();
        json(
            client
                .post(format!("{base}/emulator/v1/clock"))
                .json(&serde_json::json!({ "advanceSeconds": seconds }))
                .send()
                .await
                .expect("clock"),
        )
        .await;
    }

    /// The emulator's clock, Unix seconds.
    pub async fn now(base: &str) -> u64 {
        let clock = json(
            reqwest::get(format!("{base}/emulator/v1/clock"))
                .await
                .expect("clock"),
        )
        .await;
        clock["now"].as_u64().expect("now")
    }
}
