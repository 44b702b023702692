//! The developer API is safe on a developer's machine: the attacks measured in issue 15 against
//! the real binary, and the `--allow-origin` / `--allow-host` flags that widen what it serves.
//! The rules themselves are tested in-process in `src/routes/tests.rs`.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn pages_cannot_wipe_plant_rebind_or_crash_the_emulator() {
    let emu = demo().await;
    let from_evil = |path: &str, body: &str| {
        emu.http
            .post(emu.url(path))
            .header("origin", "http://evil.example")
            .header("content-type", "text/plain")
            .body(body.to_owned())
            .send()
    };
    let wipe = from_evil("/emulator/v1/reset", "").await.unwrap();
    expect_error(wipe, StatusCode::FORBIDDEN).await;
    let plant = from_evil(
        "/emulator/v1/users",
        r#"{"email":"planted@example.com","password":"Planted-1!","roles":["Admin"]}"#,
    )
    .await
    .unwrap();
    expect_error(plant, StatusCode::FORBIDDEN).await;
    let rebound = emu
        .http
        .get(emu.url("/emulator/v1/outbox"))
        .header("host", "rebind.evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_error(rebound, StatusCode::MISDIRECTED_REQUEST).await["errorCode"],
        "ER-01010"
    );
    let far = emu
        .post_raw("/emulator/v1/clock", r#"{"advanceSeconds": 3e11}"#)
        .await;
    expect_error(far, StatusCode::BAD_REQUEST).await;

    // Still alive, nothing wiped, nobody planted.
    emu.login("demo@example.com", DEMO_PASSWORD).await;
    let planted = emu
        .post_json(
            LOGIN,
            &json!({ "email": "planted@example.com", "password": "Planted-1!" }),
        )
        .await;
    expect_error(planted, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn allow_flags_admit_a_named_host_and_another_origin() {
    let emu = start(&[
        "--memory",
        "--allow-origin",
        "http://app.test:*",
        "--allow-host",
        "emulator.test",
    ])
    .await;
    let outbox = emu
        .http
        .get(emu.url("/emulator/v1/outbox"))
        .header("host", "emulator.test:8787")
        .header("origin", "http://app.test:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(outbox.status(), StatusCode::OK);
    assert_eq!(
        outbox.headers()["access-control-allow-origin"],
        "http://app.test:3000"
    );
    let other = emu
        .http
        .get(emu.url("/emulator/v1/outbox"))
        .header("host", "other.test")
        .send()
        .await
        .unwrap();
    expect_error(other, StatusCode::MISDIRECTED_REQUEST).await;
}

#[tokio::test]
async fn malformed_allow_flags_stop_the_start() {
    for args in [
        ["--allow-origin", "app.test"],
        ["--allow-origin", "http://app.test/path"],
        ["--allow-host", "app.test:8080"],
    ] {
        let output = tokio::process::Command::new(BIN)
            .args(["--memory", "--port", "0"])
            .args(args)
            .output()
            .await
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

/// Clients that send their headers slowly, or never, are let go after the header timeout, and
/// the emulator answers once they are gone.
#[tokio::test]
async fn slow_clients_are_dropped_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = demo().await;
    let address = emu.base.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..200 {
        let Ok(mut stream) = tokio::net::TcpStream::connect(&address).await else {
            break;
        };
        let _ = stream
            .write_all(b"GET /emulator/v1/health HTTP/1.1\r\nHost: x\r\n")
            .await;
        slow.push(stream);
    }
    // The first slow client is closed after the header timeout (10 s), not kept for good.
    let mut first = slow.remove(0);
    let mut byte = [0u8; 1];
    let closed =
        tokio::time::timeout(std::time::Duration::from_secs(20), first.read(&mut byte)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "still open: {closed:?}"
    );
    drop(slow);
    let health = emu
        .http
        .get(emu.url("/emulator/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
