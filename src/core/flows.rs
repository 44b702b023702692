//! The login state machine's vocabulary: what a login-like response means for the app.

use crate::core::json::ToJson;
use crate::core::json::Value;

use crate::core::endpoints::{AuthResponse, MfaDevices};
use crate::core::error::{Error, ErrorCode, Result};
use crate::core::secret::Secret;
use crate::core::session::Session;

/// The result of every login-like call, tagged by `status` for JS.
#[derive(Debug, Clone, ToJson, PartialEq)]
#[json(tag = "status", rename_all = "snake_case")]
pub enum LoginResult {
    /// Signed in.
    Authenticated {
        session: Session,
        /// Shown once after enrolling MFA; the user must keep it.
        #[json(rename = "recoveryCode", skip_serializing_if = "Option::is_none")]
        recovery_code: Option<String>,
    },
    /// A second factor is needed.
    MfaRequired { mfa: MfaChallenge },
    /// Policy forces MFA and the user has none yet.
    MfaEnrollmentRequired { mfa: MfaChallenge },
    /// The password must be changed before signing in.
    PasswordExpired {
        #[json(rename = "resetPasswordToken")]
        reset_password_token: String,
    },
}

/// What the app needs to run the MFA step.
#[derive(Debug, Clone, ToJson, PartialEq)]
#[json(rename_all = "camelCase")]
pub struct MfaChallenge {
    /// Proof of the first factor, passed to the MFA calls.
    pub mfa_token: String,
    /// The user's enrolled devices.
    pub devices: MfaDevices,
    /// Allowed strategies, e.g. `["AuthenticatorApp", "SMS"]`.
    pub strategies: Vec<String>,
    /// Whether "remember this device" may be offered.
    #[json(skip_serializing_if = "Option::is_none")]
    pub remember_device_allowed: Option<bool>,
}

/// The next step a login-like response calls for, before any session is built.
// Short-lived (read and matched at once), so the size difference of the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Tokens were issued.
    Tokens(IssuedTokens),
    /// Anything but tokens: already the final result.
    Other(LoginResult),
}

/// Freshly issued tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedTokens {
    /// The access token.
    pub access_token: Secret,
    /// Seconds until it expires, as the server said.
    pub expires_in: Option<f64>,
    /// The refresh token from the body, if the server put it there.
    pub refresh_token: Option<Secret>,
    /// A recovery code to show once.
    pub recovery_code: Option<String>,
}

/// Reads a successful login-like response. A 2xx with nothing usable in it is a server error.
pub fn interpret(resp: AuthResponse) -> Result<Step> {
    if let Some(access_token) = resp.access_token.filter(|t| !t.is_empty()) {
        return Ok(Step::Tokens(IssuedTokens {
            access_token,
            expires_in: resp.expires_in,
            refresh_token: resp.refresh_token.filter(|t| !t.is_empty()),
            recovery_code: resp.recovery_code,
        }));
    }
    if resp.mfa_required {
        let mfa_token = resp.mfa_token.filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorCode::Server,
                "The server asked for MFA but sent no MFA token.",
            )
        })?;
        let mfa = MfaChallenge {
            mfa_token,
            devices: resp.mfa_devices.unwrap_or_default(),
            strategies: strategies(resp.mfa_strategies.as_ref()),
            remember_device_allowed: None,
        };
        return Ok(Step::Other(if resp.mfa_enrolled == Some(false) {
            LoginResult::MfaEnrollmentRequired { mfa }
        } else {
            LoginResult::MfaRequired { mfa }
        }));
    }
    if let Some(reset_password_token) = resp.reset_password_token.filter(|t| !t.is_empty()) {
        return Ok(Step::Other(LoginResult::PasswordExpired {
            reset_password_token,
        }));
    }
    Err(Error::new(
        ErrorCode::Server,
        "The server answered the sign-in without tokens or a next step.",
    ))
}

/// Strategy names, whether the server sends an array (official client) or a map of flags.
fn strategies(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| {
                v.as_bool().unwrap_or(false)
                    || v.get("isActive").and_then(Value::as_bool) == Some(true)
            })
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Step> {
        interpret(crate::core::json::from_str(json).unwrap())
    }

    #[test]
    fn tokens() {
        match parse(r#"{"accessToken":"a","refreshToken":"r","expiresIn":300,"mfaRequired":false}"#)
            .unwrap()
        {
            Step::Tokens(g) => {
                assert_eq!(g.access_token.expose(), "a");
                assert_eq!(g.refresh_token.as_ref().map(Secret::expose), Some("r"));
                assert_eq!(g.expires_in, Some(300.0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mfa_required_and_enrollment() {
        let Step::Other(LoginResult::MfaRequired { mfa }) = parse(
            r#"{"mfaRequired":true,"mfaToken":"m","mfaEnrolled":true,"mfaDevices":{"authenticators":[{"id":"d"}],"emails":[{"email":"x@y.z"}]},"mfaStrategies":["AuthenticatorApp","EmailCode"]}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(mfa.mfa_token, "m");
        assert_eq!(mfa.strategies, ["AuthenticatorApp", "EmailCode"]);
        assert_eq!(mfa.devices.emails[0].email, "x@y.z");

        let step = parse(r#"{"mfaRequired":true,"mfaToken":"m","mfaEnrolled":false,"mfaStrategies":{"SMS":true,"EmailCode":false}}"#).unwrap();
        let Step::Other(LoginResult::MfaEnrollmentRequired { mfa }) = step else {
            panic!("{step:?}")
        };
        assert_eq!(mfa.strategies, ["SMS"]);
    }

    #[test]
    fn password_expired_and_nonsense() {
        assert_eq!(
            parse(r#"{"resetPasswordToken":"r"}"#).unwrap(),
            Step::Other(LoginResult::PasswordExpired {
                reset_password_token: "r".into()
            })
        );
        assert_eq!(parse("{}").unwrap_err().code, ErrorCode::Server);
        assert_eq!(
            parse(r#"{"mfaRequired":true}"#).unwrap_err().code,
            ErrorCode::Server
        );
    }

    #[test]
    fn serialises_tagged_by_status() {
        let r = LoginResult::PasswordExpired {
            reset_password_token: "r".into(),
        };
        assert_eq!(
            crate::core::json::to_value(&r),
            crate::core::json::json!({ "status": "password_expired", "resetPasswordToken": "r" })
        );
    }
}
