//! Verifying access tokens at the edge (`verifyAccessToken`): the rules, sans-IO. Parsing the
//! JWT and the JWKS, choosing the key, checking the claims and deciding when the JWKS is fetched
//! again happen here; the RS256 signature itself is checked by the runtime's WebCrypto (see
//! `wasm/edge.rs`), so there is no RSA code of our own.
//!
//! The rules are at least as strict as `jose`'s `jwtVerify` with its defaults (the Node tests
//! run the same vectors through both): only RS256, no `crit` extensions, numeric dates must be
//! numbers, JWKs whose `use`, `alg`, `key_ops` or `ext` rule out RS256 verification are
//! ignored, as are RSA keys under 2048 bits. Beyond jose's defaults: `exp` is required, `iss`
//! is always checked, and the token's `type` must be the expected one.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::core::base64url;
use crate::core::config::normalize_base_url;
use crate::core::error::{Error, ErrorCode, Result};
use crate::core::input::Fields;
use crate::core::json::{self, FromJson, Value};
use crate::core::origin::origin_of;

/// Which kind of access token is accepted, by its `type` claim (how the identity API marks
/// them; the official server SDKs tell them apart the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// A user's session token (`userToken`): the default.
    User,
    /// A machine's token from `loginWithApiToken` (`tenantApiToken` or `userApiToken`).
    Api,
    /// Either of them.
    Any,
}

const USER_TOKEN: &str = "userToken";
const API_TOKENS: [&str; 2] = ["tenantApiToken", "userApiToken"];

impl TokenType {
    fn accepts(self, claimed: Option<&str>) -> bool {
        let user = claimed == Some(USER_TOKEN);
        let api = claimed.is_some_and(|t| API_TOKENS.contains(&t));
        match self {
            Self::User => user,
            Self::Api => api,
            Self::Any => user || api,
        }
    }
}

/// What `verifyAccessToken` checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Where the signing keys are published: https, or http on a loopback host.
    pub jwks_url: String,
    /// Required `aud`, if any.
    pub audience: Option<String>,
    /// Required `iss`: the `issuer` option, else the origin of `baseUrl` (or of `jwksUrl`).
    pub issuer: String,
    /// Required kind of token.
    pub token_type: TokenType,
    /// Tolerance for clocks that disagree, on `exp` and `nbf`.
    pub clock_skew_seconds: u32,
}

impl VerifyOptions {
    /// `{ baseUrl | jwksUrl, audience?, issuer?, tokenType?, clockSkewSeconds? }`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut f = Fields::new("verifyAccessToken", value)?;
        let base_url = f.opt_str("baseUrl")?.map(normalize_base_url).transpose()?;
        let jwks_url = f.opt_str("jwksUrl")?.map(normalize_base_url).transpose()?;
        let jwks_url = match (&base_url, jwks_url) {
            (_, Some(url)) => url,
            (Some(base), None) => format!("{base}/.well-known/jwks.json"),
            (None, None) => {
                return Err(Error::invalid_input(
                    "verifyAccessToken: `baseUrl` or `jwksUrl` is required.",
                ))
            }
        };
        require_https(&jwks_url)?;
        let issuer = match f.opt_str("issuer")? {
            Some(issuer) => issuer.to_owned(),
            // The identity API's `iss` is the origin it is reached at (the emulator's too).
            None => origin_of(base_url.as_deref().unwrap_or(&jwks_url)).ok_or_else(|| {
                Error::invalid_input("verifyAccessToken: `baseUrl` has no origin.")
            })?,
        };
        let token_type = match f.opt_str("tokenType")? {
            None | Some("user") => TokenType::User,
            Some("api") => TokenType::Api,
            Some("any") => TokenType::Any,
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "verifyAccessToken: `tokenType` must be \"user\", \"api\" or \"any\", not \"{other}\"."
                )))
            }
        };
        let options = Self {
            jwks_url,
            audience: f.opt_str("audience")?.map(str::to_owned),
            issuer,
            token_type,
            clock_skew_seconds: f.opt_u32("clockSkewSeconds", 0, 600)?.unwrap_or(0),
        };
        f.finish()?;
        Ok(options)
    }
}

/// Keys fetched over plain http could be swapped by anyone on the path, and with them any token
/// would verify; only a loopback host (a local emulator) is exempt.
fn require_https(url: &str) -> Result<()> {
    let refused = || {
        Error::invalid_input(format!(
            "verifyAccessToken: the signing keys must come over https (plain http only from a loopback host), not from {url}."
        ))
    };
    let origin = origin_of(url).ok_or_else(refused)?;
    let Some(authority) = origin.strip_prefix("http://") else {
        return Ok(());
    };
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let loopback = host == "localhost"
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|rest| {
            let octets: Vec<_> = rest.split('.').collect();
            octets.len() == 3 && octets.iter().all(|o| o.parse::<u8>().is_ok())
        });
    if loopback {
        Ok(())
    } else {
        Err(refused())
    }
}

/// A JWT taken apart, not yet trusted.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt<'a> {
    /// `kid` of the header, if any.
    pub kid: Option<String>,
    /// The payload's JSON text, UTF-8 and within [`json::within_limits`] so that whichever
    /// parser reads it can't be overflowed; its checked claims are read with [`Claims`]. Kept as
    /// text so that the wasm build parses it once, with the runtime's `JSON.parse`, and hands
    /// that very object to the caller.
    pub payload: String,
    /// `header.payload`, the bytes that were signed.
    pub signed: &'a str,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

fn rejected(why: &str) -> Error {
    Error::new(
        ErrorCode::Unauthorized,
        format!("The access token is not valid: {why}."),
    )
}

/// A payload that is not a JSON object within the limits.
pub fn unreadable_payload() -> Error {
    rejected("its payload is not a JSON object")
}

fn decoded(b64: &str, what: &str) -> Result<String> {
    let bytes =
        base64url::decode(b64).ok_or_else(|| rejected(&format!("its {what} is not base64url")))?;
    String::from_utf8(bytes).map_err(|_| rejected(&format!("its {what} is not UTF-8")))
}

/// One member of a JSON object as the checks see it. Only what they tell apart is kept: a
/// number, a string, an array's strings, or any other value (`null` included: a member that
/// is there, unlike [`Member::Absent`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Member {
    /// Not in the object.
    #[default]
    Absent,
    /// A finite number.
    Number(f64),
    /// A string.
    Text(String),
    /// An array, by its string elements.
    List(Vec<String>),
    /// `null`, a boolean, an object, or a number beyond f64 (which JSON allows and `exp` must
    /// not be).
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Member, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E>(self, n: i64) -> std::result::Result<Member, E> {
        Ok(Member::Number(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> std::result::Result<Member, E> {
        Ok(Member::Number(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> std::result::Result<Member, E> {
        Ok(if n.is_finite() {
            Member::Number(n)
        } else {
            Member::Other
        })
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Member, E> {
        Ok(Member::Text(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> std::result::Result<Member, E> {
        Ok(Member::Text(s))
    }

    fn visit_unit<E>(self) -> std::result::Result<Member, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Member, A::Error> {
        let mut strings = Vec::new();
        while let Some(element) = seq.next_element::<Member>()? {
            if let Member::Text(s) = element {
                strings.push(s);
            }
        }
        Ok(Member::List(strings))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Member, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
}

/// Reads the members `names` of a JSON object, each [`Member::Absent`] unless given, and skips
/// the rest unread. Only an object will do (an array does not fill them by position, as
/// serde's derived structs would), so `{}`-ness is checked by the same read.
fn members<'de, D: Deserializer<'de>, const N: usize>(
    deserializer: D,
    names: &'static [&'static str; N],
) -> std::result::Result<[Member; N], D::Error> {
    deserializer.deserialize_struct("object", names, MembersVisitor(names))
}

struct MembersVisitor<const N: usize>(&'static [&'static str; N]);

impl<'de, const N: usize> Visitor<'de> for MembersVisitor<N> {
    type Value = [Member; N];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut found = std::array::from_fn(|_| Member::Absent);
        // A name given twice counts as its last value, as in `JSON.parse`.
        while let Some(index) = map.next_key_seed(NameIndex(self.0))? {
            match index.and_then(|i| found.get_mut(i)) {
                Some(slot) => *slot = map.next_value()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// A member's name, as its place among the names read (`None`: not one of them), without
/// copying it.
struct NameIndex(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for NameIndex {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for NameIndex {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> std::result::Result<Self::Value, E> {
        Ok(self.0.iter().position(|n| *n == name))
    }
}

/// What the header says that matters: `alg`, `kid`, `crit`.
struct Header([Member; 3]);

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        members(deserializer, &["alg", "kid", "crit"]).map(Self)
    }
}

/// The claims [`check_claims`] reads, from the payload's JSON object: its other claims are not
/// read, let alone copied (in wasm, the caller gets the runtime's own parsed object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Claims {
    /// `exp`, expiry (Unix seconds).
    pub exp: Member,
    /// `nbf`, not before.
    pub nbf: Member,
    /// `iat`, issued at.
    pub iat: Member,
    /// `iss`, the issuer.
    pub iss: Member,
    /// `aud`, the audience: a string or an array of them.
    pub aud: Member,
    /// `type`, the identity API's kind of token.
    pub token_type: Member,
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let [exp, nbf, iat, iss, aud, token_type] =
            members(deserializer, &["exp", "nbf", "iat", "iss", "aud", "type"])?;
        Ok(Self {
            exp,
            nbf,
            iat,
            iss,
            aud,
            token_type,
        })
    }
}

/// The longest token read: a request header carrying more is not a token the identity API
/// issued, and reading it would only cost memory.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What the last header read said (its `kid`), by its base64url text: a service's tokens all
/// carry the same header, so [`parse`] decodes and reads only a header it has not just read.
/// Only a header that passed is kept.
#[derive(Debug, Clone, Default)]
pub struct HeaderMemo {
    last: Option<(String, Option<String>)>,
}

impl HeaderMemo {
    fn key_id(&mut self, header: &str) -> Result<Option<String>> {
        match &self.last {
            Some((text, kid)) if text == header => Ok(kid.clone()),
            _ => {
                let kid = key_id(header)?;
                self.last = Some((header.to_owned(), kid.clone()));
                Ok(kid)
            }
        }
    }
}

/// The `kid` of a base64url header, if the header is acceptable: only RS256 (what the identity
/// API signs with), so an `alg: none` or HMAC token can't slip through, and no critical
/// extensions.
fn key_id(header: &str) -> Result<Option<String>> {
    let Header([alg, kid, crit]) = json::serde_from_str(&decoded(header, "header")?)
        .ok_or_else(|| rejected("its header is not a JSON object"))?;
    match alg {
        Member::Text(alg) if alg == "RS256" => {}
        // Named only when it is a plain algorithm name: the header is the caller's (an
        // attacker's) text, and the message may end up in a log.
        Member::Text(alg) if alg.len() <= 16 && alg.chars().all(|c| c.is_ascii_alphanumeric()) => {
            return Err(rejected(&format!("algorithm {alg} is not accepted")))
        }
        Member::Text(_) => return Err(rejected("its algorithm is not accepted")),
        _ => return Err(rejected("its header names no algorithm")),
    }
    // Extensions marked critical must be understood, and none are.
    if crit != Member::Absent {
        return Err(rejected("its header has critical extensions"));
    }
    match kid {
        Member::Absent => Ok(None),
        Member::Text(kid) => Ok(Some(kid)),
        _ => Err(rejected("its key id is not a string")),
    }
}

/// Takes a compact JWS apart, its header read through `headers` (see [`key_id`] for what is
/// accepted).
pub fn parse<'a>(token: &'a str, headers: &mut HeaderMemo) -> Result<Jwt<'a>> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(rejected(&format!(
            "it is longer than {} KB",
            MAX_TOKEN_BYTES / 1024
        )));
    }
    // Not trimmed: whitespace is no part of a compact JWS, and jose refuses it too.
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(rejected("it is not a JWT"));
    };
    // `header.payload`: the token up to its last dot.
    let signed = token
        .get(..header.len() + 1 + payload.len())
        .unwrap_or_default();
    let kid = headers.key_id(header)?;
    let payload = decoded(payload, "payload")?;
    if !json::within_limits(&payload) {
        return Err(unreadable_payload());
    }
    let signature =
        base64url::decode(signature).ok_or_else(|| rejected("its signature is not base64url"))?;
    Ok(Jwt {
        kid,
        payload,
        signed,
        signature,
    })
}

/// Checks the claims at `now` (Unix seconds): `exp` (required), `nbf`, `iat`'s type, `iss`,
/// `aud` when one is required, and the token's `type`. Like jose, times compare in whole seconds.
pub fn check_claims(claims: &Claims, options: &VerifyOptions, now: f64) -> Result<()> {
    let now = now.floor();
    let skew = f64::from(options.clock_skew_seconds);
    let date = |member: &Member, name: &str| match member {
        Member::Absent => Ok(None),
        Member::Number(n) => Ok(Some(*n)),
        _ => Err(rejected(&format!("its `{name}` is not a number"))),
    };
    let exp = date(&claims.exp, "exp")?;
    let nbf = date(&claims.nbf, "nbf")?;
    date(&claims.iat, "iat")?;
    match exp {
        Some(exp) if exp <= now - skew => return Err(rejected("it has expired")),
        Some(_) => {}
        None => return Err(rejected("it has no expiry")),
    }
    if nbf.is_some_and(|nbf| nbf > now + skew) {
        return Err(rejected("it is not valid yet"));
    }
    if !matches!(&claims.iss, Member::Text(iss) if *iss == options.issuer) {
        return Err(rejected("it was issued by someone else"));
    }
    if let Some(audience) = &options.audience {
        let matches = match &claims.aud {
            Member::Text(aud) => aud == audience,
            Member::List(auds) => auds.contains(audience),
            _ => false,
        };
        if !matches {
            return Err(rejected("it is meant for another audience"));
        }
    }
    let claimed = match &claims.token_type {
        Member::Text(claimed) => Some(claimed.as_str()),
        _ => None,
    };
    if !options.token_type.accepts(claimed) {
        return Err(rejected(match options.token_type {
            TokenType::User => {
                "it is not a user's token (pass `tokenType: \"api\"` for API tokens)"
            }
            TokenType::Api => "it is not an API token",
            TokenType::Any => "it is neither a user's token nor an API token",
        }));
    }
    Ok(())
}

/// One RSA signing key of a JWKS, as WebCrypto imports it.
#[derive(Debug, Clone, FromJson, PartialEq, Eq)]
pub struct Jwk {
    /// The key type; only `RSA` keys are kept.
    pub kty: String,
    /// Its `kid`, if it has one.
    pub kid: Option<String>,
    /// The modulus, base64url.
    pub n: String,
    /// The public exponent, base64url.
    pub e: String,
}

/// The smallest RSA modulus accepted, as jose and RFC 7518 require for RS256.
const MIN_RSA_BITS: usize = 2048;

/// The key, if it may verify RS256 signatures: an RSA key of at least 2048 bits whose `use`
/// (if given) is `sig`, `alg` (if given) is RS256, `key_ops` (if given) lists `verify` once, and
/// `ext` (if given) is a boolean. Those members are read raw so that `null` counts as given, as
/// in jose (a `null` `kid` is no `kid`, which jose treats alike).
fn usable(raw: &Value) -> Option<Jwk> {
    let jwk = Jwk::from_json(raw)?;
    let allows =
        |name: &str, wanted: &str| raw.get(name).is_none_or(|v| v.as_str() == Some(wanted));
    let ops_ok = match raw.get("key_ops") {
        None => true,
        Some(Value::Array(ops)) => {
            let names: std::collections::BTreeSet<_> =
                ops.iter().filter_map(Value::as_str).collect();
            // Each a string, none twice.
            let unique = names.len() == ops.len();
            unique && names.contains("verify")
        }
        Some(_) => false,
    };
    let usable = jwk.kty == "RSA"
        && allows("use", "sig")
        && allows("alg", "RS256")
        && ops_ok
        && matches!(raw.get("ext"), None | Some(Value::Bool(_)))
        && modulus_bits(&jwk.n)? >= MIN_RSA_BITS;
    usable.then_some(jwk)
}

/// Bit length of a base64url big-endian modulus.
fn modulus_bits(n: &str) -> Option<usize> {
    let bytes = base64url::decode(n)?;
    let start = bytes.iter().position(|&b| b != 0)?;
    let top = bytes.get(start)?;
    Some((bytes.len() - start - 1) * 8 + (8 - top.leading_zeros() as usize))
}

#[derive(FromJson)]
struct Jwks {
    #[json(nullable)]
    keys: Vec<Value>,
}

/// The usable keys of a JWKS document (see [`usable`]); others are skipped, garbage is an
/// error.
pub fn parse_jwks(text: &str) -> Result<Vec<Jwk>> {
    let jwks: Jwks = json::from_str(text).ok_or_else(|| {
        Error::new(
            ErrorCode::Server,
            "The signing keys (JWKS) are not valid JSON.",
        )
    })?;
    Ok(jwks.keys.into_iter().filter_map(|k| usable(&k)).collect())
}

/// The key for `kid` (or the only key, for tokens without a `kid`).
pub fn find_key<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
}

/// How long keys are kept when the JWKS answer says nothing (`Cache-Control: max-age`), in ms.
pub const DEFAULT_KEYS_TTL_MS: f64 = 10.0 * 60_000.0;
/// The longest a JWKS answer may ask us to keep its keys: a key the host withdraws stops
/// verifying within a day at worst.
pub const MAX_KEYS_TTL_MS: f64 = 24.0 * 3_600_000.0;
/// An unknown `kid` refetches the JWKS (the host rotated its keys), but at most once in this
/// long, so tokens with made-up `kid`s can't turn requests into fetches. Also the shortest time
/// keys are kept, whatever the host says, for the same reason.
pub const REFETCH_COOLDOWN_MS: f64 = 30_000.0;
/// The first wait after a failed fetch; it doubles with each failure in a row.
const FIRST_BACKOFF_MS: f64 = 2_000.0;
/// The longest wait between fetches while the host keeps failing.
const MAX_BACKOFF_MS: f64 = 5.0 * 60_000.0;

/// How long to keep the keys of an answer with this `Cache-Control` header, in ms: its
/// `max-age`, else [`DEFAULT_KEYS_TTL_MS`], held between [`REFETCH_COOLDOWN_MS`] and
/// [`MAX_KEYS_TTL_MS`]. `no-store` and `no-cache` keep them for the shortest time.
pub fn keys_ttl_ms(cache_control: Option<&str>) -> f64 {
    let mut ttl = DEFAULT_KEYS_TTL_MS;
    for directive in cache_control.unwrap_or_default().split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if directive == "no-store" || directive == "no-cache" {
            return REFETCH_COOLDOWN_MS;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            if let Ok(seconds) = seconds.trim_matches('"').parse::<u64>() {
                // Seconds beyond the cap are the cap: the product can't overflow into nonsense.
                ttl = seconds.min(u64::from(u32::MAX)) as f64 * 1000.0;
            }
        }
    }
    ttl.clamp(REFETCH_COOLDOWN_MS, MAX_KEYS_TTL_MS)
}

/// What to do for a token, given the keys held (see [`KeyCache::plan`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Plan<'a> {
    /// Verify with this key (borrowed: the plan is made for every token).
    Use(&'a Jwk),
    /// Fetch the JWKS, then plan again.
    Fetch,
    /// A fetch is under way: wait for it, then plan again.
    Wait,
    /// Refuse the token with this error, without fetching.
    Refuse(Error),
}

/// The keys of one JWKS URL and when to fetch them again: fresh keys are used until their TTL
/// runs out; an unknown `kid` refetches at most once per [`REFETCH_COOLDOWN_MS`]; one fetch
/// runs at a time; after a failure, the error is given again without fetching until a backoff
/// (doubling from 2 s to 5 min) has passed. Times are Unix milliseconds, passed in.
#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    keys: Vec<Jwk>,
    /// When the keys were fetched, and for how long they are good.
    fetched: Option<(f64, f64)>,
    /// When the last fetch started, whatever came of it.
    last_fetch: Option<f64>,
    /// Failures in a row, when the last one ended and its error.
    failure: Option<(u32, f64, Error)>,
    fetching: bool,
}

/// Whether `now` is within `span` ms after `since`; a clock set back ends the span (better one
/// fetch too many than keys trusted or errors replayed for longer than meant).
fn within(since: f64, now: f64, span: f64) -> bool {
    since <= now && now - since < span
}

fn backoff_ms(failures: u32) -> f64 {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_BACKOFF_MS * f64::from(1u32 << doublings)).min(MAX_BACKOFF_MS)
}

impl KeyCache {
    /// What to do for a token naming `kid` (or none) at `now`.
    pub fn plan(&self, kid: Option<&str>, now: f64) -> Plan<'_> {
        let fresh = self.fetched.is_some_and(|(at, ttl)| within(at, now, ttl));
        if fresh {
            if let Some(key) = find_key(&self.keys, kid) {
                return Plan::Use(key);
            }
        }
        if self.fetching {
            return Plan::Wait;
        }
        let backing_off = self
            .failure
            .as_ref()
            .filter(|(failures, at, _)| within(*at, now, backoff_ms(*failures)));
        if fresh {
            // The keys are current: a `kid` they lack is unknown, unless the host rotated
            // since, which one refetch per cooldown finds out.
            let cooling = self
                .last_fetch
                .is_some_and(|at| within(at, now, REFETCH_COOLDOWN_MS));
            if cooling || backing_off.is_some() {
                return Plan::Refuse(unknown_key());
            }
        } else if let Some((_, _, error)) = backing_off {
            return Plan::Refuse(error.clone());
        }
        Plan::Fetch
    }

    /// A fetch starts at `now`; until [`KeyCache::fetched`], other tokens wait for it.
    pub fn start_fetch(&mut self, now: f64) {
        self.fetching = true;
        self.last_fetch = Some(now);
    }

    /// The fetch ended at `now`: the keys and how long to keep them (ms), or why it failed.
    /// After a failure, fresh keys held before stay in use.
    pub fn fetched(&mut self, result: Result<(Vec<Jwk>, f64)>, now: f64) {
        self.fetching = false;
        match result {
            Ok((keys, ttl)) => {
                self.keys = keys;
                self.fetched = Some((now, ttl));
                self.failure = None;
            }
            Err(error) => {
                let failures = self.failure.as_ref().map_or(0, |(n, _, _)| *n);
                self.failure = Some((failures.saturating_add(1), now, error));
            }
        }
    }

    /// The keys held, fresh or not.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }
}

/// A token signed with a key the JWKS does not have.
pub fn unknown_key() -> Error {
    rejected("it is signed with an unknown key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    impl VerifyOptions {
        /// The options from a serde_json value, as the tests build them.
        fn from_test(value: &Value) -> Result<Self> {
            Self::from_json(&json::parse(&value.to_string()).unwrap())
        }
    }

    fn token(header: Value, claims: Value) -> String {
        let enc = |v: &Value| base64url::encode(v.to_string().as_bytes());
        format!(
            "{}.{}.{}",
            enc(&header),
            enc(&claims),
            base64url::encode(b"sig")
        )
    }

    fn options(extra: Value) -> VerifyOptions {
        let mut base = json!({ "baseUrl": "https://id.example" });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        VerifyOptions::from_test(&base).unwrap()
    }

    fn refused(value: Value) -> Error {
        VerifyOptions::from_test(&value).unwrap_err()
    }

    fn parsed(token: &str) -> Result<Jwt<'_>> {
        parse(token, &mut HeaderMemo::default())
    }

    #[test]
    fn hostile_tokens_are_refused_before_decoding() {
        let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        let b64 = |t: &str| base64url::encode(t.as_bytes());
        let nested = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256"}"#), b64(&deep));
        assert_eq!(parsed(&nested).unwrap_err().code, ErrorCode::Unauthorized);
        let header = format!("{}.{}.c2ln", b64(&deep), b64("{}"));
        assert_eq!(parsed(&header).unwrap_err().code, ErrorCode::Unauthorized);
        let long = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            "a".repeat(MAX_TOKEN_BYTES)
        );
        let err = parsed(&long).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized);
        assert!(err.message.contains("longer than"), "{}", err.message);
    }

    #[test]
    fn options_name_the_jwks_and_default_the_issuer() {
        let o = options(json!({}));
        assert_eq!(o.jwks_url, "https://id.example/.well-known/jwks.json");
        assert_eq!(o.issuer, "https://id.example");
        assert_eq!(o.token_type, TokenType::User);
        assert_eq!(o.clock_skew_seconds, 0, "no skew unless asked, as jose");
        let o = VerifyOptions::from_test(&json!({ "baseUrl": "https://ID.example:443/auth/" }))
            .unwrap();
        assert_eq!(
            o.issuer, "https://id.example",
            "the origin, as URL.origin spells it"
        );
        let o = VerifyOptions::from_test(&json!({ "jwksUrl": "https://k.example/keys" })).unwrap();
        assert_eq!(o.jwks_url, "https://k.example/keys");
        assert_eq!(o.issuer, "https://k.example");
        let o = VerifyOptions::from_test(
            &json!({ "baseUrl": "https://id.example", "jwksUrl": "https://k.example/keys" }),
        )
        .unwrap();
        assert_eq!(o.issuer, "https://id.example", "baseUrl names the issuer");
        let o = options(json!({ "issuer": "https://iss.example", "tokenType": "api" }));
        assert_eq!(o.issuer, "https://iss.example");
        assert_eq!(o.token_type, TokenType::Api);
        assert_eq!(
            options(json!({ "tokenType": "any" })).token_type,
            TokenType::Any
        );
        for bad in [
            json!({}),
            json!({ "baseUrl": "x", "aud": "y" }),
            json!({ "baseUrl": "https://id.example", "aud": "y" }),
            json!({ "baseUrl": "https://id.example", "tokenType": "machine" }),
            json!({ "baseUrl": "https://id.example", "tokenType": 1 }),
            json!({ "baseUrl": "https://id.example", "clockSkewSeconds": 601 }),
        ] {
            assert_eq!(refused(bad.clone()).code, ErrorCode::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn keys_come_over_https_except_from_loopback() {
        for ok in [
            "http://localhost:8787",
            "http://127.0.0.1:9",
            "http://127.1.2.3",
            "http://[::1]:8787",
            "https://id.example",
        ] {
            assert!(
                VerifyOptions::from_test(&json!({ "baseUrl": ok })).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://id.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://10.0.0.1",
            "http://[::2]",
        ] {
            let err = refused(json!({ "baseUrl": bad }));
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}");
            assert!(err.message.contains("https"), "{}", err.message);
            assert_eq!(
                refused(json!({ "jwksUrl": format!("{bad}/keys") })).code,
                ErrorCode::InvalidInput
            );
        }
        assert!(
            VerifyOptions::from_test(
                &json!({ "baseUrl": "http://id.example", "jwksUrl": "https://id.example/k" })
            )
            .is_ok(),
            "only where the keys come from matters"
        );
    }

    #[test]
    fn parsing_keeps_the_signed_bytes_and_refuses_other_algorithms() {
        let t = token(
            json!({ "alg": "RS256", "kid": "k1" }),
            json!({ "sub": "u", "exp": 10 }),
        );
        let jwt = parsed(&t).unwrap();
        assert_eq!(jwt.kid.as_deref(), Some("k1"));
        assert_eq!(jwt.signature, b"sig");
        assert_eq!(format!("{}.{}", jwt.signed, base64url::encode(b"sig")), t);
        for bad in [
            token(json!({ "alg": "none" }), json!({})),
            token(json!({ "alg": "HS256" }), json!({})),
            token(json!({ "alg": "RS512" }), json!({})),
            token(json!({ "kid": "k1" }), json!({})),
            token(
                json!({ "alg": "RS256", "crit": ["exp"], "exp": 1 }),
                json!({}),
            ),
            token(json!({ "alg": "RS256", "kid": 7 }), json!({})),
            "a.b".into(),
            "a.b.c.d".into(),
            format!(" {t}"),
            "!!.!!.!!".into(),
            String::new(),
        ] {
            assert_eq!(
                parsed(&bad).unwrap_err().code,
                ErrorCode::Unauthorized,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_refused_algorithm_is_named_only_when_it_is_a_plain_name() {
        let hs = parsed(&token(json!({ "alg": "HS256" }), json!({}))).unwrap_err();
        assert!(hs.message.contains("HS256"), "{}", hs.message);
        // The header is an attacker's text, and the message may be logged.
        let forged = "HS256\n2026-12-01T00:00:00Z INFO user=admin authenticated";
        let e = parsed(&token(json!({ "alg": forged }), json!({}))).unwrap_err();
        assert!(
            !e.message.contains('\n') && !e.message.contains("admin"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_header_read_before_is_not_read_again_and_a_refused_one_never_kept() {
        let mut memo = HeaderMemo::default();
        let k1 = token(json!({ "alg": "RS256", "kid": "k1" }), json!({}));
        let k2 = token(json!({ "alg": "RS256", "kid": "k2" }), json!({}));
        let none = token(json!({ "alg": "none", "kid": "k1" }), json!({}));
        for _ in 0..2 {
            assert_eq!(parse(&k1, &mut memo).unwrap().kid.as_deref(), Some("k1"));
            assert_eq!(parse(&k2, &mut memo).unwrap().kid.as_deref(), Some("k2"));
            assert!(parse(&none, &mut memo).is_err());
        }
        assert_eq!(parse(&k2, &mut memo).unwrap().kid.as_deref(), Some("k2"));
        assert_eq!(
            memo.last.as_ref().map(|(_, kid)| kid.as_deref()),
            Some(Some("k2"))
        );
    }

    #[test]
    fn only_an_object_s_claims_are_read() {
        let read = |text: &str| json::serde_from_str::<Claims>(text);
        for not_an_object in [
            "[100, 0, 0, \"https://id.example\"]",
            "null",
            "7",
            "\"exp\"",
        ] {
            assert_eq!(read(not_an_object), None, "{not_an_object}");
        }
        let claims = read(
            r#"{"sub":"u","exp":10,"nbf":null,"iat":1.5,"iss":"a","iss":"b","aud":["x",1,null,"y"],
                "type":{"nested":[1,{"deep":true}]},"roles":["r"]}"#,
        )
        .unwrap();
        assert_eq!(
            claims,
            Claims {
                exp: Member::Number(10.0),
                nbf: Member::Other,
                iat: Member::Number(1.5),
                iss: Member::Text("b".into()),
                aud: Member::List(vec!["x".into(), "y".into()]),
                token_type: Member::Other,
            },
            "null is given, a name given twice is its last value, arrays keep their strings"
        );
        assert_eq!(read("{}"), Some(Claims::default()));
        let listed = token(json!({ "alg": "RS256" }), json!([]));
        assert_eq!(
            parsed(&listed).unwrap().payload,
            "[]",
            "read by whoever reads the claims"
        );
    }

    #[test]
    fn time_issuer_audience_and_type() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        let check = |c: &Map<String, Value>, o: &VerifyOptions, now: f64| {
            check_claims(
                &Claims::deserialize(&Value::Object(c.clone())).unwrap(),
                o,
                now,
            )
        };
        let o = options(json!({ "audience": "app", "clockSkewSeconds": 5 }));
        let good = claims(json!({
            "exp": 100, "nbf": 50, "iat": 50, "iss": "https://id.example", "aud": "app",
            "type": "userToken"
        }));
        let message = |c: &Map<String, Value>, o: &VerifyOptions, now: f64| {
            check(c, o, now).unwrap_err().message.clone()
        };
        assert!(check(&good, &o, 104.9).is_ok(), "within the skew");
        assert!(message(&good, &o, 105.0).contains("expired"));
        assert!(check(&good, &o, 45.0).is_ok(), "within the skew");
        assert!(message(&good, &o, 44.9).contains("not valid yet"));
        let strict = options(json!({}));
        assert!(
            message(&good, &strict, 100.0).contains("expired"),
            "at `exp` it has expired, as in jose"
        );
        assert!(check(&good, &strict, 99.9).is_ok());

        let with = |change: Value| {
            let mut c = good.clone();
            c.extend(claims(change));
            c
        };
        assert!(
            message(&with(json!({ "iss": "https://evil.example" })), &o, 60.0)
                .contains("someone else")
        );
        let mut no_iss = good.clone();
        no_iss.remove("iss");
        assert!(message(&no_iss, &o, 60.0).contains("someone else"));
        assert!(check(&with(json!({ "aud": ["x", "app"] })), &o, 60.0).is_ok());
        assert!(message(&with(json!({ "aud": "x" })), &o, 60.0).contains("audience"));
        assert!(message(&with(json!({ "aud": null })), &o, 60.0).contains("audience"));
        for name in ["exp", "nbf", "iat"] {
            let bad = with(json!({ name: "100" }));
            assert!(message(&bad, &o, 60.0).contains(name), "{name}");
        }
        let mut no_exp = good.clone();
        no_exp.remove("exp");
        assert!(message(&no_exp, &o, 60.0).contains("no expiry"));

        let api = with(json!({ "type": "tenantApiToken" }));
        let personal = with(json!({ "type": "userApiToken" }));
        let untyped = {
            let mut c = good.clone();
            c.remove("type");
            c
        };
        assert!(message(&api, &o, 60.0).contains("tokenType"));
        assert!(check(&untyped, &o, 60.0).is_err());
        let api_only = options(json!({ "tokenType": "api" }));
        assert!(check(&api, &api_only, 60.0).is_ok());
        assert!(check(&personal, &api_only, 60.0).is_ok());
        assert!(check(&good, &api_only, 60.0).is_err());
        let any = options(json!({ "tokenType": "any" }));
        for c in [&good, &api, &personal] {
            assert!(check(c, &any, 60.0).is_ok());
        }
        assert!(check(&with(json!({ "type": "vendorToken" })), &any, 60.0).is_err());
        assert!(check(&untyped, &any, 60.0).is_err());
    }

    fn modulus(bytes: &[u8]) -> String {
        base64url::encode(bytes)
    }

    fn rsa(kid: &str) -> Value {
        json!({ "kty": "RSA", "kid": kid, "n": modulus(&[0xc5; 256]), "e": "AQAB" })
    }

    #[test]
    fn only_keys_fit_for_rs256_verification_are_kept() {
        let with = |kid: &str, extra: Value| {
            let mut key = rsa(kid);
            key.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            key
        };
        let mut leading_zero = vec![0u8];
        leading_zero.extend([0x80; 256]);
        let keys = [
            rsa("plain"),
            with(
                "sig",
                json!({ "use": "sig", "alg": "RS256", "key_ops": ["verify"], "ext": true }),
            ),
            with("zero", json!({ "n": modulus(&leading_zero) })),
            with("enc", json!({ "use": "enc" })),
            with("null-use", json!({ "use": null })),
            with("rs512", json!({ "alg": "RS512" })),
            with("sign-only", json!({ "key_ops": ["sign"] })),
            with("twice", json!({ "key_ops": ["verify", "verify"] })),
            with("ext", json!({ "ext": "yes" })),
            with("small", json!({ "n": modulus(&[0xff; 255]) })),
            with("bad-n", json!({ "n": "!!" })),
            with("no-e", json!({ "e": null })),
            with("RSA", json!({ "kty": "rsa" })),
            json!({ "kty": "EC", "kid": "ec", "x": "1" }),
            json!({ "kty": "RSA", "kid": 7, "n": modulus(&[0xc5; 256]), "e": "AQAB" }),
            json!("not a key"),
        ];
        let jwks = parse_jwks(&json!({ "keys": keys }).to_string()).unwrap();
        let kids: Vec<_> = jwks.iter().filter_map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, ["plain", "sig", "zero"]);
        let unnamed = parse_jwks(r#"{"keys":[{"kty":"RSA","kid":null,"n":"xcXF","e":"AQAB"}]}"#);
        assert_eq!(unnamed.unwrap(), [], "under 2048 bits");
        assert_eq!(modulus_bits(&modulus(&leading_zero)), Some(2048));
        assert_eq!(modulus_bits(&modulus(&[0x01, 0])), Some(9));
        assert_eq!(find_key(&jwks, Some("sig")).unwrap().e, "AQAB");
        assert!(find_key(&jwks, Some("enc")).is_none());
        assert!(find_key(&jwks, None).is_none(), "ambiguous without a kid");
        let one = parse_jwks(&json!({ "keys": [rsa("only")] }).to_string()).unwrap();
        assert_eq!(find_key(&one, None).unwrap().kid.as_deref(), Some("only"));
        assert!(parse_jwks("<html>").is_err());
        assert_eq!(parse_jwks(r#"{"keys":null}"#).unwrap(), []);
    }

    #[test]
    fn cache_control_sets_how_long_keys_are_kept() {
        assert_eq!(keys_ttl_ms(None), DEFAULT_KEYS_TTL_MS);
        assert_eq!(keys_ttl_ms(Some("public, max-age=3600")), 3_600_000.0);
        assert_eq!(keys_ttl_ms(Some("Max-Age=\"120\"")), 120_000.0);
        assert_eq!(keys_ttl_ms(Some("max-age=0")), REFETCH_COOLDOWN_MS);
        assert_eq!(keys_ttl_ms(Some("no-store")), REFETCH_COOLDOWN_MS);
        assert_eq!(
            keys_ttl_ms(Some("max-age=5, no-cache")),
            REFETCH_COOLDOWN_MS
        );
        assert_eq!(keys_ttl_ms(Some("max-age=99999999999999")), MAX_KEYS_TTL_MS);
        assert_eq!(keys_ttl_ms(Some("max-age=-5")), DEFAULT_KEYS_TTL_MS);
        assert_eq!(keys_ttl_ms(Some("s-maxage=60")), DEFAULT_KEYS_TTL_MS);
    }

    fn key(kid: &str) -> Jwk {
        Jwk {
            kty: "RSA".into(),
            kid: Some(kid.into()),
            n: "n".into(),
            e: "AQAB".into(),
        }
    }

    fn down() -> Error {
        Error::new(ErrorCode::Network, "down")
    }

    #[test]
    fn keys_are_used_until_their_ttl_and_then_fetched_again() {
        let mut cache = KeyCache::default();
        assert_eq!(cache.plan(Some("a"), 0.0), Plan::Fetch);
        cache.start_fetch(0.0);
        assert_eq!(
            cache.plan(Some("a"), 1.0),
            Plan::Wait,
            "one fetch at a time"
        );
        cache.fetched(Ok((vec![key("a")], 60_000.0)), 100.0);
        assert_eq!(cache.plan(Some("a"), 59_000.0), Plan::Use(&key("a")));
        assert_eq!(cache.plan(Some("a"), 60_100.0), Plan::Fetch, "stale");
        assert_eq!(cache.plan(Some("a"), 50.0), Plan::Fetch, "clock set back");
        cache.start_fetch(60_100.0);
        assert_eq!(
            cache.plan(Some("a"), 60_200.0),
            Plan::Wait,
            "stale keys are not used"
        );
        cache.fetched(Err(down()), 60_300.0);
        assert_eq!(cache.plan(Some("a"), 60_400.0), Plan::Refuse(down()));
        assert_eq!(cache.keys(), [key("a")]);
    }

    #[test]
    fn an_unknown_kid_refetches_once_per_cooldown() {
        let mut cache = KeyCache::default();
        cache.start_fetch(0.0);
        cache.fetched(Ok((vec![key("a")], DEFAULT_KEYS_TTL_MS)), 0.0);
        assert_eq!(cache.plan(Some("b"), 1_000.0), Plan::Refuse(unknown_key()));
        assert_eq!(
            cache.plan(None, 1_000.0),
            Plan::Use(&key("a")),
            "the only key"
        );
        assert_eq!(cache.plan(Some("b"), REFETCH_COOLDOWN_MS), Plan::Fetch);
        cache.start_fetch(REFETCH_COOLDOWN_MS);
        assert_eq!(
            cache.plan(Some("a"), REFETCH_COOLDOWN_MS + 1.0),
            Plan::Use(&key("a")),
            "known keys don't wait for the fetch"
        );
        assert_eq!(cache.plan(Some("b"), REFETCH_COOLDOWN_MS + 1.0), Plan::Wait);
        cache.fetched(
            Ok((vec![key("a"), key("b")], DEFAULT_KEYS_TTL_MS)),
            REFETCH_COOLDOWN_MS + 2.0,
        );
        assert_eq!(
            cache.plan(Some("b"), REFETCH_COOLDOWN_MS + 3.0),
            Plan::Use(&key("b")),
            "rotated in"
        );
        assert_eq!(
            cache.plan(Some("c"), REFETCH_COOLDOWN_MS + 3.0),
            Plan::Refuse(unknown_key())
        );
    }

    #[test]
    fn failures_are_replayed_with_a_doubling_backoff() {
        let mut cache = KeyCache::default();
        let mut now = 0.0;
        let mut fetches = 0;
        let mut waits = Vec::new();
        // An hour of one token per 100 ms, each with a new kid, while the host is down.
        while now < 3_600_000.0 {
            let kid = format!("k{now}");
            match cache.plan(Some(&kid), now) {
                Plan::Fetch => {
                    fetches += 1;
                    waits.push(now);
                    cache.start_fetch(now);
                    cache.fetched(Err(down()), now);
                }
                Plan::Refuse(e) => assert_eq!(e, down()),
                other => panic!("{other:?}"),
            }
            now += 100.0;
        }
        let gaps: Vec<_> = waits.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps[..4], [2_000.0, 4_000.0, 8_000.0, 16_000.0]);
        assert_eq!(*gaps.last().unwrap(), MAX_BACKOFF_MS);
        assert!(fetches < 25, "{fetches} fetches in an hour");

        // A success ends the backoff; a failure while keys are fresh keeps them in use.
        cache.start_fetch(now);
        cache.fetched(Ok((vec![key("a")], DEFAULT_KEYS_TTL_MS)), now);
        now += REFETCH_COOLDOWN_MS;
        assert_eq!(cache.plan(Some("b"), now), Plan::Fetch);
        cache.start_fetch(now);
        cache.fetched(Err(down()), now);
        assert_eq!(cache.plan(Some("a"), now + 1.0), Plan::Use(&key("a")));
        assert_eq!(
            cache.plan(Some("b"), now + REFETCH_COOLDOWN_MS),
            Plan::Fetch,
            "2 s of backoff and the cooldown are over"
        );
    }
}
