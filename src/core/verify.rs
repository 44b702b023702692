//! Verifying access tokens at the edge (`verifyAccessToken`): the rules, sans-IO. Parsing the
//! JWT and the JWKS, choosing the key and checking `exp` / `nbf` / `iss` / `aud` happen here;
//! the RS256 signature itself is checked by the runtime's WebCrypto (see `wasm/edge.rs`), so there is
//! no RSA code of our own.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::core::base64url;
use crate::core::config::normalize_base_url;
use crate::core::error::{Error, ErrorCode, Result};
use crate::core::input::Fields;
use crate::core::json;

/// What `verifyAccessToken` checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Where the signing keys are published.
    pub jwks_url: String,
    /// Required `aud`, if any.
    pub audience: Option<String>,
    /// Required `iss`, if any.
    pub issuer: Option<String>,
    /// Tolerance for clocks that disagree, on `exp` and `nbf`.
    pub clock_skew_seconds: u32,
}

impl VerifyOptions {
    /// `{ baseUrl | jwksUrl, audience?, issuer?, clockSkewSeconds? }`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut f = Fields::new("verifyAccessToken", value)?;
        let base_url = f.opt_str("baseUrl")?;
        let jwks_url = f.opt_str("jwksUrl")?;
        let jwks_url = match (base_url, jwks_url) {
            (_, Some(url)) => normalize_base_url(url)?,
            (Some(base), None) => format!("{}/.well-known/jwks.json", normalize_base_url(base)?),
            (None, None) => {
                return Err(Error::invalid_input(
                    "verifyAccessToken: `baseUrl` or `jwksUrl` is required.",
                ))
            }
        };
        let options = Self {
            jwks_url,
            audience: f.opt_str("audience")?.map(str::to_owned),
            issuer: f.opt_str("issuer")?.map(str::to_owned),
            clock_skew_seconds: f.opt_u32("clockSkewSeconds", 0, 600)?.unwrap_or(30),
        };
        f.finish()?;
        Ok(options)
    }
}

/// A JWT taken apart, not yet trusted.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    /// `kid` of the header, if any.
    pub kid: Option<String>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// `header.payload`, the bytes that were signed.
    pub signed: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

fn rejected(why: &str) -> Error {
    Error::new(
        ErrorCode::Unauthorized,
        format!("The access token is not valid: {why}."),
    )
}

fn part<T: for<'de> Deserialize<'de>>(b64: &str, what: &str) -> Result<T> {
    let bytes =
        base64url::decode(b64).ok_or_else(|| rejected(&format!("its {what} is not base64url")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| rejected(&format!("its {what} is not UTF-8")))?;
    json::from_str(&text).ok_or_else(|| rejected(&format!("its {what} is not a JSON object")))
}

/// The longest token read: a request header carrying more is not a token the identity API
/// issued, and reading it would only cost memory.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Takes a compact JWS apart; only RS256 is accepted (what the identity API signs with), so an
/// `alg: none` or HMAC token can't slip through.
pub fn parse(token: &str) -> Result<Jwt> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(rejected(&format!(
            "it is longer than {} KB",
            MAX_TOKEN_BYTES / 1024
        )));
    }
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(rejected("it is not a JWT"));
    };
    let header: Header = part(header, "header")?;
    if header.alg != "RS256" {
        return Err(rejected(&format!(
            "algorithm {} is not accepted",
            header.alg
        )));
    }
    let claims: Map<String, Value> = part(payload, "payload")?;
    let signature =
        base64url::decode(signature).ok_or_else(|| rejected("its signature is not base64url"))?;
    let signed_len = token.trim().len() - token.trim().rsplit('.').next().map_or(0, str::len) - 1;
    Ok(Jwt {
        kid: header.kid,
        claims,
        signed: token.trim()[..signed_len].to_owned(),
        signature,
    })
}

/// Checks the time and audience claims at `now` (Unix seconds).
pub fn check_claims(claims: &Map<String, Value>, options: &VerifyOptions, now: f64) -> Result<()> {
    let skew = f64::from(options.clock_skew_seconds);
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    match number("exp") {
        Some(exp) if now > exp + skew => return Err(rejected("it has expired")),
        Some(_) => {}
        None => return Err(rejected("it has no expiry")),
    }
    if number("nbf").is_some_and(|nbf| now + skew < nbf) {
        return Err(rejected("it is not valid yet"));
    }
    if let Some(issuer) = &options.issuer {
        if claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
            return Err(rejected("it was issued by someone else"));
        }
    }
    if let Some(audience) = &options.audience {
        let matches = match claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience.as_str())),
            _ => false,
        };
        if !matches {
            return Err(rejected("it is meant for another audience"));
        }
    }
    Ok(())
}

/// One RSA signing key of a JWKS, as WebCrypto imports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    pub n: String,
    pub e: String,
}

#[derive(Deserialize)]
struct Jwks {
    #[serde(default, deserialize_with = "crate::core::endpoints::nullable")]
    keys: Vec<Value>,
}

/// The RSA keys of a JWKS document; other key types are skipped, garbage is an error.
pub fn parse_jwks(text: &str) -> Result<Vec<Jwk>> {
    let jwks: Jwks = json::from_str(text).ok_or_else(|| {
        Error::new(
            ErrorCode::Server,
            "The signing keys (JWKS) are not valid JSON.",
        )
    })?;
    Ok(jwks
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| k.kty == "RSA")
        .collect())
}

/// The key for `kid` (or the only key, for tokens without a `kid`).
pub fn find_key<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        VerifyOptions::from_json(&base).unwrap()
    }

    #[test]
    fn hostile_tokens_are_refused_before_decoding() {
        let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        let b64 = |t: &str| base64url::encode(t.as_bytes());
        let nested = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256"}"#), b64(&deep));
        assert_eq!(parse(&nested).unwrap_err().code, ErrorCode::Unauthorized);
        let header = format!("{}.{}.c2ln", b64(&deep), b64("{}"));
        assert_eq!(parse(&header).unwrap_err().code, ErrorCode::Unauthorized);
        let long = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            "a".repeat(MAX_TOKEN_BYTES)
        );
        let err = parse(&long).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized);
        assert!(err.message.contains("longer than"), "{}", err.message);
    }

    #[test]
    fn options_name_the_jwks() {
        assert_eq!(
            options(json!({})).jwks_url,
            "https://id.example/.well-known/jwks.json"
        );
        let o = VerifyOptions::from_json(&json!({ "jwksUrl": "https://k.example/keys" })).unwrap();
        assert_eq!(o.jwks_url, "https://k.example/keys");
        assert!(VerifyOptions::from_json(&json!({})).is_err());
        assert!(VerifyOptions::from_json(&json!({ "baseUrl": "x", "aud": "y" })).is_err());
    }

    #[test]
    fn parsing_keeps_the_signed_bytes_and_refuses_other_algorithms() {
        let t = token(
            json!({ "alg": "RS256", "kid": "k1" }),
            json!({ "sub": "u", "exp": 10 }),
        );
        let jwt = parse(&t).unwrap();
        assert_eq!(jwt.kid.as_deref(), Some("k1"));
        assert_eq!(jwt.signature, b"sig");
        assert_eq!(format!("{}.{}", jwt.signed, base64url::encode(b"sig")), t);
        for bad in [
            token(json!({ "alg": "none" }), json!({})),
            token(json!({ "alg": "HS256" }), json!({})),
            "a.b".into(),
            "a.b.c.d".into(),
            "!!.!!.!!".into(),
            String::new(),
        ] {
            assert_eq!(
                parse(&bad).unwrap_err().code,
                ErrorCode::Unauthorized,
                "{bad}"
            );
        }
    }

    #[test]
    fn time_issuer_and_audience() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        let o = options(
            json!({ "issuer": "https://id.example", "audience": "app", "clockSkewSeconds": 5 }),
        );
        let good =
            claims(json!({ "exp": 100, "nbf": 50, "iss": "https://id.example", "aud": "app" }));
        assert!(check_claims(&good, &o, 104.0).is_ok(), "within the skew");
        assert!(check_claims(&good, &o, 106.0)
            .unwrap_err()
            .message
            .contains("expired"));
        assert!(check_claims(&good, &o, 44.0)
            .unwrap_err()
            .message
            .contains("not valid yet"));
        let other_iss = claims(json!({ "exp": 100, "iss": "https://evil.example", "aud": "app" }));
        assert!(check_claims(&other_iss, &o, 60.0)
            .unwrap_err()
            .message
            .contains("someone else"));
        let many_aud =
            claims(json!({ "exp": 100, "iss": "https://id.example", "aud": ["x", "app"] }));
        assert!(check_claims(&many_aud, &o, 60.0).is_ok());
        let other_aud = claims(json!({ "exp": 100, "iss": "https://id.example", "aud": "x" }));
        assert!(check_claims(&other_aud, &o, 60.0).is_err());
        assert!(check_claims(&claims(json!({})), &options(json!({})), 0.0)
            .unwrap_err()
            .message
            .contains("no expiry"));
    }

    #[test]
    fn jwks_keys_by_kid() {
        let keys = parse_jwks(r#"{"keys":[{"kty":"RSA","kid":"a","n":"n1","e":"AQAB"},{"kty":"EC","kid":"b","x":"1"},{"kty":"RSA","kid":"c","n":"n3","e":"AQAB"}]}"#).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(find_key(&keys, Some("c")).unwrap().n, "n3");
        assert!(find_key(&keys, Some("b")).is_none());
        assert!(find_key(&keys, None).is_none(), "ambiguous without a kid");
        assert!(parse_jwks("<html>").is_err());
    }
}
