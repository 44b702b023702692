//! Access tokens (RS256 JWTs), opaque refresh/MFA tokens, and the refresh cookie.

use axum::http::header::COOKIE;
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::keys::SigningKey;
use crate::store::UserRecord;

/// The `type` claim of user access tokens.
pub const USER_TOKEN_TYPE: &str = "userToken";

/// Claims of an access token, named as the hosted service names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// User email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Active tenant.
    pub tenant_id: String,
    /// All tenants of the user.
    pub tenant_ids: Vec<String>,
    /// Role keys.
    pub roles: Vec<String>,
    /// Permission keys.
    pub permissions: Vec<String>,
    /// Session id; revoking the session invalidates the token at the emulator.
    pub sid: String,
    /// Always [`USER_TOKEN_TYPE`].
    #[serde(rename = "type")]
    pub token_type: String,
    /// Issuer.
    pub iss: String,
    /// Audience: the client id.
    pub aud: String,
    /// Issued at, Unix seconds (emulator clock).
    pub iat: i64,
    /// Expiry, Unix seconds (emulator clock).
    pub exp: i64,
    /// Unique token id, so two tokens issued in the same second for one session still differ.
    pub jti: String,
    /// Avatar URL, only when the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
    /// Custom user metadata; always an object.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// Who a token is for and what it may say; the parts of a token that are not user data.
pub struct TokenContext<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `aud`.
    pub client_id: &'a str,
    /// `iat`.
    pub now: i64,
    /// Lifetime in seconds.
    pub ttl_seconds: i64,
}

/// Signs an access token for a user in a tenant and session. Returns the token and its claims.
pub fn issue_access_token(
    key: &SigningKey,
    ctx: &TokenContext<'_>,
    user: &UserRecord,
    tenant_id: &str,
    session_id: &str,
) -> Result<(String, AccessClaims), crate::BoxError> {
    let claims = AccessClaims {
        sub: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        tenant_id: tenant_id.to_owned(),
        tenant_ids: user.tenant_ids.clone(),
        roles: user.roles.clone(),
        permissions: user.permissions.clone(),
        sid: session_id.to_owned(),
        token_type: USER_TOKEN_TYPE.to_owned(),
        iss: ctx.issuer.to_owned(),
        aud: ctx.client_id.to_owned(),
        iat: ctx.now,
        exp: ctx.now.saturating_add(ctx.ttl_seconds),
        jti: uuid::Uuid::new_v4().to_string(),
        profile_picture_url: user.profile_picture_url.clone(),
        metadata: Map::new(),
    };
    let token = key.sign(&claims)?;
    Ok((token, claims))
}

/// Checks an access token's signature, issuer, audience, type and expiry (by the emulator clock,
/// not the system clock, so advancing the clock expires tokens). Session revocation is checked by
/// the caller, which has the store.
pub fn verify_access_token(
    key: &SigningKey,
    token: &str,
    issuer: &str,
    client_id: &str,
    now: i64,
) -> Option<AccessClaims> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_audience(&[client_id]);
    validation.set_issuer(&[issuer]);
    let claims = jsonwebtoken::decode::<AccessClaims>(token, key.decoding_key(), &validation)
        .ok()?
        .claims;
    (claims.exp > now && claims.token_type == USER_TOKEN_TYPE).then_some(claims)
}

/// A new opaque secret token: 32 random bytes, base64url without padding.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token: what the store keeps and looks tokens up by, so a leaked database holds
/// no usable tokens.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The refresh cookie's name: `fe_refresh_` plus the client id without dashes.
pub fn refresh_cookie_name(client_id: &str) -> String {
    format!("fe_refresh_{}", client_id.replace('-', ""))
}

/// The value of the named cookie across all `Cookie` headers, if present and non-empty.
pub fn find_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` value that stores a refresh token. Never `Secure`: the emulator speaks plain HTTP.
pub fn refresh_cookie(name: &str, token: &str, max_age_seconds: i64) -> String {
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}")
}

/// `Set-Cookie` value that deletes the refresh cookie.
pub fn clear_refresh_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookie_name_drops_dashes() {
        assert_eq!(
            refresh_cookie_name("b9a1f0b6-0c7e-4c55-9d8e-2f6f5b0c1e11"),
            "fe_refresh_b9a1f0b60c7e4c559d8e2f6f5b0c1e11"
        );
    }

    #[test]
    fn finds_cookie_among_many_headers_and_pairs() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; fe_refresh_x2=nope"));
        headers.append(
            COOKIE,
            HeaderValue::from_static("b=2;fe_refresh_x=tok-en_; c"),
        );
        assert_eq!(
            find_cookie(&headers, "fe_refresh_x").as_deref(),
            Some("tok-en_")
        );
        assert_eq!(find_cookie(&headers, "fe_refresh"), None);
        headers.append(COOKIE, HeaderValue::from_static("empty="));
        assert_eq!(find_cookie(&headers, "empty"), None);
        assert_eq!(find_cookie(&HeaderMap::new(), "a"), None);
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_opaque_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_opaque_token());
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token("other"));
        // SHA-256("abc"), first bytes, from FIPS 180-2.
        assert_eq!(&hash_token("abc")[..4], &[0xba, 0x78, 0x16, 0xbf]);
    }

    #[test]
    fn issued_tokens_verify_until_expiry_only() {
        let (key, _) = SigningKey::generate().unwrap();
        let user = UserRecord {
            id: "u1".into(),
            email: "a@x.io".into(),
            name: "A".into(),
            phone_number: None,
            profile_picture_url: None,
            roles: vec!["Admin".into()],
            permissions: vec![],
            tenant_ids: vec!["t1".into()],
            created_at: 0,
            last_login: None,
        };
        let ctx = TokenContext {
            issuer: "http://iss",
            client_id: "cid",
            now: 1000,
            ttl_seconds: 300,
        };
        let (token, claims) = issue_access_token(&key, &ctx, &user, "t1", "s1").unwrap();
        assert_eq!(
            verify_access_token(&key, &token, "http://iss", "cid", 1299),
            Some(claims)
        );
        assert_eq!(
            verify_access_token(&key, &token, "http://iss", "cid", 1300),
            None
        );
        assert_eq!(
            verify_access_token(&key, &token, "http://other", "cid", 1000),
            None
        );
        assert_eq!(
            verify_access_token(&key, &token, "http://iss", "other", 1000),
            None
        );
        assert_eq!(
            verify_access_token(&key, "garbage", "http://iss", "cid", 1000),
            None
        );
    }
}
