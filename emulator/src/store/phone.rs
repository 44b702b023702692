//! Phone numbers as sign-in identifiers: a user's profile number identifies them for SMS
//! sign-in only once verified by a code sent to it, and a verified number belongs to one user.
//!
//! A number given at sign-up or in a profile edit is stored unverified; it is shown in the
//! profile but sends no SMS code and names nobody. The unique index below holds the second rule
//! even against races: two accounts can claim one number, only one can verify it.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::Store;

/// Created after [`super::account::add_missing_columns`], since older databases gain the
/// `phone_verified` column there.
pub(super) const INDEXES: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS users_by_verified_phone ON users(phone_number)
    WHERE phone_verified = 1;
";

/// Result of [`Store::verify_phone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneVerification {
    /// The number is now the user's verified number.
    Verified,
    /// The user's number is no longer the one the code was sent to.
    Replaced,
    /// Another user verified this number first.
    Taken,
}

/// Whether a user other than `user_id` has verified `phone_number`.
pub(super) fn phone_taken(
    conn: &Connection,
    phone_number: &str,
    user_id: Option<&str>,
) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users
             WHERE phone_number = ?1 AND phone_verified = 1 AND (?2 IS NULL OR id != ?2)",
            params![phone_number, user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

impl Store {
    /// Whether a user other than `user_id` (any user, with `None`) has verified this number: a
    /// claim on it is refused rather than silently shared.
    pub fn phone_taken(&self, phone_number: &str, user_id: Option<&str>) -> rusqlite::Result<bool> {
        phone_taken(&self.conn(), phone_number, user_id)
    }

    /// The user whose verified number this is, if any.
    pub fn user_id_by_phone(&self, phone_number: &str) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT id FROM users WHERE phone_number = ?1 AND phone_verified = 1",
                [phone_number],
                |row| row.get(0),
            )
            .optional()
    }

    /// The user's number if it is verified: the only one SMS sign-in codes go to.
    pub fn verified_phone(&self, user_id: &str) -> rusqlite::Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT phone_number FROM users WHERE id = ?1 AND phone_verified = 1",
                [user_id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Marks `phone_number` verified for `user_id` if it is still the user's number, in one
    /// transaction with the check that nobody else verified it.
    pub fn verify_phone(
        &self,
        user_id: &str,
        phone_number: &str,
    ) -> rusqlite::Result<PhoneVerification> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if phone_taken(&tx, phone_number, Some(user_id))? {
            return Ok(PhoneVerification::Taken);
        }
        let updated = tx.execute(
            "UPDATE users SET phone_verified = 1 WHERE id = ?1 AND phone_number = ?2",
            params![user_id, phone_number],
        )?;
        tx.commit()?;
        Ok(if updated == 1 {
            PhoneVerification::Verified
        } else {
            PhoneVerification::Replaced
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Storage;
    use crate::store::{CreateUser, NewUser, ProfileUpdate};

    fn create(store: &Store, email: &str, phone_number: Option<&str>) -> CreateUser {
        let user = NewUser {
            email: email.into(),
            name: "A".into(),
            password_hash: None,
            phone_number: phone_number.map(Into::into),
            totp_secret: None,
            roles: vec![],
            permissions: vec![],
            tenant_ids: vec!["t1".into()],
        };
        store.create_user(&user, 0).unwrap()
    }

    fn user(store: &Store, email: &str) -> String {
        let CreateUser::Created(user) = create(store, email, None) else {
            panic!("created");
        };
        user.id
    }

    fn set_phone(store: &Store, user_id: &str, phone_number: Option<&str>) {
        let update = ProfileUpdate {
            phone_number: Some(phone_number.map(Into::into)),
            ..ProfileUpdate::default()
        };
        store.update_profile(user_id, &update).unwrap();
    }

    #[test]
    fn a_number_identifies_its_user_only_once_verified() {
        let store = Store::open(&Storage::Memory).unwrap();
        let a = user(&store, "a@x.io");
        set_phone(&store, &a, Some("+15550001"));
        assert_eq!(store.user_id_by_phone("+15550001").unwrap(), None);
        assert_eq!(store.verified_phone(&a).unwrap(), None);

        let verified = store.verify_phone(&a, "+15550001").unwrap();
        assert_eq!(verified, PhoneVerification::Verified);
        assert_eq!(
            store.user_id_by_phone("+15550001").unwrap(),
            Some(a.clone())
        );
        set_phone(&store, &a, Some("+15550001"));
        assert_eq!(
            store.verified_phone(&a).unwrap().as_deref(),
            Some("+15550001"),
            "the same number stays verified"
        );

        set_phone(&store, &a, Some("+15550002"));
        assert_eq!(store.user_id_by_phone("+15550001").unwrap(), None);
        assert_eq!(store.user_id_by_phone("+15550002").unwrap(), None);
        let stale = store.verify_phone(&a, "+15550001").unwrap();
        assert_eq!(
            stale,
            PhoneVerification::Replaced,
            "no longer the user's number"
        );
        set_phone(&store, &a, None);
        set_phone(&store, &a, Some("+15550001"));
        assert_eq!(
            store.verified_phone(&a).unwrap(),
            None,
            "back, but unverified"
        );
    }

    #[test]
    fn a_verified_number_belongs_to_one_user() {
        let store = Store::open(&Storage::Memory).unwrap();
        let CreateUser::Created(owner) = create(&store, "a@x.io", Some("+15550001")) else {
            panic!("created");
        };
        assert_eq!(
            store.user_id_by_phone("+15550001").unwrap(),
            Some(owner.id.clone()),
            "developer-created numbers are verified"
        );
        assert!(matches!(
            create(&store, "b@x.io", Some("+15550001")),
            CreateUser::PhoneTaken
        ));
        assert!(store.phone_taken("+15550001", None).unwrap());
        assert!(!store.phone_taken("+15550001", Some(&owner.id)).unwrap());

        // An unverified claim can be stored (sign-up races the check) but never verified.
        let b = user(&store, "b@x.io");
        set_phone(&store, &b, Some("+15550001"));
        let taken = store.verify_phone(&b, "+15550001").unwrap();
        assert_eq!(taken, PhoneVerification::Taken);
        assert_eq!(store.user_id_by_phone("+15550001").unwrap(), Some(owner.id));
    }
}
