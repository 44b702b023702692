//! Sessions and tokens: what a signed-in user looks like to the app, built from the access
//! token's claims, and the cookies server mode keeps itself (refresh and remember-device).
//!
//! The SDK is a client: it decodes claims to describe the user and to schedule refreshes, but
//! never trusts them for a security decision (that is `verifyAccessToken`'s job, server-side).

use crate::core::json::{FromJson, ToJson, Value};

use crate::core::base64url;
use crate::core::error::{Error, ErrorCode, Result};
use crate::core::secret::Secret;

/// A signed-in session, as handed to the app.
#[derive(Debug, Clone, ToJson, PartialEq)]
#[json(rename_all = "camelCase")]
pub struct Session {
    /// The bearer token for API calls.
    pub access_token: Secret,
    /// When the access token expires, epoch milliseconds (by this machine's clock).
    pub expires_at: f64,
    /// Who is signed in.
    pub user: User,
    /// Server mode only: the refresh token the SDK keeps. Never set in browser mode.
    #[json(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// The host's session id (the token's `sid`), to tell this session apart in `listSessions`.
    #[json(skip)]
    pub sid: Option<String>,
    /// When the host issued the access token (its `iat`, epoch seconds by the host's clock):
    /// which of two sessions is newer, the same for every instance whatever its own clock.
    #[json(skip)]
    pub issued_at: Option<f64>,
}

impl Session {
    /// Whether `self` is newer than `held`: issued later by the host where both tokens say
    /// when, else (neither says, or in the same second) expiring later.
    pub fn is_newer_than(&self, held: &Session) -> bool {
        match (self.issued_at, held.issued_at) {
            (Some(mine), Some(theirs)) if mine != theirs => mine > theirs,
            _ => self.expires_at > held.expires_at,
        }
    }
}

/// The signed-in user, from the access token's claims.
#[derive(Debug, Clone, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct User {
    #[json(read = "sub")]
    pub id: String,
    #[json(nullable)]
    pub email: String,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[json(nullable)]
    pub tenant_id: String,
    #[json(nullable)]
    pub tenant_ids: Vec<String>,
    #[json(nullable)]
    pub roles: Vec<String>,
    #[json(nullable)]
    pub permissions: Vec<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
}

/// What the access token says of its session, besides the user: its id, and when it was
/// issued and expires (epoch seconds, the host's clock).
#[derive(FromJson)]
struct TokenSession {
    sid: Option<String>,
    iat: Option<f64>,
    exp: Option<f64>,
}

/// A token's payload could not be read: the server's fault, so `server`, never a panic.
fn bad_token(why: &str) -> Error {
    Error::new(
        ErrorCode::Server,
        format!("The access token from the server is not a valid JWT ({why})."),
    )
}

/// Decodes a JWT's payload (its claims) without verifying it, once per token: the claims are
/// then read as the typed views a session needs.
fn claims(token: &str) -> Result<Value> {
    let mut parts = token.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(p), Some(_), None) => p,
        _ => return Err(bad_token("not three parts")),
    };
    // Some issuers pad; the standard says not to. Accept both.
    let bytes = base64url::decode(payload.trim_end_matches('='))
        .ok_or_else(|| bad_token("payload is not base64url"))?;
    let text = String::from_utf8(bytes).map_err(|_| bad_token("claims are not UTF-8"))?;
    crate::core::json::parse(&text).ok_or_else(|| bad_token("claims are not JSON"))
}

/// The claims as `T`.
fn read<T: FromJson>(claims: &Value) -> Result<T> {
    T::from_json(claims).ok_or_else(|| bad_token("claims are not the expected JSON"))
}

/// Builds a session from a freshly issued access token. `expires_in` (seconds, from the
/// response) is preferred over the `exp` claim so a skewed local clock can't make a fresh token
/// look expired; without it, the token's own life (`exp - iat`) counted from now serves the
/// same end, and `exp` alone is the last resort.
pub fn session_from_token(
    access_token: Secret,
    expires_in: Option<f64>,
    refresh_token: Option<Secret>,
    now_ms: f64,
) -> Result<Session> {
    let claims = claims(access_token.expose())?;
    // A lifetime too long for a date (`1e306` seconds) is read from the token instead.
    let fresh = |at: &f64| at.is_finite() && *at > now_ms;
    let TokenSession { exp, iat, .. } = read(&claims)?;
    let expires_at = expires_in
        .map(|s| now_ms + s * 1000.0)
        .filter(fresh)
        .or_else(|| {
            exp.zip(iat)
                .map(|(exp, iat)| now_ms + (exp - iat) * 1000.0)
                .filter(fresh)
        })
        .or_else(|| exp.map(|exp| exp * 1000.0).filter(|at| at.is_finite()))
        .ok_or_else(|| Error::new(ErrorCode::Server, "The access token has no expiry."))?;
    session_with_claims(access_token, &claims, expires_at, refresh_token)
}

/// Builds a session whose expiry is already known (a stored or shared snapshot).
pub fn session_expiring_at(
    access_token: Secret,
    expires_at: f64,
    refresh_token: Option<Secret>,
) -> Result<Session> {
    let claims = claims(access_token.expose())?;
    session_with_claims(access_token, &claims, expires_at, refresh_token)
}

/// A session of `access_token`, whose decoded payload is `claims`.
fn session_with_claims(
    access_token: Secret,
    claims: &Value,
    expires_at: f64,
    refresh_token: Option<Secret>,
) -> Result<Session> {
    let TokenSession { sid, iat, .. } = read(claims)?;
    Ok(Session {
        user: read(claims)?,
        sid,
        issued_at: iat.filter(|t| t.is_finite()),
        access_token,
        expires_at,
        refresh_token,
    })
}

/// What is stored (the `storage` option) and shared with other tabs: the access token, its
/// expiry and, in server mode only, the refresh cookie. The user is re-derived from the token's
/// claims on the way back, so no stale copy of them can be stored.
#[derive(Debug, Clone, ToJson, FromJson, PartialEq)]
#[json(rename_all = "camelCase")]
pub struct Snapshot {
    /// Format version, so a future change can tell old snapshots apart.
    pub version: u8,
    /// The access token.
    pub access_token: Secret,
    /// Epoch milliseconds.
    pub expires_at: f64,
    /// `name=value` of the refresh cookie; server mode only.
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub refresh_cookie: Option<Secret>,
    /// The refresh token of an API-token (machine) session; server mode only.
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub api_refresh_token: Option<Secret>,
    /// `name=value` of the remember-device cookie; server mode only.
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub device_cookie: Option<Secret>,
    /// Set while an instance sharing the store refreshes this session (a store that can
    /// compare-and-set only; see [`Lease`]).
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

impl Snapshot {
    /// The current format.
    pub const VERSION: u8 = 1;
}

/// An instance's claim, written into the stored snapshot with compare-and-set, that it is
/// refreshing this session: the others wait for its new session instead of presenting the same
/// refresh token, which the host would take for theft and answer by revoking the session.
#[derive(Debug, Clone, ToJson, FromJson, PartialEq)]
pub struct Lease {
    /// Which instance holds it.
    pub by: String,
    /// Epoch ms when it lapses: the longest one refresh can take, so a holder that died
    /// holds nobody up for longer.
    pub until: f64,
}

impl Lease {
    /// The lease in a stored snapshot, if there is one that doesn't lapse before `now` and is
    /// not `me`'s.
    pub fn held_by_another(snapshot: &str, me: &str, now: f64) -> Option<Self> {
        crate::core::json::from_str::<Snapshot>(snapshot)?
            .lease
            .filter(|l| l.by != me && l.until > now)
    }

    /// `snapshot` with this lease in it; `None` if it isn't a snapshot.
    pub fn written_into(&self, snapshot: &str) -> Option<String> {
        let mut parsed = crate::core::json::from_str::<Snapshot>(snapshot)?;
        parsed.lease = Some(self.clone());
        Some(crate::core::json::to_string(&parsed))
    }
}

/// A cookie of the identity host that server mode keeps itself (a browser's cookie jar would):
/// the refresh cookie `fe_refresh_*`, or the remember-device cookie `fe_device_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshCookie {
    /// Cookie name, e.g. `fe_refresh_b9a1f0b6...`.
    pub name: String,
    /// The opaque token.
    pub value: Secret,
}

impl RefreshCookie {
    /// Prefix of the identity host's refresh cookie.
    pub const PREFIX: &'static str = "fe_refresh_";
    /// Prefix of the cookie that lets a remembered device skip MFA.
    pub const DEVICE_PREFIX: &'static str = "fe_device_";

    /// The refresh cookie's name for `client_id`: every dash dropped, as the official server
    /// SDKs derive it.
    pub fn name_for(client_id: &str) -> String {
        format!("{}{}", Self::PREFIX, client_id.replace('-', ""))
    }

    /// Reads a refresh cookie's `name=value` as stored in a snapshot.
    pub fn from_pair(pair: &str) -> Option<Self> {
        Self::from_pair_with(pair, Self::PREFIX)
    }

    /// Reads a remember-device cookie's `name=value` as stored in a snapshot.
    pub fn device_from_pair(pair: &str) -> Option<Self> {
        Self::from_pair_with(pair, Self::DEVICE_PREFIX)
    }

    fn from_pair_with(pair: &str, prefix: &str) -> Option<Self> {
        let (name, value) = pair.split_once('=')?;
        (name.starts_with(prefix) && !value.is_empty()).then(|| Self {
            name: name.to_owned(),
            value: Secret::new(value),
        })
    }

    /// The `Cookie` header value that sends it back.
    pub fn header(&self) -> String {
        format!("{}={}", self.name, self.value.expose())
    }
}

/// What `Set-Cookie` headers say about one of the kept cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieUpdate {
    /// A new value was set.
    Set(RefreshCookie),
    /// The host cleared it (logout).
    Cleared,
}

/// Finds the refresh cookie among `Set-Cookie` headers. The last one wins, as in a browser.
pub fn refresh_cookie_update(set_cookies: &[String]) -> Option<CookieUpdate> {
    cookie_update(set_cookies, RefreshCookie::PREFIX)
}

/// Finds the remember-device cookie among `Set-Cookie` headers (MFA verify answers set it when
/// `rememberDevice` was asked for and allowed).
pub fn device_cookie_update(set_cookies: &[String]) -> Option<CookieUpdate> {
    cookie_update(set_cookies, RefreshCookie::DEVICE_PREFIX)
}

fn cookie_update(set_cookies: &[String], prefix: &str) -> Option<CookieUpdate> {
    set_cookies
        .iter()
        .rev()
        .find_map(|header| parse_cookie(header, prefix))
}

fn parse_cookie(header: &str, prefix: &str) -> Option<CookieUpdate> {
    let mut attrs = header.split(';').map(str::trim);
    let (name, value) = attrs.next()?.split_once('=')?;
    if !name.starts_with(prefix) {
        return None;
    }
    let expired = attrs.any(|a| {
        a.split_once('=').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("max-age") && v.trim().parse::<i64>().is_ok_and(|n| n <= 0)
        })
    });
    let value = value.trim().trim_matches('"');
    if expired || value.is_empty() {
        Some(CookieUpdate::Cleared)
    } else {
        Some(CookieUpdate::Set(RefreshCookie {
            name: name.to_owned(),
            value: Secret::new(value),
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unsigned JWT with the given claims, for tests.
    pub(crate) fn jwt(claims: crate::core::json::Value) -> String {
        let enc = base64url::encode;
        format!(
            "{}.{}.sig",
            enc(br#"{"alg":"RS256"}"#),
            enc(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn session_from_claims() {
        let token = jwt(crate::core::json::json!({
            "sub": "u1", "email": "a@b.c", "name": "A", "tenantId": "t1", "tenantIds": ["t1", "t2"],
            "roles": ["Admin"], "permissions": ["p"], "exp": 2000, "sid": "s"
        }));
        let s = session_from_token(token.clone().into(), Some(300.0), None, 1_000.0).unwrap();
        assert_eq!(s.expires_at, 301_000.0);
        assert_eq!(s.user.id, "u1");
        assert_eq!(s.user.tenant_ids, ["t1", "t2"]);
        let s = session_from_token(token.clone().into(), None, None, 1_000.0).unwrap();
        assert_eq!(s.expires_at, 2_000_000.0);
        // A lifetime past any date: the token's `exp` instead, never an infinite expiry.
        let s = session_from_token(token.clone().into(), Some(1e306), None, 1_000.0).unwrap();
        assert_eq!(s.expires_at, 2_000_000.0);
        let s = session_from_token(token.into(), Some(-5.0), None, 1_000.0).unwrap();
        assert_eq!(s.expires_at, 2_000_000.0);
        // With `iat` too, the token's life counts from its arrival here, whatever the host's
        // clock says: 300 s, though `exp` is long past by this clock.
        let issued = jwt(crate::core::json::json!({ "sub": "u1", "iat": 1700, "exp": 2000 }));
        let s = session_from_token(issued.into(), None, None, 5_000_000.0).unwrap();
        assert_eq!(s.expires_at, 5_300_000.0);
        let json = crate::core::json::to_value(&s);
        assert_eq!(json["user"]["id"], "u1");
        assert!(json.get("refreshToken").is_none());
    }

    #[test]
    fn garbage_tokens_are_server_errors_not_panics() {
        for token in [
            "",
            "a.b",
            "a.b.c.d",
            "a.!!!.c",
            "a.e30.c",
            &jwt(crate::core::json::json!({"sub": 5})),
        ] {
            let err = session_from_token(token.into(), Some(10.0), None, 0.0).unwrap_err();
            assert_eq!(err.code, ErrorCode::Server, "{token}");
        }
        // Valid claims but neither expiresIn nor exp.
        let err = session_from_token(
            jwt(crate::core::json::json!({"sub": "u"})).into(),
            None,
            None,
            0.0,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Server);
    }

    #[test]
    fn refresh_cookie_from_set_cookie_headers() {
        let headers = vec![
            "other=1; Path=/".to_owned(),
            "fe_refresh_abc=tok123; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000".to_owned(),
        ];
        assert_eq!(
            refresh_cookie_update(&headers),
            Some(CookieUpdate::Set(RefreshCookie {
                name: "fe_refresh_abc".into(),
                value: "tok123".into()
            }))
        );
        let cleared = vec!["fe_refresh_abc=; Path=/; Max-Age=0".to_owned()];
        assert_eq!(refresh_cookie_update(&cleared), Some(CookieUpdate::Cleared));
        assert_eq!(refresh_cookie_update(&["junk".to_owned()]), None);
        assert_eq!(RefreshCookie::name_for("b9a1-f0"), "fe_refresh_b9a1f0");
    }

    #[test]
    fn every_dash_of_the_client_id_is_dropped_from_the_cookie_name() {
        assert_eq!(
            RefreshCookie::name_for("5f0e7d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f"),
            "fe_refresh_5f0e7d4c2b1a4c3d9e8f7a6b5c4d3e2f"
        );
        assert_eq!(RefreshCookie::name_for("nodash"), "fe_refresh_nodash");
        assert_eq!(RefreshCookie::name_for("--a--b--"), "fe_refresh_ab");
    }

    #[test]
    fn device_cookie_from_set_cookie_headers() {
        let headers = vec![
            "fe_refresh_abc=r1; Path=/; HttpOnly".to_owned(),
            "fe_device_abc=d1; Path=/; HttpOnly; Max-Age=2592000".to_owned(),
        ];
        let device = RefreshCookie {
            name: "fe_device_abc".into(),
            value: "d1".into(),
        };
        assert_eq!(
            device_cookie_update(&headers),
            Some(CookieUpdate::Set(device.clone()))
        );
        assert_eq!(
            refresh_cookie_update(&headers),
            Some(CookieUpdate::Set(RefreshCookie {
                name: "fe_refresh_abc".into(),
                value: "r1".into()
            })),
            "each finds its own"
        );
        assert_eq!(device_cookie_update(&headers[..1]), None);
        assert_eq!(
            device_cookie_update(&["fe_device_abc=; Max-Age=0".to_owned()]),
            Some(CookieUpdate::Cleared)
        );
        assert_eq!(
            RefreshCookie::device_from_pair("fe_device_abc=d1"),
            Some(device)
        );
        assert_eq!(RefreshCookie::device_from_pair("fe_refresh_abc=r1"), None);
        assert_eq!(RefreshCookie::from_pair("fe_device_abc=d1"), None);
    }
}
