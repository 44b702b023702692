//! Passwordless sign-in secrets: magic-link tokens and one-time codes (email and SMS).
//!
//! A row is keyed by the SHA-256 of what the client sends back: the magic-link token, or for
//! codes `method:code`. The hosted service's postlogin body is only `{ token }` (the official
//! client and the login box send nothing else), so a code must name its login by itself: live
//! codes of one method are unique ([`Store::insert_passwordless_secret`] refuses a taken one),
//! and the route limits wrong guesses across all of them. Every row is single-use and expires.

use rusqlite::{params, OptionalExtension};

use super::Store;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS passwordless_secrets (
    hash        BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
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
    /// The name stored in the `method` column (also the prefix of a code's hash input).
    pub fn as_str(self) -> &'static str {
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
    /// SHA-256 of the magic-link token, or of `method:code`.
    pub hash: [u8; 32],
    /// Who signs in with it.
    pub user_id: &'a str,
    /// How it was sent.
    pub method: PasswordlessMethod,
    /// Expiry, Unix seconds on the emulator clock.
    pub expires_at: i64,
}

impl Store {
    /// Stores a passwordless secret, replacing the user's earlier ones of the same method so only
    /// the newest link or code works (and a user cannot pile up live codes for guessing).
    /// Answers `false` and stores nothing when another user's live secret has the same hash (two
    /// equal codes): the caller picks another code.
    pub fn insert_passwordless_secret(
        &self,
        secret: NewPasswordlessSecret<'_>,
        now: i64,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM passwordless_secrets WHERE (user_id = ?1 AND method = ?2) OR expires_at <= ?3",
            params![secret.user_id, secret.method.as_str(), now],
        )?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO passwordless_secrets (hash, user_id, method, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                &secret.hash[..],
                secret.user_id,
                secret.method.as_str(),
                now,
                secret.expires_at
            ],
        )?;
        tx.commit()?;
        Ok(inserted == 1)
    }

    /// Redeems a link or code of `method`: deletes its row and returns its user if it was live.
    /// The row is looked up by hash, so no comparison runs on the secret itself.
    pub fn redeem_passwordless_secret(
        &self,
        hash: &[u8; 32],
        method: PasswordlessMethod,
        now: i64,
    ) -> rusqlite::Result<Option<String>> {
        let found: Option<(String, i64)> = self
            .conn()
            .query_row(
                "DELETE FROM passwordless_secrets WHERE hash = ?1 AND method = ?2
                 RETURNING user_id, expires_at",
                params![&hash[..], method.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(found
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(user_id, _)| user_id))
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

    fn secret(user_id: &str, hash: u8, method: PasswordlessMethod) -> NewPasswordlessSecret<'_> {
        NewPasswordlessSecret {
            hash: [hash; 32],
            user_id,
            method,
            expires_at: 100,
        }
    }

    #[test]
    fn secrets_are_single_use_newest_only_and_expire() {
        let (store, user) = store_with_user();
        let otc = PasswordlessMethod::Otc;
        assert!(store
            .insert_passwordless_secret(secret(&user, 1, otc), 0)
            .unwrap());
        assert!(store
            .insert_passwordless_secret(secret(&user, 2, otc), 0)
            .unwrap());
        assert_eq!(
            store.redeem_passwordless_secret(&[1; 32], otc, 10).unwrap(),
            None,
            "replaced"
        );
        let sms = PasswordlessMethod::SmsCode;
        assert_eq!(
            store.redeem_passwordless_secret(&[2; 32], sms, 10).unwrap(),
            None,
            "other method"
        );
        assert_eq!(
            store.redeem_passwordless_secret(&[2; 32], otc, 10).unwrap(),
            Some(user.clone())
        );
        assert_eq!(
            store.redeem_passwordless_secret(&[2; 32], otc, 10).unwrap(),
            None,
            "single use"
        );

        let link = PasswordlessMethod::MagicLink;
        assert!(store
            .insert_passwordless_secret(secret(&user, 3, link), 0)
            .unwrap());
        assert_eq!(
            store
                .redeem_passwordless_secret(&[3; 32], link, 100)
                .unwrap(),
            None,
            "expired"
        );
    }

    #[test]
    fn a_live_code_of_another_user_is_not_handed_out_twice() {
        let (store, user) = store_with_user();
        let other = NewUser {
            email: "b@x.io".into(),
            name: "B".into(),
            password_hash: None,
            phone_number: None,
            totp_secret: None,
            roles: vec![],
            permissions: vec![],
            tenant_ids: vec!["t1".into()],
        };
        let CreateUser::Created(other) = store.create_user(&other, 0).unwrap() else {
            panic!("created");
        };
        let otc = PasswordlessMethod::Otc;
        assert!(store
            .insert_passwordless_secret(secret(&user, 1, otc), 0)
            .unwrap());
        assert!(!store
            .insert_passwordless_secret(secret(&other.id, 1, otc), 0)
            .unwrap());
        assert_eq!(
            store.redeem_passwordless_secret(&[1; 32], otc, 10).unwrap(),
            Some(user)
        );
        assert!(
            store
                .insert_passwordless_secret(secret(&other.id, 1, otc), 200)
                .unwrap(),
            "free again once redeemed"
        );
    }
}
