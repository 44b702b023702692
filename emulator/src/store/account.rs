//! Account self-service: lockout counters, password-reset and activation tokens, profile edits,
//! tenant lists and switches, session listing and revocation, and API-token credentials with
//! their rotating refresh tokens.
//!
//! Like every secret in the store, reset/activation tokens, API secrets and API refresh tokens
//! are kept only as SHA-256 hashes and looked up by hash.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{list_from_json, list_to_json, revoke_session, NewRefreshToken, Store};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS user_tokens (
    hash        BLOB PRIMARY KEY,
    purpose     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS user_tokens_by_user ON user_tokens(user_id, purpose);
CREATE TABLE IF NOT EXISTS api_tokens (
    client_id    TEXT PRIMARY KEY,
    secret_hash  BLOB NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    roles        TEXT NOT NULL DEFAULT '[]',
    permissions  TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_refresh_tokens (
    hash        BLOB PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES api_tokens(client_id) ON DELETE CASCADE,
    family      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0,
    revoked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS api_refresh_tokens_by_family ON api_refresh_tokens(family);
";

/// Columns this module added to the core tables, for databases created before them:
/// `CREATE TABLE IF NOT EXISTS` leaves an existing table as it was, so without this a database
/// kept in `.emulator/` from an earlier version would fail every query that reads them.
const ADDED_COLUMNS: [(&str, &str, &str); 9] = [
    ("users", "metadata", "TEXT NOT NULL DEFAULT '{}'"),
    ("users", "failed_logins", "INTEGER NOT NULL DEFAULT 0"),
    ("users", "locked", "INTEGER NOT NULL DEFAULT 0"),
    ("users", "activated", "INTEGER NOT NULL DEFAULT 1"),
    // Numbers stored before verification existed were never verified: they start unverified.
    ("users", "phone_verified", "INTEGER NOT NULL DEFAULT 0"),
    ("sessions", "user_agent", "TEXT"),
    ("sessions", "ip_address", "TEXT"),
    ("refresh_tokens", "used_at", "INTEGER"),
    ("refresh_tokens", "replaced_by", "BLOB"),
];

/// Adds the columns of [`ADDED_COLUMNS`] that an older database lacks.
pub(super) fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, declaration) in ADDED_COLUMNS {
        let present = conn
            .query_row(
                "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
                params![table, column],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !present {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {declaration}"
            ))?;
        }
    }
    Ok(())
}

/// Where a session was started from, shown in the user's session list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionClient {
    /// The `User-Agent` header of the sign-in request.
    pub user_agent: Option<String>,
    /// The peer address of the sign-in request.
    pub ip_address: Option<String>,
}

/// A live session, as the session list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Session id (the `sid` claim).
    pub id: String,
    /// Where the session started.
    pub client: SessionClient,
    /// Start, Unix seconds.
    pub created_at: i64,
    /// Last sign-in or refresh, Unix seconds.
    pub last_seen: i64,
    /// When the live refresh token expires, Unix seconds.
    pub expires_at: i64,
}

/// A tenant as the tenant lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// Tenant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation, Unix seconds.
    pub created_at: i64,
}

/// Profile fields not in [`super::UserRecord`]: only the account endpoints need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// Custom metadata, a stringified JSON object.
    pub metadata: String,
    /// Locked after too many failed password attempts.
    pub locked: bool,
}

/// Whether a user may sign in now: the one rule every sign-in path (first factors, MFA, passkeys,
/// refresh, user API tokens) asks, so no path can forget the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// May sign in.
    Active,
    /// Locked after too many failed password attempts, until a password reset.
    Locked,
    /// Signed up without a password and has not redeemed the activation link yet.
    Unactivated,
    /// No such user (deleted).
    Gone,
}

/// The [`Standing`] of a user, read inside whatever transaction the caller holds.
pub(super) fn standing(conn: &Connection, user_id: &str) -> rusqlite::Result<Standing> {
    let row = conn
        .prepare_cached("SELECT locked, activated FROM users WHERE id = ?1")?
        .query_row([user_id], |row| {
            Ok((row.get::<_, bool>(0)?, row.get::<_, bool>(1)?))
        })
        .optional()?;
    Ok(match row {
        None => Standing::Gone,
        Some((true, _)) => Standing::Locked,
        Some((false, false)) => Standing::Unactivated,
        Some((false, true)) => Standing::Active,
    })
}

/// Revokes every live session of `user_id` but `keep`, with their refresh tokens.
fn revoke_user_sessions(
    conn: &Connection,
    user_id: &str,
    keep: Option<&str>,
) -> rusqlite::Result<usize> {
    let others: Vec<String> = conn
        .prepare(
            "SELECT id FROM sessions
             WHERE user_id = ?1 AND revoked = 0 AND (?2 IS NULL OR id != ?2)",
        )?
        .query_map(params![user_id, keep], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for session_id in &others {
        revoke_session(conn, session_id)?;
    }
    Ok(others.len())
}

/// Whether the emailed token with this hash is `user_id`'s, for `purpose`, unused and unexpired.
fn live_user_token(
    conn: &Connection,
    purpose: TokenPurpose,
    user_id: &str,
    hash: &[u8; 32],
    now: i64,
) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM user_tokens
             WHERE hash = ?1 AND purpose = ?2 AND user_id = ?3 AND used = 0 AND expires_at > ?4",
            params![&hash[..], purpose.as_str(), user_id, now],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// What a single-use emailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// A forgot-password link.
    PasswordReset,
    /// A sign-up activation link.
    Activation,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::Activation => "activation",
        }
    }
}

/// A profile change; `None` leaves a field as it is, `Some(None)` clears a clearable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    /// New display name.
    pub name: Option<String>,
    /// New phone number (unverified unless it is the current, verified one), or clear it.
    pub phone_number: Option<Option<String>>,
    /// New avatar URL, or clear it.
    pub profile_picture_url: Option<Option<String>>,
    /// New metadata (stringified JSON object).
    pub metadata: Option<String>,
}

/// An API-token credential: who its access tokens speak for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCredential {
    /// The public half; the `sub` of its access tokens.
    pub client_id: String,
    /// Tenant the tokens act in.
    pub tenant_id: String,
    /// The user a personal (user) API token acts for; `None` for tenant tokens.
    pub user_id: Option<String>,
    /// Role keys.
    pub roles: Vec<String>,
    /// Permission keys.
    pub permissions: Vec<String>,
}

/// Result of [`Store::rotate_api_refresh_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRotation {
    /// The presented token is now used; the new one is live in the same family.
    Rotated(ApiCredential),
    /// Unknown, expired or revoked. Nothing changed.
    Invalid,
    /// Already rotated: the whole family is now revoked.
    Reused,
    /// A personal token whose user may not sign in now (locked, not activated). Nothing changed.
    Refused(Standing),
}

impl Store {
    /// Counts a wrong password for a user and locks the account once `max_attempts` consecutive
    /// failures are reached (`0`: never lock). One statement, so concurrent failures all count.
    pub fn record_failed_login(&self, user_id: &str, max_attempts: u32) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE users SET failed_logins = failed_logins + 1,
                              locked = CASE WHEN ?2 > 0 AND failed_logins + 1 >= ?2
                                            THEN 1 ELSE locked END
             WHERE id = ?1",
            params![user_id, max_attempts],
        )?;
        Ok(())
    }

    /// Resets the failure counter after a successful password login.
    pub fn clear_failed_logins(&self, user_id: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE users SET failed_logins = 0 WHERE id = ?1 AND failed_logins != 0",
            [user_id],
        )?;
        Ok(())
    }

    /// Whether a user may sign in now (see [`Standing`]).
    pub fn standing(&self, user_id: &str) -> rusqlite::Result<Standing> {
        standing(&self.conn(), user_id)
    }

    /// Metadata and lock state of a user.
    pub fn account_state(&self, user_id: &str) -> rusqlite::Result<Option<AccountState>> {
        self.conn()
            .query_row(
                "SELECT metadata, locked FROM users WHERE id = ?1",
                [user_id],
                |row| {
                    Ok(AccountState {
                        metadata: row.get(0)?,
                        locked: row.get(1)?,
                    })
                },
            )
            .optional()
    }

    /// The stored password hash of a user; `None` if the user has no password (or is gone).
    pub fn password_hash(&self, user_id: &str) -> rusqlite::Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT password_hash FROM users WHERE id = ?1",
                [user_id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Replaces a user's password hash and signs out every session but `keep` (the one that
    /// changed it), together: whoever knew the old password must not stay signed in.
    ///
    /// Only while `checked` (the hash the current password was verified against, outside the
    /// lock) is still the user's and `keep` is still live; else false, nothing changed. A
    /// reset that lands while argon2 runs has ended `keep`, and must not be undone by it.
    pub fn change_password(
        &self,
        user_id: &str,
        checked: Option<&str>,
        password_hash: &str,
        keep: &str,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<Option<String>> = tx
            .query_row(
                "SELECT u.password_hash FROM users u JOIN sessions s ON s.user_id = u.id
                 WHERE u.id = ?1 AND s.id = ?2 AND s.revoked = 0",
                params![user_id, keep],
                |row| row.get(0),
            )
            .optional()?;
        if current.as_ref().map(Option::as_deref) != Some(checked) {
            return Ok(false);
        }
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![user_id, password_hash],
        )?;
        revoke_user_sessions(&tx, user_id, Some(keep))?;
        tx.commit()?;
        Ok(true)
    }

    /// Stores the hash of a single-use emailed token.
    pub fn insert_user_token(
        &self,
        purpose: TokenPurpose,
        hash: &[u8; 32],
        user_id: &str,
        expires_at: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO user_tokens (hash, purpose, user_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&hash[..], purpose.as_str(), user_id, now, expires_at],
        )?;
        Ok(())
    }

    /// Whether an emailed token of `user_id` is live (unused, unexpired, this purpose), without
    /// spending it: the cheap check before hashing a new password. The row is found by the
    /// token's SHA-256, so no comparison ever runs on the secret itself.
    pub fn user_token_live(
        &self,
        purpose: TokenPurpose,
        user_id: &str,
        hash: &[u8; 32],
        now: i64,
    ) -> rusqlite::Result<bool> {
        live_user_token(&self.conn(), purpose, user_id, hash, now)
    }

    /// Redeems an emailed token of `user_id` in one transaction, so a token works exactly once
    /// even when presented twice at the same time. With `password_hash`, the password is set.
    /// Redeeming a password-reset token also unlocks the account, spends the user's other reset
    /// tokens (an older emailed link must not undo a newer reset), and signs out every session
    /// and forgets every remembered MFA device and pending MFA challenge (a reset means the old
    /// password may be known to someone else). Redeeming an activation token activates the account. False, with nothing
    /// changed, if the token is unknown, someone else's, used or expired.
    pub fn redeem_user_token(
        &self,
        purpose: TokenPurpose,
        user_id: &str,
        hash: &[u8; 32],
        password_hash: Option<&str>,
        now: i64,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !live_user_token(&tx, purpose, user_id, hash, now)? {
            return Ok(false);
        }
        tx.execute(
            "UPDATE user_tokens SET used = 1 WHERE user_id = ?1 AND purpose = ?2 AND (hash = ?3 OR ?2 = 'password_reset')",
            params![user_id, purpose.as_str(), &hash[..]],
        )?;
        if let Some(password_hash) = password_hash {
            tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, password_hash],
            )?;
        }
        match purpose {
            TokenPurpose::PasswordReset => {
                tx.execute(
                    "UPDATE users SET locked = 0, failed_logins = 0 WHERE id = ?1",
                    [user_id],
                )?;
                revoke_user_sessions(&tx, user_id, None)?;
                tx.execute(
                    "DELETE FROM mfa_remembered_devices WHERE user_id = ?1",
                    [user_id],
                )?;
                // A challenge issued before the reset was earned with the old password.
                tx.execute(
                    "UPDATE mfa_tokens SET used = 1 WHERE user_id = ?1",
                    [user_id],
                )?;
            }
            TokenPurpose::Activation => {
                tx.execute("UPDATE users SET activated = 1 WHERE id = ?1", [user_id])?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// After sign-up: names the new tenant after the company, applies the profile fields
    /// sign-up carries and, unless `activated`, marks the account as awaiting activation,
    /// together, so the account is complete or unchanged.
    pub fn finish_sign_up(
        &self,
        user_id: &str,
        tenant_id: &str,
        company_name: &str,
        profile: &ProfileUpdate,
        activated: bool,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE tenants SET name = ?2 WHERE id = ?1",
            params![tenant_id, company_name],
        )?;
        tx.execute(
            "UPDATE users SET activated = ?2 WHERE id = ?1",
            params![user_id, activated],
        )?;
        apply_profile_update(&tx, user_id, profile)?;
        tx.commit()
    }

    /// Applies a profile change in one transaction.
    pub fn update_profile(&self, user_id: &str, update: &ProfileUpdate) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        apply_profile_update(&tx, user_id, update)?;
        tx.commit()
    }

    /// The tenants of a user, in the order joined.
    pub fn user_tenants(&self, user_id: &str) -> rusqlite::Result<Vec<TenantRecord>> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT t.id, t.name, t.created_at FROM user_tenants m JOIN tenants t ON t.id = m.tenant_id
             WHERE m.user_id = ?1 ORDER BY m.rowid",
        )?;
        let rows = statement.query_map([user_id], |row| {
            Ok(TenantRecord {
                id: row.get(0)?,
                name: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?;
        rows.collect()
    }

    /// Moves a live session of `user_id` to another of the user's tenants; the next refresh and
    /// every token issued after carry it. False if the user is not a member (nothing changed).
    pub fn switch_session_tenant(
        &self,
        session_id: &str,
        user_id: &str,
        tenant_id: &str,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let member = tx
            .query_row(
                "SELECT 1 FROM user_tenants WHERE user_id = ?1 AND tenant_id = ?2",
                params![user_id, tenant_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if member {
            tx.execute(
                "UPDATE sessions SET tenant_id = ?3 WHERE id = ?1 AND user_id = ?2",
                params![session_id, user_id, tenant_id],
            )?;
            tx.commit()?;
        }
        Ok(member)
    }

    /// The user's sessions that can still be refreshed (not revoked, a live refresh token),
    /// oldest first.
    pub fn active_sessions(&self, user_id: &str, now: i64) -> rusqlite::Result<Vec<SessionRecord>> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT s.id, s.user_agent, s.ip_address, s.created_at, s.last_seen, MAX(r.expires_at)
             FROM sessions s
             JOIN refresh_tokens r
               ON r.session_id = s.id AND r.used = 0 AND r.revoked = 0 AND r.expires_at > ?2
             WHERE s.user_id = ?1 AND s.revoked = 0
             GROUP BY s.id
             ORDER BY s.created_at, s.rowid",
        )?;
        let rows = statement.query_map(params![user_id, now], |row| {
            Ok(SessionRecord {
                id: row.get(0)?,
                client: SessionClient {
                    user_agent: row.get(1)?,
                    ip_address: row.get(2)?,
                },
                created_at: row.get(3)?,
                last_seen: row.get(4)?,
                expires_at: row.get(5)?,
            })
        })?;
        rows.collect()
    }

    /// Revokes one live session of `user_id` and its refresh tokens. False if there is no such
    /// live session of this user (someone else's ids look exactly like unknown ones).
    pub fn revoke_user_session(&self, user_id: &str, session_id: &str) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owned = tx
            .query_row(
                "SELECT 1 FROM sessions WHERE id = ?1 AND user_id = ?2 AND revoked = 0",
                params![session_id, user_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if owned {
            revoke_session(&tx, session_id)?;
            tx.commit()?;
        }
        Ok(owned)
    }

    /// Revokes every live session of `user_id` except `keep`. Returns how many were revoked.
    pub fn revoke_other_sessions(&self, user_id: &str, keep: &str) -> rusqlite::Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let revoked = revoke_user_sessions(&tx, user_id, Some(keep))?;
        tx.commit()?;
        Ok(revoked)
    }

    /// Stores an API-token credential (the secret only as its SHA-256). A tenant that does not
    /// exist yet is created, named after its id, as developer-created users' tenants are.
    pub fn create_api_credential(
        &self,
        credential: &ApiCredential,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?1, ?1, ?2)",
            params![credential.tenant_id, now],
        )?;
        tx.execute(
            "INSERT INTO api_tokens (client_id, secret_hash, tenant_id, user_id, roles,
                                     permissions, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                credential.client_id,
                &secret_hash[..],
                credential.tenant_id,
                credential.user_id,
                list_to_json(&credential.roles)?,
                list_to_json(&credential.permissions)?,
                now
            ],
        )?;
        tx.commit()
    }

    /// The credential with this client id and secret hash, if both match.
    pub fn api_credential(
        &self,
        client_id: &str,
        secret_hash: &[u8; 32],
    ) -> rusqlite::Result<Option<ApiCredential>> {
        let conn = self.conn();
        load_api_credential(
            &conn,
            "WHERE client_id = ?1 AND secret_hash = ?2",
            params![client_id, &secret_hash[..]],
        )
    }

    /// Starts a refresh-token family for an API-token login.
    pub fn start_api_family(
        &self,
        client_id: &str,
        refresh: NewRefreshToken,
        now: i64,
    ) -> rusqlite::Result<()> {
        insert_api_refresh(&self.conn(), client_id, &super::new_id(), refresh, now)
    }

    /// Exchanges an API refresh token for the next one of its family, atomically; presenting an
    /// already-rotated token revokes the whole family, as user refresh tokens do.
    pub fn rotate_api_refresh_token(
        &self,
        presented: &[u8; 32],
        next: NewRefreshToken,
        now: i64,
    ) -> rusqlite::Result<ApiRotation> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = tx
            .query_row(
                "SELECT client_id, family, expires_at, used, revoked FROM api_refresh_tokens
                 WHERE hash = ?1",
                [&presented[..]],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, bool>(3)?,
                        row.get::<_, bool>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((client_id, family, expires_at, used, revoked)) = found else {
            return Ok(ApiRotation::Invalid);
        };
        if revoked {
            return Ok(ApiRotation::Invalid);
        }
        if used {
            tx.execute(
                "UPDATE api_refresh_tokens SET revoked = 1 WHERE family = ?1",
                [&family],
            )?;
            tx.commit()?;
            return Ok(ApiRotation::Reused);
        }
        if expires_at <= now {
            return Ok(ApiRotation::Invalid);
        }
        let Some(credential) =
            load_api_credential(&tx, "WHERE client_id = ?1", params![client_id])?
        else {
            return Ok(ApiRotation::Invalid);
        };
        if let Some(user_id) = &credential.user_id {
            match standing(&tx, user_id)? {
                Standing::Active => {}
                Standing::Gone => return Ok(ApiRotation::Invalid),
                refused => return Ok(ApiRotation::Refused(refused)),
            }
        }
        tx.execute(
            "UPDATE api_refresh_tokens SET used = 1 WHERE hash = ?1",
            [&presented[..]],
        )?;
        insert_api_refresh(&tx, &client_id, &family, next, now)?;
        tx.commit()?;
        Ok(ApiRotation::Rotated(credential))
    }
}

fn apply_profile_update(
    conn: &Connection,
    user_id: &str,
    update: &ProfileUpdate,
) -> rusqlite::Result<()> {
    if let Some(name) = &update.name {
        conn.execute(
            "UPDATE users SET name = ?2 WHERE id = ?1",
            params![user_id, name],
        )?;
    }
    if let Some(phone_number) = &update.phone_number {
        // Another number is unverified until its own code comes back; the same one stays as
        // it was (SQLite evaluates every SET expression on the old row).
        conn.execute(
            "UPDATE users SET phone_number = ?2,
                              phone_verified = phone_verified AND phone_number IS ?2
             WHERE id = ?1",
            params![user_id, phone_number],
        )?;
    }
    if let Some(url) = &update.profile_picture_url {
        conn.execute(
            "UPDATE users SET profile_picture_url = ?2 WHERE id = ?1",
            params![user_id, url],
        )?;
    }
    if let Some(metadata) = &update.metadata {
        conn.execute(
            "UPDATE users SET metadata = ?2 WHERE id = ?1",
            params![user_id, metadata],
        )?;
    }
    Ok(())
}

fn load_api_credential(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Option<ApiCredential>> {
    let row = conn
        .query_row(
            &format!(
                "SELECT client_id, tenant_id, user_id, roles, permissions FROM api_tokens {filter}"
            ),
            params,
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((client_id, tenant_id, user_id, roles, permissions)) = row else {
        return Ok(None);
    };
    Ok(Some(ApiCredential {
        client_id,
        tenant_id,
        user_id,
        roles: list_from_json(&roles)?,
        permissions: list_from_json(&permissions)?,
    }))
}

fn insert_api_refresh(
    conn: &Connection,
    client_id: &str,
    family: &str,
    token: NewRefreshToken,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO api_refresh_tokens (hash, client_id, family, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![&token.hash[..], client_id, family, now, token.expires_at],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Storage;
    use crate::store::{CreateUser, NewUser};

    fn store_with_user() -> (Store, String) {
        let store = Store::open(&Storage::Memory).unwrap();
        let user = NewUser {
            email: "a@x.io".to_owned(),
            name: "A".to_owned(),
            password_hash: Some("old".to_owned()),
            phone_number: None,
            totp_secret: None,
            roles: vec![],
            permissions: vec![],
            tenant_ids: vec!["t1".to_owned(), "t2".to_owned()],
        };
        let CreateUser::Created(u) = store.create_user(&user, 1).unwrap() else {
            panic!("not created")
        };
        (store, u.id)
    }

    fn token(byte: u8, expires_at: i64) -> NewRefreshToken {
        NewRefreshToken {
            hash: [byte; 32],
            expires_at,
        }
    }

    #[test]
    fn older_databases_gain_the_added_columns() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id TEXT PRIMARY KEY);
             CREATE TABLE sessions (id TEXT PRIMARY KEY);
             CREATE TABLE refresh_tokens (hash BLOB PRIMARY KEY);",
        )
        .unwrap();
        add_missing_columns(&conn).unwrap();
        add_missing_columns(&conn).unwrap();
        conn.execute("INSERT INTO users (id) VALUES ('u')", [])
            .unwrap();
        let (metadata, locked): (String, bool) = conn
            .query_row("SELECT metadata, locked FROM users", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!((metadata.as_str(), locked), ("{}", false));
    }

    #[test]
    fn lockout_counts_consecutive_failures_and_reset_unlocks() {
        let (store, id) = store_with_user();
        store.record_failed_login(&id, 2).unwrap();
        store.clear_failed_logins(&id).unwrap();
        store.record_failed_login(&id, 2).unwrap();
        assert!(!store.account_state(&id).unwrap().unwrap().locked);
        store.record_failed_login(&id, 2).unwrap();
        assert!(store.account_state(&id).unwrap().unwrap().locked);

        let purpose = TokenPurpose::PasswordReset;
        store
            .insert_user_token(purpose, &[1; 32], &id, 100, 10)
            .unwrap();
        store
            .insert_user_token(purpose, &[2; 32], &id, 100, 10)
            .unwrap();
        assert!(!store
            .redeem_user_token(TokenPurpose::Activation, &id, &[1; 32], None, 20)
            .unwrap());
        assert!(!store
            .redeem_user_token(purpose, &id, &[1; 32], Some("new"), 100)
            .unwrap());
        assert!(store
            .redeem_user_token(purpose, &id, &[1; 32], Some("new"), 20)
            .unwrap());
        assert!(!store.account_state(&id).unwrap().unwrap().locked);
        assert_eq!(store.password_hash(&id).unwrap().as_deref(), Some("new"));
        // Single use, and the older link of the same user is spent too.
        assert!(!store
            .redeem_user_token(purpose, &id, &[1; 32], None, 20)
            .unwrap());
        assert!(!store
            .redeem_user_token(purpose, &id, &[2; 32], None, 20)
            .unwrap());
    }

    #[test]
    fn api_refresh_tokens_rotate_once_and_reuse_revokes_the_family() {
        let (store, _) = store_with_user();
        let credential = ApiCredential {
            client_id: "c".to_owned(),
            tenant_id: "t1".to_owned(),
            user_id: None,
            roles: vec!["R".to_owned()],
            permissions: vec![],
        };
        store
            .create_api_credential(&credential, &[9; 32], 1)
            .unwrap();
        assert_eq!(store.api_credential("c", &[8; 32]).unwrap(), None);
        assert_eq!(
            store.api_credential("c", &[9; 32]).unwrap(),
            Some(credential.clone())
        );
        store.start_api_family("c", token(1, 100), 10).unwrap();
        assert_eq!(
            store
                .rotate_api_refresh_token(&[1; 32], token(2, 200), 20)
                .unwrap(),
            ApiRotation::Rotated(credential)
        );
        assert_eq!(
            store
                .rotate_api_refresh_token(&[1; 32], token(3, 200), 30)
                .unwrap(),
            ApiRotation::Reused
        );
        assert_eq!(
            store
                .rotate_api_refresh_token(&[2; 32], token(4, 200), 30)
                .unwrap(),
            ApiRotation::Invalid
        );
    }

    #[test]
    fn standing_follows_lock_activation_and_deletion_and_rotations_obey_it() {
        use crate::store::Rotation;

        let (store, id) = store_with_user();
        let client = SessionClient::default();
        store
            .start_session(&id, "t1", None, token(1, 1000), &client, 10)
            .unwrap();
        let credential = ApiCredential {
            client_id: "c".to_owned(),
            tenant_id: "t1".to_owned(),
            user_id: Some(id.clone()),
            roles: vec![],
            permissions: vec![],
        };
        store
            .create_api_credential(&credential, &[9; 32], 1)
            .unwrap();
        store.start_api_family("c", token(2, 1000), 10).unwrap();
        assert_eq!(store.standing(&id).unwrap(), Standing::Active);

        store
            .finish_sign_up(&id, "t1", "Co", &ProfileUpdate::default(), false)
            .unwrap();
        assert_eq!(store.standing(&id).unwrap(), Standing::Unactivated);
        let refused = Rotation::Refused(Standing::Unactivated);
        for _ in 0..2 {
            // Refused without being spent: the same token is refused again, not a replay.
            let rotation = store.rotate_refresh_token(&[1; 32], None, token(3, 1000), 20, 0);
            assert_eq!(rotation.unwrap(), refused);
        }
        store
            .insert_user_token(TokenPurpose::Activation, &[7; 32], &id, 100, 10)
            .unwrap();
        assert!(store
            .redeem_user_token(TokenPurpose::Activation, &id, &[7; 32], None, 20)
            .unwrap());
        assert_eq!(store.standing(&id).unwrap(), Standing::Active);

        store.record_failed_login(&id, 1).unwrap();
        assert_eq!(store.standing(&id).unwrap(), Standing::Locked);
        let rotation = store.rotate_refresh_token(&[1; 32], None, token(3, 1000), 20, 0);
        assert_eq!(rotation.unwrap(), Rotation::Refused(Standing::Locked));
        let rotation = store.rotate_api_refresh_token(&[2; 32], token(4, 1000), 20);
        assert_eq!(rotation.unwrap(), ApiRotation::Refused(Standing::Locked));

        store
            .conn()
            .execute("DELETE FROM users WHERE id = ?1", [&id])
            .unwrap();
        assert_eq!(store.standing(&id).unwrap(), Standing::Gone);
        let rotation = store.rotate_refresh_token(&[1; 32], None, token(3, 1000), 20, 0);
        assert_eq!(rotation.unwrap(), Rotation::Invalid);
    }

    #[test]
    fn a_reset_revokes_every_session_and_remembered_device_a_change_all_but_one() {
        use crate::store::Rotation;

        let (store, id) = store_with_user();
        let client = SessionClient::default();
        let kept = store
            .start_session(&id, "t1", None, token(1, 1000), &client, 10)
            .unwrap()
            .unwrap();
        store
            .start_session(&id, "t1", None, token(2, 1000), &client, 10)
            .unwrap();
        let stale = store.change_password(&id, Some("not the hash"), "changed", &kept);
        assert!(
            !stale.unwrap(),
            "checked against a password no longer the user's"
        );
        let hash = store.password_hash(&id).unwrap();
        assert!(store
            .change_password(&id, hash.as_deref(), "changed", &kept)
            .unwrap());
        assert_eq!(
            store.password_hash(&id).unwrap().as_deref(),
            Some("changed")
        );
        let other = store.rotate_refresh_token(&[2; 32], None, token(3, 1000), 20, 0);
        assert_eq!(other.unwrap(), Rotation::Invalid);
        let current = store.rotate_refresh_token(&[1; 32], None, token(4, 1000), 20, 0);
        assert!(matches!(current.unwrap(), Rotation::Rotated(s) if s.id == kept));

        store.remember_device(&[6; 32], &id, 1000, 10).unwrap();
        store.insert_mfa_token(&[8; 32], &id, 1000, 10).unwrap();
        store
            .insert_user_token(TokenPurpose::PasswordReset, &[7; 32], &id, 100, 10)
            .unwrap();
        assert!(store
            .redeem_user_token(TokenPurpose::PasswordReset, &id, &[7; 32], Some("new"), 20)
            .unwrap());
        let current = store.rotate_refresh_token(&[4; 32], None, token(5, 1000), 30, 0);
        assert_eq!(current.unwrap(), Rotation::Invalid);
        assert!(!store.device_remembered(&[6; 32], &id, 30).unwrap());
        assert_eq!(
            store.mfa_token_user(&[8; 32], 30).unwrap(),
            None,
            "challenge spent"
        );
        // The session the reset ended can't set a password after it, even with the new one.
        let hash = store.password_hash(&id).unwrap();
        assert!(!store
            .change_password(&id, hash.as_deref(), "undo", &kept)
            .unwrap());
    }
}
