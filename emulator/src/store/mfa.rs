//! Multi-factor storage: authenticator apps, phones for SMS codes, one-time codes sent by SMS or
//! email, pending enrollments, recovery codes and remembered devices.
//!
//! Every secret a caller presents back (one-time-code tokens, codes, recovery codes, device
//! cookies, MFA tokens) is stored only as a SHA-256 hash. TOTP secrets are kept in clear: the
//! emulator has to compute codes from them, as the hosted service does.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use subtle::ConstantTimeEq;

use super::{new_id, Store};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mfa_authenticators (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    last_step   INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mfa_authenticators_by_user ON mfa_authenticators(user_id);
CREATE TABLE IF NOT EXISTS mfa_phones (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    phone_number  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mfa_phones_by_user ON mfa_phones(user_id);
CREATE TABLE IF NOT EXISTS mfa_pending_authenticators (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mfa_codes (
    token_hash      BLOB PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    device_id       TEXT,
    phone_number    TEXT,
    mfa_token_hash  BLOB,
    code_hash       BLOB NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL,
    used            INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS mfa_recovery_codes (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hash        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mfa_remembered_devices (
    hash        BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
";

/// Wrong guesses after which a one-time code is burned and a new one must be requested.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// A user's second factors, as login challenges and the settings device list show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaDevices {
    /// Passkeys and security keys registered as second factors.
    pub webauthn: Vec<WebAuthnMfaDevice>,
    /// Phones that receive SMS codes.
    pub phones: Vec<PhoneMfaDevice>,
    /// Authenticator apps (ids only: secrets never leave the store this way).
    pub authenticators: Vec<String>,
    /// The user's email, which can receive email codes when the policy allows them.
    pub email: String,
}

impl MfaDevices {
    /// True when the user has enrolled a second factor (the email alone does not count: every
    /// user has one).
    pub fn is_enrolled(&self) -> bool {
        !(self.webauthn.is_empty() && self.phones.is_empty() && self.authenticators.is_empty())
    }
}

/// A WebAuthn credential registered as a second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnMfaDevice {
    /// Device id.
    pub id: String,
    /// `Platform` or `CrossPlatform`.
    pub device_type: String,
    /// Name the user gave it.
    pub name: String,
}

/// A phone enrolled for SMS codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneMfaDevice {
    /// Device id.
    pub id: String,
    /// The full number; callers mask it before showing it.
    pub phone_number: String,
}

/// An authenticator app: what TOTP verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticator {
    /// Device id.
    pub id: String,
    /// Base32 secret.
    pub secret: String,
    /// The last time step accepted from this device; codes for it or earlier are refused.
    pub last_step: Option<i64>,
}

/// What a one-time code (sent by SMS or email) proves once redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Second factor at login, by SMS to an enrolled phone.
    LoginSms,
    /// Second factor at login, by email.
    LoginEmail,
    /// Enrolling a new phone (at login or from settings).
    EnrollSms,
    /// Removing an enrolled phone from settings.
    DisableSms,
    /// Verifying the user's profile phone number (sign-in by SMS).
    VerifyPhone,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::LoginSms => "login_sms",
            Self::LoginEmail => "login_email",
            Self::EnrollSms => "enroll_sms",
            Self::DisableSms => "disable_sms",
            Self::VerifyPhone => "verify_phone",
        }
    }
}

/// A one-time code about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewCode<'a> {
    /// SHA-256 of the `otcToken` handed to the caller.
    pub token_hash: [u8; 32],
    /// Owner.
    pub user_id: &'a str,
    /// What redeeming it allows.
    pub purpose: CodePurpose,
    /// The phone device it was sent to (login and disable by SMS).
    pub device_id: Option<&'a str>,
    /// The number being enrolled (SMS enrollment) or verified.
    pub phone_number: Option<&'a str>,
    /// SHA-256 of the MFA token of the login it belongs to, if any.
    pub mfa_token_hash: Option<[u8; 32]>,
    /// Hash of the code, keyed by the token (see the route module).
    pub code_hash: [u8; 32],
    /// Expiry, Unix seconds (emulator clock).
    pub expires_at: i64,
}

/// What a code redemption must match besides the code itself.
#[derive(Debug, Clone, Copy)]
pub struct CodeBinding<'a> {
    /// Owner.
    pub user_id: &'a str,
    /// Expected purpose.
    pub purpose: CodePurpose,
    /// Expected phone device, when the route names one.
    pub device_id: Option<&'a str>,
    /// Expected MFA token hash, for login flows.
    pub mfa_token_hash: Option<[u8; 32]>,
}

/// Result of [`Store::redeem_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right code: it is now used. Carries the phone number being enrolled, if any.
    Accepted {
        /// The number of an SMS enrollment.
        phone_number: Option<String>,
    },
    /// Wrong code; the attempt was counted (and the token burned at the limit).
    Wrong,
    /// Unknown, expired, used or burned token, or one issued for something else.
    Dead,
}

fn hash_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Stores an authenticator app for a user (also used inside user creation). Returns its id.
pub(super) fn insert_authenticator(
    conn: &Connection,
    user_id: &str,
    secret: &str,
    last_step: Option<i64>,
    now: i64,
) -> rusqlite::Result<String> {
    let id = new_id();
    conn.execute(
        "INSERT INTO mfa_authenticators (id, user_id, secret, last_step, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, user_id, secret, last_step, now],
    )?;
    Ok(id)
}

fn insert_phone(
    conn: &Connection,
    user_id: &str,
    phone_number: &str,
    now: i64,
) -> rusqlite::Result<String> {
    let id = new_id();
    conn.execute(
        "INSERT INTO mfa_phones (id, user_id, phone_number, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, user_id, phone_number, now],
    )?;
    Ok(id)
}

pub(super) fn upsert_recovery_code(
    conn: &Connection,
    user_id: &str,
    hash: &[u8; 32],
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO mfa_recovery_codes (user_id, hash, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(user_id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at",
        params![user_id, &hash[..], now],
    )?;
    Ok(())
}

/// Drops what only makes sense while the user has a second factor, once they have none left.
pub(super) fn forget_mfa_if_unenrolled(conn: &Connection, user_id: &str) -> rusqlite::Result<()> {
    let remaining: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM mfa_authenticators WHERE user_id = ?1)
              + (SELECT COUNT(*) FROM mfa_phones WHERE user_id = ?1)
              + (SELECT COUNT(*) FROM webauthn_devices WHERE user_id = ?1 AND purpose = 'mfa')",
        [user_id],
        |row| row.get(0),
    )?;
    if remaining == 0 {
        conn.execute(
            "DELETE FROM mfa_recovery_codes WHERE user_id = ?1",
            [user_id],
        )?;
        conn.execute(
            "DELETE FROM mfa_remembered_devices WHERE user_id = ?1",
            [user_id],
        )?;
    }
    Ok(())
}

impl Store {
    /// The user's second factors, or `None` for an unknown user.
    ///
    /// This is the single place where devices are listed for login challenges, the settings
    /// device list and the profile's `mfaEnrolled`. WebAuthn second factors come from the
    /// WebAuthn area's `webauthn_devices` table (purpose `mfa`).
    pub fn mfa_devices(&self, user_id: &str) -> rusqlite::Result<Option<MfaDevices>> {
        let conn = self.conn();
        let email: Option<String> = conn
            .query_row("SELECT email FROM users WHERE id = ?1", [user_id], |row| {
                row.get(0)
            })
            .optional()?;
        let Some(email) = email else {
            return Ok(None);
        };
        let authenticators = conn
            .prepare(
                "SELECT id FROM mfa_authenticators WHERE user_id = ?1 ORDER BY created_at, rowid",
            )?
            .query_map([user_id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let phones = conn
            .prepare(
                "SELECT id, phone_number FROM mfa_phones WHERE user_id = ?1
                 ORDER BY created_at, rowid",
            )?
            .query_map([user_id], |row| {
                Ok(PhoneMfaDevice {
                    id: row.get(0)?,
                    phone_number: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let webauthn = conn
            .prepare(
                "SELECT id, device_type, name FROM webauthn_devices
                 WHERE user_id = ?1 AND purpose = 'mfa' ORDER BY created_at, rowid",
            )?
            .query_map([user_id], |row| {
                Ok(WebAuthnMfaDevice {
                    id: row.get(0)?,
                    device_type: row.get(1)?,
                    name: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(MfaDevices {
            webauthn,
            phones,
            authenticators,
            email,
        }))
    }

    /// Removes every second factor of the user (MFA recovery), with their recovery code and
    /// remembered devices, WebAuthn second factors included.
    pub fn remove_all_mfa(&self, user_id: &str) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for table in [
            "mfa_authenticators",
            "mfa_phones",
            "mfa_pending_authenticators",
            "mfa_codes",
            "mfa_recovery_codes",
            "mfa_remembered_devices",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE user_id = ?1"),
                [user_id],
            )?;
        }
        tx.execute(
            "DELETE FROM webauthn_devices WHERE user_id = ?1 AND purpose = 'mfa'",
            [user_id],
        )?;
        tx.commit()
    }

    /// The user's authenticator apps.
    pub fn authenticators(&self, user_id: &str) -> rusqlite::Result<Vec<Authenticator>> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id, secret, last_step FROM mfa_authenticators WHERE user_id = ?1
             ORDER BY created_at, rowid",
        )?;
        let rows = statement.query_map([user_id], |row| {
            Ok(Authenticator {
                id: row.get(0)?,
                secret: row.get(1)?,
                last_step: row.get(2)?,
            })
        })?;
        rows.collect()
    }

    /// Records `step` as used on an authenticator, unless that step or a later one already was:
    /// the check and the update are one statement, so two concurrent uses of one code cannot
    /// both pass. True when the step was accepted.
    pub fn accept_totp_step(&self, device_id: &str, step: i64) -> rusqlite::Result<bool> {
        let changed = self.conn().execute(
            "UPDATE mfa_authenticators SET last_step = ?2
             WHERE id = ?1 AND (last_step IS NULL OR last_step < ?2)",
            params![device_id, step],
        )?;
        Ok(changed == 1)
    }

    /// Deletes one authenticator app of the user. True if it existed.
    pub fn delete_authenticator(&self, user_id: &str, device_id: &str) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "DELETE FROM mfa_authenticators WHERE id = ?1 AND user_id = ?2",
            params![device_id, user_id],
        )?;
        forget_mfa_if_unenrolled(&tx, user_id)?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Enrolls a phone for SMS codes without verification (developer endpoint). Returns its id.
    pub fn add_mfa_phone(
        &self,
        user_id: &str,
        phone_number: &str,
        now: i64,
    ) -> rusqlite::Result<String> {
        insert_phone(&self.conn(), user_id, phone_number, now)
    }

    /// The number of one of the user's phones.
    pub fn mfa_phone(&self, user_id: &str, device_id: &str) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT phone_number FROM mfa_phones WHERE id = ?1 AND user_id = ?2",
                params![device_id, user_id],
                |row| row.get(0),
            )
            .optional()
    }

    /// Deletes one phone of the user. True if it existed.
    pub fn delete_mfa_phone(&self, user_id: &str, device_id: &str) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "DELETE FROM mfa_phones WHERE id = ?1 AND user_id = ?2",
            params![device_id, user_id],
        )?;
        forget_mfa_if_unenrolled(&tx, user_id)?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Starts (or restarts) an authenticator-app enrollment with a proposed secret.
    pub fn set_pending_authenticator(
        &self,
        user_id: &str,
        secret: &str,
        expires_at: i64,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO mfa_pending_authenticators (user_id, secret, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret,
                                                expires_at = excluded.expires_at",
            params![user_id, secret, expires_at],
        )?;
        Ok(())
    }

    /// The secret of the user's enrollment in progress, if it has not expired.
    pub fn pending_authenticator(
        &self,
        user_id: &str,
        now: i64,
    ) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT secret FROM mfa_pending_authenticators WHERE user_id = ?1 AND expires_at > ?2",
                params![user_id, now],
                |row| row.get(0),
            )
            .optional()
    }

    /// Completes an authenticator-app enrollment: the pending secret (if still the one that was
    /// checked) becomes a device whose `step` is already used, and the recovery code is replaced.
    /// Returns the new device id, or `None` if the enrollment was completed or restarted
    /// meanwhile.
    pub fn complete_authenticator_enrollment(
        &self,
        user_id: &str,
        secret: &str,
        step: i64,
        recovery_hash: &[u8; 32],
        now: i64,
    ) -> rusqlite::Result<Option<String>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = tx.execute(
            "DELETE FROM mfa_pending_authenticators WHERE user_id = ?1 AND secret = ?2",
            params![user_id, secret],
        )?;
        if removed != 1 {
            return Ok(None);
        }
        let id = insert_authenticator(&tx, user_id, secret, Some(step), now)?;
        upsert_recovery_code(&tx, user_id, recovery_hash, now)?;
        tx.commit()?;
        Ok(Some(id))
    }

    /// Completes an SMS enrollment whose code was just redeemed: the phone becomes a device and
    /// the recovery code is replaced. Returns the new device id.
    pub fn complete_phone_enrollment(
        &self,
        user_id: &str,
        phone_number: &str,
        recovery_hash: &[u8; 32],
        now: i64,
    ) -> rusqlite::Result<String> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = insert_phone(&tx, user_id, phone_number, now)?;
        upsert_recovery_code(&tx, user_id, recovery_hash, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Stores a one-time code sent by SMS or email.
    pub fn insert_code(&self, code: &NewCode<'_>, now: i64) -> rusqlite::Result<()> {
        let conn = self.conn();
        // Expired codes are never redeemable; dropping them here keeps the table small.
        conn.execute("DELETE FROM mfa_codes WHERE expires_at <= ?1", [now])?;
        conn.execute(
            "INSERT INTO mfa_codes (token_hash, user_id, purpose, device_id, phone_number,
                                    mfa_token_hash, code_hash, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                &code.token_hash[..],
                code.user_id,
                code.purpose.as_str(),
                code.device_id,
                code.phone_number,
                code.mfa_token_hash.as_ref().map(|h| &h[..]),
                &code.code_hash[..],
                code.expires_at,
            ],
        )?;
        Ok(())
    }

    /// Redeems a one-time code: checks the token's binding and expiry, then the code (in
    /// constant time). A right code is used up; a wrong one counts an attempt and burns the
    /// token at [`MAX_CODE_ATTEMPTS`]. One transaction, so a code cannot be redeemed twice.
    pub fn redeem_code(
        &self,
        token_hash: &[u8; 32],
        code_hash: &[u8; 32],
        binding: &CodeBinding<'_>,
        now: i64,
    ) -> rusqlite::Result<CodeCheck> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        type Row = (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<Vec<u8>>,
            Vec<u8>,
            i64,
            i64,
            bool,
        );
        let row: Option<Row> = tx
            .query_row(
                "SELECT user_id, purpose, device_id, phone_number, mfa_token_hash, code_hash,
                        attempts, expires_at, used
                 FROM mfa_codes WHERE token_hash = ?1",
                [&token_hash[..]],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                        row.get(7)?,
                        row.get(8)?,
                    ))
                },
            )
            .optional()?;
        let Some((
            user_id,
            purpose,
            device_id,
            phone_number,
            mfa_hash,
            stored,
            attempts,
            expires_at,
            used,
        )) = row
        else {
            return Ok(CodeCheck::Dead);
        };
        let bound = user_id == binding.user_id
            && purpose == binding.purpose.as_str()
            && device_id.as_deref() == binding.device_id
            && match (&mfa_hash, &binding.mfa_token_hash) {
                (None, None) => true,
                (Some(stored), Some(expected)) => hash_eq(stored, expected),
                _ => false,
            };
        if !bound || used || expires_at <= now || attempts >= MAX_CODE_ATTEMPTS {
            return Ok(CodeCheck::Dead);
        }
        if !hash_eq(&stored, code_hash) {
            tx.execute(
                "UPDATE mfa_codes SET attempts = attempts + 1,
                        used = CASE WHEN attempts + 1 >= ?2 THEN 1 ELSE used END
                 WHERE token_hash = ?1",
                params![&token_hash[..], MAX_CODE_ATTEMPTS],
            )?;
            tx.commit()?;
            return Ok(CodeCheck::Wrong);
        }
        tx.execute(
            "UPDATE mfa_codes SET used = 1 WHERE token_hash = ?1",
            [&token_hash[..]],
        )?;
        tx.commit()?;
        Ok(CodeCheck::Accepted { phone_number })
    }

    /// The user an MFA token was issued for, if it is unused and unexpired. Does not use it up.
    pub fn mfa_token_user(&self, hash: &[u8; 32], now: i64) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT user_id FROM mfa_tokens WHERE hash = ?1 AND used = 0 AND expires_at > ?2",
                params![&hash[..], now],
                |row| row.get(0),
            )
            .optional()
    }

    /// Uses up an MFA token (the second factor succeeded). False if it was already used or has
    /// expired meanwhile: one statement, so two concurrent verifications cannot both pass.
    pub fn consume_mfa_token(&self, hash: &[u8; 32], now: i64) -> rusqlite::Result<bool> {
        let changed = self.conn().execute(
            "UPDATE mfa_tokens SET used = 1 WHERE hash = ?1 AND used = 0 AND expires_at > ?2",
            params![&hash[..], now],
        )?;
        Ok(changed == 1)
    }

    /// The stored recovery-code hash of the user, if any.
    pub fn recovery_code_hash(&self, user_id: &str) -> rusqlite::Result<Option<Vec<u8>>> {
        self.conn()
            .query_row(
                "SELECT hash FROM mfa_recovery_codes WHERE user_id = ?1",
                [user_id],
                |row| row.get(0),
            )
            .optional()
    }

    /// Remembers a device (its cookie's hash) for a user until `expires_at`.
    pub fn remember_device(
        &self,
        hash: &[u8; 32],
        user_id: &str,
        expires_at: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM mfa_remembered_devices WHERE expires_at <= ?1",
            [now],
        )?;
        conn.execute(
            "INSERT INTO mfa_remembered_devices (hash, user_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![&hash[..], user_id, now, expires_at],
        )?;
        Ok(())
    }

    /// True if the device cookie with this hash was remembered for this user and has not expired.
    pub fn device_remembered(
        &self,
        hash: &[u8; 32],
        user_id: &str,
        now: i64,
    ) -> rusqlite::Result<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM mfa_remembered_devices
                 WHERE hash = ?1 AND user_id = ?2 AND expires_at > ?3",
                params![&hash[..], user_id, now],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Storage;
    use crate::store::{CreateUser, NewUser};

    fn user(store: &Store, totp: Option<&str>) -> String {
        let new = NewUser {
            email: "a@x.io".to_owned(),
            name: "A".to_owned(),
            password_hash: None,
            phone_number: None,
            totp_secret: totp.map(str::to_owned),
            roles: vec![],
            permissions: vec![],
            tenant_ids: vec!["t1".to_owned()],
        };
        match store.create_user(&new, 1).unwrap() {
            CreateUser::Created(u) => u.id,
            CreateUser::EmailTaken | CreateUser::PhoneTaken => panic!("taken"),
        }
    }

    #[test]
    fn created_totp_secret_is_a_device_and_steps_are_single_use() {
        let store = Store::open(&Storage::Memory).unwrap();
        let id = user(&store, Some("JBSWY3DPEHPK3PXP"));
        let devices = store.mfa_devices(&id).unwrap().unwrap();
        assert!(devices.is_enrolled());
        assert_eq!(devices.email, "a@x.io");
        let apps = store.authenticators(&id).unwrap();
        assert_eq!(apps[0].secret, "JBSWY3DPEHPK3PXP");
        assert!(store.accept_totp_step(&apps[0].id, 10).unwrap());
        assert!(!store.accept_totp_step(&apps[0].id, 10).unwrap());
        assert!(!store.accept_totp_step(&apps[0].id, 9).unwrap());
        assert!(store.accept_totp_step(&apps[0].id, 11).unwrap());
        assert!(store.mfa_devices("nobody").unwrap().is_none());
    }

    #[test]
    fn codes_are_bound_single_use_and_burn_after_too_many_misses() {
        let store = Store::open(&Storage::Memory).unwrap();
        let id = user(&store, None);
        let phone = store.add_mfa_phone(&id, "+15550001111", 1).unwrap();
        let code = NewCode {
            token_hash: [1; 32],
            user_id: &id,
            purpose: CodePurpose::LoginSms,
            device_id: Some(&phone),
            phone_number: None,
            mfa_token_hash: Some([9; 32]),
            code_hash: [2; 32],
            expires_at: 100,
        };
        store.insert_code(&code, 10).unwrap();
        let binding = CodeBinding {
            user_id: &id,
            purpose: CodePurpose::LoginSms,
            device_id: Some(&phone),
            mfa_token_hash: Some([9; 32]),
        };
        let other_token = CodeBinding {
            mfa_token_hash: Some([8; 32]),
            ..binding
        };
        assert_eq!(
            store
                .redeem_code(&[1; 32], &[2; 32], &other_token, 20)
                .unwrap(),
            CodeCheck::Dead
        );
        assert_eq!(
            store
                .redeem_code(&[1; 32], &[2; 32], &binding, 100)
                .unwrap(),
            CodeCheck::Dead,
            "expired"
        );
        assert_eq!(
            store.redeem_code(&[1; 32], &[3; 32], &binding, 20).unwrap(),
            CodeCheck::Wrong
        );
        assert_eq!(
            store.redeem_code(&[1; 32], &[2; 32], &binding, 20).unwrap(),
            CodeCheck::Accepted { phone_number: None }
        );
        assert_eq!(
            store.redeem_code(&[1; 32], &[2; 32], &binding, 20).unwrap(),
            CodeCheck::Dead,
            "used"
        );

        store
            .insert_code(
                &NewCode {
                    token_hash: [4; 32],
                    ..code
                },
                10,
            )
            .unwrap();
        for _ in 0..MAX_CODE_ATTEMPTS {
            assert_eq!(
                store.redeem_code(&[4; 32], &[3; 32], &binding, 20).unwrap(),
                CodeCheck::Wrong
            );
        }
        assert_eq!(
            store.redeem_code(&[4; 32], &[2; 32], &binding, 20).unwrap(),
            CodeCheck::Dead,
            "burned"
        );
    }

    #[test]
    fn removing_the_last_device_forgets_recovery_code_and_remembered_devices() {
        let store = Store::open(&Storage::Memory).unwrap();
        let id = user(&store, None);
        let phone = store
            .complete_phone_enrollment(&id, "+15550001111", &[5; 32], 1)
            .unwrap();
        store.remember_device(&[6; 32], &id, 100, 1).unwrap();
        assert!(store.device_remembered(&[6; 32], &id, 50).unwrap());
        assert!(!store.device_remembered(&[6; 32], &id, 100).unwrap());
        assert!(store.recovery_code_hash(&id).unwrap().is_some());
        assert!(store.delete_mfa_phone(&id, &phone).unwrap());
        assert!(!store.delete_mfa_phone(&id, &phone).unwrap());
        assert!(store.recovery_code_hash(&id).unwrap().is_none());
        assert!(!store.device_remembered(&[6; 32], &id, 50).unwrap());
    }

    #[test]
    fn pending_enrollment_completes_once() {
        let store = Store::open(&Storage::Memory).unwrap();
        let id = user(&store, None);
        store.set_pending_authenticator(&id, "SECRET", 100).unwrap();
        assert_eq!(store.pending_authenticator(&id, 100).unwrap(), None);
        assert_eq!(
            store.pending_authenticator(&id, 50).unwrap().as_deref(),
            Some("SECRET")
        );
        assert!(store
            .complete_authenticator_enrollment(&id, "SECRET", 7, &[1; 32], 50)
            .unwrap()
            .is_some());
        assert!(store
            .complete_authenticator_enrollment(&id, "SECRET", 7, &[1; 32], 50)
            .unwrap()
            .is_none());
        assert_eq!(store.authenticators(&id).unwrap()[0].last_step, Some(7));
    }
}
