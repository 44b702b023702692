//! The identity API endpoints the SDK calls: paths, request bodies and response types, as in
//! `spec/identity-api.lap` and the official client.

use crate::core::json::Value;
use crate::core::json::{FromJson, ToJson};
use crate::core::secret::Secret;

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
/// `GET ?mfaToken=`: whether a login waiting for MFA may offer "remember this device"
/// (`checkIfAllowToRememberMfaDevice` in the official client).
pub const ALLOW_REMEMBER_DEVICE: &str =
    "/identity/resources/configurations/v1/mfa-policy/allow-remember-device";

/// Body of the MFA steps during login; fields left out are not sent.
#[derive(Debug, Clone, Default, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct MfaStep {
    pub mfa_token: String,
    /// The TOTP code, as `mfa/verify` names it.
    #[json(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The TOTP code, as enrollment names it.
    #[json(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// An SMS or email code.
    #[json(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub remember_device: Option<bool>,
}

/// `{ otcToken }` answers: a code was sent.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct CodeSent {
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
    /// Where it went, masked, when the host says.
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// Authenticator-app enrollment: the QR code (a data URL) of the `otpauth://` URI.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct TotpEnrollment {
    pub qr_code: String,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Body of `mfa/recover`.
#[derive(Debug, Clone, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct MfaRecover {
    pub email: String,
    pub recovery_code: String,
}

/// Body of a passwordless `prelogin`.
#[derive(Debug, Clone, Default, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct PasswordlessStart {
    #[json(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// Body of a passwordless `postlogin`: the link's token or the code.
#[derive(Debug, Clone, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct PasswordlessComplete {
    pub token: String,
}

/// Prefix of the machine-token routes.
pub const AUTH_V2: &str = "/identity/resources/auth/v2";

/// Body of `auth/v2/api-token`.
#[derive(Debug, Clone, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct ApiTokenLogin {
    pub client_id: String,
    pub secret: Secret,
}

/// Body of `auth/v2/api-token/token/refresh`.
#[derive(Debug, Clone, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct ApiTokenRefresh {
    pub refresh_token: Secret,
}

/// Body of [`LOGIN`].
#[derive(Debug, Clone, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct PasswordLogin {
    #[json(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub password: Secret,
    #[json(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub recaptcha_token: Option<String>,
}

/// Body of [`REFRESH`]: the tenant to refresh into; the token itself travels only in the cookie.
/// `tenantId` is always sent, `null` unless a tenant is being switched to, as the official
/// client sends it (its tab tenant is `null` unless session-per-tenant is on): the host then
/// keeps the session's own tenant.
#[derive(Debug, Clone, Default, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct RefreshBody {
    pub tenant_id: Option<String>,
}

/// The answer of [`ALLOW_REMEMBER_DEVICE`], named as the official client types and reads it.
#[derive(Debug, Clone, Default, FromJson, PartialEq)]
#[json(rename_all = "camelCase", default)]
pub struct RememberPolicy {
    /// Whether "remember this device" may be offered.
    pub is_allowed_to_remember: Option<bool>,
    /// How long a remembered device skips MFA, in seconds.
    pub mfa_device_expiration: Option<f64>,
}

impl RememberPolicy {
    /// Whether "remember this device" may be offered, if the answer says.
    pub fn allowed(&self) -> Option<bool> {
        self.is_allowed_to_remember
    }
}

/// What login-like endpoints answer: tokens, or the next step (MFA, password reset).
#[derive(Debug, Clone, Default, FromJson, PartialEq)]
#[json(rename_all = "camelCase", default)]
pub struct AuthResponse {
    #[json(nullable)]
    pub mfa_required: bool,
    pub mfa_token: Option<String>,
    pub mfa_enrolled: Option<bool>,
    pub mfa_devices: Option<MfaDevices>,
    /// An array of strategy names in the official client; tolerated as anything.
    pub mfa_strategies: Option<Value>,
    // The API-token routes answer in snake_case (`access_token`, ...), the user routes in camelCase.
    #[json(alias = "access_token")]
    pub access_token: Option<Secret>,
    #[json(alias = "refresh_token")]
    pub refresh_token: Option<Secret>,
    #[json(alias = "expires_in")]
    pub expires_in: Option<f64>,
    pub reset_password_token: Option<String>,
    pub recovery_code: Option<String>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
}

/// A user's MFA devices as the identity API lists them.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase", default)]
pub struct MfaDevices {
    #[json(nullable)]
    pub authenticators: Vec<AuthenticatorDevice>,
    #[json(nullable)]
    pub phones: Vec<PhoneDevice>,
    #[json(nullable)]
    pub emails: Vec<EmailDevice>,
    #[json(nullable)]
    pub webauthn: Vec<WebAuthnDevice>,
}

/// An authenticator app.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
pub struct AuthenticatorDevice {
    pub id: String,
}

/// A phone that receives SMS codes.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct PhoneDevice {
    pub id: String,
    #[json(nullable)]
    pub phone_number: String,
}

/// An email address that receives codes.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
pub struct EmailDevice {
    pub email: String,
}

/// A security key, platform authenticator or passkey, as MFA device lists and the WebAuthn
/// device routes answer (the lists leave the dates out).
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct WebAuthnDevice {
    pub id: String,
    #[json(nullable)]
    pub device_type: String,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    /// Shown once after an MFA enrollment from settings.
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// A role or permission as `users/v2/me` lists it.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase", default)]
pub struct Grant {
    #[json(nullable)]
    pub id: String,
    #[json(nullable)]
    pub key: String,
    #[json(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The signed-in user's profile (`GET users/v2/me`), the fields a UI needs.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq)]
#[json(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub email: String,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[json(nullable)]
    pub verified: bool,
    #[json(nullable)]
    pub mfa_enrolled: bool,
    #[json(nullable)]
    pub tenant_id: String,
    #[json(nullable)]
    pub tenant_ids: Vec<String>,
    #[json(nullable)]
    pub roles: Vec<Grant>,
    #[json(nullable)]
    pub permissions: Vec<Grant>,
    /// Stringified JSON, as the API keeps it.
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
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
            crate::core::json::to_string(&body),
            r#"{"email":"a@b.c","password":"pw"}"#
        );
        assert_eq!(
            crate::core::json::to_string(&RefreshBody::default()),
            r#"{"tenantId":null}"#,
            "the official client sends the key, null"
        );
    }

    #[test]
    fn auth_response_tolerates_extra_and_missing_fields() {
        let r: AuthResponse = crate::core::json::from_str(
            r#"{"mfaRequired":true,"mfaToken":"t","mfaDevices":{"authenticators":[{"id":"d1"}]},"mfaStrategies":["AuthenticatorApp"],"somethingNew":1}"#,
        )
        .unwrap();
        assert!(r.mfa_required);
        assert_eq!(r.mfa_devices.unwrap().authenticators[0].id, "d1");
    }

    /// One answer type: a full answer, the fields that may not be `null`, and how the SDK reads
    /// it (a typed error, never a panic, when it can't).
    struct Case {
        name: &'static str,
        full: Value,
        required: &'static [&'static str],
        read: fn(&str) -> crate::core::error::Result<()>,
    }

    fn answer(body: &str) -> crate::core::http::HttpResponse {
        crate::core::http::HttpResponse {
            status: 200,
            body: body.into(),
            trace_id: None,
            set_cookies: vec![],
        }
    }

    /// Reads `body` as `T` the way every SDK call does.
    fn typed<T: FromJson>(body: &str) -> crate::core::error::Result<()> {
        crate::core::parse::<T>(&answer(body), crate::core::error::StatusMeaning::PUBLIC).map(drop)
    }

    fn cases() -> Vec<Case> {
        use crate::core::account::SignUpAnswer;
        use crate::core::json::json;
        use crate::core::self_service::{Authorization, RecoveryCode, Tenant, UserSession};
        use crate::core::session::tests::jwt;
        use crate::core::verify::Jwk;
        use crate::core::webauthn::{Challenge, DeviceList};
        let device = json!({ "id": "w", "deviceType": "Platform", "name": "n", "createdAt": "2026-01-01T00:00:00Z", "lastUsed": "2026-01-02T00:00:00Z", "recoveryCode": "R" });
        let grant = json!({ "id": "g", "key": "admin", "name": "Admin" });
        vec![
            Case {
                name: "CodeSent",
                full: json!({ "otcToken": "o", "phoneNumber": "+1" }),
                required: &[],
                read: typed::<CodeSent>,
            },
            Case {
                name: "TotpEnrollment",
                full: json!({ "qrCode": "data:", "secret": "S" }),
                required: &["qrCode"],
                read: typed::<TotpEnrollment>,
            },
            Case {
                name: "AuthResponse",
                full: json!({
                    "mfaRequired": false, "mfaToken": "m", "mfaEnrolled": true, "mfaDevices": {},
                    "mfaStrategies": ["SMS"], "accessToken": "a", "refreshToken": "r", "expiresIn": 300,
                    "resetPasswordToken": "p", "recoveryCode": "R", "userId": "u", "userEmail": "e"
                }),
                required: &[],
                read: typed::<AuthResponse>,
            },
            Case {
                name: "AuthResponse (API token, snake_case)",
                full: json!({ "access_token": "a", "refresh_token": "r", "expires_in": 300 }),
                required: &[],
                read: typed::<AuthResponse>,
            },
            Case {
                name: "MfaDevices",
                full: json!({ "authenticators": [{ "id": "a" }], "phones": [{ "id": "p", "phoneNumber": "+1" }], "emails": [{ "email": "e" }], "webauthn": [device.clone()] }),
                required: &[],
                read: typed::<MfaDevices>,
            },
            Case {
                name: "AuthenticatorDevice",
                full: json!({ "id": "a" }),
                required: &["id"],
                read: typed::<AuthenticatorDevice>,
            },
            Case {
                name: "PhoneDevice",
                full: json!({ "id": "p", "phoneNumber": "+1" }),
                required: &["id"],
                read: typed::<PhoneDevice>,
            },
            Case {
                name: "EmailDevice",
                full: json!({ "email": "e" }),
                required: &["email"],
                read: typed::<EmailDevice>,
            },
            Case {
                name: "WebAuthnDevice",
                full: device.clone(),
                required: &["id"],
                read: typed::<WebAuthnDevice>,
            },
            Case {
                name: "Grant",
                full: grant.clone(),
                required: &[],
                read: typed::<Grant>,
            },
            Case {
                name: "Profile",
                full: json!({
                    "id": "u", "email": "e", "name": "N", "profilePictureUrl": "https://p", "phoneNumber": "+1",
                    "verified": true, "mfaEnrolled": false, "tenantId": "t", "tenantIds": ["t"],
                    "roles": [grant.clone()], "permissions": [grant.clone()], "metadata": "{}",
                    "createdAt": "2026-01-01T00:00:00Z", "lastLogin": "2026-01-01T00:00:00Z"
                }),
                required: &["id", "email"],
                read: typed::<Profile>,
            },
            Case {
                name: "RememberPolicy",
                full: json!({ "isAllowedToRemember": true, "mfaDeviceExpiration": 86400 }),
                required: &[],
                read: typed::<RememberPolicy>,
            },
            Case {
                name: "UserSession",
                full: json!({ "id": "s", "userAgent": "ua", "ipAddress": "::1", "createdAt": "c", "lastActiveAt": "l", "expires": "x", "current": true }),
                required: &["id"],
                read: typed::<Vec<UserSession>>,
            },
            Case {
                name: "Tenant",
                full: json!({ "tenantId": "t", "name": "T", "createdAt": "c" }),
                required: &[],
                read: typed::<Tenant>,
            },
            Case {
                name: "tenants answer",
                full: json!({ "tenants": [{ "tenantId": "t", "name": null, "createdAt": null }], "activeTenant": { "tenantId": "t" } }),
                required: &[],
                read: |t| {
                    crate::core::AuthCore::read_tenants(t)
                        .map(drop)
                        .ok_or_else(|| {
                            crate::core::error::Error::bad_response(200, None, "tenants")
                        })
                },
            },
            Case {
                name: "Authorization",
                full: json!({ "roles": [grant.clone()], "permissions": [grant] }),
                required: &[],
                read: typed::<Authorization>,
            },
            Case {
                name: "RecoveryCode",
                full: json!({ "recoveryCode": "R" }),
                required: &[],
                read: typed::<RecoveryCode>,
            },
            Case {
                name: "SignUpAnswer",
                full: json!({ "shouldActivate": false, "authResponse": { "accessToken": "a" }, "userId": "u" }),
                required: &[],
                read: typed::<SignUpAnswer>,
            },
            Case {
                name: "Challenge",
                full: json!({ "webauthnToken": "w", "options": {} }),
                required: &[],
                read: typed::<Challenge>,
            },
            Case {
                name: "DeviceList",
                full: json!({ "devices": [device] }),
                required: &[],
                read: typed::<DeviceList>,
            },
            Case {
                name: "registration answer",
                full: json!({ "id": "w", "deviceType": "Platform", "name": "n", "createdAt": "c", "lastUsed": "l", "recoveryCode": "R" }),
                required: &[],
                read: |t| {
                    crate::core::webauthn::registered_device(&answer(t), WebAuthnDevice::default())
                        .map(drop)
                },
            },
            Case {
                name: "access-token claims (User)",
                full: json!({
                    "sub": "u", "email": "e", "name": "N", "tenantId": "t", "tenantIds": ["t"], "roles": ["r"],
                    "permissions": ["p"], "profilePictureUrl": "https://p", "exp": 4000000000u64, "sid": "s"
                }),
                required: &["sub"],
                read: |t| {
                    let claims: Value = crate::core::json::from_str(t).unwrap();
                    crate::core::session::session_from_token(
                        jwt(claims).into(),
                        Some(60.0),
                        None,
                        0.0,
                    )
                    .map(drop)
                },
            },
            Case {
                name: "Jwk",
                full: json!({ "kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB" }),
                required: &["kty", "n", "e"],
                read: typed::<Jwk>,
            },
            Case {
                name: "JWKS",
                full: json!({ "keys": [{ "kty": "RSA", "kid": null, "n": "AQAB", "e": "AQAB" }] }),
                required: &[],
                read: |t| crate::core::verify::parse_jwks(t).map(drop),
            },
        ]
    }

    /// The hosted service sends `null` for absent values: every optional field of every answer
    /// the SDK reads must accept it, alone and all at once; a required field that is `null` is
    /// a typed `server` error.
    #[test]
    fn explicit_null_in_any_answer_field() {
        for case in cases() {
            let name = case.name;
            // Lists are read element-wise; the table gives their element.
            let wrap = |v: &Value| match name {
                "UserSession" => Value::Array(vec![v.clone()]),
                _ => v.clone(),
            };
            let Value::Object(full) = &case.full else {
                panic!("{name}: the full answer must be an object")
            };
            for key in case.required {
                assert!(
                    full.contains_key(*key),
                    "{name}: `{key}` is not in the answer"
                );
            }
            (case.read)(&wrap(&case.full).to_string())
                .unwrap_or_else(|e| panic!("{name}: the full answer doesn't parse: {e}"));
            let mut all_null = full.clone();
            for key in full.keys() {
                let mut one = full.clone();
                one.insert(key.clone(), Value::Null);
                let text = wrap(&Value::Object(one)).to_string();
                let read = (case.read)(&text);
                if case.required.contains(&key.as_str()) {
                    let err = read.expect_err(&format!("{name}: `{key}: null` must fail"));
                    assert_eq!(
                        err.code,
                        crate::core::error::ErrorCode::Server,
                        "{name}: `{key}`"
                    );
                } else {
                    read.unwrap_or_else(|e| panic!("{name}: `{key}: null` fails: {e}"));
                    all_null.insert(key.clone(), Value::Null);
                }
            }
            (case.read)(&wrap(&Value::Object(all_null)).to_string())
                .unwrap_or_else(|e| panic!("{name}: every optional field null fails: {e}"));
        }
    }

    #[test]
    fn nulls_mean_absent_in_login_answers_and_error_bodies() {
        use crate::core::config::{Mode, Options};
        use crate::core::error::{Error, ErrorCode, StatusMeaning};
        use crate::core::flows::LoginResult;
        use crate::core::json::json;
        use crate::core::AuthCore;
        let mut c = AuthCore::new(
            Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap(),
            Mode::Browser,
        );
        let challenge = json!({
            "mfaRequired": true, "mfaToken": "m", "mfaEnrolled": null, "accessToken": null,
            "refreshToken": null, "expiresIn": null, "resetPasswordToken": null, "recoveryCode": null,
            "mfaStrategies": null, "userEmail": null,
            "mfaDevices": { "authenticators": null, "phones": [{ "id": "p", "phoneNumber": null }], "emails": null, "webauthn": null }
        });
        let LoginResult::MfaRequired { mfa } =
            c.handle_login(answer(&challenge.to_string()), 0.0).unwrap()
        else {
            panic!("expected MFA")
        };
        assert_eq!(mfa.devices.phones[0].phone_number, "");
        assert!(mfa.devices.authenticators.is_empty() && mfa.strategies.is_empty());
        let token = crate::core::session::tests::jwt(
            json!({ "sub": "u", "email": null, "tenantIds": null, "roles": null, "name": null }),
        );
        let tokens = json!({ "accessToken": token, "refreshToken": null, "expiresIn": 300, "mfaRequired": null, "mfaToken": null, "recoveryCode": null });
        let LoginResult::Authenticated {
            session,
            recovery_code,
        } = c.handle_login(answer(&tokens.to_string()), 0.0).unwrap()
        else {
            panic!("expected a session")
        };
        assert_eq!(
            (
                session.user.id.as_str(),
                session.user.email.as_str(),
                recovery_code
            ),
            ("u", "", None)
        );
        // An error body with `errors: null` keeps its errorCode.
        let e = Error::from_status(
            400,
            r#"{"errors":null,"errorCode":"ER-1"}"#,
            None,
            StatusMeaning::MFA,
        );
        assert_eq!(
            (e.code, e.error_code.as_deref()),
            (ErrorCode::InvalidCode, Some("ER-1"))
        );
    }
}
