//! What the fuzz targets share: how fuzz bytes become an answer, a signed-in client, and a
//! runtime that answers from the fuzzer so the async driver can be fuzzed without a network.

use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use frontegg_auth_wasm::client::runtime::Runtime;
use frontegg_auth_wasm::client::Client;
use frontegg_auth_wasm::core::base64url;
use frontegg_auth_wasm::core::config::{Mode, Options};
use frontegg_auth_wasm::core::error::Result;
use frontegg_auth_wasm::core::flows::LoginResult;
use frontegg_auth_wasm::core::http::{HttpRequest, HttpResponse};
use frontegg_auth_wasm::core::AuthCore;
use serde_json::{json, Value};

/// serde_json's `json!`, as the SDK's own JSON value (what its calls take).
#[macro_export]
macro_rules! ours {
    ($($t:tt)+) => {
        $crate::to_ours(&serde_json::json!($($t)+))
    };
}

/// A serde_json value as the SDK's own.
pub fn to_ours(value: &Value) -> frontegg_auth_wasm::core::json::Value {
    frontegg_auth_wasm::core::json::parse(&value.to_string()).expect("serde_json writes valid JSON")
}

/// The clock every target runs at (epoch ms): fixed, so a run replays exactly.
pub const NOW: f64 = 1_764_547_200_000.0;

/// An answer made of fuzz bytes: `[pick, status_hi, status_lo, body…]`, where the body text
/// may be followed by `\0`-separated `Set-Cookie` values. `pick` tells the target which reader
/// to feed; any status (not only 100..=599) is possible, as a runtime could hand one over.
pub struct Answer {
    pub pick: u8,
    pub response: HttpResponse,
}

/// Splits fuzz bytes into an [`Answer`]; `None` when too short to hold one.
pub fn answer(data: &[u8]) -> Option<Answer> {
    let (&pick, rest) = data.split_first()?;
    let (status, rest) = rest.split_first_chunk::<2>()?;
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split('\0');
    let body = parts.next().unwrap_or_default().to_owned();
    Some(Answer {
        pick,
        response: HttpResponse {
            status: u16::from_be_bytes(*status),
            body,
            trace_id: Some("fuzz-trace".into()),
            set_cookies: parts.map(str::to_owned).collect(),
        },
    })
}

/// An unsigned token with `claims`: the SDK reads claims on sign-in and leaves signatures to
/// `verifyAccessToken`.
pub fn jwt(claims: &Value) -> String {
    let header = base64url::encode(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    let payload = base64url::encode(claims.to_string().as_bytes());
    format!("{header}.{payload}.c2ln")
}

/// A well-formed login answer (with a refresh cookie, as the host sets it), to check that a
/// client still signs in after whatever the fuzzer fed it.
pub fn good_login() -> HttpResponse {
    let token = jwt(&json!({
        "sub": "user-1", "email": "demo@example.com", "tenantId": "tenant-1", "sid": "sid-1",
        "exp": NOW / 1000.0 + 86_400.0,
    }));
    HttpResponse {
        status: 200,
        body: json!({ "accessToken": token, "expiresIn": 86_400, "refreshToken": "r1" })
            .to_string(),
        trace_id: None,
        set_cookies: vec![
            "fe_refresh_client1=r1; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000".into(),
        ],
    }
}

pub fn options() -> Options {
    Options::from_json(&ours!({ "baseUrl": "https://auth.example.com", "clientId": "client1" }))
        .expect("the fuzz options are valid")
}

/// `Browser` or `Server`, by one bit of `pick`.
pub fn mode(pick: u8) -> Mode {
    if pick & 0x80 == 0 {
        Mode::Browser
    } else {
        Mode::Server
    }
}

/// A core signed in with [`good_login`].
pub fn signed_in(mode: Mode) -> AuthCore {
    let mut core = AuthCore::new(options(), mode);
    assert_signs_in(&mut core);
    core
}

/// The core still signs in normally: no answer, however hostile, leaves it unusable.
pub fn assert_signs_in(core: &mut AuthCore) {
    match core.handle_login(good_login(), NOW) {
        Ok(LoginResult::Authenticated { .. }) => assert!(core.session().is_some()),
        other => panic!("a good login after a hostile answer did not sign in: {other:?}"),
    }
}

/// A runtime whose every request is answered with `answer`; timers fire at once and nothing
/// is ever pending, so each call settles within [`block_on`]'s bound or is a hang.
pub struct Scripted {
    pub answer: RefCell<HttpResponse>,
    pub sent: RefCell<Vec<HttpRequest>>,
}

impl Scripted {
    pub fn new() -> Self {
        Self {
            answer: RefCell::new(good_login()),
            sent: RefCell::new(Vec::new()),
        }
    }
}

impl Default for Scripted {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime for Scripted {
    async fn send(&self, request: HttpRequest, _timeout_ms: u32) -> Result<HttpResponse> {
        self.sent.borrow_mut().push(request);
        Ok(self.answer.borrow().clone())
    }

    fn sleep(&self, _ms: u32) -> impl Future<Output = ()> + use<> {
        std::future::ready(())
    }

    fn jitter(&self) -> f64 {
        0.5
    }

    type RefreshLock = ();

    async fn refresh_lock(&self) -> Self::RefreshLock {}

    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()>>>) {
        // The lifecycle (timers, catch-up) is never started here; a task would only be one of
        // its refreshes, already covered by the calls themselves.
        drop(task);
    }
}

/// A client of [`Scripted`] in `mode`, signed in.
pub fn signed_in_client(mode: Mode) -> Client<Scripted> {
    let client = Client::new(options(), mode, Scripted::new(), || NOW);
    assert_client_signs_in(&client);
    client
}

/// The client still signs in normally after whatever it was answered.
pub fn assert_client_signs_in(client: &Client<Scripted>) {
    *client.runtime().answer.borrow_mut() = good_login();
    let args = ours!({ "email": "demo@example.com", "password": "Demo-pass-123!" });
    match block_on(client.login(&args)) {
        Ok(LoginResult::Authenticated { .. }) => assert!(client.session().is_some()),
        other => panic!("a good login after a hostile answer did not sign in: {other:?}"),
    }
}

/// Runs `future` to completion. [`Scripted`] never leaves anything pending, so a future still
/// pending after many polls waits on something that will never come: a hang, reported as one.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("a call never settled");
}

/// Whether `status` is a success, as the SDK reads it.
pub fn success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Whether two expiry times are the same instant once stored and read back: the SDK writes
/// the shortest text that reads back exactly and reads it with core's exact parser, so exactly.
pub fn same_instant(a: f64, b: f64) -> bool {
    a == b
}
