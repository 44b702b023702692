//! The machine driven natively: the test is the clock and the network.
use super::*;

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

const TOKEN: &str = r#"{"accessToken":"t1","expiresIn":300}"#;
const ME: &str = r#"{"id":"u","email":"a@b.c","tenantId":"t"}"#;

#[test]
fn login_schedules_refresh_and_401_refreshes_once_then_retries() {
    let mut m = machine();
    m.handle(0.0, Op::Login { call: 1, args: r#"{"email":"a@b.c","password":"p"}"# });
    let s = sends(&mut m);
    assert_eq!(s[0].1.url, "http://h/identity/resources/auth/v1/user");
    m.handle(10.0, Op::Response { id: s[0].0, status: 200, body: TOKEN });
    let effects: Vec<_> = m.drain().collect();
    assert_eq!(effects[0], Effect::Timer { ms: 270_000 });
    assert!(matches!(&effects[1], Effect::Resolve { call: 1, .. }));

    // Two getProfile calls; both get 401; only ONE refresh goes out (single flight).
    m.handle(1_000.0, Op::GetProfile { call: 2 });
    m.handle(1_000.0, Op::GetProfile { call: 3 });
    let s = sends(&mut m);
    m.handle(1_001.0, Op::Response { id: s[0].0, status: 401, body: "" });
    m.handle(1_001.0, Op::Response { id: s[1].0, status: 401, body: "" });
    let refresh = sends(&mut m);
    assert_eq!(refresh.len(), 1);
    assert!(refresh[0].1.url.ends_with("/token/refresh"));
    m.handle(1_002.0, Op::Response { id: refresh[0].0, status: 200, body: r#"{"accessToken":"t2","expiresIn":300}"# });
    let retries = sends(&mut m);
    assert_eq!(retries.len(), 2);
    assert!(retries.iter().all(|(_, r)| r.headers.iter().any(|(k, v)| *k == "authorization" && v == "Bearer t2")));
    // Second 401 after the retry is final.
    m.handle(1_003.0, Op::Response { id: retries[0].0, status: 401, body: "" });
    assert!(matches!(m.poll(), Some(Effect::Reject { call: 2, err }) if err.code == Code::Unauthorized));
}

#[test]
fn virtual_time_timer_refresh_and_expiry() {
    let mut m = machine();
    m.handle(0.0, Op::Login { call: 1, args: r#"{"email":"a@b.c","password":"p"}"# });
    let s = sends(&mut m);
    m.handle(0.0, Op::Response { id: s[0].0, status: 200, body: TOKEN });
    m.drain().for_each(drop);
    // Jump 270 s: no sleeping, the test just says the timer fired at that time.
    m.handle(270_000.0, Op::Timer);
    let r = sends(&mut m);
    m.handle(270_000.0, Op::Response { id: r[0].0, status: 401, body: "" });
    assert_eq!(m.poll(), Some(Effect::ClearTimer));
    m.handle(270_001.0, Op::GetProfile { call: 9 });
    assert!(matches!(m.poll(), Some(Effect::Reject { call: 9, err }) if err.code == Code::Unauthorized));
}
