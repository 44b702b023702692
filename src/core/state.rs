//! The sans-IO heart of the SDK: it turns calls into [`HttpRequest`]s and responses into
//! results and state, and never touches the network, a clock or a browser. Every shell (the
//! wasm bindings, the native client in tests) drives the same `AuthCore`.

use crate::core::json::Value;
use crate::core::json::{FromJson, ToJson};

use crate::core::config::{Mode, Options};
use crate::core::endpoints::{
    self, ApiTokenLogin, ApiTokenRefresh, AuthResponse, PasswordLogin, RefreshBody, RememberPolicy,
    AUTH_V2,
};
use crate::core::error::{Error, ErrorCode, Result, StatusMeaning};
use crate::core::flows::{self, LoginResult, Step};
use crate::core::http::{HttpRequest, HttpResponse, Method};
use crate::core::input::Fields;
use crate::core::json;
use crate::core::refresh::{refresh_due_at, AuthEvent};
use crate::core::secret::Secret;
use crate::core::session::{self, CookieUpdate, RefreshCookie, Session, Snapshot};

/// Client state and the rules that change it.
#[derive(Debug)]
pub struct AuthCore {
    options: Options,
    mode: Mode,
    session: Option<Session>,
    /// Server mode only; in browser mode the host's httpOnly cookie holds the refresh token.
    refresh_cookie: Option<RefreshCookie>,
    /// Server mode only: the remember-device cookie. It outlives sign-outs, as in a browser's
    /// cookie jar: a remembered device skips MFA on the next sign-in.
    device_cookie: Option<RefreshCookie>,
    /// Events not yet delivered to listeners.
    events: Vec<AuthEvent>,
    /// The MFA token of a login waiting for its second factor, so MFA calls may leave it out.
    pub(crate) pending_mfa: Option<String>,
    /// The host's answer for an MFA token: may that login remember its device?
    pub(crate) remember_policy: Option<(String, bool)>,
    /// The `otcToken` of the last code sent (passwordless, SMS device removal), so the next call
    /// may leave it out.
    pub(crate) pending_otc: Option<String>,
    /// After `switchTenant`: the tenant the next refresh asks for.
    pub(crate) next_tenant: Option<String>,
    /// An API-token session's refresh token: machine sessions refresh with it in the body.
    pub(crate) api_refresh: Option<Secret>,
    /// When the session was taken in (signed in, refreshed, or adopted from a snapshot), epoch
    /// ms by this machine's clock: when its refresh is due is reckoned from then
    /// ([`refresh_due_at`]).
    taken_at: f64,
    /// Bumped whenever a session starts or ends, so an answer to a request sent for an earlier
    /// session (a refresh still out when the user logged out) can be told apart and dropped.
    generation: u32,
}

/// Validated `logout` arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogoutInput {
    /// End every session of the user, not only this one.
    pub everywhere: bool,
}

/// A validated password login, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInput(PasswordLogin);

impl AuthCore {
    /// A signed-out client. `mode` is the resolved one (options or the runtime's default).
    pub fn new(options: Options, mode: Mode) -> Self {
        Self {
            options,
            mode,
            session: None,
            refresh_cookie: None,
            device_cookie: None,
            events: Vec::new(),
            pending_mfa: None,
            remember_policy: None,
            pending_otc: None,
            next_tenant: None,
            api_refresh: None,
            taken_at: 0.0,
            generation: 0,
        }
    }

    /// Which session this is: it changes when a session starts or ends (see [`Self::sign_out`]).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Browser or server.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The current session, if signed in.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Events since the last call, oldest first, for the shell to deliver to listeners.
    pub fn take_events(&mut self) -> Vec<AuthEvent> {
        std::mem::take(&mut self.events)
    }

    /// True when the access token is missing or its refresh is due, as the refresh timer
    /// reckons it seen when the session was taken in ([`refresh_due_at`], without jitter).
    pub fn needs_refresh(&self, now_ms: f64) -> bool {
        self.session
            .as_ref()
            .is_none_or(|s| now_ms >= self.refresh_due_at(self.taken_at, s, 0.0))
    }

    /// When the refresh timer armed at `now_ms` should refresh the session (see
    /// [`refresh_due_at`]); `None` when signed out.
    pub fn refresh_due(&self, now_ms: f64, jitter: f64) -> Option<f64> {
        self.session
            .as_ref()
            .map(|s| self.refresh_due_at(now_ms, s, jitter))
    }

    fn refresh_due_at(&self, now_ms: f64, session: &Session, jitter: f64) -> f64 {
        let leeway = f64::from(self.options.refresh_leeway_seconds) * 1000.0;
        refresh_due_at(now_ms, self.taken_at, session.expires_at, leeway, jitter)
    }

    /// True when the access token is past its expiry (no leeway): it must not be sent.
    pub fn is_expired(&self, now_ms: f64) -> bool {
        self.session.as_ref().is_none_or(|s| now_ms >= s.expires_at)
    }

    /// Validates `login` arguments: `{ email | username, password, invitationToken?, recaptchaToken? }`.
    pub fn login_input(args: &Value) -> Result<LoginInput> {
        let mut f = Fields::new("login", args)?;
        let email = f.opt_str("email")?.map(str::to_owned);
        let username = f.opt_str("username")?.map(str::to_owned);
        let password = f.req_str("password")?.to_owned();
        let invitation_token = f.opt_str("invitationToken")?.map(str::to_owned);
        let recaptcha_token = f.opt_str("recaptchaToken")?.map(str::to_owned);
        f.finish()?;
        if email.is_none() && username.is_none() {
            return Err(Error::invalid_input(
                "login: `email` or `username` is required.",
            ));
        }
        Ok(LoginInput(PasswordLogin {
            email,
            username,
            password: Secret::new(password),
            invitation_token,
            recaptcha_token,
        }))
    }

    /// The password login request.
    pub fn login_request(&self, input: &LoginInput) -> HttpRequest {
        self.request(
            Method::Post,
            endpoints::LOGIN,
            Some(json::to_string(&input.0)),
            Credentials::Refresh,
        )
    }

    /// Reads the password login answer; a 401 means a wrong email or password.
    pub fn handle_login(&mut self, resp: HttpResponse, now_ms: f64) -> Result<LoginResult> {
        self.handle_login_like(resp, now_ms, StatusMeaning::LOGIN)
    }

    /// Reads the answer of any login-like call (password, MFA step, passwordless, sign-up):
    /// tokens start a session; a next step is remembered (the MFA token) and returned.
    pub fn handle_login_like(
        &mut self,
        resp: HttpResponse,
        now_ms: f64,
        meaning: StatusMeaning,
    ) -> Result<LoginResult> {
        let body: AuthResponse = parse(&resp, meaning)?;
        self.finish_login(body, &resp, now_ms)
    }

    /// Turns a login-like answer's body into the result (shared with sign-up, which nests it).
    pub(crate) fn finish_login(
        &mut self,
        body: AuthResponse,
        resp: &HttpResponse,
        now_ms: f64,
    ) -> Result<LoginResult> {
        match flows::interpret(body)? {
            Step::Other(result) => {
                if let LoginResult::MfaRequired { mfa }
                | LoginResult::MfaEnrollmentRequired { mfa } = &result
                {
                    self.pending_mfa = Some(mfa.mfa_token.clone());
                    self.events.push(AuthEvent::MfaRequired);
                }
                Ok(result)
            }
            Step::Tokens(grant) => {
                let recovery_code = grant.recovery_code.clone();
                let session = self.absorb_grant(grant, resp, now_ms)?;
                self.session_started();
                Ok(LoginResult::Authenticated {
                    session,
                    recovery_code,
                })
            }
        }
    }

    /// `loginWithApiToken({ clientId, secret })`: a machine session (no cookies involved).
    pub fn api_token_request(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("loginWithApiToken", args)?;
        let body = ApiTokenLogin {
            client_id: f.req_str("clientId")?.to_owned(),
            secret: Secret::new(f.req_str("secret")?),
        };
        f.finish()?;
        Ok(self.request(
            Method::Post,
            &format!("{AUTH_V2}/api-token"),
            Some(json::to_string(&body)),
            Credentials::None,
        ))
    }

    /// Reads the API-token answer; the session refreshes with its own refresh token from now on.
    pub fn handle_api_token(&mut self, resp: HttpResponse, now_ms: f64) -> Result<Session> {
        let body: AuthResponse = parse(&resp, StatusMeaning::LOGIN)?;
        let Step::Tokens(grant) = flows::interpret(body)? else {
            return Err(Error::bad_response(
                resp.status,
                resp.trace_id,
                "the API-token login answered without tokens",
            ));
        };
        let refresh = grant.refresh_token.clone().ok_or_else(|| {
            Error::bad_response(
                resp.status,
                resp.trace_id.clone(),
                "the API-token login answered without a refresh token",
            )
        })?;
        self.forget();
        self.api_refresh = Some(refresh);
        let session = self.absorb_grant(grant, &resp, now_ms)?;
        self.events.push(AuthEvent::SignedIn);
        Ok(session)
    }

    /// The refresh request, or `session_expired` when server mode has nothing to refresh with.
    pub fn refresh_request(&self) -> Result<HttpRequest> {
        if let Some(refresh_token) = &self.api_refresh {
            let body = ApiTokenRefresh {
                refresh_token: refresh_token.clone(),
            };
            return Ok(self.request(
                Method::Post,
                &format!("{AUTH_V2}/api-token/token/refresh"),
                Some(json::to_string(&body)),
                Credentials::None,
            ));
        }
        if self.mode == Mode::Server && self.refresh_cookie.is_none() {
            return Err(Error::new(
                ErrorCode::SessionExpired,
                "No refresh token is held; sign in again.",
            ));
        }
        // Only a tenant switch names a tenant; otherwise `null`, as the official client sends it,
        // and the host keeps the session's tenant (naming the current one would undo a switch
        // made meanwhile in another tab or process).
        let tenant_id = self.next_tenant.clone().filter(|t| !t.is_empty());
        Ok(self.request(
            Method::Post,
            endpoints::REFRESH,
            Some(json::to_string(&RefreshBody { tenant_id })),
            Credentials::Refresh,
        ))
    }

    /// Ends a session that can no longer be refreshed (no refresh token is held): it expires as
    /// a refused refresh would end it, with `SESSION_EXPIRED`. Signed out, nothing happens.
    pub fn expire_session(&mut self) {
        if self.session.is_some() {
            self.events.push(AuthEvent::SessionExpired);
            self.forget();
        }
    }

    /// Reads the refresh response. A rejection ends the session: state is cleared and the
    /// error is `session_expired`. Other failures (5xx, garbage) keep the session as it is.
    pub fn handle_refresh(&mut self, resp: HttpResponse, now_ms: f64) -> Result<Session> {
        if matches!(resp.status, 400 | 401 | 403) {
            if self.session.is_some() {
                self.events.push(AuthEvent::SessionExpired);
            }
            self.forget();
            let mut err = Error::from_status(
                resp.status,
                &resp.body,
                resp.trace_id,
                StatusMeaning::REFRESH,
            );
            err.code = ErrorCode::SessionExpired;
            return Err(err);
        }
        let body: AuthResponse = parse(&resp, StatusMeaning::REFRESH)?;
        match flows::interpret(body)? {
            Step::Tokens(grant) => {
                let event = if self.session.is_some() {
                    AuthEvent::TokenRefreshed
                } else {
                    AuthEvent::SignedIn
                };
                let session = self.absorb_grant(grant, &resp, now_ms)?;
                self.next_tenant = None;
                self.events.push(event);
                Ok(session)
            }
            Step::Other(_) => Err(Error::bad_response(
                resp.status,
                resp.trace_id,
                "refresh answered without tokens",
            )),
        }
    }

    /// The logout request.
    ///
    /// `None` for an API-token (machine) session: the identity API has no call that ends one
    /// (its refresh token lives until it expires or the token is deleted), and the user logout
    /// would answer for nothing.
    pub fn logout_request(&self) -> Option<HttpRequest> {
        if self.api_refresh.is_some() {
            return None;
        }
        Some(self.request(
            Method::Post,
            endpoints::LOGOUT,
            Some("{}".into()),
            Credentials::Refresh,
        ))
    }

    /// Validates `logout` arguments: nothing, or `{ everywhere?: boolean }`.
    pub fn logout_input(args: &Value) -> Result<LogoutInput> {
        if args.is_null() {
            return Ok(LogoutInput::default());
        }
        let mut f = Fields::new("logout", args)?;
        let everywhere = f.opt_bool("everywhere")?.unwrap_or(false);
        f.finish()?;
        Ok(LogoutInput { everywhere })
    }

    /// What `logout` sends before its logout request: with `everywhere`, the call that ends the
    /// user's other sessions (`DELETE sessions/v1/me/all`, with the access token; the logout
    /// request then ends this one). `None` when there is nothing more to end: not `everywhere`,
    /// signed out (no token to revoke with), or an API-token session (a machine has no user
    /// sessions to end).
    pub fn logout_others_request(&self, input: &LogoutInput) -> Option<Result<HttpRequest>> {
        if !input.everywhere || self.session.is_none() || self.api_refresh.is_some() {
            return None;
        }
        Some(self.revoke_all_sessions())
    }

    /// The session as a snapshot for storage or other tabs (JSON), `None` when signed out. The
    /// refresh cookie is included only in server mode: in browser mode it never leaves the host's
    /// httpOnly cookie.
    pub fn snapshot(&self) -> Option<String> {
        let session = self.session.as_ref()?;
        let (refresh_cookie, api_refresh_token, device_cookie) = match self.mode {
            Mode::Server => (
                self.refresh_cookie
                    .as_ref()
                    .map(|c| Secret::new(c.header())),
                self.api_refresh.clone(),
                self.device_cookie.as_ref().map(|c| Secret::new(c.header())),
            ),
            Mode::Browser => (None, None, None),
        };
        Some(json::to_string(&Snapshot {
            version: Snapshot::VERSION,
            access_token: session.access_token.clone(),
            expires_at: session.expires_at,
            refresh_cookie,
            api_refresh_token,
            device_cookie,
            lease: None,
        }))
    }

    /// Takes over a session from storage or another tab if it is newer than the one held, at
    /// `now_ms`. A snapshot that doesn't parse, is of another version, or is older is ignored
    /// (`false`).
    pub fn adopt_snapshot(&mut self, text: &str, now_ms: f64) -> bool {
        self.take_snapshot(text, now_ms, true)
    }

    /// Takes over the session of `text` (as [`Self::adopt_snapshot`]), newer or not when
    /// `newer_only` is false: the store's word after it changed under a refresh's lease.
    pub fn take_snapshot(&mut self, text: &str, now_ms: f64, newer_only: bool) -> bool {
        let Some(snapshot) =
            json::from_str::<Snapshot>(text).filter(|s| s.version == Snapshot::VERSION)
        else {
            return false;
        };
        let (cookie, api_refresh, device_cookie) = match self.mode {
            Mode::Server => (
                snapshot
                    .refresh_cookie
                    .as_ref()
                    .and_then(|pair| RefreshCookie::from_pair(pair.expose())),
                snapshot.api_refresh_token.clone(),
                snapshot
                    .device_cookie
                    .as_ref()
                    .and_then(|pair| RefreshCookie::device_from_pair(pair.expose())),
            ),
            Mode::Browser => (None, None, None),
        };
        let refresh_token = api_refresh
            .clone()
            .or_else(|| cookie.as_ref().map(|c| c.value.clone()));
        let Ok(session) =
            session::session_expiring_at(snapshot.access_token, snapshot.expires_at, refresh_token)
        else {
            return false;
        };
        if newer_only
            && self
                .session
                .as_ref()
                .is_some_and(|held| !session.is_newer_than(held))
        {
            return false;
        }
        // The same user's newer token is a refresh; anyone else's (another tab signed in as
        // someone else) is a new session, announced as one and fencing off answers to requests
        // sent for the old one.
        let same_user = self
            .session
            .as_ref()
            .is_some_and(|held| held.user.id == session.user.id);
        if same_user {
            self.events.push(AuthEvent::TokenRefreshed);
        } else {
            self.session_started();
        }
        // The same user's snapshot without a credential (one a browser-mode tab stored) leaves
        // the one held; another user's replaces them all, so no refresh is ever made with the
        // previous user's cookie under the new user's session.
        if !same_user || cookie.is_some() {
            self.refresh_cookie = cookie;
        }
        if !same_user || api_refresh.is_some() {
            self.api_refresh = api_refresh;
        }
        if !same_user || device_cookie.is_some() {
            self.device_cookie = device_cookie;
        }
        self.session = Some(session);
        self.taken_at = now_ms;
        true
    }

    /// A new session (a sign-in here, or another user's session taken from a peer): announce
    /// it, fence off answers to requests sent for the one before, and drop the state of the
    /// login steps that led to it.
    fn session_started(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.pending_mfa = None;
        self.pending_otc = None;
        self.remember_policy = None;
        self.next_tenant = None;
        self.events.push(AuthEvent::SignedIn);
    }

    /// Signs out locally (whatever the server said): forgets the session and the refresh token.
    pub fn sign_out(&mut self) {
        if self.session.is_some() {
            self.events.push(AuthEvent::SignedOut);
        }
        self.forget();
    }

    /// Forgets the session. The remember-device cookie stays: it belongs to the device, not to
    /// the session (a browser keeps it after logout too).
    fn forget(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.session = None;
        self.refresh_cookie = None;
        self.pending_mfa = None;
        self.remember_policy = None;
        self.pending_otc = None;
        self.next_tenant = None;
        self.api_refresh = None;
    }

    /// `GET users/v2/me`; `unauthorized` when signed out.
    pub fn profile_request(&self) -> Result<HttpRequest> {
        self.authed(Method::Get, endpoints::ME, None)
    }

    /// Asks whether the login waiting with `mfa_token` may remember its device, as the official
    /// login box does before it offers the option.
    pub fn remember_policy_request(&self, mfa_token: &str) -> HttpRequest {
        let path = format!(
            "{}?mfaToken={}",
            endpoints::ALLOW_REMEMBER_DEVICE,
            crate::core::http::query_value(mfa_token)
        );
        self.request(Method::Get, &path, None, Credentials::None)
    }

    /// Reads that answer and keeps it for the MFA calls of `mfa_token`. `None` when the host
    /// didn't say (an error or another shape): nothing is assumed then.
    pub fn handle_remember_policy(&mut self, mfa_token: &str, resp: &HttpResponse) -> Option<bool> {
        let allowed = parse::<RememberPolicy>(resp, StatusMeaning::MFA)
            .ok()?
            .allowed()?;
        self.remember_policy = Some((mfa_token.to_owned(), allowed));
        Some(allowed)
    }

    /// A POST of a login step: cookies go along (the answer may set the refresh and device
    /// cookies).
    pub(crate) fn login_step<T: ToJson + ?Sized>(&self, path: &str, body: &T) -> HttpRequest {
        self.request(
            Method::Post,
            path,
            Some(json::to_string(body)),
            Credentials::Refresh,
        )
    }

    /// A POST with the access token and a JSON body.
    pub(crate) fn authed_post<T: ToJson + ?Sized>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<HttpRequest> {
        self.authed(Method::Post, path, Some(json::to_string(body)))
    }

    /// A request that carries the access token.
    pub(crate) fn authed(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<HttpRequest> {
        let session = self
            .session
            .as_ref()
            .ok_or_else(|| Error::new(ErrorCode::Unauthorized, "Not signed in."))?;
        let mut req = self.request(method, path, body, Credentials::None);
        req.headers.push((
            "authorization".into(),
            format!("Bearer {}", session.access_token.expose()),
        ));
        Ok(req)
    }

    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        credentials: Credentials,
    ) -> HttpRequest {
        let mut headers = Vec::new();
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        if let Some(app_id) = &self.options.app_id {
            headers.push(("frontegg-requested-application-id".into(), app_id.clone()));
        }
        let with_refresh = credentials == Credentials::Refresh;
        if with_refresh && self.mode == Mode::Server {
            // What a browser's jar would send the host: the refresh and remember-device cookies.
            let cookies: Vec<String> = [&self.refresh_cookie, &self.device_cookie]
                .into_iter()
                .flatten()
                .map(RefreshCookie::header)
                .collect();
            if !cookies.is_empty() {
                headers.push(("cookie".into(), cookies.join("; ")));
            }
        }
        HttpRequest {
            method,
            url: format!("{}{}", self.options.base_url, path),
            headers,
            body,
            with_credentials: with_refresh && self.mode == Mode::Browser,
        }
    }

    /// Turns issued tokens into the current session, keeping the refresh token in server mode
    /// only (from `Set-Cookie`, else from the body when a client id names the cookie).
    fn absorb_grant(
        &mut self,
        grant: flows::IssuedTokens,
        resp: &HttpResponse,
        now_ms: f64,
    ) -> Result<Session> {
        if self.api_refresh.is_some() {
            // Machine sessions rotate their refresh token in the body, never in a cookie.
            self.api_refresh = grant.refresh_token.clone().or(self.api_refresh.take());
        } else if self.mode == Mode::Server {
            match session::device_cookie_update(&resp.set_cookies) {
                Some(CookieUpdate::Set(cookie)) => self.device_cookie = Some(cookie),
                Some(CookieUpdate::Cleared) => self.device_cookie = None,
                None => {}
            }
            match session::refresh_cookie_update(&resp.set_cookies) {
                Some(CookieUpdate::Set(cookie)) => self.refresh_cookie = Some(cookie),
                Some(CookieUpdate::Cleared) => self.refresh_cookie = None,
                None => {
                    if let (Some(value), Some(client_id)) =
                        (&grant.refresh_token, &self.options.client_id)
                    {
                        self.refresh_cookie = Some(RefreshCookie {
                            name: RefreshCookie::name_for(client_id),
                            value: value.clone(),
                        });
                    }
                }
            }
        }
        let refresh_token = match &self.api_refresh {
            Some(token) => Some(token.clone()),
            None => self.refresh_cookie.as_ref().map(|c| c.value.clone()),
        };
        let session = session::session_from_token(
            grant.access_token,
            grant.expires_in,
            refresh_token,
            now_ms,
        )?;
        self.session = Some(session.clone());
        self.taken_at = now_ms;
        Ok(session)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// No cookies.
    None,
    /// The call reads or sets the refresh cookie.
    Refresh,
}

/// Maps a response to its typed body, or to the error its status means.
pub(crate) fn parse<T: FromJson>(resp: &HttpResponse, meaning: StatusMeaning) -> Result<T> {
    if !resp.is_success() {
        return Err(Error::from_status(
            resp.status,
            &resp.body,
            resp.trace_id.clone(),
            meaning,
        ));
    }
    json::from_str(&resp.body).ok_or_else(|| {
        Error::bad_response(
            resp.status,
            resp.trace_id.clone(),
            "the body is not the expected JSON",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::json;
    use crate::core::session::tests::jwt;

    fn core(mode: Mode) -> AuthCore {
        let options =
            Options::from_json(&json!({ "baseUrl": "http://h", "appId": "app" })).unwrap();
        AuthCore::new(options, mode)
    }

    fn ok(status: u16, body: Value, set_cookies: &[&str]) -> HttpResponse {
        HttpResponse {
            status,
            body: body.to_string(),
            trace_id: Some("trace".into()),
            set_cookies: set_cookies.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn tokens(sub: &str) -> Value {
        json!({ "accessToken": jwt(json!({"sub": sub, "email": "a@b.c", "tenantId": "t1"})), "refreshToken": "body-rt", "expiresIn": 300 })
    }

    #[test]
    fn login_input_validation() {
        for (args, msg) in [
            (json!(null), "object"),
            (json!({ "password": "x" }), "`email` or `username`"),
            (json!({ "email": "a@b.c" }), "`password` is required"),
            (
                json!({ "email": "", "password": "x" }),
                "`email` must not be empty",
            ),
            (
                json!({ "email": 1, "password": "x" }),
                "`email` must be a string",
            ),
            (
                json!({ "email": "a@b.c", "pasword": "x" }),
                "`password` is required",
            ),
            (
                json!({ "email": "a@b.c", "password": "x", "remember": true }),
                "unknown field `remember`",
            ),
        ] {
            let err = AuthCore::login_input(&args).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.message.contains(msg), "{args}: {}", err.message);
        }
    }

    #[test]
    fn browser_login_uses_the_cookie_and_drops_the_body_refresh_token() {
        let mut c = core(Mode::Browser);
        let input = AuthCore::login_input(&json!({ "email": "a@b.c", "password": "pw" })).unwrap();
        let req = c.login_request(&input);
        assert_eq!(req.url, "http://h/identity/resources/auth/v1/user");
        assert!(req.with_credentials);
        assert!(req
            .headers
            .contains(&("frontegg-requested-application-id".into(), "app".into())));
        let result = c.handle_login(ok(200, tokens("u1"), &[]), 0.0).unwrap();
        let LoginResult::Authenticated { session, .. } = result else {
            panic!()
        };
        assert_eq!(session.refresh_token, None);
        assert_eq!(session.expires_at, 300_000.0);
        let refresh = c.refresh_request().unwrap();
        assert!(refresh.with_credentials);
        assert_eq!(
            refresh.body.as_deref(),
            Some(r#"{"tenantId":null}"#),
            "as the official client: no tenant unless switching"
        );
        assert!(!refresh.headers.iter().any(|(k, _)| k == "cookie"));
        // The profile call carries the bearer token but no cookies.
        let me = c.profile_request().unwrap();
        assert!(!me.with_credentials);
        assert!(me
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v.starts_with("Bearer ")));
    }

    #[test]
    fn server_mode_keeps_and_rotates_the_refresh_cookie() {
        let mut c = core(Mode::Server);
        assert_eq!(
            c.refresh_request().unwrap_err().code,
            ErrorCode::SessionExpired
        );
        let input = AuthCore::login_input(&json!({ "email": "a@b.c", "password": "pw" })).unwrap();
        c.handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r1; HttpOnly"]), 0.0)
            .unwrap();
        assert_eq!(
            c.session()
                .unwrap()
                .refresh_token
                .as_ref()
                .map(Secret::expose),
            Some("r1")
        );
        let req = c.refresh_request().unwrap();
        assert!(!req.with_credentials);
        assert!(req
            .headers
            .contains(&("cookie".into(), "fe_refresh_x=r1".into())));
        c.handle_refresh(ok(201, tokens("u1"), &["fe_refresh_x=r2"]), 1.0)
            .unwrap();
        assert!(c
            .refresh_request()
            .unwrap()
            .headers
            .contains(&("cookie".into(), "fe_refresh_x=r2".into())));
        assert!(!c.login_request(&input).with_credentials);
    }

    #[test]
    fn server_mode_falls_back_to_the_body_token_when_cookies_are_hidden() {
        let options =
            Options::from_json(&json!({ "baseUrl": "http://h", "clientId": "ab-cd" })).unwrap();
        let mut c = AuthCore::new(options, Mode::Server);
        c.handle_login(ok(200, tokens("u1"), &[]), 0.0).unwrap();
        assert!(c
            .refresh_request()
            .unwrap()
            .headers
            .contains(&("cookie".into(), "fe_refresh_abcd=body-rt".into())));
    }

    #[test]
    fn rejected_refresh_ends_the_session_but_a_server_error_keeps_it() {
        let mut c = core(Mode::Browser);
        c.handle_login(ok(200, tokens("u1"), &[]), 0.0).unwrap();
        let err = c
            .handle_refresh(ok(502, json!("bad gateway"), &[]), 1.0)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Server);
        assert!(c.session().is_some());
        let err = c
            .handle_refresh(ok(200, json!("not an object"), &[]), 1.0)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Server);
        assert!(c.session().is_some());
        let err = c
            .handle_refresh(ok(401, json!({"errors": ["Session expired"]}), &[]), 1.0)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::SessionExpired);
        assert_eq!(err.trace_id.as_deref(), Some("trace"));
        assert!(c.session().is_none());
    }

    #[test]
    fn wrong_password_is_invalid_credentials() {
        let mut c = core(Mode::Browser);
        let err = c
            .handle_login(
                ok(
                    401,
                    json!({"errors": ["Incorrect email or password"], "errorCode": "ER-1"}),
                    &[],
                ),
                0.0,
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentials);
        assert_eq!(err.error_code.as_deref(), Some("ER-1"));
        assert!(c.session().is_none());
    }

    #[test]
    fn events_follow_the_session() {
        let mut c = core(Mode::Server);
        c.handle_login(
            ok(200, json!({"mfaRequired": true, "mfaToken": "m"}), &[]),
            0.0,
        )
        .unwrap();
        assert_eq!(c.take_events(), [AuthEvent::MfaRequired]);
        c.handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r1"]), 0.0)
            .unwrap();
        c.handle_refresh(ok(201, tokens("u1"), &["fe_refresh_x=r2"]), 1.0)
            .unwrap();
        assert_eq!(
            c.take_events(),
            [AuthEvent::SignedIn, AuthEvent::TokenRefreshed]
        );
        assert!(c.take_events().is_empty(), "taken once");
        c.handle_refresh(ok(401, json!({}), &[]), 2.0).unwrap_err();
        assert_eq!(c.take_events(), [AuthEvent::SessionExpired]);
        c.sign_out();
        assert!(
            c.take_events().is_empty(),
            "no session, nothing to sign out of"
        );
        c.handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r3"]), 0.0)
            .unwrap();
        c.sign_out();
        assert_eq!(c.take_events(), [AuthEvent::SignedIn, AuthEvent::SignedOut]);
    }

    #[test]
    fn the_newer_snapshot_is_the_one_the_host_issued_later_whatever_its_local_expiry() {
        let issued = |sub: &str, iat: f64, expires_in: f64| json!({ "accessToken": jwt(json!({"sub": sub, "email": "a@b.c", "iat": iat})), "expiresIn": expires_in });
        let snapshot = |answer: Value, now: f64| {
            let mut c = core(Mode::Server);
            c.handle_login(ok(200, answer, &["fe_refresh_x=r"]), now)
                .unwrap();
            c.snapshot().unwrap()
        };
        // Held: issued at 1000, expiring at 300 s. Another instance's refresh, issued at 1100
        // but expiring sooner by this clock (its clock is behind, or the host shortened the
        // tokens' life): newer all the same.
        let mut c = core(Mode::Server);
        c.handle_login(
            ok(200, issued("u1", 1000.0, 300.0), &["fe_refresh_x=r"]),
            0.0,
        )
        .unwrap();
        c.take_events();
        assert!(c.adopt_snapshot(&snapshot(issued("u1", 1100.0, 120.0), 0.0), 0.0));
        assert_eq!(c.take_events(), [AuthEvent::TokenRefreshed]);
        // An older one, however late its local expiry, is not.
        assert!(!c.adopt_snapshot(&snapshot(issued("u1", 1050.0, 900.0), 0.0), 0.0));
        // Issued in the same second, or tokens without `iat`: the later expiry decides.
        assert!(c.adopt_snapshot(&snapshot(issued("u1", 1100.0, 130.0), 0.0), 0.0));
        assert!(!c.adopt_snapshot(&snapshot(issued("u1", 1100.0, 125.0), 0.0), 0.0));
    }

    #[test]
    fn snapshots_round_trip_and_keep_the_refresh_token_in_server_mode_only() {
        let mut server = core(Mode::Server);
        server
            .handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r1"]), 0.0)
            .unwrap();
        let snap = server.snapshot().unwrap();
        assert!(snap.contains("fe_refresh_x=r1"));
        let mut restored = core(Mode::Server);
        assert!(restored.adopt_snapshot(&snap, 0.0));
        assert_eq!(restored.session().unwrap().user.id, "u1");
        assert_eq!(restored.session().unwrap().expires_at, 300_000.0);
        assert!(restored
            .refresh_request()
            .unwrap()
            .headers
            .contains(&("cookie".into(), "fe_refresh_x=r1".into())));
        assert_eq!(restored.take_events(), [AuthEvent::SignedIn]);
        assert!(!restored.adopt_snapshot(&snap, 0.0), "not newer: ignored");

        // A newer session of the same user is a refresh; of another user, a new sign-in.
        let generation = restored.generation();
        server
            .handle_refresh(ok(201, tokens("u1"), &["fe_refresh_x=r2"]), 1_000.0)
            .unwrap();
        assert!(restored.adopt_snapshot(&server.snapshot().unwrap(), 0.0));
        assert_eq!(restored.take_events(), [AuthEvent::TokenRefreshed]);
        assert_eq!(restored.generation(), generation);
        let mut other = core(Mode::Server);
        other
            .handle_login(ok(200, tokens("u2"), &["fe_refresh_x=s1"]), 2_000.0)
            .unwrap();
        assert!(restored.adopt_snapshot(&other.snapshot().unwrap(), 0.0));
        assert_eq!(restored.take_events(), [AuthEvent::SignedIn]);
        assert_ne!(
            restored.generation(),
            generation,
            "answers for u1's session are fenced off"
        );
        // Another user's session without a refresh cookie (a browser-mode tab stored it) leaves
        // none of the previous user's behind (found by the snapshot_adopt fuzz target).
        let mut browser_tab = core(Mode::Browser);
        browser_tab
            .handle_login(ok(200, tokens("u3"), &[]), 3_000.0)
            .unwrap();
        assert!(restored.adopt_snapshot(&browser_tab.snapshot().unwrap(), 0.0));
        let kept = restored.snapshot().unwrap();
        assert!(!kept.contains("fe_refresh"), "{kept}");

        let mut browser = core(Mode::Browser);
        assert!(browser.adopt_snapshot(&snap, 0.0));
        assert!(
            !browser.snapshot().unwrap().contains("fe_refresh"),
            "browser snapshots never carry it"
        );
        assert!(browser
            .refresh_request()
            .unwrap()
            .headers
            .iter()
            .all(|(k, _)| k != "cookie"));

        for junk in [
            "",
            "{}",
            "null",
            r#"{"version":2,"accessToken":"x","expiresAt":1}"#,
            r#"{"version":1,"accessToken":"x.y.z","expiresAt":1}"#,
        ] {
            assert!(!core(Mode::Server).adopt_snapshot(junk, 0.0), "{junk}");
        }
    }

    #[test]
    fn api_token_sessions_refresh_with_their_own_token() {
        let mut c = core(Mode::Server);
        let req = c
            .api_token_request(&json!({ "clientId": "c1", "secret": "s1" }))
            .unwrap();
        assert!(req.url.ends_with("/auth/v2/api-token"));
        assert_eq!(
            req.body.as_deref(),
            Some(r#"{"clientId":"c1","secret":"s1"}"#)
        );
        assert!(c.api_token_request(&json!({ "clientId": "c1" })).is_err());
        let answer = json!({ "access_token": jwt(json!({ "sub": "c1" })), "refresh_token": "rt1", "expires_in": 300 });
        let session = c.handle_api_token(ok(200, answer, &[]), 0.0).unwrap();
        assert_eq!(session.user.id, "c1");
        assert_eq!(
            session.refresh_token.as_ref().map(Secret::expose),
            Some("rt1")
        );
        let refresh = c.refresh_request().unwrap();
        assert!(refresh.url.ends_with("/auth/v2/api-token/token/refresh"));
        assert_eq!(refresh.body.as_deref(), Some(r#"{"refreshToken":"rt1"}"#));
        let rotated = json!({ "access_token": jwt(json!({ "sub": "c1" })), "refresh_token": "rt2", "expires_in": 300 });
        c.handle_refresh(ok(201, rotated, &[]), 1.0).unwrap();
        assert!(c.refresh_request().unwrap().body.unwrap().contains("rt2"));
        // A stored snapshot resumes it, refresh token and all.
        let mut resumed = core(Mode::Server);
        assert!(resumed.adopt_snapshot(&c.snapshot().unwrap(), 0.0));
        assert!(resumed
            .refresh_request()
            .unwrap()
            .body
            .unwrap()
            .contains("rt2"));
        // No call of the identity API ends a machine session: signing out is local.
        assert!(resumed.logout_request().is_none());
        assert!(core(Mode::Server).logout_request().is_some());
    }

    #[test]
    fn refresh_names_a_tenant_only_right_after_a_switch() {
        let mut c = core(Mode::Server);
        c.handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r1"]), 0.0)
            .unwrap();
        let body = |c: &AuthCore| c.refresh_request().unwrap().body.unwrap();
        assert_eq!(body(&c), r#"{"tenantId":null}"#, "the session is in t1");
        c.next_tenant = Some("t2".into());
        assert_eq!(body(&c), r#"{"tenantId":"t2"}"#);
        c.handle_refresh(ok(201, tokens("u1"), &["fe_refresh_x=r2"]), 1.0)
            .unwrap();
        assert_eq!(body(&c), r#"{"tenantId":null}"#, "the switch is done");
        c.next_tenant = Some("t3".into());
        c.handle_refresh(ok(502, json!({}), &[]), 2.0).unwrap_err();
        assert_eq!(
            body(&c),
            r#"{"tenantId":"t3"}"#,
            "a failed refresh still owes the switch"
        );
    }

    #[test]
    fn server_mode_keeps_the_remember_device_cookie_across_sign_outs() {
        let mut c = core(Mode::Server);
        c.handle_login(
            ok(200, json!({"mfaRequired": true, "mfaToken": "m"}), &[]),
            0.0,
        )
        .unwrap();
        let verified = ok(
            201,
            tokens("u1"),
            &[
                "fe_refresh_x=r1; Path=/; HttpOnly",
                "fe_device_x=d1; Path=/; HttpOnly; Max-Age=2592000",
            ],
        );
        c.handle_login_like(verified, 0.0, StatusMeaning::MFA)
            .unwrap();
        let cookie = |req: HttpRequest| {
            req.headers
                .into_iter()
                .find(|(k, _)| k == "cookie")
                .map(|(_, v)| v)
        };
        assert_eq!(
            cookie(c.refresh_request().unwrap()).as_deref(),
            Some("fe_refresh_x=r1; fe_device_x=d1")
        );
        let snap = c.snapshot().unwrap();
        assert!(
            snap.contains(r#""deviceCookie":"fe_device_x=d1""#),
            "{snap}"
        );

        // A later refresh that doesn't mention it leaves it alone.
        c.handle_refresh(ok(201, tokens("u1"), &["fe_refresh_x=r2"]), 1.0)
            .unwrap();
        // Signed out, the next login still carries it (and no refresh cookie).
        c.sign_out();
        let input = AuthCore::login_input(&json!({ "email": "a@b.c", "password": "pw" })).unwrap();
        assert_eq!(
            cookie(c.login_request(&input)).as_deref(),
            Some("fe_device_x=d1")
        );
        // Calls with the access token never carry cookies.
        c.handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r3"]), 2.0)
            .unwrap();
        assert_eq!(cookie(c.profile_request().unwrap()), None);

        // A stored snapshot brings it back in a fresh process.
        let mut restored = core(Mode::Server);
        assert!(restored.adopt_snapshot(&snap, 0.0));
        assert_eq!(
            cookie(restored.login_request(&input)).as_deref(),
            Some("fe_refresh_x=r1; fe_device_x=d1")
        );
        // The host may clear it.
        restored
            .handle_refresh(
                ok(
                    201,
                    tokens("u1"),
                    &["fe_refresh_x=r4", "fe_device_x=; Max-Age=0"],
                ),
                5.0,
            )
            .unwrap();
        assert_eq!(
            cookie(restored.login_request(&input)).as_deref(),
            Some("fe_refresh_x=r4")
        );

        // Browser mode: the browser's jar holds it; snapshots never carry it.
        let mut browser = core(Mode::Browser);
        assert!(browser.adopt_snapshot(&snap, 0.0));
        assert!(!browser.snapshot().unwrap().contains("fe_device"));
        assert_eq!(cookie(browser.login_request(&input)), None);
    }

    #[test]
    fn the_remember_device_policy_is_asked_per_mfa_token() {
        let mut c = core(Mode::Browser);
        let req = c.remember_policy_request("a+b/c=");
        assert_eq!(req.method, Method::Get);
        assert_eq!(
            req.url,
            "http://h/identity/resources/configurations/v1/mfa-policy/allow-remember-device?mfaToken=a%2Bb%2Fc%3D"
        );
        assert!(!req.with_credentials);
        assert_eq!(req.body, None);
        for (answer, expected) in [
            (
                json!({ "isAllowedToRemember": true, "mfaDeviceExpiration": 2592000 }),
                Some(true),
            ),
            (
                json!({ "isAllowedToRemember": false, "mfaDeviceExpiration": null }),
                Some(false),
            ),
            (json!({ "isAllowedToRemember": null }), None),
            (json!({}), None),
            (json!("yes"), None),
        ] {
            c.remember_policy = None;
            assert_eq!(
                c.handle_remember_policy("m", &ok(200, answer.clone(), &[])),
                expected,
                "{answer}"
            );
            assert_eq!(
                c.remember_policy,
                expected.map(|a| ("m".to_owned(), a)),
                "{answer}"
            );
        }
        assert_eq!(
            c.handle_remember_policy("m", &ok(401, json!({}), &[])),
            None
        );
    }

    #[test]
    fn expiry_and_leeway() {
        let mut c = core(Mode::Browser);
        assert!(c.needs_refresh(0.0));
        assert_eq!(
            c.profile_request().unwrap_err().code,
            ErrorCode::Unauthorized
        );
        c.handle_login(ok(200, tokens("u1"), &[]), 0.0).unwrap();
        assert!(!c.needs_refresh(269_999.0));
        assert!(c.needs_refresh(270_000.0));
        assert!(!c.is_expired(299_999.0));
        assert!(c.is_expired(300_000.0));
    }

    #[test]
    fn logout_input_validation() {
        let everywhere = |v: Value| AuthCore::logout_input(&v).map(|i| i.everywhere);
        assert!(!everywhere(json!(null)).unwrap());
        assert!(!everywhere(json!({})).unwrap());
        assert!(!everywhere(json!({ "everywhere": false })).unwrap());
        assert!(!everywhere(json!({ "everywhere": null })).unwrap());
        assert!(everywhere(json!({ "everywhere": true })).unwrap());
        for (args, msg) in [
            (
                json!({ "everywhere": "yes" }),
                "`everywhere` must be a boolean",
            ),
            (json!({ "everywhere": 1 }), "`everywhere` must be a boolean"),
            (json!({ "everyWhere": true }), "unknown field `everyWhere`"),
            (json!(true), "object"),
            (json!("everywhere"), "object"),
        ] {
            let err = AuthCore::logout_input(&args).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{args}");
            assert!(err.message.contains(msg), "{args}: {}", err.message);
        }
    }

    #[test]
    fn logout_everywhere_first_ends_the_other_sessions_with_the_token() {
        let everywhere = LogoutInput { everywhere: true };
        let mut c = core(Mode::Server);
        // Signed out there is no token to end other sessions with: only the logout request.
        assert!(c.logout_others_request(&everywhere).is_none());
        c.handle_login(ok(200, tokens("u1"), &["fe_refresh_x=r1"]), 0.0)
            .unwrap();
        assert!(c.logout_others_request(&LogoutInput::default()).is_none());
        let others = c.logout_others_request(&everywhere).unwrap().unwrap();
        assert_eq!(others.method, Method::Delete);
        assert_eq!(
            others.url,
            "http://h/identity/resources/users/sessions/v1/me/all"
        );
        let token = &c.session().unwrap().access_token;
        assert!(others
            .headers
            .contains(&("authorization".into(), format!("Bearer {}", token.expose()))));
        assert!(!others.with_credentials, "a bearer call, no cookies");
        assert!(others.headers.iter().all(|(name, _)| name != "cookie"));
        // Then the logout request ends this session through its refresh cookie.
        let logout = c.logout_request().unwrap();
        assert_eq!(logout.method, Method::Post);
        assert_eq!(logout.url, "http://h/identity/resources/auth/v1/logout");
        assert!(logout
            .headers
            .contains(&("cookie".into(), "fe_refresh_x=r1".into())));

        // A machine (API-token) session has no user sessions to end.
        let mut m = core(Mode::Server);
        let answer = json!({ "access_token": jwt(json!({ "sub": "c1" })), "refresh_token": "rt1", "expires_in": 300 });
        m.api_token_request(&json!({ "clientId": "c1", "secret": "s1" }))
            .unwrap();
        m.handle_api_token(ok(200, answer, &[]), 0.0).unwrap();
        assert!(m.logout_others_request(&everywhere).is_none());
    }
}
