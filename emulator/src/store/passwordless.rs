//! Passwordless sign-in secrets: magic-link tokens and one-time codes (email and SMS).
//!
//! A row is keyed by the SHA-256 of the secret the client holds: the magic-link token, or for
//! codes the `otcToken` that prelogin returned. Codes themselves are stored only as SHA-256 of
//! `otcToken:code`, so the six digits cannot be read back or matched across rows. Every row is
//! single-use, expires, and a code row is burned after too many wrong guesses.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use subtle::ConstantTimeEq;

use super::Store;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS passwordless_secrets (
    hash        BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
    code_hash   BLOB,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS passwordless_secrets_by_user ON passwordless_secrets(user_id, method);
";

/// The passwordless methods, named as the `method` column stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordlessMethod {
    /// A link with a token, by email.
    MagicLink,
    /// A six-digit code, by email.
    Otc,
    /// A six-digit code, by SMS.
    SmsCode,
}

impl PasswordlessMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::MagicLink => "magic_link",
            Self::Otc => "otc",
            Self::SmsCode => "sms_code",
        }
    }
}

/// A passwordless secret about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewPasswordlessSecret<'a> {
    /// SHA-256 of the magic-link token or of the `otcToken`.
    pub hash: [u8; 32],
    /// Who signs in with it.
    pub user_id: &'a str,
    /// How it was sent.
    pub method: PasswordlessMethod,
    /// For codes, SHA-256 of `otcToken:code`; `None` for magic links.
    pub code_hash: Option<[u8; 32]>,
    /// Expiry, Unix seconds on the emulator clock.
    pub expires_at: i64,
}

/// Result of [`Store::redeem_passwordless_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordlessCheck {
    /// The code matched; the row is gone. Holds the user id.
    Accepted(String),
    /// Unknown, expired, burned or wrong; a wrong guess was counted.
    Rejected,
}

impl Store {
    /// Stores a passwordless secret, replacing the user's earlier ones of the same method so only
    /// the newest link or code works (and a user cannot pile up live codes for guessing).
    pub fn insert_passwordless_secret(
        &self,
        secret: NewPasswordlessSecret<'_>,
        now: i64,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM passwordless_secrets WHERE (user_id = ?1 AND method = ?2) OR expires_at <= ?3",
            params![secret.user_id, secret.method.as_str(), now],
        )?;
        tx.execute(
            "INSERT INTO passwordless_secrets (hash, user_id, method, code_hash, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                &secret.hash[..],
                secret.user_id,
                secret.method.as_str(),
                secret.code_hash.as_ref().map(|h| &h[..]),
                now,
                secret.expires_at
            ],
        )?;
        tx.commit()
    }

    /// Redeems a magic-link token: deletes it and returns its user if it was live.
    pub fn redeem_magic_link(&self, hash: &[u8; 32], now: i64) -> rusqlite::Result<Option<String>> {
        let found: Option<(String, i64)> = self
            .conn()
            .query_row(
                "DELETE FROM passwordless_secrets WHERE hash = ?1 AND method = ?2
                 RETURNING user_id, expires_at",
                params![&hash[..], PasswordlessMethod::MagicLink.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(found
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(user_id, _)| user_id))
    }

    /// Checks a code against the row of `hash` (the `otcToken`'s hash), atomically: a match
    /// deletes the row; a miss counts an attempt and deletes the row at `max_attempts`; an
    /// expired row is deleted.
    pub fn redeem_passwordless_code(
        &self,
        hash: &[u8; 32],
        method: PasswordlessMethod,
        code_hash: &[u8; 32],
        max_attempts: i64,
        now: i64,
    ) -> rusqlite::Result<PasswordlessCheck> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(String, Option<Vec<u8>>, i64, i64)> = tx
            .query_row(
                "SELECT user_id, code_hash, attempts, expires_at FROM passwordless_secrets
                 WHERE hash = ?1 AND method = ?2",
                params![&hash[..], method.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let Some((user_id, stored, attempts, expires_at)) = found else {
            return Ok(PasswordlessCheck::Rejected);
        };
        let matches = stored.is_some_and(|stored| bool::from(stored.ct_eq(&code_hash[..])));
        let outcome = if expires_at <= now {
            tx.execute(
                "DELETE FROM passwordless_secrets WHERE hash = ?1",
                [&hash[..]],
            )?;
            PasswordlessCheck::Rejected
        } else if matches {
            tx.execute(
                "DELETE FROM passwordless_secrets WHERE hash = ?1",
                [&hash[..]],
            )?;
            PasswordlessCheck::Accepted(user_id)
        } else if attempts.saturating_add(1) >= max_attempts {
            tx.execute(
                "DELETE FROM passwordless_secrets WHERE hash = ?1",
                [&hash[..]],
            )?;
            PasswordlessCheck::Rejected
        } else {
            tx.execute(
                "UPDATE passwordless_secrets SET attempts = attempts + 1 WHERE hash = ?1",
                [&hash[..]],
            )?;
            PasswordlessCheck::Rejected
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// The one user with this phone number, if exactly one has it (a shared number identifies
    /// nobody).
    pub fn user_id_by_phone(&self, phone_number: &str) -> rusqlite::Result<Option<String>> {
        let conn = self.conn();
        let mut statement = conn.prepare("SELECT id FROM users WHERE phone_number = ?1 LIMIT 2")?;
        let ids = statement
            .query_map([phone_number], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(match ids.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Storage;
    use crate::store::{CreateUser, NewUser};

    fn store_with_user() -> (Store, String) {
        let store = Store::open(&Storage::Memory).unwrap();
        let user = NewUser {
            email: "a@x.io".into(),
            name: "A".into(),
            password_hash: None,
            phone_number: Some("+15550001".into()),
            totp_secret: None,
            roles: vec![],
            permissions: vec![],
            tenant_ids: vec!["t1".into()],
        };
        let CreateUser::Created(user) = store.create_user(&user, 0).unwrap() else {
            panic!("created");
        };
        (store, user.id)
    }

    fn code_secret(user_id: &str, hash: u8, expires_at: i64) -> NewPasswordlessSecret<'_> {
        NewPasswordlessSecret {
            hash: [hash; 32],
            user_id,
            method: PasswordlessMethod::Otc,
            code_hash: Some([7; 32]),
            expires_at,
        }
    }

    #[test]
    fn a_code_is_burned_after_max_wrong_attempts_and_single_use() {
        let (store, user) = store_with_user();
        store
            .insert_passwordless_secret(code_secret(&user, 1, 100), 0)
            .unwrap();
        let otc = PasswordlessMethod::Otc;
        for _ in 0..2 {
            let check = store.redeem_passwordless_code(&[1; 32], otc, &[8; 32], 3, 10);
            assert_eq!(check.unwrap(), PasswordlessCheck::Rejected);
        }
        let check = store.redeem_passwordless_code(&[1; 32], otc, &[7; 32], 3, 10);
        assert_eq!(check.unwrap(), PasswordlessCheck::Accepted(user.clone()));
        let again = store.redeem_passwordless_code(&[1; 32], otc, &[7; 32], 3, 10);
        assert_eq!(again.unwrap(), PasswordlessCheck::Rejected);

        store
            .insert_passwordless_secret(code_secret(&user, 2, 100), 0)
            .unwrap();
        for _ in 0..3 {
            let check = store.redeem_passwordless_code(&[2; 32], otc, &[8; 32], 3, 10);
            assert_eq!(check.unwrap(), PasswordlessCheck::Rejected);
        }
        let burned = store.redeem_passwordless_code(&[2; 32], otc, &[7; 32], 3, 10);
        assert_eq!(burned.unwrap(), PasswordlessCheck::Rejected);
    }

    #[test]
    fn newer_secrets_replace_older_ones_and_expiry_is_enforced() {
        let (store, user) = store_with_user();
        store
            .insert_passwordless_secret(code_secret(&user, 1, 100), 0)
            .unwrap();
        store
            .insert_passwordless_secret(code_secret(&user, 2, 100), 0)
            .unwrap();
        let otc = PasswordlessMethod::Otc;
        let old = store.redeem_passwordless_code(&[1; 32], otc, &[7; 32], 5, 10);
        assert_eq!(old.unwrap(), PasswordlessCheck::Rejected);
        let expired = store.redeem_passwordless_code(&[2; 32], otc, &[7; 32], 5, 100);
        assert_eq!(expired.unwrap(), PasswordlessCheck::Rejected);

        let link = NewPasswordlessSecret {
            hash: [3; 32],
            user_id: &user,
            method: PasswordlessMethod::MagicLink,
            code_hash: None,
            expires_at: 100,
        };
        store.insert_passwordless_secret(link, 0).unwrap();
        assert_eq!(store.redeem_magic_link(&[3; 32], 99).unwrap(), Some(user));
        assert_eq!(store.redeem_magic_link(&[3; 32], 99).unwrap(), None);
    }

    #[test]
    fn phone_lookup_needs_exactly_one_owner() {
        let (store, user) = store_with_user();
        assert_eq!(store.user_id_by_phone("+15550001").unwrap(), Some(user));
        assert_eq!(store.user_id_by_phone("+15550002").unwrap(), None);
    }
}
