//! The hybrid driven natively exactly like (b): the test is the clock and the network; the
//! async flows run inside `handle`, so no executor, channels or sim runtime in the test.
use super::*;
use rules::{Code, MAX_TIMER_MS};

fn machine() -> Machine {
    Machine::new(Rules::from_json(r#"{"baseUrl":"http://h"}"#).unwrap())
}

fn sends(m: &mut Machine) -> Vec<(u32, Request)> {
    m.drain()
        .filter_map(|e| match e {
            Effect::Send { id, req } => Some((id, req)),
            _ => None,
        })
        .collect()
}

fn login(m: &mut Machine, now: f64, token: &str) -> Vec<Effect> {
    m.handle(now, Op::Login { call: 1, args: r#"{"email":"a@b.c","password":"p"}"# });
    let s = sends(m);
    assert_eq!(s[0].1.url, "http://h/identity/resources/auth/v1/user");
    m.handle(now, Op::Response { id: s[0].0, status: 200, body: token });
    m.drain().collect()
}

const TOKEN: &str = r#"{"accessToken":"t1","expiresIn":300}"#;
const T2: &str = r#"{"accessToken":"t2","expiresIn":300}"#;
const ME: &str = r#"{"id":"u","email":"a@b.c","tenantId":"t"}"#;

#[test]
fn login_schedules_refresh_and_401_refreshes_once_then_retries() {
    let mut m = machine();
    let effects = login(&mut m, 10.0, TOKEN);
    assert!(matches!(&effects[0], Effect::Resolve { call: 1, json } if json.contains("\"t1\"")));
    assert_eq!(effects[1], Effect::Timer { ms: 270_000 });

    // Two getProfile calls; both get 401; only ONE refresh goes out (single flight).
    m.handle(1_000.0, Op::GetProfile { call: 2 });
    m.handle(1_000.0, Op::GetProfile { call: 3 });
    let s = sends(&mut m);
    m.handle(1_001.0, Op::Response { id: s[0].0, status: 401, body: "" });
    m.handle(1_001.0, Op::Response { id: s[1].0, status: 401, body: "" });
    let refresh = sends(&mut m);
    assert_eq!(refresh.len(), 1);
    assert!(refresh[0].1.url.ends_with("/token/refresh"));
    m.handle(1_002.0, Op::Response { id: refresh[0].0, status: 200, body: T2 });
    let retries = sends(&mut m);
    assert_eq!(retries.len(), 2);
    assert!(retries.iter().all(|(_, r)| r.headers.iter().any(|(k, v)| *k == "authorization" && v == "Bearer t2")));
    // Second 401 after the retry is final.
    m.handle(1_003.0, Op::Response { id: retries[0].0, status: 401, body: "" });
    assert!(matches!(m.poll(), Some(Effect::Reject { call: 2, err }) if err.code == Code::Unauthorized));
    m.handle(1_003.0, Op::Response { id: retries[1].0, status: 200, body: ME });
    assert!(matches!(m.poll(), Some(Effect::Resolve { call: 3, .. })));
    assert_eq!(m.tasks(), 1, "only the timer task is left");
}

#[test]
fn concurrent_refreshes_share_one_request() {
    let mut m = machine();
    login(&mut m, 0.0, TOKEN);
    for call in 2..5 {
        m.handle(5.0, Op::Refresh { call });
    }
    let r = sends(&mut m);
    assert_eq!(r.len(), 1, "three refresh() calls, one request");
    m.handle(6.0, Op::Response { id: r[0].0, status: 200, body: T2 });
    let effects: Vec<_> = m.drain().collect();
    // The timer is re-armed once, and all three calls resolve with the same session.
    assert_eq!(effects.iter().filter(|e| matches!(e, Effect::Timer { .. })).count(), 1);
    let mut calls: Vec<u32> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Resolve { call, json } if json.contains("\"t2\"") => Some(*call),
            _ => None,
        })
        .collect();
    calls.sort();
    assert_eq!(calls, [2, 3, 4]);
    // A transport failure is shared the same way.
    m.handle(7.0, Op::Refresh { call: 5 });
    m.handle(7.0, Op::Refresh { call: 6 });
    let r = sends(&mut m);
    assert_eq!(r.len(), 1);
    m.handle(8.0, Op::Failed { id: r[0].0, name: "TypeError", message: "fetch failed" });
    let codes: Vec<_> = m.drain().filter_map(|e| if let Effect::Reject { err, .. } = e { Some(err.code) } else { None }).collect();
    assert_eq!(codes, [Code::Network, Code::Network]);
}

#[test]
fn sixty_day_token_waits_in_clamped_steps() {
    const DAY: f64 = 86_400_000.0;
    let mut m = machine();
    let effects = login(&mut m, 0.0, r#"{"accessToken":"t1","expiresIn":5184000}"#); // 60 days
    assert_eq!(effects[1], Effect::Timer { ms: MAX_TIMER_MS });
    // ~24.9 days later: still far from expiry, so only another clamped wait, no request.
    let t1 = MAX_TIMER_MS as f64;
    m.handle(t1, Op::Timer);
    assert_eq!(m.drain().collect::<Vec<_>>(), [Effect::Timer { ms: MAX_TIMER_MS }]);
    // ~49.7 days: the rest fits in one timer (expiry minus the 30 s leeway).
    let t2 = 2.0 * t1;
    m.handle(t2, Op::Timer);
    let rest = (60.0 * DAY - 30_000.0 - t2) as u32;
    assert_eq!(m.drain().collect::<Vec<_>>(), [Effect::Timer { ms: rest }]);
    // Then the refresh goes out, 30 s before expiry.
    m.handle(t2 + rest as f64, Op::Timer);
    let r = sends(&mut m);
    assert_eq!(r.len(), 1);
    assert!(r[0].1.url.ends_with("/token/refresh"));
    // The session is over: the timer is cleared and getProfile says unauthorized.
    m.handle(60.0 * DAY, Op::Response { id: r[0].0, status: 401, body: "" });
    assert_eq!(m.poll(), Some(Effect::ClearTimer));
    m.handle(60.0 * DAY, Op::GetProfile { call: 9 });
    assert!(matches!(m.poll(), Some(Effect::Reject { call: 9, err }) if err.code == Code::Unauthorized));
    assert_eq!(m.tasks(), 0);
}

#[test]
fn timer_fires_during_an_explicit_refresh_and_joins_it() {
    let mut m = machine();
    login(&mut m, 0.0, TOKEN);
    m.handle(269_000.0, Op::Refresh { call: 2 });
    let r = sends(&mut m);
    m.handle(270_000.0, Op::Timer); // the timer's refresh joins the one in flight
    assert!(sends(&mut m).is_empty());
    m.handle(270_001.0, Op::Response { id: r[0].0, status: 200, body: T2 });
    let effects: Vec<_> = m.drain().collect();
    assert!(effects.contains(&Effect::Timer { ms: 270_000 }));
    assert!(effects.iter().any(|e| matches!(e, Effect::Resolve { call: 2, .. })));
    assert_eq!(m.tasks(), 1);
}
