//! Password hashing with argon2id (the `argon2` crate's default parameters).
//!
//! Both functions are CPU-heavy on purpose; call them from `spawn_blocking`, never while holding
//! the store lock.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use std::num::NonZeroUsize;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

/// A valid argon2id hash (default parameters) of a password nobody knows. Logins for unknown users
/// verify against it so they take as long as logins for real users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c8j1PdYBZHmd5iwZFOFj5w$nW0tkBTnRAjTozJPbnW6fDM9CgaJOkXp/ax08DyQuo0";

/// Hashes a password into a PHC string (`$argon2id$v=19$...`) with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    gate().run(|| {
        Ok(Argon2::default()
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    })
}

/// Checks a password against a stored PHC hash. With no stored hash (unknown user, or a user
/// without a password) it still does the full argon2 work against a dummy hash, and answers false.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let candidate = stored.unwrap_or(DUMMY_HASH);
    let matches = match PasswordHash::new(candidate) {
        Ok(parsed) => gate().run(|| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }),
        // A corrupt stored hash never matches.
        Err(_) => false,
    };
    matches && stored.is_some()
}

/// Bounds how many argon2 computations run at once, to the number of cores. Each needs ~19 MiB
/// and a whole core, so more at once only hold more memory and make every one of them finish
/// late (200 simultaneous logins on 2 cores all answered after the last hash was done). Callers
/// are on blocking threads (`spawn_blocking`), so waiting here is fine.
struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

/// Gives a slot back when dropped, even if the work panicked.
struct Slot<'a>(&'a Gate);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *running -= 1;
        self.0.freed.notify_one();
    }
}

impl Gate {
    fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        while *running >= self.max {
            running = self
                .freed
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *running += 1;
        drop(running);
        let _slot = Slot(self);
        work()
    }
}

fn gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(|| Gate {
        running: Mutex::new(0),
        freed: Condvar::new(),
        max: std::thread::available_parallelism().map_or(2, NonZeroUsize::get),
    })
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
