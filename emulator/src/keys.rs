//! The RSA key that signs access tokens, and its public JWKS form.
//!
//! One 2048-bit key, generated on first start and kept (PKCS#8 PEM) in the database so tokens
//! issued before a restart still verify after it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::rngs::OsRng;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::BoxError;

/// Size of generated keys, the common RS256 size.
const KEY_BITS: usize = 2048;

/// The signing key in the forms jsonwebtoken and the JWKS endpoint need.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    n: String,
    e: String,
}

impl SigningKey {
    /// Generates a fresh key. Slow (RSA prime search): call it off the async runtime.
    pub fn generate() -> Result<(Self, String), BoxError> {
        let private = RsaPrivateKey::new(&mut OsRng, KEY_BITS)?;
        let pem = private.to_pkcs8_pem(LineEnding::LF)?.to_string();
        Ok((Self::from_private(&private)?, pem))
    }

    /// Loads a key from its PKCS#8 PEM.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, BoxError> {
        Self::from_private(&RsaPrivateKey::from_pkcs8_pem(pem)?)
    }

    fn from_private(private: &RsaPrivateKey) -> Result<Self, BoxError> {
        let n_bytes = private.n().to_bytes_be();
        let n = URL_SAFE_NO_PAD.encode(&n_bytes);
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        // The kid only has to be stable for the key and differ between keys.
        let kid = Sha256::digest(&n_bytes)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let der = private.to_pkcs1_der()?;
        Ok(Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding: DecodingKey::from_rsa_components(&n, &e)?,
            n,
            e,
        })
    }

    /// The key id, put in every token header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Key for signing tokens.
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
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

    #[test]
    fn pem_round_trip_keeps_kid_and_public_key() {
        let (key, pem) = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.jwks(), again.jwks());
        assert_eq!(key.jwks()["keys"][0]["e"], "AQAB");
    }
}
