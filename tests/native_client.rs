//! The SDK core, driven natively (reqwest runtime, server mode), against a real emulator.

mod common;

use common::json;
use common::{client, client_with, demo, now_ms};
use frontegg_auth_wasm::native::NativeRuntime;
use frontegg_auth_wasm::{Client, ErrorCode, LoginResult};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DEMO: (&str, &str) = ("demo@example.com", "Demo-pass-123!");

async fn signed_in(url: &str) -> Client<NativeRuntime> {
    let c = client(url);
    let result = c
        .login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .expect("login");
    assert!(
        matches!(result, LoginResult::Authenticated { .. }),
        "{result:?}"
    );
    c
}

#[tokio::test]
async fn password_login_profile_refresh_logout() {
    let emu = demo().await;
    let c = client(&emu.base);
    assert!(c.session().is_none());
    let LoginResult::Authenticated { session, .. } = c
        .login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap()
    else {
        panic!("expected authenticated")
    };
    assert_eq!(session.user.email, DEMO.0);
    assert_eq!(session.user.tenant_ids.len(), 2);
    assert!(session.expires_at > now_ms());
    let first_refresh_token = session
        .refresh_token
        .clone()
        .expect("server mode keeps the refresh token");

    let profile = c.get_profile().await.unwrap();
    assert_eq!(profile.email, DEMO.0);
    assert_eq!(profile.id, session.user.id);

    let refreshed = c.refresh().await.unwrap();
    assert_eq!(refreshed.user.id, session.user.id);
    assert_ne!(
        refreshed.refresh_token.as_ref(),
        Some(&first_refresh_token),
        "rotated"
    );
    assert_eq!(c.get_profile().await.unwrap().email, DEMO.0);

    c.logout().await;
    assert!(c.session().is_none());
    assert_eq!(
        c.get_profile().await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
    assert_eq!(
        c.refresh().await.unwrap_err().code,
        ErrorCode::SessionExpired
    );
    assert!(c.restore().await.unwrap().is_none());
}

#[tokio::test]
async fn concurrent_refreshes_share_one_request() {
    let emu = demo().await;
    let c = signed_in(&emu.base).await;
    // Without single-flight, the second request would replay a rotated token and the
    // emulator's reuse detection would revoke the whole session.
    let results = futures_util::future::join_all((0..10).map(|_| c.refresh())).await;
    let tokens: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("refresh").access_token)
        .collect();
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "all callers got the same session"
    );
    assert_eq!(c.get_profile().await.unwrap().email, DEMO.0);
    c.refresh().await.expect("the session is still alive");
}

#[tokio::test]
async fn restore_returns_the_held_session() {
    let emu = demo().await;
    let c = signed_in(&emu.base).await;
    let held = c.session().unwrap();
    assert_eq!(c.restore().await.unwrap(), Some(held));
    assert!(
        client(&emu.base).restore().await.unwrap().is_none(),
        "a new client has nothing to restore"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_read_the_same() {
    let emu = demo().await;
    let c = client(&emu.base);
    let wrong = c
        .login(&json!({ "email": DEMO.0, "password": "nope" }))
        .await
        .unwrap_err();
    let unknown = c
        .login(&json!({ "email": "nobody@example.com", "password": "nope" }))
        .await
        .unwrap_err();
    for e in [&wrong, &unknown] {
        assert_eq!(e.code, ErrorCode::InvalidCredentials);
        assert_eq!(e.status, Some(401));
        assert!(e.trace_id.is_some(), "trace id carried through");
        assert!(!e.message.is_empty());
    }
    assert_eq!(wrong.message, unknown.message);
    assert!(c.session().is_none());
}

#[tokio::test]
async fn empty_fields_fail_before_any_request() {
    // Nothing listens here: had a request been made, the error would be `network`.
    let c = client("http://127.0.0.1:9");
    for args in [
        json!({ "email": "", "password": "x" }),
        json!({ "email": DEMO.0, "password": "" }),
        json!({}),
    ] {
        let e = c.login(&args).await.unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidInput,
            "{}",
            frontegg_auth_wasm::core::json::to_string(&args)
        );
    }
}

#[tokio::test]
async fn mfa_user_gets_an_mfa_challenge() {
    let emu = demo().await;
    let c = client(&emu.base);
    let result = c
        .login(&json!({ "email": "mfa@example.com", "password": DEMO.1 }))
        .await
        .unwrap();
    let LoginResult::MfaRequired { mfa } = result else {
        panic!("expected mfa_required: {result:?}")
    };
    assert!(!mfa.mfa_token.is_empty());
    assert_eq!(mfa.devices.authenticators.len(), 1);
    assert!(mfa.strategies.iter().any(|s| s == "AuthenticatorApp"));
    assert!(c.session().is_none());
}

#[tokio::test]
async fn emulator_down_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    let c = client(&format!("http://127.0.0.1:{port}"));
    let e = c
        .login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert!(
        e.message.contains(&format!("127.0.0.1:{port}")),
        "{}",
        e.message
    );
    assert_eq!(e.status, None);
}

/// A server that answers every request with `answer`, or holds the connection silently.
async fn fake_server(answer: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                match answer {
                    Some(text) => {
                        let _ = socket.write_all(text.as_bytes()).await;
                    }
                    // Say nothing; hold the connection until the client gives up.
                    None => tokio::time::sleep(std::time::Duration::from_secs(30)).await,
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let url = fake_server(None).await;
    let c = client_with(json!({ "baseUrl": url, "timeoutMs": 200 }));
    let e = c
        .login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
}

#[tokio::test]
async fn a_garbage_answer_is_a_server_error() {
    let url = fake_server(Some(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 15\r\nconnection: close\r\n\r\n<html>hi</html>",
    ))
    .await;
    let c = client(&url);
    let e = c
        .login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Server);
    assert_eq!(e.status, Some(200));

    let url = fake_server(Some(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    ))
    .await;
    let e = client(&url)
        .login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Server);
    assert_eq!(e.status, Some(503));
    assert!(e.message.contains("503"));
}

#[tokio::test]
async fn listeners_hear_every_change_and_may_call_back_in() {
    use frontegg_auth_wasm::core::refresh::AuthEvent;
    use std::cell::RefCell;
    use std::rc::Rc;

    let emu = demo().await;
    let c = Rc::new(client(&emu.base));
    let heard: Rc<RefCell<Vec<(AuthEvent, bool)>>> = Rc::default();
    let (log, me) = (Rc::clone(&heard), Rc::downgrade(&c));
    let id = c.on_auth_state_change(Rc::new(move |event, session| {
        // Calling back into the client from a listener must not deadlock or panic.
        let still_there = me.upgrade().map(|c| c.session().is_some());
        assert_eq!(still_there, Some(session.is_some()));
        log.borrow_mut().push((event, session.is_some()));
    }));
    c.login(&json!({ "email": "mfa@example.com", "password": DEMO.1 }))
        .await
        .unwrap();
    c.login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap();
    c.refresh().await.unwrap();
    c.logout().await;
    assert_eq!(
        *heard.borrow(),
        [
            (AuthEvent::MfaRequired, false),
            (AuthEvent::SignedIn, true),
            (AuthEvent::TokenRefreshed, true),
            (AuthEvent::SignedOut, false)
        ]
    );
    c.remove_listener(id);
    c.login(&json!({ "email": DEMO.0, "password": DEMO.1 }))
        .await
        .unwrap();
    assert_eq!(heard.borrow().len(), 4, "removed listeners hear nothing");
}

/// Refreshes send `{ tenantId: null }` as the official client does (no tab tenant), and the
/// host keeps the session's tenant; only the refresh right after `switchTenant` names one.
#[tokio::test]
async fn refreshes_keep_the_tenant_and_switching_moves_it() {
    let emu = demo().await;
    let c = signed_in(&emu.base).await;
    let first = c.session().unwrap().user.tenant_id;
    let other = c
        .session()
        .unwrap()
        .user
        .tenant_ids
        .into_iter()
        .find(|t| *t != first)
        .expect("a second tenant");
    assert_eq!(c.refresh().await.unwrap().user.tenant_id, first);
    let switched = c.switch_tenant(&json!(other)).await.unwrap();
    assert_eq!(switched.user.tenant_id, other);
    assert_eq!(
        c.refresh().await.unwrap().user.tenant_id,
        other,
        "a null tenant keeps the switched one"
    );
    assert_eq!(c.get_profile().await.unwrap().tenant_id, other);
}
