//! SQLite storage: users, tenants, sessions, refresh and MFA tokens, signing keys.
//!
//! One connection behind a mutex: the emulator serves one developer or one test suite, and every
//! critical section is a few indexed statements. Slow work (argon2, RSA) happens outside the lock.
//! The helpers every login and refresh runs (`load_user`, `insert_refresh`, `standing`) keep
//! their statements compiled (`prepare_cached`): compiling SQL was a twentieth of a refresh, and
//! all of it inside the lock.
//! Secrets (refresh and MFA tokens) are stored only as SHA-256 hashes.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::config::Storage;
use crate::BoxError;

mod account;
mod mfa;
mod outbox;
mod passwordless;
mod phone;
mod webauthn;

pub use account::{
    AccountState, ApiCredential, ApiRotation, ProfileUpdate, SessionClient, SessionRecord,
    Standing, TenantRecord, TokenPurpose,
};
pub use mfa::{
    Authenticator, CodeBinding, CodeCheck, CodePurpose, MfaDevices, NewCode, PhoneMfaDevice,
    WebAuthnMfaDevice, MAX_CODE_ATTEMPTS,
};
pub use outbox::{MessageKind, NewMessage, OutboxMessage};
pub use passwordless::{NewPasswordlessSecret, PasswordlessMethod};
pub use phone::PhoneVerification;
pub use webauthn::{NewWebauthnDevice, WebauthnCeremony, WebauthnDevice, WebauthnPurpose};

/// Every area's tables: the core ones here, the others beside their queries.
const SCHEMAS: [&str; 6] = [
    SCHEMA,
    outbox::SCHEMA,
    account::SCHEMA,
    mfa::SCHEMA,
    passwordless::SCHEMA,
    webauthn::SCHEMA,
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name                 TEXT NOT NULL,
    password_hash        TEXT,
    phone_number         TEXT,
    profile_picture_url  TEXT,
    roles                TEXT NOT NULL DEFAULT '[]',
    permissions          TEXT NOT NULL DEFAULT '[]',
    created_at           INTEGER NOT NULL,
    last_login           INTEGER,
    metadata             TEXT NOT NULL DEFAULT '{}',
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked               INTEGER NOT NULL DEFAULT 0,
    activated            INTEGER NOT NULL DEFAULT 1,
    phone_verified       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS user_tenants (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, tenant_id)
);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid              TEXT PRIMARY KEY,
    private_key_pem  TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    user_agent  TEXT,
    ip_address  TEXT
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash        BLOB PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0,
    revoked     INTEGER NOT NULL DEFAULT 0,
    used_at     INTEGER,
    replaced_by BLOB
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_session ON refresh_tokens(session_id);
CREATE TABLE IF NOT EXISTS mfa_tokens (
    hash        BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0
);
";

/// The emulator's database.
pub struct Store {
    conn: Mutex<Connection>,
}

/// A user with everything the token and profile endpoints need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// User id (a UUID).
    pub id: String,
    /// Email as entered; lookups ignore ASCII case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Phone number, if any.
    pub phone_number: Option<String>,
    /// Avatar URL, if any.
    pub profile_picture_url: Option<String>,
    /// Role keys, applied in every tenant of the user.
    pub roles: Vec<String>,
    /// Permission keys, applied in every tenant of the user.
    pub permissions: Vec<String>,
    /// Tenants the user belongs to, in the order joined; the first is the default.
    pub tenant_ids: Vec<String>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last successful login, Unix seconds.
    pub last_login: Option<i64>,
}

/// What a user is created with.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email; must be unique ignoring ASCII case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Argon2id PHC hash, or `None` for a user who cannot log in with a password.
    pub password_hash: Option<String>,
    /// Phone number, stored as verified: users created by the developer or the seed need no
    /// code (sign-up stores its number unverified, through [`ProfileUpdate`]).
    pub phone_number: Option<String>,
    /// Base32 TOTP secret.
    pub totp_secret: Option<String>,
    /// Role keys.
    pub roles: Vec<String>,
    /// Permission keys.
    pub permissions: Vec<String>,
    /// Tenants to join, first = default; missing tenants are created, named after their id.
    pub tenant_ids: Vec<String>,
}

/// Result of [`Store::create_user`].
#[derive(Debug)]
pub enum CreateUser {
    /// The user was stored.
    Created(Box<UserRecord>),
    /// Another user already has this email.
    EmailTaken,
    /// Another user has verified this phone number.
    PhoneTaken,
}

/// What password login needs to know about an email.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user's id.
    pub user_id: String,
    /// The stored hash, `None` if the user has no password.
    pub password_hash: Option<String>,
    /// Locked after too many failed password attempts.
    pub locked: bool,
}

/// A refresh token about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// Expiry, Unix seconds on the emulator clock.
    pub expires_at: i64,
}

/// A live session, as the refresh endpoint needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Session id: the `sid` claim and the refresh token family.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Active tenant of the session.
    pub tenant_id: String,
}

/// Result of [`Store::rotate_refresh_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The presented token is now used and the new one is live in the same session.
    Rotated(SessionInfo),
    /// Unknown, expired or revoked token, or revoked session. Nothing changed.
    Invalid,
    /// The token had already been rotated: its whole family and session are now revoked.
    Reused,
    /// The requested tenant is not one of the user's. Nothing changed.
    NotAMember,
    /// The session's user may not sign in now (locked, not activated). Nothing changed.
    Refused(Standing),
}

fn list_to_json(list: &[String]) -> rusqlite::Result<String> {
    serde_json::to_string(list).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn list_from_json(text: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Store {
    /// Opens (creating if needed) the database and applies the schema. Files use WAL mode.
    pub fn open(storage: &Storage) -> Result<Self, BoxError> {
        let conn = match storage {
            Storage::Memory => Connection::open_in_memory()?,
            Storage::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        format!("cannot create data directory {}: {e}", parent.display())
                    })?;
                }
                open_file(path)?
            }
        };
        conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        for schema in SCHEMAS {
            conn.execute_batch(schema)?;
        }
        account::add_missing_columns(&conn)?;
        conn.execute_batch(phone::INDEXES)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-applied change: open transactions roll
        // back when dropped. So a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Deletes every row but the signing keys (developer reset), so tokens signed before the
    /// reset still verify as well-formed and fail only because their sessions are gone.
    pub fn wipe(&self) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let tables: Vec<String> = tx
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('signing_keys', 'sqlite_sequence')")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // Foreign keys are deferred so the order of deletion doesn't matter inside the transaction.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON;")?;
        for table in tables {
            tx.execute(&format!("DELETE FROM \"{table}\""), [])?;
        }
        tx.commit()
    }

    /// True when there are no users and no tenants (seed only then, so data survives restarts).
    pub fn is_empty(&self) -> rusqlite::Result<bool> {
        let conn = self.conn();
        let count: i64 = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM tenants)",
            [],
            |row| row.get(0),
        )?;
        Ok(count == 0)
    }

    /// Creates a tenant, or renames it if it exists.
    pub fn upsert_tenant(&self, id: &str, name: &str, now: i64) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name",
            params![id, name, now],
        )?;
        Ok(())
    }

    /// Stores a new user and their tenant memberships in one transaction.
    pub fn create_user(&self, user: &NewUser, now: i64) -> rusqlite::Result<CreateUser> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken = tx
            .query_row(
                "SELECT 1 FROM users WHERE email = ?1",
                [&user.email],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if taken {
            return Ok(CreateUser::EmailTaken);
        }
        if let Some(phone_number) = &user.phone_number {
            if phone::phone_taken(&tx, phone_number, None)? {
                return Ok(CreateUser::PhoneTaken);
            }
        }
        let id = new_id();
        tx.execute(
            "INSERT INTO users (id, email, name, password_hash, phone_number, phone_verified,
                                roles, permissions, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5 IS NOT NULL, ?6, ?7, ?8)",
            params![
                id,
                user.email,
                user.name,
                user.password_hash,
                user.phone_number,
                list_to_json(&user.roles)?,
                list_to_json(&user.permissions)?,
                now
            ],
        )?;
        if let Some(secret) = &user.totp_secret {
            // The secret becomes the user's authenticator-app device (MFA storage).
            mfa::insert_authenticator(&tx, &id, secret, None, now)?;
        }
        for tenant_id in &user.tenant_ids {
            tx.execute(
                "INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?1, ?1, ?2)",
                params![tenant_id, now],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO user_tenants (user_id, tenant_id) VALUES (?1, ?2)",
                params![id, tenant_id],
            )?;
        }
        let record = load_user(&tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        Ok(CreateUser::Created(Box::new(record)))
    }

    /// The login credentials of the user with this email (ASCII case ignored).
    pub fn credentials(&self, email: &str) -> rusqlite::Result<Option<Credentials>> {
        self.conn()
            .query_row(
                "SELECT id, password_hash, locked FROM users WHERE email = ?1",
                [email],
                |row| {
                    Ok(Credentials {
                        user_id: row.get(0)?,
                        password_hash: row.get(1)?,
                        locked: row.get(2)?,
                    })
                },
            )
            .optional()
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> rusqlite::Result<Option<UserRecord>> {
        load_user(&self.conn(), id)
    }

    /// Starts a session for a logged-in user with its first refresh token; records the login
    /// and where it came from. Returns the session id.
    ///
    /// With `checked_password`, the hash a password was verified against (outside the lock),
    /// the session starts only if that is still the user's password; else `None`, nothing
    /// stored. A reset that lands while argon2 runs revokes the sessions that exist then, so a
    /// session started after it on the strength of the old password would outlive it.
    pub fn start_session(
        &self,
        user_id: &str,
        tenant_id: &str,
        checked_password: Option<&str>,
        refresh: NewRefreshToken,
        client: &SessionClient,
        now: i64,
    ) -> rusqlite::Result<Option<String>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(checked) = checked_password {
            let current: Option<String> = tx
                .query_row(
                    "SELECT password_hash FROM users WHERE id = ?1",
                    [user_id],
                    |row| row.get(0),
                )
                .optional()?
                .flatten();
            if current.as_deref() != Some(checked) {
                return Ok(None);
            }
        }
        let session_id = new_id();
        tx.execute(
            "INSERT INTO sessions (id, user_id, tenant_id, created_at, last_seen, user_agent,
                                   ip_address)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
            params![
                session_id,
                user_id,
                tenant_id,
                now,
                client.user_agent,
                client.ip_address
            ],
        )?;
        insert_refresh(&tx, &session_id, refresh, now)?;
        tx.execute(
            "UPDATE users SET last_login = ?2 WHERE id = ?1",
            params![user_id, now],
        )?;
        tx.commit()?;
        Ok(Some(session_id))
    }

    /// Exchanges a refresh token for a new one in the same session, atomically, so two
    /// concurrent refreshes with one token cannot both succeed. Presenting an already-rotated
    /// token revokes the whole session, unless it is a retry: within `retry_grace` seconds of
    /// its rotation, while its successor has never been presented, it is exchanged again and
    /// the unseen successor is revoked (a client whose answer was lost keeps its session; the
    /// session still has one live token). That successor presented later is reuse too: its
    /// parent was in two hands. With `tenant_id`, the session switches to that tenant.
    pub fn rotate_refresh_token(
        &self,
        presented: &[u8; 32],
        tenant_id: Option<&str>,
        next: NewRefreshToken,
        now: i64,
        retry_grace: i64,
    ) -> rusqlite::Result<Rotation> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = tx
            .query_row(
                "SELECT r.session_id, r.expires_at, r.used, r.revoked, s.user_id, s.tenant_id,
                        s.revoked, r.used_at, r.replaced_by
                 FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
                 WHERE r.hash = ?1",
                [&presented[..]],
                |row| {
                    Ok((
                        SessionInfo {
                            id: row.get(0)?,
                            user_id: row.get(4)?,
                            tenant_id: row.get(5)?,
                        },
                        row.get::<_, i64>(1)?,
                        row.get::<_, bool>(2)?,
                        row.get::<_, bool>(3)?,
                        row.get::<_, bool>(6)?,
                        row.get::<_, Option<i64>>(7)?,
                        row.get::<_, Option<Vec<u8>>>(8)?,
                    ))
                },
            )
            .optional()?;
        let Some((mut session, expires_at, used, revoked, session_revoked, used_at, replaced_by)) =
            found
        else {
            return Ok(Rotation::Invalid);
        };
        if session_revoked {
            return Ok(Rotation::Invalid);
        }
        if revoked {
            // Revoked alone, in a live session: the unseen successor a retry replaced (below).
            // Presented after all, it shows that two parties held its parent, the retry's
            // sender and this one: theft, as any reuse is.
            revoke_session(&tx, &session.id)?;
            tx.commit()?;
            return Ok(Rotation::Reused);
        }
        // The unseen successor a retry replaces; any other reuse is theft.
        let unseen_successor = match (used, used_at, replaced_by) {
            (false, _, _) => None,
            (true, Some(used_at), Some(successor))
                if now.saturating_sub(used_at) < retry_grace
                    && never_presented(&tx, &successor)? =>
            {
                Some(successor)
            }
            (true, _, _) => {
                revoke_session(&tx, &session.id)?;
                tx.commit()?;
                return Ok(Rotation::Reused);
            }
        };
        if expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        match account::standing(&tx, &session.user_id)? {
            Standing::Active => {}
            Standing::Gone => return Ok(Rotation::Invalid),
            refused => return Ok(Rotation::Refused(refused)),
        }
        if let Some(tenant_id) = tenant_id {
            let member = tx
                .query_row(
                    "SELECT 1 FROM user_tenants WHERE user_id = ?1 AND tenant_id = ?2",
                    params![session.user_id, tenant_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !member {
                return Ok(Rotation::NotAMember);
            }
            session.tenant_id = tenant_id.to_owned();
        }
        if let Some(successor) = unseen_successor {
            tx.execute(
                "UPDATE refresh_tokens SET revoked = 1 WHERE hash = ?1",
                [&successor],
            )?;
        }
        // `used_at` keeps the first rotation's time, so retries can't stretch the grace.
        tx.execute(
            "UPDATE refresh_tokens SET used = 1, used_at = COALESCE(used_at, ?2), replaced_by = ?3
             WHERE hash = ?1",
            params![&presented[..], now, &next.hash[..]],
        )?;
        insert_refresh(&tx, &session.id, next, now)?;
        tx.execute(
            "UPDATE sessions SET tenant_id = ?2, last_seen = ?3 WHERE id = ?1",
            params![session.id, session.tenant_id, now],
        )?;
        tx.commit()?;
        Ok(Rotation::Rotated(session))
    }

    /// Revokes the session that a refresh token belongs to (and all its tokens). Unknown tokens
    /// are ignored: logout is idempotent.
    pub fn revoke_session_of_refresh_token(&self, presented: &[u8; 32]) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let session_id: Option<String> = tx
            .query_row(
                "SELECT session_id FROM refresh_tokens WHERE hash = ?1",
                [&presented[..]],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(session_id) = session_id {
            revoke_session(&tx, &session_id)?;
        }
        tx.commit()
    }

    /// True if the session exists and has not been revoked.
    pub fn session_active(&self, session_id: &str) -> rusqlite::Result<bool> {
        let revoked: Option<bool> = self
            .conn()
            .query_row(
                "SELECT revoked FROM sessions WHERE id = ?1",
                [session_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(revoked == Some(false))
    }

    /// Stores the hash of a single-use MFA token that the MFA verify step will redeem.
    pub fn insert_mfa_token(
        &self,
        hash: &[u8; 32],
        user_id: &str,
        expires_at: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO mfa_tokens (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![&hash[..], user_id, now, expires_at],
        )?;
        Ok(())
    }

    /// The newest signing key: `(kid, PKCS#8 PEM)`.
    pub fn signing_key(&self) -> rusqlite::Result<Option<(String, String)>> {
        self.conn()
            .query_row(
                "SELECT kid, private_key_pem FROM signing_keys ORDER BY created_at DESC, rowid DESC
                 LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
    }

    /// Stores a signing key so tokens stay verifiable across restarts.
    pub fn insert_signing_key(&self, kid: &str, pem: &str, now: i64) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO signing_keys (kid, private_key_pem, created_at) VALUES (?1, ?2, ?3)",
            params![kid, pem, now],
        )?;
        Ok(())
    }
}

fn open_file(path: &Path) -> Result<Connection, BoxError> {
    let conn = Connection::open(path)
        .map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
    // Another emulator process on the same file waits briefly instead of failing at once.
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("database {} refused WAL mode (got {mode})", path.display()).into());
    }
    // The default (FULL) flushes the disk at every commit, inside the store lock, so each write
    // (a refresh is one) waited for a flush and all others queued behind it. NORMAL flushes at
    // checkpoints only: a commit still survives the emulator crashing or being killed, and the
    // file is never corrupted; only an OS crash or power cut can lose the last commits, which a
    // development emulator can afford.
    conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
    Ok(conn)
}

fn insert_refresh(
    conn: &Connection,
    session_id: &str,
    token: NewRefreshToken,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![&token.hash[..], session_id, now, token.expires_at])?;
    Ok(())
}

/// Whether a refresh token is live and was never exchanged: the client it was sent to has not
/// shown that it received it.
fn never_presented(conn: &Connection, hash: &[u8]) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT used = 0 AND revoked = 0 FROM refresh_tokens WHERE hash = ?1",
        [hash],
        |row| row.get(0),
    )
    .optional()
    .map(|live| live.unwrap_or(false))
}

fn revoke_session(conn: &Connection, session_id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE session_id = ?1",
        [session_id],
    )?;
    conn.execute(
        "UPDATE sessions SET revoked = 1 WHERE id = ?1",
        [session_id],
    )?;
    Ok(())
}

fn load_user(conn: &Connection, id: &str) -> rusqlite::Result<Option<UserRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT id, email, name, phone_number, profile_picture_url, roles, permissions,
                    created_at, last_login
             FROM users WHERE id = ?1",
        )?
        .query_row([id], |row| {
            Ok((
                UserRecord {
                    id: row.get(0)?,
                    email: row.get(1)?,
                    name: row.get(2)?,
                    phone_number: row.get(3)?,
                    profile_picture_url: row.get(4)?,
                    roles: Vec::new(),
                    permissions: Vec::new(),
                    tenant_ids: Vec::new(),
                    created_at: row.get(7)?,
                    last_login: row.get(8)?,
                },
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            ))
        })
        .optional()?;
    let Some((mut user, roles, permissions)) = row else {
        return Ok(None);
    };
    user.roles = list_from_json(&roles)?;
    user.permissions = list_from_json(&permissions)?;
    let mut stmt = conn
        .prepare_cached("SELECT tenant_id FROM user_tenants WHERE user_id = ?1 ORDER BY rowid")?;
    user.tenant_ids = stmt
        .query_map([id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str) -> NewUser {
        NewUser {
            email: email.to_owned(),
            name: "N".to_owned(),
            password_hash: None,
            phone_number: None,
            totp_secret: None,
            roles: vec!["Admin".to_owned()],
            permissions: vec![],
            tenant_ids: vec!["t1".to_owned(), "t2".to_owned()],
        }
    }

    fn token(byte: u8, expires_at: i64) -> NewRefreshToken {
        NewRefreshToken {
            hash: [byte; 32],
            expires_at,
        }
    }

    #[test]
    fn emails_are_unique_ignoring_case_and_tenants_keep_order() {
        let store = Store::open(&Storage::Memory).unwrap();
        let CreateUser::Created(u) = store.create_user(&user("A@x.io"), 1).unwrap() else {
            panic!("not created")
        };
        assert_eq!(u.tenant_ids, ["t1", "t2"]);
        assert_eq!(u.roles, ["Admin"]);
        assert!(matches!(
            store.create_user(&user("a@X.io"), 1).unwrap(),
            CreateUser::EmailTaken
        ));
        assert_eq!(store.credentials("a@x.IO").unwrap().unwrap().user_id, u.id);
    }

    #[test]
    fn rotation_then_reuse_revokes_family() {
        let store = Store::open(&Storage::Memory).unwrap();
        let CreateUser::Created(u) = store.create_user(&user("a@x.io"), 1).unwrap() else {
            panic!("not created")
        };
        let sid = store
            .start_session(
                &u.id,
                "t1",
                None,
                token(1, 100),
                &SessionClient::default(),
                10,
            )
            .unwrap()
            .unwrap();
        let Rotation::Rotated(s) = store
            .rotate_refresh_token(&[1; 32], Some("t2"), token(2, 200), 20, 0)
            .unwrap()
        else {
            panic!("not rotated")
        };
        assert_eq!((s.id.as_str(), s.tenant_id.as_str()), (sid.as_str(), "t2"));
        assert_eq!(
            store
                .rotate_refresh_token(&[2; 32], Some("nope"), token(3, 300), 30, 0)
                .unwrap(),
            Rotation::NotAMember
        );
        assert_eq!(
            store
                .rotate_refresh_token(&[1; 32], None, token(4, 300), 30, 0)
                .unwrap(),
            Rotation::Reused
        );
        assert!(!store.session_active(&sid).unwrap());
        assert_eq!(
            store
                .rotate_refresh_token(&[2; 32], None, token(5, 300), 30, 0)
                .unwrap(),
            Rotation::Invalid
        );
    }

    #[test]
    fn a_session_checked_against_a_replaced_password_does_not_start() {
        let store = Store::open(&Storage::Memory).unwrap();
        let with_password = NewUser {
            password_hash: Some("new".to_owned()),
            ..user("a@x.io")
        };
        let CreateUser::Created(u) = store.create_user(&with_password, 1).unwrap() else {
            panic!("not created")
        };
        let client = SessionClient::default();
        let stale = store.start_session(&u.id, "t1", Some("old"), token(1, 100), &client, 10);
        assert_eq!(stale.unwrap(), None);
        assert_eq!(
            store
                .rotate_refresh_token(&[1; 32], None, token(2, 100), 20, 0)
                .unwrap(),
            Rotation::Invalid,
            "nothing stored"
        );
        let current = store.start_session(&u.id, "t1", Some("new"), token(3, 100), &client, 10);
        assert!(store.session_active(&current.unwrap().unwrap()).unwrap());
    }

    #[test]
    fn expired_refresh_token_is_invalid() {
        let store = Store::open(&Storage::Memory).unwrap();
        let CreateUser::Created(u) = store.create_user(&user("a@x.io"), 1).unwrap() else {
            panic!("not created")
        };
        store
            .start_session(
                &u.id,
                "t1",
                None,
                token(1, 100),
                &SessionClient::default(),
                10,
            )
            .unwrap();
        assert_eq!(
            store
                .rotate_refresh_token(&[1; 32], None, token(2, 300), 100, 0)
                .unwrap(),
            Rotation::Invalid
        );
    }

    /// A retry of a just-rotated token (its answer was lost) within the grace gets a new
    /// successor and revokes the unseen one; after the grace, or once the successor has been
    /// presented, the same replay is theft, and so is the replaced successor presented later.
    #[test]
    fn a_retry_within_the_grace_replaces_the_unseen_successor() {
        let store = Store::open(&Storage::Memory).unwrap();
        let CreateUser::Created(u) = store.create_user(&user("a@x.io"), 1).unwrap() else {
            panic!("not created")
        };
        let sid = store
            .start_session(
                &u.id,
                "t1",
                None,
                token(1, 1000),
                &SessionClient::default(),
                10,
            )
            .unwrap()
            .unwrap();
        let rotate = |presented: u8, next: u8, now: i64| {
            store
                .rotate_refresh_token(&[presented; 32], None, token(next, 1000), now, 60)
                .unwrap()
        };
        assert!(matches!(rotate(1, 2, 20), Rotation::Rotated(_)));
        // The answer carrying 2 was lost: 1 comes back, and 3 replaces the unseen 2.
        assert!(matches!(rotate(1, 3, 40), Rotation::Rotated(_)));
        assert!(store.session_active(&sid).unwrap());
        // The grace counts from the first rotation, not the retry.
        assert_eq!(rotate(1, 4, 80), Rotation::Reused);
        assert!(!store.session_active(&sid).unwrap());

        // 2 did reach someone after all, and comes back after its "retry" replaced it: 1 was
        // in two hands (a thief replayed it within the grace). Theft: the session ends, the
        // retry's successor with it.
        let sid = store
            .start_session(
                &u.id,
                "t1",
                None,
                token(10, 1000),
                &SessionClient::default(),
                200,
            )
            .unwrap()
            .unwrap();
        assert!(matches!(rotate(10, 11, 200), Rotation::Rotated(_)));
        assert!(matches!(rotate(10, 12, 210), Rotation::Rotated(_)));
        assert_eq!(rotate(11, 13, 211), Rotation::Reused);
        assert!(!store.session_active(&sid).unwrap());
        assert_eq!(rotate(12, 14, 212), Rotation::Invalid);

        let sid = store
            .start_session(
                &u.id,
                "t1",
                None,
                token(5, 1000),
                &SessionClient::default(),
                100,
            )
            .unwrap()
            .unwrap();
        assert!(matches!(rotate(5, 6, 110), Rotation::Rotated(_)));
        assert!(matches!(rotate(6, 7, 111), Rotation::Rotated(_)));
        // 6 reached its client, which used it: 5 coming back now is theft, grace or not.
        assert_eq!(rotate(5, 8, 112), Rotation::Reused);
        assert!(!store.session_active(&sid).unwrap());
    }
}
