//! The async driver: feeds the sans-IO [`AuthCore`] through a [`Runtime`]. It holds no rules
//! of its own beyond ordering: one refresh at a time, refresh before a call that needs a fresh
//! token, retry once after a 401.
//!
//! Most methods are one request and one read by the core: the table in [`calls`], which the wasm
//! runs for the package's methods, and which the native tests and fuzz targets run too. The
//! typed methods here (`login`, `signup`, `passwordless_start`, ...) put the same pieces
//! together ([`Client::exchange`], [`Client::take_in`], [`Client::finish_step`],
//! [`Client::finish_signup`]) for native callers that want Rust types.

pub mod calls;
pub mod lifecycle;
pub mod runtime;
pub mod webauthn;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::core::json::{FromJson, Value};
use futures_channel::oneshot;

use crate::client::lifecycle::Lifecycle;
use crate::client::runtime::Runtime;
use crate::core::account::{expect_success, SignUpResult};
use crate::core::config::{Mode, Options};
use crate::core::endpoints::{CodeSent, Profile};
use crate::core::error::{Error, ErrorCode, Result, StatusMeaning};
use crate::core::flows::LoginResult;
use crate::core::http::{HttpRequest, HttpResponse};
use crate::core::origin::check_bearer_target;
use crate::core::refresh::{lock_takeover_ms, AuthEvent, Backoff};
use crate::core::self_service::RecoveryCode;
use crate::core::session::{Lease, Session};
use crate::core::{parse, AuthCore, LogoutInput};

/// A client instance. Not `Sync`: it lives on one JS event loop (or one test task), and
/// `RefCell` borrows are never held across an `.await`.
pub struct Client<T> {
    core: RefCell<AuthCore>,
    runtime: T,
    clock: fn() -> f64,
    /// While a refresh is under way: the callers waiting for its outcome.
    refresh_waiters: RefCell<Option<Vec<oneshot::Sender<Result<Session>>>>>,
    listeners: RefCell<Vec<(u32, Listener)>>,
    next_listener: Cell<u32>,
    /// What happens between calls, once [`Client::start`] started it ([`lifecycle`]).
    lifecycle: Cell<Option<Lifecycle>>,
    /// This client, for the tasks the lifecycle spawns (set by [`Client::start`]).
    me: RefCell<Weak<Self>>,
    /// The refresh timer that is current; an older one stops when it wakes.
    timer: Cell<u32>,
    /// Where the change being taken in came from, so it isn't echoed back there.
    source: Cell<Source>,
    /// This instance's name in the leases it writes into a shared store.
    instance: String,
    /// The stored text of the lease this instance holds while it refreshes, if any.
    lease: RefCell<Option<String>>,
}

/// Where a change of session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A call on this client.
    Here,
    /// Another tab said so: not told back to the tabs.
    Peer,
    /// Read from the store: not written back (it could overwrite another instance's lease).
    Store,
}

/// How long a tab that waited for the lock waits for the other tab's session before refreshing
/// itself, and how often it looks meanwhile. Also how often an instance waiting on another's
/// lease re-reads the store.
const PEER_WAIT_MS: u32 = 300;
const PEER_POLL_MS: u32 = 10;
const LEASE_POLL_MS: u32 = 250;
/// How many times a claim may find the store changed under it before refreshing anyway.
const MAX_CONFLICTS: u32 = 8;

/// How a call made with the access token ended ([`Client::with_token`]).
pub enum WithToken<R> {
    /// Its answer (after one refresh and retry, if the first was a 401).
    Done(R),
    /// The first answer was a 401 and the refresh after it found the session over: that answer,
    /// and the `session_expired` error.
    SessionEnded(R, Error),
}

/// What a refresh answers when the session it was for ended while it was out.
fn ended_meanwhile() -> Error {
    Error::new(
        ErrorCode::SessionExpired,
        "The session ended (sign-out) while it was being refreshed.",
    )
}

/// An `onAuthStateChange` callback: the event and the session after it.
pub type Listener = Rc<dyn Fn(AuthEvent, Option<&Session>)>;

impl<T: Runtime> Client<T> {
    /// A signed-out client. `clock` gives epoch milliseconds.
    pub fn new(options: Options, mode: Mode, runtime: T, clock: fn() -> f64) -> Self {
        let runtime_jitter = runtime.jitter();
        Self {
            core: RefCell::new(AuthCore::new(options, mode)),
            runtime,
            clock,
            refresh_waiters: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
            lifecycle: Cell::new(None),
            me: RefCell::new(Weak::new()),
            timer: Cell::new(0),
            source: Cell::new(Source::Here),
            instance: format!("{:x}", (runtime_jitter * 9_007_199_254_740_992.0) as u64),
            lease: RefCell::new(None),
        }
    }

    /// Calls `listener` after every change of session; returns an id for [`Self::remove_listener`].
    pub fn on_auth_state_change(&self, listener: Listener) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id.wrapping_add(1));
        self.listeners.borrow_mut().push((id, listener));
        id
    }

    /// Stops calling the listener `id`.
    pub fn remove_listener(&self, id: u32) {
        self.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// Delivers the core's pending events: the lifecycle's reaction, then listeners. No borrow
    /// is held while they run, so a listener may call back into the client (even refresh).
    fn emit(&self) {
        let events = self.take_events();
        self.react(&events);
        self.deliver(&events);
    }

    fn take_events(&self) -> Vec<AuthEvent> {
        self.core.borrow_mut().take_events()
    }

    fn deliver(&self, events: &[AuthEvent]) {
        if events.is_empty() {
            return;
        }
        let session = self.session();
        let listeners: Vec<Listener> = self
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| Rc::clone(l))
            .collect();
        for &event in events {
            for listener in &listeners {
                listener(event, session.as_ref());
            }
        }
    }

    /// The runtime, for calls that go around the core (the `fetch` wrapper).
    pub fn runtime(&self) -> &T {
        &self.runtime
    }

    /// Hands an answer to the core (`read` gets it with the time), then tells listeners what
    /// changed.
    pub fn take_in<O>(&self, read: impl FnOnce(&mut AuthCore, f64) -> Result<O>) -> Result<O> {
        let result = read(&mut self.core.borrow_mut(), (self.clock)());
        self.emit();
        result
    }

    /// The current session, if signed in.
    pub fn session(&self) -> Option<Session> {
        self.core.borrow().session().cloned()
    }

    /// Password login.
    pub async fn login(&self, args: &Value) -> Result<LoginResult> {
        let request = self
            .core
            .borrow()
            .login_request(&AuthCore::login_input(args)?);
        let response = self.send(request).await?;
        self.finish_step(response, StatusMeaning::LOGIN).await
    }

    /// Fills in an MFA step's `rememberDeviceAllowed` from the host's policy for its MFA token,
    /// as the official login box asks before it offers the option. The policy is optional
    /// information: if it can't be had, the login goes on without it.
    async fn with_remember_policy(&self, mut result: LoginResult) -> Result<LoginResult> {
        if let LoginResult::MfaRequired { mfa } | LoginResult::MfaEnrollmentRequired { mfa } =
            &mut result
        {
            let request = self.core.borrow().remember_policy_request(&mfa.mfa_token);
            if let Ok(response) = self.send(request).await {
                mfa.remember_device_allowed = self
                    .core
                    .borrow_mut()
                    .handle_remember_policy(&mfa.mfa_token, &response);
            }
        }
        Ok(result)
    }

    /// Refreshes the session. Concurrent callers share one request: the host rotates refresh
    /// tokens and treats a replayed one as theft, so two parallel refreshes would end the session.
    pub async fn refresh(&self) -> Result<Session> {
        let waiting = self.refresh_waiters.borrow_mut().as_mut().map(|waiters| {
            let (tx, rx) = oneshot::channel();
            waiters.push(tx);
            rx
        });
        if let Some(rx) = waiting {
            return rx.await.unwrap_or_else(|_| {
                Err(Error::new(ErrorCode::Network, "The refresh was cancelled."))
            });
        }
        *self.refresh_waiters.borrow_mut() = Some(Vec::new());
        let guard = WaitersGuard(&self.refresh_waiters);
        let result = self.refresh_now().await;
        for waiter in guard.take() {
            // A waiter that went away doesn't need the answer.
            let _ = waiter.send(result.clone());
        }
        result
    }

    /// One refresh, retried with backoff while the failure is transient (network, timeout, 5xx);
    /// a rejection by the host is final. Runs under the runtime's refresh lock (one tab at a
    /// time in browsers), and listeners hear about it only after the lock is released, so a
    /// listener that calls the client can't deadlock.
    async fn refresh_now(&self) -> Result<Session> {
        let held_before = self.session().map(|s| s.expires_at);
        let lock = self.runtime.refresh_lock().await;
        let moved_on = |s: &Session| Some(s.expires_at) != held_before;
        if T::waited_for_peer(&lock) {
            // Another tab held the lock, most likely to refresh: give its session a moment to
            // arrive (under load it can come after the lock) before refreshing again.
            let mut waited = 0;
            while waited < PEER_WAIT_MS && !self.session().is_some_and(|s| moved_on(&s)) {
                self.runtime.sleep(PEER_POLL_MS).await;
                waited += PEER_POLL_MS;
            }
        }
        // Another tab may have refreshed while this one waited; its session arrived meanwhile.
        let (result, stored) = match self.session().filter(|s| moved_on(s)) {
            Some(session) => (Ok(session), false),
            None => self.refresh_with_retries().await,
        };
        let events = self.take_events();
        if stored {
            // Already in the store, over this instance's lease: a second, plain write could
            // land after another instance's sign-out and undo it.
            self.source.set(Source::Store);
        }
        self.react(&events);
        self.source.set(Source::Here);
        drop(lock);
        self.deliver(&events);
        result
    }

    /// The refresh's result, and whether its session is already in the store.
    async fn refresh_with_retries(&self) -> (Result<Session>, bool) {
        let result = self.refresh_attempts().await;
        let leased = self.lease.borrow_mut().take();
        let (Some(leased), Some(snapshot)) = (leased, self.snapshot()) else {
            return (result, false);
        };
        let swapped = self.runtime.compare_and_set(&leased, &snapshot).await;
        if result.is_err() || swapped != Some(false) {
            // After a failure the lease is handed back, so the others need not wait for it
            // to lapse; after a success the new session took its place.
            let stored = result.is_ok() && swapped == Some(true);
            return (result, stored);
        }
        // The store changed under this instance's lease while it refreshed: another instance
        // sharing it signed out, or in anew. The store speaks for them all, so its word wins
        // over this refresh's answer, whatever the ages of the two sessions; nobody hears of
        // the answer thrown away.
        self.core.borrow_mut().take_events();
        let stored = self.runtime.stored_snapshot().await;
        let now = (self.clock)();
        let taken = stored.is_some_and(|s| self.core.borrow_mut().take_snapshot(&s, now, false));
        self.source.set(Source::Store);
        if taken {
            self.emit();
        } else {
            self.sign_out_locally();
        }
        self.source.set(Source::Here);
        (self.session().ok_or_else(ended_meanwhile), false)
    }

    async fn refresh_attempts(&self) -> Result<Session> {
        let backoff = Backoff::default();
        let mut attempt = 0;
        let (started, timeout_ms) = ((self.clock)(), self.core.borrow().options().timeout_ms);
        let generation = self.core.borrow().generation();
        let held = self.session().map(|s| s.expires_at);
        loop {
            if self.core.borrow().generation() != generation {
                // Signed out (or in anew) during the backoff: nothing of this session to refresh.
                return self.session().ok_or_else(ended_meanwhile);
            }
            // Before any retry, re-check: an answer that was lost may have reached the host,
            // which then rotated the token, and a peer tab may have sent its session meanwhile.
            if let Some(session) = self.session().filter(|s| Some(s.expires_at) != held) {
                return Ok(session);
            }
            // Another instance sharing the store (a Worker isolate, a server process, a tab
            // without BroadcastChannel) may have refreshed this session already; refreshing
            // again would present the token it rotated, which the host treats as theft. Where
            // the store can compare-and-set, this instance also claims the refresh there.
            if let Some(session) = self.claim_refresh().await {
                return Ok(session);
            }
            if self.core.borrow().generation() != generation {
                // Signed in anew while the store was read (or another instance's lease waited
                // out): refreshing now would spend the new session's token and drop its answer.
                return self.session().ok_or_else(ended_meanwhile);
            }
            let request = self.core.borrow().refresh_request();
            let request = match request {
                Ok(request) => request,
                Err(e) => {
                    if e.code == ErrorCode::SessionExpired {
                        // No refresh token: the session ends here, as a refused refresh ends it.
                        self.core.borrow_mut().expire_session();
                    }
                    return Err(e);
                }
            };
            let sent = self.send(request).await;
            if self.core.borrow().generation() != generation {
                // Signed out (or in anew) while the refresh was out: its answer belongs to a
                // session that is gone, and taking it in would bring that session back.
                return self.session().ok_or_else(ended_meanwhile);
            }
            if let Ok(response) = &sent {
                // Refused: if another instance rotated the token meanwhile, its session is in
                // the store; take it rather than end a session that lives on.
                if matches!(response.status, 400 | 401 | 403) {
                    if let Some(session) = self.adopt_newer_stored().await {
                        return Ok(session);
                    }
                }
            }
            let result = match sent {
                Ok(response) => self
                    .core
                    .borrow_mut()
                    .handle_refresh(response, (self.clock)()),
                Err(e) => Err(e),
            };
            // A 429 that says when to come back is worth another try, but not before then: the
            // wait is the longer of the backoff and `Retry-After`. A `Retry-After` is sat out
            // here only while the refresh can still end before other tabs and instances take
            // its lock and lease over (`Backoff::may_wait`, at most 30 s); a caller may be
            // waiting on it with a token that still works. Else the refresh fails with
            // `rate_limited` at once, and the timer comes back when the host asked.
            let retry_after = match &result {
                Err(e) if e.code == ErrorCode::RateLimited => e.retry_after_ms,
                _ => None,
            };
            match result {
                Err(e) if is_transient(&e) || retry_after.is_some() => {
                    attempt += 1;
                    let wait = match (
                        backoff.delay_ms(attempt, self.runtime.jitter()),
                        retry_after,
                    ) {
                        (Some(delay), Some(asked)) if asked > delay => {
                            let elapsed = ((self.clock)() - started).max(0.0) as u32;
                            backoff
                                .may_wait(attempt, asked, elapsed, timeout_ms)
                                .then_some(asked)
                        }
                        (delay, _) => delay,
                    };
                    match wait {
                        Some(delay) => self.runtime.sleep(delay).await,
                        None => return Err(e),
                    }
                }
                other => return other,
            }
        }
    }

    /// Takes over the stored session if it is newer than the one held (see
    /// [`Runtime::stored_snapshot`]).
    async fn adopt_newer_stored(&self) -> Option<Session> {
        self.read_store().await.0
    }

    /// Reads the store: the stored session if it is newer than the one held (and taken over),
    /// and the stored text.
    async fn read_store(&self) -> (Option<Session>, Option<String>) {
        let generation = self.core.borrow().generation();
        let Some(stored) = self.runtime.stored_snapshot().await else {
            return (None, None);
        };
        // Only into the session this refresh is for: a sign-out (or a new sign-in) while the
        // store was read must stay as it is, whatever the store still held.
        let same = self.core.borrow().generation() == generation && self.session().is_some();
        let adopted = same && self.adopt_from(Source::Store, &stored);
        (adopted.then(|| self.session()).flatten(), Some(stored))
    }

    /// Before a refresh: takes a newer stored session if there is one (`Some`), else claims the
    /// refresh with a lease written by compare-and-set, where the store can. While another
    /// instance's lease holds, waits for the session it will store; a lease that lapsed (its
    /// holder died) is taken over. `None`: go ahead and refresh.
    async fn claim_refresh(&self) -> Option<Session> {
        let longest = lock_takeover_ms(self.core.borrow().options().timeout_ms);
        let generation = self.core.borrow().generation();
        let (mut waited, mut conflicts) = (0, 0);
        loop {
            let (adopted, stored) = self.read_store().await;
            if adopted.is_some() {
                return adopted;
            }
            if self.core.borrow().generation() != generation {
                // Signed out (or in anew) meanwhile: no lease for a session that is gone.
                return None;
            }
            let stored = stored?;
            let now = (self.clock)();
            // Waited for by the timer too, so a clock that stands still can't wait forever.
            if waited < longest && Lease::held_by_another(&stored, &self.instance, now).is_some() {
                self.runtime.sleep(LEASE_POLL_MS).await;
                waited += LEASE_POLL_MS;
                continue;
            }
            let lease = Lease {
                by: self.instance.clone(),
                until: now + f64::from(longest),
            };
            let leased = lease.written_into(&stored)?;
            match self.runtime.compare_and_set(&stored, &leased).await {
                Some(true) => {
                    *self.lease.borrow_mut() = Some(leased);
                    return None;
                }
                // A store that can't compare-and-set: the re-read was all it can do.
                None => return None,
                // Another instance wrote first: read again (a few times; a store that never
                // agrees is not worth waiting for).
                Some(false) if conflicts < MAX_CONFLICTS => conflicts += 1,
                Some(false) => return None,
            }
        }
    }

    /// The session as a snapshot for storage or other tabs; `None` when signed out.
    pub fn snapshot(&self) -> Option<String> {
        self.core.borrow().snapshot()
    }

    /// Takes over a newer session from storage or another tab; `false` if it was not newer or
    /// not usable.
    pub fn adopt_snapshot(&self, snapshot: &str) -> bool {
        self.adopt_from(Source::Here, snapshot)
    }

    /// [`Self::adopt_snapshot`], from `source`.
    fn adopt_from(&self, source: Source, snapshot: &str) -> bool {
        let adopted = self
            .core
            .borrow_mut()
            .adopt_snapshot(snapshot, (self.clock)());
        self.source.set(source);
        self.emit();
        self.source.set(Source::Here);
        adopted
    }

    /// Forgets the session without telling the host (another tab already signed out).
    pub fn sign_out_locally(&self) {
        self.core.borrow_mut().sign_out();
        self.emit();
    }

    /// On page load: the stored session, or one refresh through the refresh cookie.
    /// `None` when there is no session to restore; network trouble is still an error.
    pub async fn restore(&self) -> Result<Option<Session>> {
        if let Some(snapshot) = self.runtime.stored_snapshot().await {
            self.adopt_from(Source::Store, &snapshot);
        }
        if !self.core.borrow().is_expired((self.clock)()) {
            return Ok(self.session());
        }
        match self.refresh().await {
            Ok(session) => Ok(Some(session)),
            Err(e) if e.code == ErrorCode::SessionExpired => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ends the session at the host and forgets it locally, even when the host can't be reached.
    pub async fn logout(&self) {
        // Without `everywhere` there is nothing that can fail.
        let _ = self.logout_with(LogoutInput::default()).await;
    }

    /// `logout({ everywhere })`. With `everywhere`, first ends the user's other sessions (with
    /// the access token, refreshed if need be), then this one as [`Self::logout`] does. Local
    /// state goes whatever happens; the answer is the failure to end the other sessions, if any,
    /// so the app can say they may still be signed in.
    pub async fn logout_with(&self, input: LogoutInput) -> Result<()> {
        let end_others = self.core.borrow().logout_others_request(&input).is_some();
        let others = if end_others {
            self.authed(&AuthCore::revoke_all_sessions)
                .await
                .and_then(|r| expect_success(&r, StatusMeaning::SIGNED_IN))
        } else {
            Ok(())
        };
        let request = self.core.borrow().logout_request();
        // Local state goes whatever happens: a user who clicked "Sign out" is signed out here.
        if let Some(request) = request {
            let _ = self.send(request).await;
        }
        self.core.borrow_mut().sign_out();
        self.emit();
        others
    }

    /// Runs a login step (MFA, passwordless completion): the answer is a [`LoginResult`].
    pub async fn step(
        &self,
        build: impl FnOnce(&AuthCore) -> Result<HttpRequest>,
        meaning: StatusMeaning,
    ) -> Result<LoginResult> {
        let request = build(&self.core.borrow())?;
        let response = self.send(request).await?;
        self.finish_step(response, meaning).await
    }

    /// Reads a login step's answer; a session it starts is taken in and announced, an MFA step
    /// it asks for gets its remember-device policy.
    pub async fn finish_step(
        &self,
        response: HttpResponse,
        meaning: StatusMeaning,
    ) -> Result<LoginResult> {
        let result = self
            .core
            .borrow_mut()
            .handle_login_like(response, (self.clock)(), meaning);
        self.emit();
        self.with_remember_policy(result?).await
    }

    /// Sends the request `build` makes; with the access token when `signed_in` (see `authed`).
    pub async fn exchange(
        &self,
        build: &dyn Fn(&AuthCore) -> Result<HttpRequest>,
        signed_in: bool,
    ) -> Result<HttpResponse> {
        if signed_in {
            return self.authed(build).await;
        }
        let request = build(&self.core.borrow())?;
        self.send(request).await
    }

    /// Runs a call that needs no session and answers a typed body (e.g. `{ otcToken }`).
    pub async fn call<R: FromJson>(
        &self,
        build: impl FnOnce(&AuthCore) -> Result<HttpRequest>,
        meaning: StatusMeaning,
    ) -> Result<R> {
        let request = build(&self.core.borrow())?;
        let response = self.send(request).await?;
        parse(&response, meaning)
    }

    /// Runs a call that needs no session and whose answer has no body worth reading.
    pub async fn call_empty(
        &self,
        build: impl FnOnce(&AuthCore) -> Result<HttpRequest>,
        meaning: StatusMeaning,
    ) -> Result<()> {
        let request = build(&self.core.borrow())?;
        let response = self.send(request).await?;
        expect_success(&response, meaning)
    }

    /// Runs a call with the access token whose answer has no body worth reading.
    pub async fn call_signed_in_empty(
        &self,
        build: impl Fn(&AuthCore) -> Result<HttpRequest>,
    ) -> Result<()> {
        let response = self.authed(&build).await?;
        expect_success(&response, StatusMeaning::SIGNED_IN)
    }

    /// Runs a call with the access token that answers a typed body.
    pub async fn call_signed_in<R: FromJson>(
        &self,
        build: impl Fn(&AuthCore) -> Result<HttpRequest>,
    ) -> Result<R> {
        let response = self.authed(&build).await?;
        parse(&response, StatusMeaning::SIGNED_IN)
    }

    /// Moves the session to another tenant and re-issues the token (`TOKEN_REFRESHED`).
    pub async fn switch_tenant(&self, tenant_id: &Value) -> Result<Session> {
        let tenant = AuthCore::tenant_choice(tenant_id)?;
        let response = self.authed(&|core| core.switch_tenant(&tenant)).await?;
        expect_success(&response, StatusMeaning::SIGNED_IN)?;
        self.core.borrow_mut().next_tenant = Some(tenant.clone());
        let session = self.refresh().await?;
        if session.user.tenant_id == tenant {
            return Ok(session);
        }
        // The refresh that answered was already out before the switch (concurrent callers share
        // one), so it could not name the tenant: ask once more, naming it.
        self.core.borrow_mut().next_tenant = Some(tenant.clone());
        let session = self.refresh().await;
        // A session taken from a peer or the store leaves the request unsent: a tenant still
        // pending would ride along on some later, unrelated refresh.
        self.core.borrow_mut().next_tenant = None;
        let session = session?;
        if session.user.tenant_id != tenant {
            return Err(Error::new(
                ErrorCode::Server,
                format!("switchTenant: the session is still in another tenant, not \"{tenant}\"."),
            ));
        }
        Ok(session)
    }

    /// Texts a code to a new MFA phone from settings; the core keeps its `otcToken` for
    /// [`Self::mfa_settings_confirm_sms`].
    pub async fn mfa_settings_enroll_sms(&self, args: &Value) -> Result<CodeSent> {
        let response = self
            .authed(&|core| core.mfa_settings_enroll_sms(args))
            .await?;
        self.take_in(|core, _| core.handle_code_texted(&response))
    }

    /// Enrolls the phone with the texted code; answers the recovery code, where given.
    pub async fn mfa_settings_confirm_sms(&self, args: &Value) -> Result<RecoveryCode> {
        let response = self
            .authed(&|core| core.mfa_settings_confirm_sms(args))
            .await?;
        self.take_in(|core, _| core.handle_settings_sms_confirmed(&response))
    }

    /// Sends a passwordless link or code.
    pub async fn passwordless_start(&self, args: &Value) -> Result<CodeSent> {
        let request = self.core.borrow().passwordless_start(args)?;
        let response = self.send(request).await?;
        self.take_in(|core, _| core.handle_passwordless_start(&response))
    }

    /// Creates an account; signed in at once, or waiting for the activation email.
    pub async fn signup(&self, args: &Value) -> Result<SignUpResult> {
        let request = self.core.borrow().signup_request(args)?;
        let response = self.send(request).await?;
        self.finish_signup(response).await
    }

    /// Reads a sign-up's answer; a session it starts is taken in and announced, an MFA step it
    /// asks for gets its remember-device policy.
    pub async fn finish_signup(&self, response: HttpResponse) -> Result<SignUpResult> {
        match self.take_in(|core, now| core.handle_signup(response, now))? {
            SignUpResult::Login(login) => Ok(SignUpResult::Login(Box::new(
                self.with_remember_policy(*login).await?,
            ))),
            other => Ok(other),
        }
    }

    /// The signed-in user's profile.
    pub async fn get_profile(&self) -> Result<Profile> {
        self.call_signed_in(AuthCore::profile_request).await
    }

    /// Sends a request that needs the access token: refreshes first when the token is about to
    /// expire (timers are throttled in background tabs, so this is the backstop), and refreshes
    /// and retries once if the host answers 401 anyway.
    ///
    /// `build` is a trait object so this state machine exists once in the wasm, not once per
    /// call site.
    async fn authed(
        &self,
        build: &dyn Fn(&AuthCore) -> Result<HttpRequest>,
    ) -> Result<HttpResponse> {
        // The core puts the current token on each request it builds.
        let attempt = |_token| async {
            let request = build(&self.core.borrow())?;
            let response = self.send(request).await?;
            Ok((response.status, response))
        };
        match self.with_token(attempt).await? {
            WithToken::Done(response) => Ok(response),
            WithToken::SessionEnded(_, e) => Err(e),
        }
    }

    /// The one copy of the rules for a call made with the access token (every signed-in API
    /// call, and `auth.fetch`): refresh first when the token is about to expire; on a 401 to a
    /// request that carried a token, refresh once (unless another caller already did) and send
    /// it again. `attempt(token)` sends once with `token` and reports the status.
    pub async fn with_token<R, A, F>(&self, attempt: A) -> Result<WithToken<R>>
    where
        A: Fn(Option<String>) -> F,
        F: std::future::Future<Output = Result<(u16, R)>>,
    {
        self.ensure_fresh().await?;
        let used = self.access_token();
        let generation = self.core.borrow().generation();
        let (status, first) = attempt(used.clone()).await?;
        if status != 401 || used.is_none() {
            return Ok(WithToken::Done(first));
        }
        if self.core.borrow().generation() != generation {
            // Signed out (or in as someone else) while the request was out: never resend it
            // with another session's token.
            return Ok(WithToken::SessionEnded(first, ended_meanwhile()));
        }
        match self.refresh_after_401(used.as_deref()).await {
            Ok(session) => {
                let token = Some(session.access_token.expose().to_owned());
                Ok(WithToken::Done(attempt(token).await?.1))
            }
            Err(e) if e.code == ErrorCode::SessionExpired => Ok(WithToken::SessionEnded(first, e)),
            Err(e) => Err(e),
        }
    }

    /// Whether `auth.fetch` may send the access token to `url` (see [`check_bearer_target`]):
    /// the identity host, `page_origin` and the `bearerOrigins` option; else `invalid_input`.
    pub fn check_bearer_target(&self, url: &str, page_origin: Option<&str>) -> Result<()> {
        let core = self.core.borrow();
        let options = core.options();
        check_bearer_target(url, &options.base_url, page_origin, &options.bearer_origins)
    }

    /// The access token in use, if signed in.
    pub fn access_token(&self) -> Option<String> {
        self.core
            .borrow()
            .session()
            .map(|s| s.access_token.expose().to_owned())
    }

    /// After a 401 to a request sent with `used`: refreshes, unless the session moved on since
    /// (another caller's refresh finished first), in which case the caller just retries. Without
    /// this, a 401 that arrives after a refresh would start a second one.
    async fn refresh_after_401(&self, used: Option<&str>) -> Result<Session> {
        match self.session() {
            Some(current) if Some(current.access_token.expose()) != used => Ok(current),
            _ => self.refresh().await,
        }
    }

    /// Refreshes when inside the leeway. A failed refresh is only fatal once the token has
    /// really expired; until then the current token is still good to use.
    pub async fn ensure_fresh(&self) -> Result<()> {
        let now = (self.clock)();
        let (signed_in, needs_refresh) = {
            let core = self.core.borrow();
            (core.session().is_some(), core.needs_refresh(now))
        };
        if !signed_in || !needs_refresh {
            return Ok(());
        }
        match self.refresh().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.code != ErrorCode::SessionExpired
                    && !self.core.borrow().is_expired((self.clock)()) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let timeout_ms = self.core.borrow().options().timeout_ms;
        self.runtime.send(request, timeout_ms).await
    }
}

/// Failures worth retrying: the host may answer next time.
fn is_transient(e: &Error) -> bool {
    match e.code {
        ErrorCode::Network | ErrorCode::Timeout => true,
        // A 2xx with a broken body is not retried: the host did answer.
        ErrorCode::Server => e.status.is_some_and(|s| s >= 500),
        _ => false,
    }
}

/// Clears the in-flight marker even if the refreshing future is dropped half-way, so a
/// cancelled refresh never blocks later ones (its waiters then see "cancelled").
struct WaitersGuard<'a>(&'a RefCell<Option<Vec<oneshot::Sender<Result<Session>>>>>);

impl WaitersGuard<'_> {
    fn take(self) -> Vec<oneshot::Sender<Result<Session>>> {
        self.0.borrow_mut().take().unwrap_or_default()
    }
}

impl Drop for WaitersGuard<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().take();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::client::lifecycle::RETRY_LATER_MS;
    use crate::client::runtime::PeerMessage;
    use crate::core::json::json;
    use crate::core::refresh::{MAX_TIMER_MS, MIN_REFRESH_GAP_MS};
    use crate::core::session::tests::jwt;
    use std::collections::VecDeque;

    /// A runtime that answers from a script, records what was sent and "sleeps" instantly,
    /// recording the delays: the client's timing rules run in microseconds.
    #[derive(Default)]
    pub(crate) struct Scripted {
        answers: RefCell<VecDeque<Result<HttpResponse>>>,
        pub(crate) sent: RefCell<Vec<String>>,
        slept: RefCell<Vec<u32>>,
        order: Rc<RefCell<Vec<&'static str>>>,
        /// The snapshot store, shared with other instances.
        stored: Rc<RefCell<Option<String>>>,
        /// Whether the store can compare-and-set.
        cas: bool,
        /// Sleeps yield once (so instances polled together interleave) instead of returning.
        yielding: bool,
        /// The first jitter, which names the instance in leases.
        name: Cell<f64>,
        /// Tasks the lifecycle spawned, not yet run.
        spawned: RefCell<Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>>,
        /// What the lifecycle told the other tabs.
        told: RefCell<Vec<PeerMessage>>,
        /// The Web Lock shared with another tab: held or not.
        tabs_lock: Option<Rc<Cell<bool>>>,
        /// The other tab, which hears what this one tells.
        peer: RefCell<Weak<Client<Scripted>>>,
        /// What another instance stores while this one's next request is out.
        stored_meanwhile: RefCell<Option<String>>,
        /// Simulated time: each sleep moves [`virtual_clock`] on by its delay, plus the next of
        /// these jumps (the machine's clock changed meanwhile).
        simulated: Cell<bool>,
        jumps: RefCell<VecDeque<f64>>,
    }

    thread_local! {
        static NOW: Cell<f64> = const { Cell::new(1_000_000.0) };
    }

    /// The simulated clock, epoch ms.
    fn virtual_clock() -> f64 {
        NOW.with(Cell::get)
    }

    /// Records its release in the shared order log, and frees the tabs' lock if it held it.
    pub(crate) struct Guard {
        order: Rc<RefCell<Vec<&'static str>>>,
        tabs: Option<Rc<Cell<bool>>>,
        waited: bool,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            self.order.borrow_mut().push("lock released");
            if let Some(held) = &self.tabs {
                held.set(false);
            }
        }
    }

    impl Runtime for Scripted {
        async fn send(&self, request: HttpRequest, _timeout_ms: u32) -> Result<HttpResponse> {
            self.sent.borrow_mut().push(
                request
                    .url
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
            // Yield once, as a real network call would, so concurrent callers interleave.
            YieldOnce(false).await;
            if let Some(snapshot) = self.stored_meanwhile.borrow_mut().take() {
                *self.stored.borrow_mut() = Some(snapshot);
            }
            self.answers
                .borrow_mut()
                .pop_front()
                .expect("the script has an answer")
        }
        fn sleep(&self, ms: u32) -> impl std::future::Future<Output = ()> + use<> {
            self.slept.borrow_mut().push(ms);
            if self.simulated.get() {
                let jump = self.jumps.borrow_mut().pop_front().unwrap_or(0.0);
                NOW.with(|now| now.set(now.get() + f64::from(ms) + jump));
            }
            YieldOnce(!self.yielding)
        }
        fn spawn(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
            self.spawned.borrow_mut().push(task);
        }
        fn store_snapshot(&self, snapshot: Option<&str>) {
            self.order.borrow_mut().push("stored");
            *self.stored.borrow_mut() = snapshot.map(str::to_owned);
        }
        fn tell_peers(&self, message: &PeerMessage) {
            self.told.borrow_mut().push(message.clone());
            let peer = self.peer.borrow().upgrade();
            if let Some(peer) = peer {
                peer.on_peer_message(message.clone());
            }
        }
        async fn compare_and_set(&self, expected: &str, value: &str) -> Option<bool> {
            if !self.cas {
                return None;
            }
            let mut stored = self.stored.borrow_mut();
            let same = stored.as_deref() == Some(expected);
            if same {
                *stored = Some(value.to_owned());
            }
            Some(same)
        }
        type RefreshLock = Guard;
        async fn refresh_lock(&self) -> Guard {
            let mut waited = false;
            if let Some(held) = &self.tabs_lock {
                while held.replace(true) {
                    waited = true;
                    YieldOnce(false).await;
                }
            }
            Guard {
                order: Rc::clone(&self.order),
                tabs: self.tabs_lock.clone(),
                waited,
            }
        }
        fn waited_for_peer(lock: &Guard) -> bool {
            lock.waited
        }
        fn jitter(&self) -> f64 {
            // The first call names the instance; timers and retries see no jitter.
            self.name.replace(0.0)
        }
        async fn stored_snapshot(&self) -> Option<String> {
            self.stored.borrow().clone()
        }
    }

    /// Pending on the first poll (waking itself), ready on the second.
    struct YieldOnce(bool);

    impl std::future::Future for YieldOnce {
        type Output = ();
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }

    pub(crate) fn answer(status: u16, body: crate::core::json::Value) -> Result<HttpResponse> {
        Ok(HttpResponse {
            status,
            body: body.to_string(),
            trace_id: None,
            set_cookies: vec!["fe_refresh_x=r".into()],
        })
    }

    pub(crate) fn tokens() -> crate::core::json::Value {
        json!({ "accessToken": jwt(json!({ "sub": "u", "email": "a@b.c" })), "expiresIn": 300 })
    }

    fn fixed_clock() -> f64 {
        1_000_000.0
    }

    pub(crate) fn client(script: Vec<Result<HttpResponse>>) -> Client<Scripted> {
        let options = Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap();
        let runtime = Scripted {
            answers: RefCell::new(script.into()),
            ..Scripted::default()
        };
        Client::new(options, Mode::Server, runtime, fixed_clock)
    }

    /// A client on simulated time, starting at `start` (epoch ms): its runtime's sleeps move the
    /// clock on instead of waiting.
    fn simulated(script: Vec<Result<HttpResponse>>, start: f64) -> Rc<Client<Scripted>> {
        NOW.with(|now| now.set(start));
        let options = Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap();
        let runtime = Scripted {
            answers: RefCell::new(script.into()),
            simulated: Cell::new(true),
            ..Scripted::default()
        };
        Rc::new(Client::new(options, Mode::Server, runtime, virtual_clock))
    }

    /// Signs `c` in (its first scripted answer), then runs its refresh timer (leeway 30 s, no
    /// jitter) until it stops; returns every auth event heard meanwhile.
    fn sign_in_and_run_timer(c: &Rc<Client<Scripted>>) -> Vec<AuthEvent> {
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let heard = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&heard);
        c.on_auth_state_change(Rc::new(move |event, _| log.borrow_mut().push(event)));
        c.runtime.slept.borrow_mut().clear();
        let due_at = c.core.borrow().refresh_due(virtual_clock(), 0.0).unwrap();
        let timer =
            Client::refresh_when_due(Rc::downgrade(c), virtual_clock(), due_at, c.timer.get());
        block_on(timer);
        let events = heard.borrow().clone();
        events
    }

    /// Runs `f` to completion on this thread (the scripted runtime never really waits).
    pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn concurrent_refreshes_share_one_request() {
        let c = client(vec![answer(200, tokens()), answer(201, tokens())]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let all = block_on(futures_util::future::join_all((0..10).map(|_| c.refresh())));
        assert!(all.iter().all(Result::is_ok));
        assert_eq!(
            *c.runtime.sent.borrow(),
            ["user", "refresh"],
            "one request for ten callers"
        );
    }

    #[test]
    fn a_refresh_answered_after_logout_changes_nothing() {
        let c = client(vec![answer(200, tokens()), answer(201, tokens())]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let heard = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&heard);
        c.on_auth_state_change(Rc::new(move |event, _| log.borrow_mut().push(event)));
        let mut refresh = std::pin::pin!(c.refresh());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let polled = std::future::Future::poll(refresh.as_mut(), &mut cx);
        assert!(polled.is_pending(), "the refresh is out");
        // The user signs out before its answer arrives.
        c.sign_out_locally();
        let late = block_on(refresh);
        assert_eq!(late.unwrap_err().code, ErrorCode::SessionExpired);
        assert!(
            c.session().is_none() && c.snapshot().is_none(),
            "not brought back"
        );
        assert_eq!(
            *heard.borrow(),
            [AuthEvent::SignedOut],
            "no SIGNED_IN after it"
        );
    }

    /// Tokens that live `seconds`.
    fn tokens_for(seconds: u32) -> crate::core::json::Value {
        json!({ "accessToken": jwt(json!({ "sub": "u", "email": "a@b.c" })), "expiresIn": seconds })
    }

    #[test]
    fn a_refresh_takes_the_session_another_instance_stored_instead_of_refreshing_again() {
        // Instance A signs in and refreshes; B restored A's first snapshot from the same store.
        let a = client(vec![answer(200, tokens()), answer(201, tokens_for(600))]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let first = a.snapshot().unwrap();
        block_on(a.refresh()).unwrap();
        let b = client(vec![]);
        assert!(b.adopt_snapshot(&first));
        *b.runtime.stored.borrow_mut() = a.snapshot();
        let session = block_on(b.refresh()).unwrap();
        assert_eq!(Some(session), a.session(), "A's rotated session");
        assert!(
            b.runtime.sent.borrow().is_empty(),
            "no refresh with the token A rotated"
        );
    }

    #[test]
    fn a_server_session_without_a_refresh_token_expires_when_it_would_refresh() {
        // The login's answer set no refresh cookie (a proxy dropped it): nothing to refresh with.
        let mut login = answer(200, tokens()).unwrap();
        login.set_cookies.clear();
        let c = client(vec![Ok(login)]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let heard = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&heard);
        c.on_auth_state_change(Rc::new(move |event, _| log.borrow_mut().push(event)));
        let e = block_on(c.refresh()).unwrap_err();
        assert_eq!(e.code, ErrorCode::SessionExpired);
        assert!(
            c.session().is_none(),
            "no session left that can't be refreshed"
        );
        assert_eq!(*heard.borrow(), [AuthEvent::SessionExpired]);
        assert_eq!(*c.runtime.sent.borrow(), ["user"], "nothing sent");
    }

    #[test]
    fn a_refused_refresh_takes_a_newer_stored_session_instead_of_signing_out() {
        let a = client(vec![answer(200, tokens()), answer(201, tokens_for(600))]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let first = a.snapshot().unwrap();
        let b = client(vec![answer(
            401,
            json!({ "errors": ["Refresh token reused"] }),
        )]);
        assert!(b.adopt_snapshot(&first));
        // Both refresh at once: A's answer lands in the store while B's request is out, and
        // the host refuses B's, whose token A just rotated.
        block_on(a.refresh()).unwrap();
        *b.runtime.stored_meanwhile.borrow_mut() = a.snapshot();
        let heard = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&heard);
        b.on_auth_state_change(Rc::new(move |event, _| log.borrow_mut().push(event)));
        let session = block_on(b.refresh()).unwrap();
        assert_eq!(Some(session), a.session());
        assert_eq!(
            *heard.borrow(),
            [AuthEvent::TokenRefreshed],
            "not SESSION_EXPIRED"
        );
        // With nothing newer stored, a refusal still ends the session.
        let c = client(vec![answer(401, json!({}))]);
        assert!(c.adopt_snapshot(&first));
        assert_eq!(
            block_on(c.refresh()).unwrap_err().code,
            ErrorCode::SessionExpired
        );
        assert!(c.session().is_none());
    }

    #[test]
    fn simulated_a_60_day_token_is_waited_for_in_timer_steps_then_refreshed_once() {
        let sixty_days = 60 * 86_400;
        let c = simulated(
            vec![answer(200, tokens_for(sixty_days)), answer(201, tokens())],
            0.0,
        );
        let heard = sign_in_and_run_timer(&c);
        let rest = 60.0 * 86_400_000.0 - 30_000.0 - 2.0 * f64::from(MAX_TIMER_MS);
        assert_eq!(
            *c.runtime.slept.borrow(),
            [MAX_TIMER_MS, MAX_TIMER_MS, rest as u32],
            "no timer longer than timers take"
        );
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh"], "one refresh");
        assert_eq!(heard, [AuthEvent::TokenRefreshed]);
        assert_eq!(virtual_clock(), 60.0 * 86_400_000.0 - 30_000.0);
    }

    #[test]
    fn simulated_a_10_second_token_is_refreshed_at_half_its_life() {
        let c = simulated(
            vec![answer(200, tokens_for(10)), answer(201, tokens_for(10))],
            0.0,
        );
        let heard = sign_in_and_run_timer(&c);
        assert_eq!(*c.runtime.slept.borrow(), [5_000]);
        assert_eq!(heard, [AuthEvent::TokenRefreshed]);
    }

    #[test]
    fn simulated_ten_minutes_of_failing_refreshes_never_sign_the_user_out() {
        let mut script = vec![answer(200, tokens_for(3_600))];
        // Twenty timer rounds of three tries each: network down, then 503s.
        for i in 0..60 {
            script.push(if i % 2 == 0 {
                Err(Error::new(ErrorCode::Network, "down"))
            } else {
                answer(503, json!({}))
            });
        }
        script.push(answer(201, tokens_for(3_600)));
        let c = simulated(script, 0.0);
        let heard = sign_in_and_run_timer(&c);
        assert_eq!(
            heard,
            [AuthEvent::TokenRefreshed],
            "no SESSION_EXPIRED, no SIGNED_OUT"
        );
        assert!(c.session().is_some());
        let retries_later = c
            .runtime
            .slept
            .borrow()
            .iter()
            .filter(|&&ms| ms == RETRY_LATER_MS)
            .count();
        assert_eq!(retries_later, 20, "a try every 30 s for ten minutes");
        assert_eq!(c.runtime.sent.borrow().len(), 1 + 61);
    }

    #[test]
    fn simulated_the_clock_jumping_back_delays_nothing_and_forward_refreshes_at_once() {
        // Back an hour during the wait: the refresh is still due when the timer says (the host's
        // expiry didn't move), not an hour later by the wall clock.
        let c = simulated(
            vec![answer(200, tokens_for(3_600)), answer(201, tokens())],
            0.0,
        );
        c.runtime.jumps.borrow_mut().push_back(-3_600_000.0);
        sign_in_and_run_timer(&c);
        assert_eq!(*c.runtime.slept.borrow(), [3_570_000]);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh"]);

        // Forward past the due time (a laptop waking up): one refresh, no waiting for the rest.
        let c = simulated(
            vec![answer(200, tokens_for(3_600)), answer(201, tokens())],
            0.0,
        );
        c.runtime.jumps.borrow_mut().push_back(7_200_000.0);
        sign_in_and_run_timer(&c);
        assert_eq!(*c.runtime.slept.borrow(), [3_570_000]);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh"]);
    }

    #[test]
    fn simulated_a_timer_whose_session_moved_on_stops_without_refreshing() {
        let c = simulated(vec![answer(200, tokens_for(3_600))], 0.0);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        // Another timer was armed since.
        let stale = c.timer.get().wrapping_sub(1);
        block_on(Client::refresh_when_due(
            Rc::downgrade(&c),
            0.0,
            3_570_000.0,
            stale,
        ));
        assert_eq!(*c.runtime.sent.borrow(), ["user"]);
        // A dropped client: the timer holds it weakly and ends.
        let weak = Rc::downgrade(&c);
        drop(c);
        block_on(Client::refresh_when_due(weak, 0.0, 0.0, 0));
    }

    #[test]
    fn a_sign_out_while_the_store_is_read_stays_a_sign_out() {
        let a = client(vec![answer(200, tokens()), answer(201, tokens_for(600))]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let first = a.snapshot().unwrap();
        block_on(a.refresh()).unwrap();
        let b = client(vec![answer(201, tokens())]);
        assert!(b.adopt_snapshot(&first));
        *b.runtime.stored.borrow_mut() = a.snapshot();
        b.sign_out_locally();
        assert!(
            block_on(b.adopt_newer_stored()).is_none(),
            "nothing adopted when signed out"
        );
        assert!(b.session().is_none());
    }

    #[test]
    fn a_401_after_a_sign_out_is_not_resent_with_another_sessions_token() {
        let c = client(vec![answer(200, tokens())]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let tries = Cell::new(0);
        let attempt = |_token| {
            tries.set(tries.get() + 1);
            // The user signs out while the request is out; it comes back 401.
            c.sign_out_locally();
            async { Ok((401, "first")) }
        };
        let ended = block_on(c.with_token(attempt)).unwrap();
        assert!(matches!(ended, WithToken::SessionEnded("first", _)));
        assert_eq!(tries.get(), 1, "not resent");
        assert_eq!(*c.runtime.sent.borrow(), ["user"], "no refresh");
    }

    /// Tokens of a session in `tenant`.
    fn tokens_in(tenant: &str) -> crate::core::json::Value {
        let claims =
            json!({ "sub": "u", "email": "a@b.c", "tenantId": tenant, "tenantIds": ["t1", "t2"] });
        json!({ "accessToken": jwt(claims), "expiresIn": 300 })
    }

    #[test]
    fn a_switch_answered_by_a_refresh_sent_before_it_asks_again_naming_the_tenant() {
        let c = client(vec![
            answer(200, tokens_in("t1")),
            answer(200, json!({})),
            answer(201, tokens_in("t1")),
            answer(201, tokens_in("t2")),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let session = block_on(c.switch_tenant(&json!("t2"))).unwrap();
        assert_eq!(session.user.tenant_id, "t2");
        assert_eq!(
            *c.runtime.sent.borrow(),
            ["user", "tenant", "refresh", "refresh"]
        );
        assert_eq!(c.core.borrow().next_tenant, None, "nothing left pending");

        // A host that doesn't switch: an error, and no tenant left to ride on a later refresh.
        let c = client(vec![
            answer(200, tokens_in("t1")),
            answer(200, json!({})),
            answer(201, tokens_in("t1")),
            answer(201, tokens_in("t1")),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let err = block_on(c.switch_tenant(&json!("t2"))).unwrap_err();
        assert_eq!(err.code, ErrorCode::Server);
        assert_eq!(c.core.borrow().next_tenant, None);
    }

    #[test]
    fn transient_refresh_failures_are_retried_with_backoff() {
        let network = Err(Error::new(ErrorCode::Network, "down"));
        let c = client(vec![
            answer(200, tokens()),
            network,
            answer(503, json!({})),
            answer(201, tokens()),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        block_on(c.refresh()).expect("third try works");
        assert_eq!(
            *c.runtime.sent.borrow(),
            ["user", "refresh", "refresh", "refresh"]
        );
        assert_eq!(*c.runtime.slept.borrow(), [500, 1000]);
    }

    #[test]
    fn retries_stop_after_three_tries_and_keep_the_session() {
        let down = || Err(Error::new(ErrorCode::Timeout, "slow"));
        let c = client(vec![answer(200, tokens()), down(), down(), down()]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        assert_eq!(block_on(c.refresh()).unwrap_err().code, ErrorCode::Timeout);
        assert_eq!(c.runtime.sent.borrow().len(), 4);
        assert!(c.session().is_some(), "a network failure is not a sign-out");
    }

    #[test]
    fn the_snapshot_is_stored_under_the_lock_and_listeners_hear_after_it() {
        let c = Rc::new(client(vec![answer(200, tokens()), answer(201, tokens())]));
        c.start(PERSIST);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let order = Rc::clone(&c.runtime.order);
        order.borrow_mut().clear();
        let log = Rc::clone(&order);
        c.on_auth_state_change(Rc::new(move |_, _| log.borrow_mut().push("listener")));
        block_on(c.refresh()).unwrap();
        assert_eq!(*order.borrow(), ["stored", "lock released", "listener"]);
    }

    #[test]
    fn an_mfa_step_carries_the_remember_device_policy() {
        let challenge = json!({ "mfaRequired": true, "mfaToken": "m 1" });
        let c = client(vec![
            answer(200, challenge.clone()),
            answer(
                200,
                json!({ "isAllowedToRemember": true, "mfaDeviceExpiration": 2592000 }),
            ),
        ]);
        let LoginResult::MfaRequired { mfa } =
            block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap()
        else {
            panic!("expected MFA")
        };
        assert_eq!(mfa.remember_device_allowed, Some(true));
        assert_eq!(
            *c.runtime.sent.borrow(),
            ["user", "allow-remember-device?mfaToken=m%201"]
        );

        // The lookup failing leaves it unknown; the login itself goes on.
        let c = client(vec![
            answer(200, challenge.clone()),
            Err(Error::new(ErrorCode::Network, "down")),
        ]);
        let result = block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        assert!(
            matches!(result, LoginResult::MfaRequired { ref mfa } if mfa.remember_device_allowed.is_none())
        );

        // Login steps that lead to MFA (passwordless, enrollment) are answered the same way.
        let c = client(vec![
            answer(
                200,
                json!({ "mfaRequired": true, "mfaToken": "m2", "mfaEnrolled": false }),
            ),
            answer(200, json!({ "isAllowedToRemember": false })),
        ]);
        let result = block_on(c.step(
            |core| core.passwordless_complete(&json!({ "type": "OTC", "token": "1" })),
            StatusMeaning::PASSWORDLESS,
        ))
        .unwrap();
        let LoginResult::MfaEnrollmentRequired { mfa } = result else {
            panic!("{result:?}")
        };
        assert_eq!(mfa.remember_device_allowed, Some(false));
        // ... and the policy then keeps `rememberDevice: true` off the wire.
        let request = c
            .core
            .borrow()
            .mfa_confirm_totp(&json!({ "code": "1", "rememberDevice": true }))
            .unwrap();
        assert_eq!(
            request.body.as_deref(),
            Some(r#"{"mfaToken":"m2","token":"1"}"#)
        );
    }

    #[test]
    fn sms_enrollment_from_settings_remembers_the_otc_token() {
        let c = client(vec![
            answer(200, tokens()),
            answer(200, json!({ "otcToken": "o1", "phoneNumber": "+15550100" })),
            answer(201, json!({ "recoveryCode": "R-1" })),
            answer(200, json!({ "otcToken": null, "phoneNumber": null })),
            Ok(HttpResponse {
                status: 200,
                body: String::new(),
                trace_id: None,
                set_cookies: vec![],
            }),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let sent =
            block_on(c.mfa_settings_enroll_sms(&json!({ "phoneNumber": "+15550100" }))).unwrap();
        assert_eq!(sent.otc_token.as_deref(), Some("o1"));
        let done = block_on(c.mfa_settings_confirm_sms(&json!({ "code": "123456" }))).unwrap();
        assert_eq!(done.recovery_code.as_deref(), Some("R-1"));
        assert_eq!(c.core.borrow().pending_otc, None, "used up");
        // Nulls and an empty confirmation are still answers.
        let sent =
            block_on(c.mfa_settings_enroll_sms(&json!({ "phoneNumber": "+15550100" }))).unwrap();
        assert_eq!(sent, CodeSent::default());
        let done = block_on(c.mfa_settings_confirm_sms(&json!({ "otcToken": "o2", "code": "1" })))
            .unwrap();
        assert_eq!(done, RecoveryCode::default());
        assert_eq!(
            *c.runtime.sent.borrow(),
            ["user", "enroll", "verify", "enroll", "verify"]
        );
    }

    #[test]
    fn a_rejected_refresh_is_not_retried() {
        let c = client(vec![
            answer(200, tokens()),
            answer(401, json!({ "errors": ["Session expired"] })),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        assert_eq!(
            block_on(c.refresh()).unwrap_err().code,
            ErrorCode::SessionExpired
        );
        assert!(c.runtime.slept.borrow().is_empty());
        assert!(c.session().is_none());
    }

    #[test]
    fn logout_everywhere_ends_the_other_sessions_then_this_one() {
        let everywhere = LogoutInput { everywhere: true };
        let c = client(vec![
            answer(200, tokens()),
            answer(200, json!({})),
            answer(201, json!({})),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        block_on(c.logout_with(everywhere)).unwrap();
        assert_eq!(*c.runtime.sent.borrow(), ["user", "all", "logout"]);
        assert!(c.session().is_none());

        // The host refusing to end the others: this session still ends, locally too, and the
        // caller hears why the others may live on.
        let c = client(vec![
            answer(200, tokens()),
            answer(403, json!({ "errors": ["Forbidden"] })),
            Err(Error::new(ErrorCode::Network, "down")),
        ]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let err = block_on(c.logout_with(everywhere)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "all", "logout"]);
        assert!(
            c.session().is_none(),
            "signed out locally whatever the network said"
        );

        // Signed out already: just the logout request, and no error.
        let c = client(vec![answer(201, json!({}))]);
        block_on(c.logout_with(everywhere)).unwrap();
        assert_eq!(*c.runtime.sent.borrow(), ["logout"]);
    }

    /// A lifecycle that stores every change and tells the peers, with no timers.
    const PERSIST: Lifecycle = Lifecycle {
        auto_refresh: false,
        persist: true,
        share_with_peers: true,
    };

    /// An instance named `name` over the store `stored` (compare-and-set if `cas`), whose
    /// sleeps and requests yield, so instances polled together interleave.
    fn sharing(
        name: f64,
        stored: &Rc<RefCell<Option<String>>>,
        cas: bool,
        script: Vec<Result<HttpResponse>>,
    ) -> Rc<Client<Scripted>> {
        let options = Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap();
        let runtime = Scripted {
            answers: RefCell::new(script.into()),
            stored: Rc::clone(stored),
            cas,
            yielding: true,
            name: Cell::new(name),
            ..Scripted::default()
        };
        let c = Rc::new(Client::new(options, Mode::Server, runtime, fixed_clock));
        c.start(PERSIST);
        c
    }

    /// Runs the tasks `c`'s lifecycle spawned, and those they spawn, to completion.
    fn run_spawned(c: &Client<Scripted>) {
        loop {
            let tasks: Vec<_> = c.runtime.spawned.borrow_mut().drain(..).collect();
            if tasks.is_empty() {
                return;
            }
            for task in tasks {
                block_on(task);
            }
        }
    }

    #[test]
    fn every_change_is_stored_told_to_the_tabs_and_followed_by_a_timer() {
        let c = Rc::new(client(vec![
            answer(200, tokens()),
            answer(201, tokens()),
            answer(201, json!({})),
        ]));
        c.start(Lifecycle {
            auto_refresh: true,
            ..PERSIST
        });
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        assert_eq!(*c.runtime.stored.borrow(), c.snapshot());
        assert_eq!(
            *c.runtime.told.borrow(),
            [PeerMessage::Session(c.snapshot().unwrap())]
        );
        assert_eq!(c.runtime.spawned.borrow().len(), 1, "a refresh timer");
        // The timer refreshes (the fixed clock says it is due), which arms the next one.
        let first = c.runtime.spawned.borrow_mut().pop().unwrap();
        block_on(first);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh"]);
        assert_eq!(c.runtime.spawned.borrow().len(), 1, "the next timer");
        block_on(c.logout());
        assert_eq!(*c.runtime.stored.borrow(), None, "removed");
        assert_eq!(
            c.runtime.told.borrow().last(),
            Some(&PeerMessage::SignedOut)
        );
        // The timer armed before the sign-out wakes and stops.
        run_spawned(&c);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh", "logout"]);
    }

    #[test]
    fn a_peers_news_is_taken_in_and_stored_but_not_told_back() {
        let a = client(vec![answer(200, tokens()), answer(201, tokens_for(600))]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let first = a.snapshot().unwrap();
        block_on(a.refresh()).unwrap();
        let b = Rc::new(client(vec![]));
        b.start(PERSIST);
        b.on_peer_message(PeerMessage::Session(first.clone()));
        b.on_peer_message(PeerMessage::Session(a.snapshot().unwrap()));
        assert_eq!(b.session(), a.session());
        assert_eq!(*b.runtime.stored.borrow(), a.snapshot());
        b.on_peer_message(PeerMessage::SignedOut);
        assert!(b.session().is_none() && b.runtime.stored.borrow().is_none());
        assert!(b.runtime.told.borrow().is_empty(), "nothing echoed");
    }

    #[test]
    fn a_session_restored_from_the_store_is_not_written_back() {
        let a = client(vec![answer(200, tokens())]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let lease = Lease {
            by: "another".into(),
            until: fixed_clock() + 60_000.0,
        };
        let leased = lease.written_into(&a.snapshot().unwrap()).unwrap();
        let stored = Rc::new(RefCell::new(Some(leased.clone())));
        let b = sharing(0.5, &stored, true, vec![]);
        assert!(block_on(b.restore()).unwrap().is_some());
        assert_eq!(
            stored.borrow().as_deref(),
            Some(leased.as_str()),
            "another's lease left alone"
        );
    }

    #[test]
    fn a_lost_refresh_answer_is_re_checked_before_any_retry() {
        // In the store: another instance's session arrives while the answer is lost.
        let a = client(vec![answer(200, tokens()), answer(201, tokens_for(600))]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let first = a.snapshot().unwrap();
        block_on(a.refresh()).unwrap();
        let b = client(vec![Err(Error::new(ErrorCode::Timeout, "lost"))]);
        assert!(b.adopt_snapshot(&first));
        *b.runtime.stored_meanwhile.borrow_mut() = a.snapshot();
        assert_eq!(block_on(b.refresh()).unwrap(), a.session().unwrap());
        assert_eq!(b.runtime.sent.borrow().len(), 1, "not sent again");

        // From a tab: its session arrives while this tab's answer is lost.
        let c = client(vec![Err(Error::new(ErrorCode::Timeout, "lost"))]);
        assert!(c.adopt_snapshot(&first));
        let mut refresh = std::pin::pin!(c.refresh());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(std::future::Future::poll(refresh.as_mut(), &mut cx).is_pending());
        c.on_peer_message(PeerMessage::Session(a.snapshot().unwrap()));
        assert_eq!(block_on(refresh).unwrap(), a.session().unwrap());
        assert_eq!(c.runtime.sent.borrow().len(), 1, "not sent again");
    }

    /// `first`: a session, stored; the store is shared by two instances that both hold it.
    fn two_instances(cas: bool) -> (Rc<Client<Scripted>>, Rc<Client<Scripted>>) {
        let a = client(vec![answer(200, tokens())]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let stored = Rc::new(RefCell::new(a.snapshot()));
        let one = sharing(0.25, &stored, cas, vec![answer(201, tokens_for(600))]);
        let two = sharing(0.75, &stored, cas, vec![answer(201, tokens_for(900))]);
        block_on(one.restore()).unwrap();
        block_on(two.restore()).unwrap();
        (one, two)
    }

    #[test]
    fn two_instances_sharing_a_compare_and_set_store_refresh_once() {
        let (one, two) = two_instances(true);
        let (a, b) = block_on(futures_util::future::join(one.refresh(), two.refresh()));
        assert_eq!(a.unwrap(), b.unwrap(), "one session for both");
        let sent = one.runtime.sent.borrow().len() + two.runtime.sent.borrow().len();
        assert_eq!(sent, 1, "one refresh between them");
        assert_eq!(
            *one.runtime.stored.borrow(),
            one.snapshot(),
            "no lease left"
        );

        // Without compare-and-set the re-read narrows the race but can't close it: both
        // refresh (the README says so, and asks for compareAndSet).
        let (one, two) = two_instances(false);
        let _ = block_on(futures_util::future::join(one.refresh(), two.refresh()));
        let sent = one.runtime.sent.borrow().len() + two.runtime.sent.borrow().len();
        assert_eq!(sent, 2);
    }

    #[test]
    fn simulated_a_lease_whose_holder_died_is_taken_over_once_it_lapses() {
        let a = client(vec![answer(200, tokens())]);
        block_on(a.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let dead = Lease {
            by: "dead".into(),
            until: 2_000.0,
        };
        let c = simulated(vec![answer(201, tokens_for(600))], 0.0);
        let leased = dead.written_into(&a.snapshot().unwrap()).unwrap();
        *c.runtime.stored.borrow_mut() = Some(leased);
        let c = {
            let c = Rc::try_unwrap(c).ok().unwrap();
            let mut c = c;
            c.runtime.cas = true;
            Rc::new(c)
        };
        block_on(c.restore()).unwrap();
        block_on(c.refresh()).unwrap();
        assert_eq!(
            *c.runtime.slept.borrow(),
            vec![LEASE_POLL_MS; 8],
            "until it lapsed"
        );
        assert_eq!(*c.runtime.sent.borrow(), ["refresh"]);
    }

    #[test]
    fn a_refresh_that_failed_hands_its_lease_back() {
        let (one, _two) = two_instances(true);
        let down = || Err(Error::new(ErrorCode::Network, "down"));
        *one.runtime.answers.borrow_mut() = vec![down(), down(), down()].into();
        assert_eq!(
            block_on(one.refresh()).unwrap_err().code,
            ErrorCode::Network
        );
        assert_eq!(
            *one.runtime.stored.borrow(),
            one.snapshot(),
            "no lease left"
        );
    }

    #[test]
    fn catching_up_refreshes_a_due_token() {
        let c = simulated(
            vec![answer(200, tokens_for(10)), answer(201, tokens())],
            0.0,
        );
        c.start(Lifecycle {
            auto_refresh: true,
            ..PERSIST
        });
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let catch_up = || {
            c.runtime.spawned.borrow_mut().clear();
            c.catch_up();
            let catch_up = c.runtime.spawned.borrow_mut().pop().unwrap();
            block_on(catch_up);
        };
        // A 10 s token with a 30 s leeway: due at half its life, not at once.
        catch_up();
        assert_eq!(*c.runtime.sent.borrow(), ["user"]);
        NOW.with(|now| now.set(5_000.0));
        catch_up();
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh"]);
        // Not due: nothing sent.
        catch_up();
        assert_eq!(c.runtime.sent.borrow().len(), 2);
    }

    #[test]
    fn a_token_expired_on_arrival_is_refreshed_once_per_gap_not_in_a_burst() {
        // The host's clock is ten minutes behind: every 5-minute token it sends has expired
        // by this machine's clock when it arrives (no `expiresIn`, so its `exp` decides).
        let expired = |status| {
            let exp = (virtual_clock() / 1000.0) - 600.0 + 300.0;
            let claims = json!({ "sub": "u", "email": "a@b.c", "exp": exp });
            answer(
                status,
                json!({ "accessToken": jwt(claims), "refreshToken": "r" }),
            )
        };
        let c = simulated(vec![], 1_000_000.0);
        c.runtime.answers.borrow_mut().push_back(expired(200));
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        assert!(c.core.borrow().is_expired(virtual_clock()));
        // Calls right after it don't refresh ...
        for _ in 0..3 {
            block_on(c.ensure_fresh()).unwrap();
        }
        assert_eq!(c.runtime.sent.borrow().len(), 1, "the login only");
        // ... and once the gap is over a call refreshes, then the next waits a gap again.
        for round in 1..=3 {
            c.runtime.answers.borrow_mut().push_back(expired(201));
            let due_at = c.core.borrow().refresh_due(virtual_clock(), 0.0).unwrap();
            assert_eq!(
                due_at - virtual_clock(),
                MIN_REFRESH_GAP_MS,
                "round {round}"
            );
            NOW.with(|now| now.set(due_at));
            block_on(c.ensure_fresh()).unwrap();
            assert_eq!(c.runtime.sent.borrow().len(), 1 + round);
        }
    }

    #[test]
    fn two_tabs_whose_timers_fire_together_refresh_once_and_share_it() {
        let signed_in = client(vec![answer(200, tokens())]);
        block_on(signed_in.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        let lock = Rc::new(Cell::new(false));
        let tab = |answers| {
            let options = Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap();
            let runtime = Scripted {
                answers: RefCell::new(answers),
                tabs_lock: Some(Rc::clone(&lock)),
                yielding: true,
                ..Scripted::default()
            };
            let c = Rc::new(Client::new(options, Mode::Browser, runtime, fixed_clock));
            c.start(PERSIST);
            assert!(c.adopt_snapshot(&signed_in.snapshot().unwrap()));
            c
        };
        let one = tab(vec![answer(201, tokens_for(600))].into());
        let two = tab(vec![answer(201, tokens_for(900))].into());
        *one.runtime.peer.borrow_mut() = Rc::downgrade(&two);
        *two.runtime.peer.borrow_mut() = Rc::downgrade(&one);
        let (a, b) = block_on(futures_util::future::join(one.refresh(), two.refresh()));
        assert_eq!(
            a.unwrap(),
            b.unwrap(),
            "the second tab took the first one's session"
        );
        let sent = one.runtime.sent.borrow().len() + two.runtime.sent.borrow().len();
        assert_eq!(sent, 1, "one refresh for both tabs");
        assert!(!lock.get(), "the lock is free again");
    }

    #[test]
    fn simulated_a_refresh_sits_out_retry_after_only_while_it_keeps_its_lock_and_lease() {
        // Another tab takes the refresh lock over, and another instance the store's lease, only
        // after the longest a refresh can take ([`lock_takeover_ms`]): if either did sooner,
        // both would send the same refresh token, which the host takes for theft. So a
        // Retry-After is sat out only while the refresh still ends within that.
        let limited = |ms| {
            let mut e = Error::new(ErrorCode::RateLimited, "slow down");
            e.retry_after_ms = Some(ms);
            Err(e)
        };
        // 15 s requests, 46.5 s in all. 10 s, then 25 s: the first fits (15.5 s are left after
        // the first answer), the second not (10 s in, 25 s and the last attempt's 15 s would
        // end past 46.5 s).
        let c = simulated(
            vec![answer(200, tokens()), limited(10_000), limited(25_000)],
            0.0,
        );
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        c.runtime.slept.borrow_mut().clear();
        let e = block_on(c.refresh()).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(
            e.retry_after_ms,
            Some(25_000),
            "for the caller and the timer"
        );
        assert_eq!(*c.runtime.slept.borrow(), [10_000]);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh", "refresh"]);
        assert!(c.session().is_some());
    }

    #[test]
    fn simulated_a_timer_refresh_told_to_come_back_later_waits_that_long() {
        let mut limited = Error::new(ErrorCode::RateLimited, "slow down");
        limited.retry_after_ms = Some(120_000);
        let c = simulated(
            vec![
                answer(200, tokens_for(3_600)),
                Err(limited),
                answer(201, tokens()),
            ],
            0.0,
        );
        sign_in_and_run_timer(&c);
        // Beyond the 30 s a refresh waits in line, so the refresh gives up at once; the
        // timer then comes back after the two minutes the host asked for, not 30 s.
        assert_eq!(*c.runtime.slept.borrow(), [3_570_000, 120_000]);
        assert_eq!(*c.runtime.sent.borrow(), ["user", "refresh", "refresh"]);
    }
}
