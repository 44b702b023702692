//! Concurrency: 200 simultaneous logins and refresh chains against one emulator storing to a
//! SQLite file, then a check of the file itself and a restart on it.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use reqwest::StatusCode;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

const LOGINS: usize = 200;
/// Few enough users that each gets several sessions, enough that no user passes the default
/// per-user limit (20 password attempts a minute): 10 logins each.
const USERS: usize = 20;
/// Sequential refreshes per session after its login.
const REFRESHES: usize = 2;
/// Sessions whose last refresh token is then presented twice at the same time.
const RACED: usize = 50;
const PASSWORD: &str = "load-test-password";

fn sid(body: &Value) -> String {
    let token = body["accessToken"].as_str().expect("accessToken");
    let payload = token.split('.').nth(1).expect("JWT payload");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().expect("sid").to_owned()
}

fn email(i: usize) -> String {
    format!("load{}@x.io", i % USERS)
}

/// Logs in and refreshes `REFRESHES` times; returns the session id and the live refresh token.
/// Every answer must be exactly the expected success: a 5xx or a lost rotation fails the test.
async fn login_and_refresh(emu: Arc<Emulator>, i: usize) -> (String, String) {
    let response = emu
        .post_json(LOGIN, &json!({ "email": email(i), "password": PASSWORD }))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "login {i}");
    let mut cookie = refresh_cookie(&response).expect("cookie");
    let session = sid(&response.json().await.unwrap());
    for _ in 0..REFRESHES {
        let response = emu.refresh(&cookie).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "refresh of login {i}"
        );
        let next = refresh_cookie(&response).expect("rotated cookie");
        assert_ne!(next, cookie);
        assert_eq!(
            sid(&response.json().await.unwrap()),
            session,
            "same session"
        );
        cookie = next;
    }
    (session, cookie)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_and_refreshes_keep_the_sqlite_file_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emulator.db");
    let path_arg = path.to_str().unwrap().to_owned();
    let emu = Arc::new(start(&["--data", &path_arg, "--seed", "none"]).await);
    // Strict rotation: with the default retry grace, the second of two racing refreshes is a
    // retry that replaces the first's token; this test holds reuse detection itself.
    emu.config(json!({ "refreshRetryGraceSeconds": 0 })).await;
    for i in 0..USERS {
        let response = emu
            .post_json(
                "/emulator/v1/users",
                &json!({ "email": email(i), "password": PASSWORD, "tenantId": "load" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    let tasks: Vec<_> = (0..LOGINS)
        .map(|i| tokio::spawn(login_and_refresh(Arc::clone(&emu), i)))
        .collect();
    let mut sessions = Vec::with_capacity(LOGINS);
    for task in tasks {
        sessions.push(task.await.expect("task"));
    }
    let distinct: HashSet<_> = sessions.iter().map(|(sid, _)| sid.clone()).collect();
    assert_eq!(
        distinct.len(),
        LOGINS,
        "every login started its own session"
    );

    // The same token twice at once: exactly one rotation wins; the other is a replay, which
    // revokes the session (the grace is 0 here).
    let races: Vec<_> = sessions[..RACED]
        .iter()
        .map(|(_, cookie)| {
            let emu = Arc::clone(&emu);
            let cookie = cookie.clone();
            tokio::spawn(async move {
                let (a, b) = tokio::join!(emu.refresh(&cookie), emu.refresh(&cookie));
                let mut statuses = [a.status(), b.status()];
                statuses.sort();
                statuses
            })
        })
        .collect();
    for race in races {
        assert_eq!(
            race.await.unwrap(),
            [StatusCode::CREATED, StatusCode::UNAUTHORIZED]
        );
    }

    let emu = Arc::into_inner(emu).expect("all tasks done");
    emu.stop().await;

    {
        let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let integrity: String = db
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        let logins = LOGINS as i64;
        let raced = RACED as i64;
        let refreshes = REFRESHES as i64;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM sessions"), logins);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM sessions WHERE revoked = 1"),
            raced
        );
        // Per session: the login's token plus one per rotation; the raced ones rotated once more.
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM refresh_tokens"),
            logins * (1 + refreshes) + raced
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM refresh_tokens WHERE used = 1"),
            logins * refreshes + raced
        );
        // Every surviving session has exactly one live token.
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM refresh_tokens WHERE used = 0 AND revoked = 0"
            ),
            logins - raced
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM (SELECT session_id FROM refresh_tokens
                 WHERE used = 0 AND revoked = 0 GROUP BY session_id HAVING COUNT(*) > 1)"
            ),
            0
        );
    }

    // Restart on the same file: sessions, tokens and users are all still there.
    let emu = start(&["--data", &path_arg, "--seed", "none"]).await;
    let (_, survivor) = &sessions[RACED];
    assert_eq!(emu.refresh(survivor).await.status(), StatusCode::CREATED);
    let (_, raced) = &sessions[0];
    assert_eq!(emu.refresh(raced).await.status(), StatusCode::UNAUTHORIZED);
    let (login, _) = emu.login(&email(RACED), PASSWORD).await;
    let listed: Value = emu
        .me(
            "/identity/resources/users/sessions/v1/me",
            login["accessToken"].as_str().unwrap(),
        )
        .await
        .json()
        .await
        .unwrap();
    // The user's sessions that were not raced (and so not revoked), plus the new one.
    let expected = sessions
        .iter()
        .enumerate()
        .filter(|(i, _)| i % USERS == RACED % USERS && *i >= RACED)
        .count()
        + 1;
    assert_eq!(listed.as_array().unwrap().len(), expected);
    emu.stop().await;
}
