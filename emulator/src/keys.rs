//! The RSA key that signs access tokens, and its public JWKS form.
//!
//! One 2048-bit key, generated on first start and kept (PKCS#8 PEM) in the database so tokens
//! issued before a restart still verify after it.
//!
//! Tokens are signed here rather than with `jsonwebtoken::encode`, which parses the private key
//! for every token and signs with the `rsa` crate: RSA signing was most of a refresh's CPU time.
//! Here the key is parsed once and ring signs (RSASSA-PKCS1-v1_5 with SHA-256, blinded); the
//! tokens are byte for byte the ones jsonwebtoken makes (a test holds it to that).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use rand::rngs::OsRng;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::BoxError;

/// Size of generated keys, the common RS256 size.
const KEY_BITS: usize = 2048;

/// The signing key in the forms jsonwebtoken and the JWKS endpoint need.
pub struct SigningKey {
    kid: String,
    /// The private key, parsed (and checked) once.
    signer: RsaKeyPair,
    /// Randomness for blinding each signature.
    rng: SystemRandom,
    /// The token header (`alg`, `typ`, `kid`), base64url-encoded: the same for every token.
    encoded_header: String,
    decoding: DecodingKey,
    n: String,
    e: String,
}

impl SigningKey {
    /// Generates a fresh key. Slow (RSA prime search): call it off the async runtime.
    pub fn generate() -> Result<(Self, String), BoxError> {
        let private = RsaPrivateKey::new(&mut OsRng, KEY_BITS)?;
        let pem = private.to_pkcs8_pem(LineEnding::LF)?.to_string();
        Ok((Self::from_private(private)?, pem))
    }

    /// Loads a key from its PKCS#8 PEM.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, BoxError> {
        Self::from_private(RsaPrivateKey::from_pkcs8_pem(pem)?)
    }

    fn from_private(private: RsaPrivateKey) -> Result<Self, BoxError> {
        let n_bytes = private.n().to_bytes_be();
        let n = URL_SAFE_NO_PAD.encode(&n_bytes);
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        // The kid only has to be stable for the key and differ between keys.
        let kid: String = Sha256::digest(&n_bytes)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.clone());
        let encoded_header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        Ok(Self {
            kid,
            signer: RsaKeyPair::from_pkcs8(private.to_pkcs8_der()?.as_bytes())
                .map_err(|e| format!("ring refused the signing key: {e}"))?,
            rng: SystemRandom::new(),
            encoded_header,
            decoding: DecodingKey::from_rsa_components(&n, &e)?,
            n,
            e,
        })
    }

    /// The key id, put in every token header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// An RS256 JWT of `claims` under this key's `kid`, as `jsonwebtoken::encode` makes it.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, BoxError> {
        let claims = serde_json::to_vec(claims)?;
        let mut token = format!("{}.", self.encoded_header);
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let mut signature = vec![0; self.signer.public().modulus_len()];
        self.signer
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "RSA signing failed")?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// Key for verifying tokens.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The body of `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.kid,
                "n": self.n,
                "e": self.e,
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPrivateKey;

    #[test]
    fn pem_round_trip_keeps_kid_and_public_key() {
        let (key, pem) = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.jwks(), again.jwks());
        assert_eq!(key.jwks()["keys"][0]["e"], "AQAB");
    }

    #[test]
    fn signs_exactly_as_jsonwebtoken_does() {
        let (key, pem) = SigningKey::generate().unwrap();
        let claims = json!({ "sub": "u1", "exp": 2_000_000_000_i64, "name": "Zoë" });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid().to_owned());
        let der = RsaPrivateKey::from_pkcs8_pem(&pem)
            .unwrap()
            .to_pkcs1_der()
            .unwrap();
        let encoding = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
        // PKCS#1 v1.5 signatures are deterministic (blinding does not change them), so the
        // library's token for the same claims is the oracle, byte for byte.
        let expected = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
        assert_eq!(key.sign(&claims).unwrap(), expected);
    }
}
