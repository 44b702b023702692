//! WebAuthn: registered credentials (passkeys and MFA security keys) and the server side of
//! ceremonies in progress.
//!
//! Credentials and ceremony states are the JSON that `webauthn-rs` serialises; this module keeps
//! them opaque. A ceremony row is keyed by the SHA-256 of its challenge (the client echoes the
//! challenge inside `clientDataJSON`), is taken (deleted) by the request that finishes it, and
//! expires.

use rusqlite::{params, OptionalExtension, Row};

use super::mfa::{forget_mfa_if_unenrolled, upsert_recovery_code};
use super::{new_id, Store};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS webauthn_devices (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose        TEXT NOT NULL CHECK (purpose IN ('mfa', 'passkey')),
    device_type    TEXT NOT NULL CHECK (device_type IN ('Platform', 'CrossPlatform')),
    name           TEXT NOT NULL,
    credential_id  BLOB NOT NULL UNIQUE,
    credential     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used      INTEGER
);
CREATE INDEX IF NOT EXISTS webauthn_devices_by_user ON webauthn_devices(user_id, purpose);
CREATE TABLE IF NOT EXISTS webauthn_ceremonies (
    challenge_hash  BLOB PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_id         TEXT REFERENCES users(id) ON DELETE CASCADE,
    device_id       TEXT,
    device_type     TEXT,
    relying_party   TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
";

/// What a WebAuthn credential is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebauthnPurpose {
    /// A second factor after a password or passwordless first factor.
    Mfa,
    /// A passkey: the whole sign-in on its own.
    Passkey,
}

impl WebauthnPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Mfa => "mfa",
            Self::Passkey => "passkey",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        match text {
            "mfa" => Ok(Self::Mfa),
            "passkey" => Ok(Self::Passkey),
            other => Err(bad_column(format!("unknown webauthn purpose {other:?}"))),
        }
    }
}

fn bad_column(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

/// A registered WebAuthn credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnDevice {
    /// Device id (a UUID), what the API calls `deviceId`.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// MFA or passkey.
    pub purpose: WebauthnPurpose,
    /// `Platform` or `CrossPlatform`.
    pub device_type: String,
    /// Display name.
    pub name: String,
    /// The `webauthn-rs` credential (`Passkey` or `SecurityKey`) as JSON.
    pub credential: String,
    /// Registration time, Unix seconds.
    pub created_at: i64,
    /// Last successful assertion, Unix seconds.
    pub last_used: Option<i64>,
}

/// A credential about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewWebauthnDevice<'a> {
    /// Owner.
    pub user_id: &'a str,
    /// MFA or passkey.
    pub purpose: WebauthnPurpose,
    /// `Platform` or `CrossPlatform`.
    pub device_type: &'a str,
    /// Display name.
    pub name: &'a str,
    /// The raw credential id, unique across all users.
    pub credential_id: &'a [u8],
    /// The `webauthn-rs` credential as JSON.
    pub credential: &'a str,
}

/// A ceremony started by one request and finished by the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnCeremony {
    /// Which ceremony (the routes name them); a finish request checks it.
    pub kind: String,
    /// The user it is for; `None` for a passkey login that has not identified anyone yet.
    pub user_id: Option<String>,
    /// The device an MFA assertion or disable ceremony is about.
    pub device_id: Option<String>,
    /// The device type a registration was started for.
    pub device_type: Option<String>,
    /// The relying party (id and origins) the ceremony was started for, as JSON.
    pub relying_party: String,
    /// The `webauthn-rs` ceremony state as JSON.
    pub state: String,
    /// Expiry, Unix seconds on the emulator clock.
    pub expires_at: i64,
}

const DEVICE_COLUMNS: &str =
    "id, user_id, purpose, device_type, name, credential, created_at, last_used";

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<WebauthnDevice> {
    Ok(WebauthnDevice {
        id: row.get(0)?,
        user_id: row.get(1)?,
        purpose: WebauthnPurpose::parse(&row.get::<_, String>(2)?)?,
        device_type: row.get(3)?,
        name: row.get(4)?,
        credential: row.get(5)?,
        created_at: row.get(6)?,
        last_used: row.get(7)?,
    })
}

impl Store {
    /// Stores a new credential and returns its device id, or `None` when the credential id is
    /// already registered (to anyone). With `recovery_hash` (MFA enrollments), the user's MFA
    /// recovery code is replaced in the same transaction.
    pub fn insert_webauthn_device(
        &self,
        device: NewWebauthnDevice<'_>,
        recovery_hash: Option<&[u8; 32]>,
        now: i64,
    ) -> rusqlite::Result<Option<String>> {
        let id = new_id();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO webauthn_devices (id, user_id, purpose, device_type, name, credential_id,
                                           credential, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(credential_id) DO NOTHING",
            params![
                id,
                device.user_id,
                device.purpose.as_str(),
                device.device_type,
                device.name,
                device.credential_id,
                device.credential,
                now
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        if let Some(hash) = recovery_hash {
            upsert_recovery_code(&tx, device.user_id, hash, now)?;
        }
        tx.commit()?;
        Ok(Some(id))
    }

    /// The user's credentials of one purpose, oldest first.
    pub fn webauthn_devices(
        &self,
        user_id: &str,
        purpose: WebauthnPurpose,
    ) -> rusqlite::Result<Vec<WebauthnDevice>> {
        let conn = self.conn();
        let mut statement = conn.prepare(&format!(
            "SELECT {DEVICE_COLUMNS} FROM webauthn_devices WHERE user_id = ?1 AND purpose = ?2
             ORDER BY created_at, rowid"
        ))?;
        let rows = statement.query_map(params![user_id, purpose.as_str()], device_from_row)?;
        rows.collect()
    }

    /// A credential by device id.
    pub fn webauthn_device(&self, id: &str) -> rusqlite::Result<Option<WebauthnDevice>> {
        self.conn()
            .query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM webauthn_devices WHERE id = ?1"),
                [id],
                device_from_row,
            )
            .optional()
    }

    /// A credential by its raw credential id.
    pub fn webauthn_device_by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> rusqlite::Result<Option<WebauthnDevice>> {
        self.conn()
            .query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM webauthn_devices WHERE credential_id = ?1"),
                [credential_id],
                device_from_row,
            )
            .optional()
    }

    /// Records a successful assertion: the credential as updated (sign counter, backup state)
    /// and the time.
    pub fn record_webauthn_use(
        &self,
        id: &str,
        credential: &str,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE webauthn_devices SET credential = ?2, last_used = ?3 WHERE id = ?1",
            params![id, credential, now],
        )?;
        Ok(())
    }

    /// Deletes one of the user's credentials of the given purpose; false if there was none.
    /// Removing the last second factor also drops the recovery code and remembered devices.
    pub fn delete_webauthn_device(
        &self,
        user_id: &str,
        id: &str,
        purpose: WebauthnPurpose,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let deleted = tx.execute(
            "DELETE FROM webauthn_devices WHERE id = ?1 AND user_id = ?2 AND purpose = ?3",
            params![id, user_id, purpose.as_str()],
        )?;
        if purpose == WebauthnPurpose::Mfa {
            forget_mfa_if_unenrolled(&tx, user_id)?;
        }
        tx.commit()?;
        Ok(deleted == 1)
    }

    /// Stores a ceremony in progress under the hash of its challenge, pruning expired ones.
    pub fn insert_webauthn_ceremony(
        &self,
        challenge_hash: &[u8; 32],
        ceremony: &WebauthnCeremony,
        now: i64,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM webauthn_ceremonies WHERE expires_at <= ?1",
            [now],
        )?;
        tx.execute(
            "INSERT INTO webauthn_ceremonies (challenge_hash, kind, user_id, device_id, device_type,
                                              relying_party, state, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                &challenge_hash[..],
                ceremony.kind,
                ceremony.user_id,
                ceremony.device_id,
                ceremony.device_type,
                ceremony.relying_party,
                ceremony.state,
                now,
                ceremony.expires_at
            ],
        )?;
        tx.commit()
    }

    /// Keeps only the newest `keep` ceremonies of `kind`, so the ones anyone may start stay
    /// bounded however fast they come. Answers how many were dropped.
    pub fn trim_webauthn_ceremonies(&self, kind: &str, keep: u32) -> rusqlite::Result<usize> {
        self.conn().execute(
            "DELETE FROM webauthn_ceremonies WHERE kind = ?1 AND rowid NOT IN
               (SELECT rowid FROM webauthn_ceremonies WHERE kind = ?1
                ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
            params![kind, keep],
        )
    }

    /// Takes the ceremony of a challenge: deletes it whatever happens next (a challenge answers
    /// once), and returns it if it had not expired.
    pub fn take_webauthn_ceremony(
        &self,
        challenge_hash: &[u8; 32],
        now: i64,
    ) -> rusqlite::Result<Option<WebauthnCeremony>> {
        let found = self
            .conn()
            .query_row(
                "DELETE FROM webauthn_ceremonies WHERE challenge_hash = ?1
                 RETURNING kind, user_id, device_id, device_type, relying_party, state, expires_at",
                [&challenge_hash[..]],
                |row| {
                    Ok(WebauthnCeremony {
                        kind: row.get(0)?,
                        user_id: row.get(1)?,
                        device_id: row.get(2)?,
                        device_type: row.get(3)?,
                        relying_party: row.get(4)?,
                        state: row.get(5)?,
                        expires_at: row.get(6)?,
                    })
                },
            )
            .optional()?;
        Ok(found.filter(|ceremony| ceremony.expires_at > now))
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
            phone_number: None,
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

    #[test]
    fn credential_ids_are_unique_and_devices_listed_per_purpose() {
        let (store, user) = store_with_user();
        let device = NewWebauthnDevice {
            user_id: &user,
            purpose: WebauthnPurpose::Passkey,
            device_type: "Platform",
            name: "Laptop",
            credential_id: b"cred-1",
            credential: "{}",
        };
        let id = store
            .insert_webauthn_device(device, None, 5)
            .unwrap()
            .unwrap();
        assert_eq!(store.insert_webauthn_device(device, None, 6).unwrap(), None);
        let found = store.webauthn_device_by_credential_id(b"cred-1").unwrap();
        assert_eq!(found.unwrap().id, id);
        assert!(store
            .webauthn_devices(&user, WebauthnPurpose::Mfa)
            .unwrap()
            .is_empty());
        store.record_webauthn_use(&id, "{\"n\":1}", 9).unwrap();
        let listed = store
            .webauthn_devices(&user, WebauthnPurpose::Passkey)
            .unwrap();
        assert_eq!(listed[0].last_used, Some(9));
        assert_eq!(listed[0].credential, "{\"n\":1}");
        assert!(!store
            .delete_webauthn_device(&user, &id, WebauthnPurpose::Mfa)
            .unwrap());
        assert!(store
            .delete_webauthn_device(&user, &id, WebauthnPurpose::Passkey)
            .unwrap());
        assert_eq!(store.webauthn_device(&id).unwrap(), None);
    }

    #[test]
    fn mfa_keys_are_second_factors_with_a_recovery_code() {
        let (store, user) = store_with_user();
        let key = NewWebauthnDevice {
            user_id: &user,
            purpose: WebauthnPurpose::Mfa,
            device_type: "CrossPlatform",
            name: "Key",
            credential_id: b"cred-2",
            credential: "{}",
        };
        let id = store
            .insert_webauthn_device(key, Some(&[9; 32]), 5)
            .unwrap()
            .unwrap();
        let devices = store.mfa_devices(&user).unwrap().unwrap();
        assert!(devices.is_enrolled());
        assert_eq!(devices.webauthn[0].id, id);
        assert_eq!(devices.webauthn[0].device_type, "CrossPlatform");
        assert_eq!(store.recovery_code_hash(&user).unwrap(), Some(vec![9; 32]));
        // Removing the last second factor forgets the recovery code.
        assert!(store
            .delete_webauthn_device(&user, &id, WebauthnPurpose::Mfa)
            .unwrap());
        assert!(!store.mfa_devices(&user).unwrap().unwrap().is_enrolled());
        assert_eq!(store.recovery_code_hash(&user).unwrap(), None);

        let id = store.insert_webauthn_device(key, None, 6).unwrap().unwrap();
        store.remove_all_mfa(&user).unwrap();
        assert_eq!(store.webauthn_device(&id).unwrap(), None);
    }

    #[test]
    fn ceremonies_are_taken_once_and_expire() {
        let (store, user) = store_with_user();
        let ceremony = WebauthnCeremony {
            kind: "k".into(),
            user_id: Some(user),
            device_id: None,
            device_type: None,
            relying_party: "{}".into(),
            state: "{}".into(),
            expires_at: 100,
        };
        store
            .insert_webauthn_ceremony(&[1; 32], &ceremony, 0)
            .unwrap();
        store
            .insert_webauthn_ceremony(&[2; 32], &ceremony, 0)
            .unwrap();
        assert_eq!(
            store.take_webauthn_ceremony(&[1; 32], 99).unwrap(),
            Some(ceremony)
        );
        assert_eq!(store.take_webauthn_ceremony(&[1; 32], 99).unwrap(), None);
        assert_eq!(store.take_webauthn_ceremony(&[2; 32], 100).unwrap(), None);
    }

    #[test]
    fn trimming_keeps_the_newest_ceremonies_of_one_kind() {
        let (store, user) = store_with_user();
        let ceremony = |kind: &str| WebauthnCeremony {
            kind: kind.into(),
            user_id: Some(user.clone()),
            device_id: None,
            device_type: None,
            relying_party: "{}".into(),
            state: "{}".into(),
            expires_at: 100,
        };
        for i in 0..5u8 {
            store
                .insert_webauthn_ceremony(&[i; 32], &ceremony("login"), i64::from(i))
                .unwrap();
        }
        store
            .insert_webauthn_ceremony(&[9; 32], &ceremony("other"), 0)
            .unwrap();
        assert_eq!(store.trim_webauthn_ceremonies("login", 2).unwrap(), 3);
        for old in 0..3u8 {
            assert_eq!(store.take_webauthn_ceremony(&[old; 32], 50).unwrap(), None);
        }
        for new in 3..5u8 {
            assert!(store
                .take_webauthn_ceremony(&[new; 32], 50)
                .unwrap()
                .is_some());
        }
        assert!(
            store
                .take_webauthn_ceremony(&[9; 32], 50)
                .unwrap()
                .is_some(),
            "other kinds are left alone"
        );
    }
}
