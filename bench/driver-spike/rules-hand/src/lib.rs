//! EXTRA data point: ../rules with a hand-rolled minimal JSON reader/writer instead of serde +
//! serde_json, and no core::fmt. Same API and the same behaviour for the prototypes' flows.
#![no_std]
extern crate alloc;

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

mod json;
use json::V;
pub use json::{push_quoted, push_u32};

/// Stable machine codes (the subset the prototypes can produce).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidInput,
    Network,
    Timeout,
    Unauthorized,
    Forbidden,
    NotFound,
    RateLimited,
    InvalidCredentials,
    SessionExpired,
    Server,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::InvalidCredentials => "invalid_credentials",
            Self::SessionExpired => "session_expired",
            Self::Server => "server",
        }
    }
}

/// The one error type: JS sees `FronteggError { code, message, status? }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub status: Option<u16>,
}

pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: None }
    }

    /// A non-2xx answer; `unauthorized` says what a 401 means for this endpoint.
    pub fn from_status(status: u16, body: &str, unauthorized: Code) -> Self {
        let first = json::parse(body)
            .and_then(|v| match v.get("errors") {
                Some(V::Arr(a)) => a.first().and_then(V::str).map(str::to_owned),
                _ => None,
            });
        let code = match status {
            400 | 422 => Code::InvalidInput,
            401 => unauthorized,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            429 => Code::RateLimited,
            _ => Code::Server,
        };
        let message = match first {
            Some(m) => m,
            None => {
                let mut m = String::from("The identity server answered ");
                push_u32(&mut m, status.into());
                m.push('.');
                m
            }
        };
        Self { code, message, status: Some(status) }
    }

    /// `fetch` threw: a timeout or an unreachable host.
    pub fn from_fetch(name: &str, message: &str) -> Self {
        if name == "TimeoutError" || name == "AbortError" {
            return Self::new(Code::Timeout, "The identity server did not answer in time.");
        }
        let mut m = String::from("Could not reach the identity server (");
        m.push_str(message);
        m.push_str(").");
        Self::new(Code::Network, m)
    }

    /// Transient failures: a refresh that fails this way keeps a still-valid token usable.
    pub fn is_transient(&self) -> bool {
        matches!(self.code, Code::Network | Code::Timeout)
            || (self.code == Code::Server && self.status.is_some_and(|s| s >= 500))
    }
}

/// A request for whoever does I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// `credentials: "include"` (the refresh cookie).
    pub credentials: bool,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub access_token: String,
    /// Epoch milliseconds.
    pub expires_at: f64,
    /// Server mode only (the browser keeps it in an httpOnly cookie).
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub id: String,
    pub key: String,
    pub name: Option<String>,
}

/// `GET users/v2/me`, read into a typed value and written back out (both prototypes).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub phone_number: Option<String>,
    pub verified: bool,
    pub mfa_enrolled: bool,
    pub tenant_id: String,
    pub tenant_ids: Vec<String>,
    pub roles: Vec<Grant>,
    pub permissions: Vec<Grant>,
    pub metadata: Option<String>,
    pub created_at: Option<String>,
    pub last_login: Option<String>,
}
pub struct LoginArgs {
    pub email: String,
    pub password: String,
}

fn auth_response(text: &str) -> Option<AuthResponse> {
    let v = json::parse(text)?;
    Some(AuthResponse {
        access_token: v.get("accessToken")?.str()?.to_owned(),
        refresh_token: json::opt_str(&v, "refreshToken")?,
        expires_in: match v.get("expiresIn") {
            None | Some(V::Null) => None,
            Some(V::Num(n)) => Some(*n),
            _ => return None,
        },
    })
}

fn grants(v: &V, key: &str) -> Option<Vec<Grant>> {
    match v.get(key) {
        None | Some(V::Null) => Some(Vec::new()),
        Some(V::Arr(a)) => a
            .iter()
            .map(|g| {
                Some(Grant {
                    id: g.get("id")?.str()?.to_owned(),
                    key: g.get("key")?.str()?.to_owned(),
                    name: json::opt_str(g, "name")?,
                })
            })
            .collect(),
        _ => None,
    }
}

fn profile(text: &str) -> Option<Profile> {
    let v = json::parse(text)?;
    let flag = |k: &str| match v.get(k) {
        None | Some(V::Null) => Some(false),
        Some(V::Bool(b)) => Some(*b),
        _ => None,
    };
    Some(Profile {
        id: v.get("id")?.str()?.to_owned(),
        email: v.get("email")?.str()?.to_owned(),
        name: json::opt_str(&v, "name")?,
        profile_picture_url: json::opt_str(&v, "profilePictureUrl")?,
        phone_number: json::opt_str(&v, "phoneNumber")?,
        verified: flag("verified")?,
        mfa_enrolled: flag("mfaEnrolled")?,
        tenant_id: v.get("tenantId")?.str()?.to_owned(),
        tenant_ids: match v.get("tenantIds") {
            None | Some(V::Null) => Vec::new(),
            Some(V::Arr(a)) => a.iter().map(|s| s.str().map(str::to_owned)).collect::<Option<_>>()?,
            _ => return None,
        },
        roles: grants(&v, "roles")?,
        permissions: grants(&v, "permissions")?,
        metadata: json::opt_str(&v, "metadata")?,
        created_at: json::opt_str(&v, "createdAt")?,
        last_login: json::opt_str(&v, "lastLogin")?,
    })
}

struct AuthResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<f64>,
}
pub struct Config {
    pub base_url: String,
    pub refresh_leeway_seconds: Option<f64>,
}

pub const LOGIN: &str = "/identity/resources/auth/v1/user";
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
pub const ME: &str = "/identity/resources/users/v2/me";
/// setTimeout's largest delay; longer ones fire at once in every runtime.
pub const MAX_TIMER_MS: u32 = (1 << 31) - 1;

/// Client state and the rules that change it.
#[derive(Debug)]
pub struct Rules {
    base: String,
    leeway_ms: f64,
    pub session: Option<Session>,
}

impl Rules {
    pub fn new(config: Config) -> Result<Self> {
        let base = config.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(Error::new(Code::InvalidInput, "`baseUrl` must be an http(s) URL."));
        }
        Ok(Self {
            base,
            leeway_ms: config.refresh_leeway_seconds.unwrap_or(30.0) * 1000.0,
            session: None,
        })
    }

    pub fn from_json(text: &str) -> Result<Self> {
        let bad = || Error::new(Code::InvalidInput, "createAuth: `{ baseUrl }` is required.");
        let v = json::parse(text).ok_or_else(bad)?;
        let base_url = v.get("baseUrl").and_then(V::str).ok_or_else(bad)?.to_owned();
        let refresh_leeway_seconds = match v.get("refreshLeewaySeconds") {
            None | Some(V::Null) => None,
            Some(V::Num(n)) => Some(*n),
            _ => return Err(bad()),
        };
        Self::new(Config { base_url, refresh_leeway_seconds })
    }

    fn request(&self, method: &'static str, path: &str, body: Option<String>, credentials: bool) -> Request {
        let mut headers = vec![("accept", "application/json".to_owned())];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        let mut url = self.base.clone();
        url.push_str(path);
        Request { method, url, headers, body, credentials }
    }

    pub fn login_request(&self, args: &LoginArgs) -> Request {
        let mut body = String::from("{\"email\":");
        push_quoted(&mut body, &args.email);
        body.push_str(",\"password\":");
        push_quoted(&mut body, &args.password);
        body.push('}');
        self.request("POST", LOGIN, Some(body), true)
    }

    pub fn login_args(text: &str) -> Result<LoginArgs> {
        let bad = || Error::new(Code::InvalidInput, "login: `{ email, password }` is required.");
        let V::Obj(fields) = json::parse(text).ok_or_else(bad)? else { return Err(bad()) };
        let (mut email, mut password) = (None, None);
        for (k, v) in fields {
            match (k.as_str(), v) {
                ("email", V::Str(s)) if email.is_none() => email = Some(s),
                ("password", V::Str(s)) if password.is_none() => password = Some(s),
                _ => return Err(bad()), // unknown field, wrong type or duplicate
            }
        }
        Ok(LoginArgs { email: email.ok_or_else(bad)?, password: password.ok_or_else(bad)? })
    }

    pub fn handle_login(&mut self, resp: Response, now: f64) -> Result<Session> {
        self.absorb(resp, now, Code::InvalidCredentials)
    }

    pub fn refresh_request(&self) -> Request {
        self.request("POST", REFRESH, Some(r#"{"tenantId":null}"#.to_owned()), true)
    }

    /// A 401 ends the session.
    pub fn handle_refresh(&mut self, resp: Response, now: f64) -> Result<Session> {
        let r = self.absorb(resp, now, Code::SessionExpired);
        if matches!(&r, Err(e) if e.code == Code::SessionExpired) {
            self.session = None;
        }
        r
    }

    fn absorb(&mut self, resp: Response, now: f64, unauthorized: Code) -> Result<Session> {
        if !(200..300).contains(&resp.status) {
            return Err(Error::from_status(resp.status, &resp.body, unauthorized));
        }
        let body = auth_response(&resp.body).ok_or_else(|| Error {
            code: Code::Server,
            message: "The identity server sent an unexpected response.".into(),
            status: Some(resp.status),
        })?;
        let session = Session {
            access_token: body.access_token,
            expires_at: now + body.expires_in.unwrap_or(300.0) * 1000.0,
            refresh_token: body.refresh_token,
        };
        self.session = Some(session.clone());
        Ok(session)
    }

    pub fn profile_request(&self) -> Result<Request> {
        let s = self.session.as_ref().ok_or_else(|| Error::new(Code::Unauthorized, "Not signed in."))?;
        let mut r = self.request("GET", ME, None, false);
        let mut bearer = String::from("Bearer ");
        bearer.push_str(&s.access_token);
        r.headers.push(("authorization", bearer));
        Ok(r)
    }

    pub fn handle_profile(&self, resp: Response) -> Result<Profile> {
        if !(200..300).contains(&resp.status) {
            return Err(Error::from_status(resp.status, &resp.body, Code::Unauthorized));
        }
        profile(&resp.body).ok_or_else(|| Error {
            code: Code::Server,
            message: "The identity server sent an unexpected response.".into(),
            status: Some(resp.status),
        })
    }

    pub fn signed_in(&self) -> bool {
        self.session.is_some()
    }

    pub fn needs_refresh(&self, now: f64) -> bool {
        self.session.as_ref().is_none_or(|s| now >= s.expires_at - self.leeway_ms)
    }

    pub fn is_expired(&self, now: f64) -> bool {
        self.session.as_ref().is_none_or(|s| now >= s.expires_at)
    }

    /// When to refresh next: `leeway` before expiry (at half the remaining life at the latest),
    /// clamped to setTimeout's 2^31-1 ms.
    pub fn refresh_delay_ms(&self, now: f64) -> Option<u32> {
        let s = self.session.as_ref()?;
        let remaining = s.expires_at - now;
        if remaining <= 0.0 {
            return Some(0);
        }
        let at = (remaining - self.leeway_ms).max(remaining / 2.0).max(0.0);
        Some(at.min(MAX_TIMER_MS as f64) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_is_clamped() {
        let mut r = Rules::from_json(r#"{"baseUrl":"http://h"}"#).unwrap();
        r.session = Some(Session { access_token: "t".into(), expires_at: 1e13, refresh_token: None });
        assert_eq!(r.refresh_delay_ms(0.0), Some(MAX_TIMER_MS));
    }
}

/// JSON text out, written by hand.
pub trait ToJson {
    fn to_json(&self) -> String;
}

impl ToJson for Session {
    fn to_json(&self) -> String {
        let mut o = String::from("{\"accessToken\":");
        push_quoted(&mut o, &self.access_token);
        o.push_str(",\"expiresAt\":");
        json::push_ms(&mut o, self.expires_at);
        if let Some(r) = &self.refresh_token {
            o.push_str(",\"refreshToken\":");
            push_quoted(&mut o, r);
        }
        o.push('}');
        o
    }
}

fn field(o: &mut String, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        o.push_str(",\"");
        o.push_str(k);
        o.push_str("\":");
        push_quoted(o, v);
    }
}

fn grants_json(o: &mut String, k: &str, gs: &[Grant]) {
    o.push_str(",\"");
    o.push_str(k);
    o.push_str("\":[");
    for (i, g) in gs.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"id\":");
        push_quoted(o, &g.id);
        o.push_str(",\"key\":");
        push_quoted(o, &g.key);
        field(o, "name", &g.name);
        o.push('}');
    }
    o.push(']');
}

impl ToJson for Profile {
    fn to_json(&self) -> String {
        let mut o = String::from("{\"id\":");
        push_quoted(&mut o, &self.id);
        o.push_str(",\"email\":");
        push_quoted(&mut o, &self.email);
        field(&mut o, "name", &self.name);
        field(&mut o, "profilePictureUrl", &self.profile_picture_url);
        field(&mut o, "phoneNumber", &self.phone_number);
        o.push_str(if self.verified { ",\"verified\":true" } else { ",\"verified\":false" });
        o.push_str(if self.mfa_enrolled { ",\"mfaEnrolled\":true" } else { ",\"mfaEnrolled\":false" });
        o.push_str(",\"tenantId\":");
        push_quoted(&mut o, &self.tenant_id);
        o.push_str(",\"tenantIds\":[");
        for (i, t) in self.tenant_ids.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            push_quoted(&mut o, t);
        }
        o.push(']');
        grants_json(&mut o, "roles", &self.roles);
        grants_json(&mut o, "permissions", &self.permissions);
        field(&mut o, "metadata", &self.metadata);
        field(&mut o, "createdAt", &self.created_at);
        field(&mut o, "lastLogin", &self.last_login);
        o.push('}');
        o
    }
}
