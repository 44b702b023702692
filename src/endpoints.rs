//! The identity API endpoints the SDK calls: paths, request bodies and response types, as in
//! `spec/identity-api.lap` and the official client.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST` password login.
pub const LOGIN: &str = "/identity/resources/auth/v1/user";
/// `POST` refresh through the refresh cookie.
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
/// `POST` end the session of the refresh cookie.
pub const LOGOUT: &str = "/identity/resources/auth/v1/logout";
/// `GET` the signed-in user's profile.
pub const ME: &str = "/identity/resources/users/v2/me";

/// Prefix of the authentication routes (login steps).
pub const AUTH_V1: &str = "/identity/resources/auth/v1";
/// Prefix of the signed-in user's routes.
pub const USERS_V1: &str = "/identity/resources/users/v1";

/// Body of the MFA steps during login; fields left out are not sent.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MfaStep {
    pub mfa_token: String,
    /// The TOTP code, as `mfa/verify` names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The TOTP code, as enrollment names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// An SMS or email code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remember_device: Option<bool>,
}

/// `{ otcToken }` answers: a code was sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CodeSent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
    /// Where it went, masked, when the host says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// Authenticator-app enrollment: the QR code (a data URL) of the `otpauth://` URI.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrollment {
    pub qr_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Body of `mfa/recover`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MfaRecover {
    pub email: String,
    pub recovery_code: String,
}

/// Body of a passwordless `prelogin`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordlessStart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// Body of a passwordless `postlogin`: the link's token or the code, and the code's `otcToken`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordlessComplete {
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
}

/// Prefix of the machine-token routes.
pub const AUTH_V2: &str = "/identity/resources/auth/v2";

/// Body of `auth/v2/api-token`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenLogin {
    pub client_id: String,
    pub secret: String,
}

/// Body of `auth/v2/api-token/token/refresh`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenRefresh {
    pub refresh_token: String,
}

/// Body of [`LOGIN`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordLogin {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recaptcha_token: Option<String>,
}

/// Body of [`REFRESH`]: the tenant to refresh into; the token itself travels only in the cookie.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RefreshBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// What login-like endpoints answer: tokens, or the next step (MFA, password reset).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthResponse {
    pub mfa_required: bool,
    pub mfa_token: Option<String>,
    pub mfa_enrolled: Option<bool>,
    pub mfa_devices: Option<MfaDevices>,
    /// An array of strategy names in the official client; tolerated as anything.
    pub mfa_strategies: Option<Value>,
    // The API-token routes answer in snake_case (`access_token`, ...), the user routes in camelCase.
    #[serde(alias = "access_token")]
    pub access_token: Option<String>,
    #[serde(alias = "refresh_token")]
    pub refresh_token: Option<String>,
    #[serde(alias = "expires_in")]
    pub expires_in: Option<f64>,
    pub reset_password_token: Option<String>,
    pub recovery_code: Option<String>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
}

/// A user's MFA devices as the identity API lists them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct MfaDevices {
    pub authenticators: Vec<AuthenticatorDevice>,
    pub phones: Vec<PhoneDevice>,
    pub emails: Vec<EmailDevice>,
    pub webauthn: Vec<WebAuthnDevice>,
}

/// An authenticator app.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthenticatorDevice {
    pub id: String,
}

/// A phone that receives SMS codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneDevice {
    pub id: String,
    #[serde(default)]
    pub phone_number: String,
}

/// An email address that receives codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmailDevice {
    pub email: String,
}

/// A security key, platform authenticator or passkey, as MFA device lists and the WebAuthn
/// device routes answer (the lists leave the dates out).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnDevice {
    pub id: String,
    #[serde(default)]
    pub device_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    /// Shown once after an MFA enrollment from settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// A role or permission as `users/v2/me` lists it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Grant {
    pub id: String,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The signed-in user's profile (`GET users/v2/me`), the fields a UI needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub mfa_enrolled: bool,
    #[serde(default)]
    pub tenant_id: String,
    #[serde(default)]
    pub tenant_ids: Vec<String>,
    #[serde(default)]
    pub roles: Vec<Grant>,
    #[serde(default)]
    pub permissions: Vec<Grant>,
    /// Stringified JSON, as the API keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_body_omits_absent_fields() {
        let body = PasswordLogin {
            email: Some("a@b.c".into()),
            username: None,
            password: "pw".into(),
            invitation_token: None,
            recaptcha_token: None,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"email":"a@b.c","password":"pw"}"#
        );
        assert_eq!(
            serde_json::to_string(&RefreshBody::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn auth_response_tolerates_extra_and_missing_fields() {
        let r: AuthResponse = serde_json::from_str(
            r#"{"mfaRequired":true,"mfaToken":"t","mfaDevices":{"authenticators":[{"id":"d1"}]},"mfaStrategies":["AuthenticatorApp"],"somethingNew":1}"#,
        )
        .unwrap();
        assert!(r.mfa_required);
        assert_eq!(r.mfa_devices.unwrap().authenticators[0].id, "d1");
    }
}
