//! The `demo` seed of EMULATOR.md, loaded into an empty database.

use crate::config::SeedMode;
use crate::password;
use crate::store::{ApiCredential, NewUser, Store};
use crate::tokens;
use crate::BoxError;

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "Demo-pass-123!";

/// TOTP secret of `mfa@example.com`.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// Client id of the demo tenant API token (tenant `tenant-acme`, role `Admin`), for
/// `POST /identity/resources/auth/v2/api-token` with [`DEMO_API_SECRET`].
pub const DEMO_API_CLIENT_ID: &str = "5f0e7d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f";

/// Secret of the demo tenant API token.
pub const DEMO_API_SECRET: &str = "demo-api-secret-3f9a6c2e8b7d4105";

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
    let api_token = ApiCredential {
        client_id: DEMO_API_CLIENT_ID.to_owned(),
        tenant_id: "tenant-acme".to_owned(),
        user_id: None,
        roles: strings(&["Admin"]),
        permissions: strings(&["fe.secure.read.*"]),
    };
    store.create_api_credential(&api_token, &tokens::hash_token(DEMO_API_SECRET), now)?;
    Ok(())
}
