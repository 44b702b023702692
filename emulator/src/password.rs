//! Password hashing with argon2id (the `argon2` crate's default parameters).
//!
//! Both functions are CPU-heavy on purpose; call them from `spawn_blocking`, never while holding
//! the store lock.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;

/// A valid argon2id hash (default parameters) of a password nobody knows. Logins for unknown users
/// verify against it so they take as long as logins for real users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c8j1PdYBZHmd5iwZFOFj5w$nW0tkBTnRAjTozJPbnW6fDM9CgaJOkXp/ax08DyQuo0";

/// Hashes a password into a PHC string (`$argon2id$v=19$...`) with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC hash. With no stored hash (unknown user, or a user
/// without a password) it still does the full argon2 work against a dummy hash, and answers false.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let candidate = stored.unwrap_or(DUMMY_HASH);
    let matches = match PasswordHash::new(candidate) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        // A corrupt stored hash never matches.
        Err(_) => false,
    };
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash("Demo-pass-123!").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Demo-pass-123!", Some(&h)));
        assert!(!verify("demo-pass-123!", Some(&h)));
        assert!(!verify("Demo-pass-123!", Some("not a hash")));
    }

    #[test]
    fn dummy_hash_is_real_argon2id_with_default_params() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let fresh_hash = hash("x").unwrap();
        let fresh = PasswordHash::new(&fresh_hash).unwrap();
        assert_eq!(parsed.algorithm, fresh.algorithm);
        assert_eq!(parsed.params, fresh.params);
        assert!(!verify("", None));
    }
}
