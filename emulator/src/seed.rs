//! The `demo` seed of EMULATOR.md, loaded into an empty database.

use crate::config::SeedMode;
use crate::password;
use crate::store::{NewUser, Store};
use crate::BoxError;

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "Demo-pass-123!";

/// TOTP secret of `mfa@example.com`.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Loads the chosen seed. Call only on an empty database.
pub async fn apply(store: &Store, mode: SeedMode, now: i64) -> Result<(), BoxError> {
    if mode == SeedMode::None {
        return Ok(());
    }
    store.upsert_tenant("tenant-acme", "Acme", now)?;
    store.upsert_tenant("tenant-globex", "Globex", now)?;
    let users = [
        NewUser {
            email: "demo@example.com".to_owned(),
            name: "Demo User".to_owned(),
            password_hash: None,
            phone_number: None,
            totp_secret: None,
            roles: strings(&["Admin"]),
            permissions: strings(&["fe.secure.read.*", "fe.account-settings.read.*"]),
            tenant_ids: strings(&["tenant-acme", "tenant-globex"]),
        },
        NewUser {
            email: "mfa@example.com".to_owned(),
            name: "MFA User".to_owned(),
            password_hash: None,
            phone_number: None,
            totp_secret: Some(DEMO_TOTP_SECRET.to_owned()),
            roles: strings(&["Admin"]),
            permissions: strings(&["fe.secure.read.*", "fe.account-settings.read.*"]),
            tenant_ids: strings(&["tenant-acme"]),
        },
    ];
    for mut user in users {
        // Each user gets its own salt; hashing is slow, so off the async runtime.
        let hash = tokio::task::spawn_blocking(|| password::hash(DEMO_PASSWORD))
            .await?
            .map_err(|e| format!("cannot hash the demo password: {e}"))?;
        user.password_hash = Some(hash);
        store.create_user(&user, now)?;
    }
    Ok(())
}
