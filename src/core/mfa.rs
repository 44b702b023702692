//! MFA during login: the second-factor steps after a login answered `mfa_required` or
//! `mfa_enrollment_required`. Each builder checks its arguments and returns the request; login
//! answers go through [`AuthCore::handle_login_like`] with [`StatusMeaning::MFA`](crate::core::error::StatusMeaning::MFA).
//! The MFA token may be left out: the core remembers the pending one.

use crate::core::json::Value;

use crate::core::endpoints::{MfaRecover, MfaStep, AUTH_V1};
use crate::core::error::{Error, Result};
use crate::core::http::HttpRequest;
use crate::core::input::Fields;
use crate::core::AuthCore;

impl AuthCore {
    /// The step of every "here is the code you sent me" call: `otcToken`, `code`,
    /// `rememberDevice`.
    fn code_step(&self, mfa_token: String, f: &mut Fields<'_>) -> Result<MfaStep> {
        Ok(MfaStep {
            otc_token: Some(f.req_str("otcToken")?.to_owned()),
            code: Some(f.req_code("code")?),
            remember_device: self.remember_device(&mfa_token, f)?,
            mfa_token,
            ..MfaStep::default()
        })
    }

    /// `rememberDevice` as it may be sent for `mfa_token`: a `true` is dropped when the host
    /// said this login may not remember its device. Dropped, not refused: the policy is the
    /// host's to apply (it ignores the flag anyway), and failing the last step of a sign-in over
    /// a checkbox would cost the user the code they just typed. Apps see the policy beforehand
    /// as `rememberDeviceAllowed`; when the host didn't say, the flag goes as given.
    pub(crate) fn remember_device(
        &self,
        mfa_token: &str,
        f: &mut Fields<'_>,
    ) -> Result<Option<bool>> {
        let asked = f.opt_bool("rememberDevice")?;
        let refused = matches!(&self.remember_policy, Some((token, false)) if token == mfa_token);
        Ok(asked.filter(|&remember| !(remember && refused)))
    }

    /// `mfaToken` from the arguments, else the pending one.
    pub(crate) fn mfa_token(&self, f: &mut Fields<'_>) -> Result<String> {
        match f.opt_str("mfaToken")? {
            Some(token) => Ok(token.to_owned()),
            None => self.pending_mfa.clone().ok_or_else(|| {
                Error::invalid_input(format!(
                    "{}: `mfaToken` is required (no sign-in is waiting for MFA).",
                    f.what()
                ))
            }),
        }
    }

    /// `mfaVerifyTotp({ mfaToken?, code, deviceId?, rememberDevice? })`.
    pub fn mfa_verify_totp(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaVerifyTotp", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let value = Some(f.req_code("code")?);
        let device_id = f.opt_id("deviceId")?;
        let remember_device = self.remember_device(&mfa_token, &mut f)?;
        f.finish()?;
        let path = match device_id {
            Some(id) => format!("{AUTH_V1}/user/mfa/authenticator/{id}/verify"),
            None => format!("{AUTH_V1}/user/mfa/verify"),
        };
        Ok(self.login_step(
            &path,
            &MfaStep {
                mfa_token,
                value,
                remember_device,
                ..MfaStep::default()
            },
        ))
    }

    /// `mfaSendSmsCode({ mfaToken?, deviceId })`: answers `{ otcToken }`.
    pub fn mfa_send_sms_code(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaSendSmsCode", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let device_id = f.req_id("deviceId")?;
        f.finish()?;
        let path = format!("{AUTH_V1}/user/mfa/sms/{device_id}");
        Ok(self.login_step(
            &path,
            &MfaStep {
                mfa_token,
                ..MfaStep::default()
            },
        ))
    }

    /// `mfaVerifySmsCode({ mfaToken?, deviceId, otcToken, code, rememberDevice? })`.
    pub fn mfa_verify_sms_code(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaVerifySmsCode", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let device_id = f.req_id("deviceId")?;
        let step = self.code_step(mfa_token, &mut f)?;
        f.finish()?;
        Ok(self.login_step(&format!("{AUTH_V1}/user/mfa/sms/{device_id}/verify"), &step))
    }

    /// `mfaSendEmailCode({ mfaToken? })`: answers `{ otcToken }`.
    pub fn mfa_send_email_code(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaSendEmailCode", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        f.finish()?;
        Ok(self.login_step(
            &format!("{AUTH_V1}/user/mfa/emailcode"),
            &MfaStep {
                mfa_token,
                ..MfaStep::default()
            },
        ))
    }

    /// `mfaVerifyEmailCode({ mfaToken?, otcToken, code, rememberDevice? })`.
    pub fn mfa_verify_email_code(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaVerifyEmailCode", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let step = self.code_step(mfa_token, &mut f)?;
        f.finish()?;
        Ok(self.login_step(&format!("{AUTH_V1}/user/mfa/emailcode/verify"), &step))
    }

    /// `mfaEnrollTotp({ mfaToken? })`: answers `{ qrCode }` while policy forces enrollment.
    pub fn mfa_enroll_totp(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaEnrollTotp", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        f.finish()?;
        Ok(self.login_step(
            &format!("{AUTH_V1}/user/mfa/authenticator/enroll"),
            &MfaStep {
                mfa_token,
                ..MfaStep::default()
            },
        ))
    }

    /// `mfaConfirmTotp({ mfaToken?, code, rememberDevice? })`: the first code from the new app.
    pub fn mfa_confirm_totp(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaConfirmTotp", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let step = MfaStep {
            token: Some(f.req_code("code")?),
            remember_device: self.remember_device(&mfa_token, &mut f)?,
            mfa_token,
            ..MfaStep::default()
        };
        f.finish()?;
        Ok(self.login_step(
            &format!("{AUTH_V1}/user/mfa/authenticator/enroll/verify"),
            &step,
        ))
    }

    /// `mfaEnrollSms({ mfaToken?, phoneNumber })`: answers `{ otcToken }`.
    pub fn mfa_enroll_sms(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaEnrollSms", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let phone_number = Some(f.req_code("phoneNumber")?);
        f.finish()?;
        let step = MfaStep {
            mfa_token,
            phone_number,
            ..MfaStep::default()
        };
        Ok(self.login_step(&format!("{AUTH_V1}/user/mfa/sms/enroll"), &step))
    }

    /// `mfaConfirmSms({ mfaToken?, otcToken, code, rememberDevice? })`.
    pub fn mfa_confirm_sms(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaConfirmSms", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let step = self.code_step(mfa_token, &mut f)?;
        f.finish()?;
        Ok(self.login_step(&format!("{AUTH_V1}/user/mfa/sms/enroll/verify"), &step))
    }

    /// `mfaRecover({ email, recoveryCode })`: turns MFA off with a recovery code.
    pub fn mfa_recover(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaRecover", args)?;
        let body = MfaRecover {
            email: f.req_str("email")?.trim().to_owned(),
            recovery_code: f.req_code("recoveryCode")?,
        };
        f.finish()?;
        Ok(self.login_step(&format!("{AUTH_V1}/user/mfa/recover"), &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Mode, Options};
    use crate::core::error::{ErrorCode, StatusMeaning};
    use crate::core::http::HttpResponse;
    use crate::core::json::json;
    use crate::LoginResult;

    fn core() -> AuthCore {
        AuthCore::new(
            Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap(),
            Mode::Browser,
        )
    }

    fn body(req: &HttpRequest) -> Value {
        crate::core::json::from_str(req.body.as_deref().unwrap_or("null")).unwrap()
    }

    #[test]
    fn the_pending_mfa_token_is_used_when_left_out() {
        let mut c = core();
        assert!(c
            .mfa_verify_totp(&json!({ "code": "123456" }))
            .unwrap_err()
            .message
            .contains("no sign-in is waiting"));
        let resp = HttpResponse {
            status: 200,
            body: json!({ "mfaRequired": true, "mfaToken": "m1" }).to_string(),
            trace_id: None,
            set_cookies: vec![],
        };
        assert!(matches!(
            c.handle_login(resp, 0.0).unwrap(),
            LoginResult::MfaRequired { .. }
        ));
        let req = c
            .mfa_verify_totp(&json!({ "code": "123 456", "rememberDevice": true }))
            .unwrap();
        assert_eq!(
            req.url,
            "http://h/identity/resources/auth/v1/user/mfa/verify"
        );
        assert!(req.with_credentials);
        assert_eq!(
            body(&req),
            json!({ "mfaToken": "m1", "value": "123456", "rememberDevice": true })
        );
        let req = c
            .mfa_verify_totp(&json!({ "mfaToken": "m2", "code": "1", "deviceId": "d-1" }))
            .unwrap();
        assert_eq!(
            req.url,
            "http://h/identity/resources/auth/v1/user/mfa/authenticator/d-1/verify"
        );
        assert_eq!(body(&req)["mfaToken"], "m2");
    }

    #[test]
    fn bodies_match_the_identity_api() {
        let mut c = core();
        c.pending_mfa = Some("m".into());
        let cases = [
            (
                c.mfa_send_sms_code(&json!({ "deviceId": "p1" })),
                "mfa/sms/p1",
                json!({ "mfaToken": "m" }),
            ),
            (
                c.mfa_verify_sms_code(&json!({ "deviceId": "p1", "otcToken": "o", "code": "1" })),
                "mfa/sms/p1/verify",
                json!({ "mfaToken": "m", "otcToken": "o", "code": "1" }),
            ),
            (
                c.mfa_send_email_code(&json!({})),
                "mfa/emailcode",
                json!({ "mfaToken": "m" }),
            ),
            (
                c.mfa_verify_email_code(&json!({ "otcToken": "o", "code": "2" })),
                "mfa/emailcode/verify",
                json!({ "mfaToken": "m", "otcToken": "o", "code": "2" }),
            ),
            (
                c.mfa_enroll_totp(&json!({})),
                "mfa/authenticator/enroll",
                json!({ "mfaToken": "m" }),
            ),
            (
                c.mfa_confirm_totp(&json!({ "code": "3" })),
                "mfa/authenticator/enroll/verify",
                json!({ "mfaToken": "m", "token": "3" }),
            ),
            (
                c.mfa_enroll_sms(&json!({ "phoneNumber": "+1555" })),
                "mfa/sms/enroll",
                json!({ "mfaToken": "m", "phoneNumber": "+1555" }),
            ),
            (
                c.mfa_confirm_sms(&json!({ "otcToken": "o", "code": "4" })),
                "mfa/sms/enroll/verify",
                json!({ "mfaToken": "m", "otcToken": "o", "code": "4" }),
            ),
            (
                c.mfa_recover(&json!({ "email": "a@b.c", "recoveryCode": "R-1" })),
                "mfa/recover",
                json!({ "email": "a@b.c", "recoveryCode": "R-1" }),
            ),
        ];
        for (req, path, expected) in cases {
            let req = req.unwrap();
            assert!(
                req.url.ends_with(&format!("/auth/v1/user/{path}")),
                "{}",
                req.url
            );
            assert_eq!(body(&req), expected, "{path}");
        }
    }

    #[test]
    fn remember_device_is_dropped_when_the_policy_says_no() {
        let mut c = core();
        c.pending_mfa = Some("m".into());
        let remembers = |c: &AuthCore| {
            let args =
                json!({ "otcToken": "o", "code": "1", "deviceId": "p1", "rememberDevice": true });
            let bodies = [
                c.mfa_verify_totp(&json!({ "code": "1", "rememberDevice": true })),
                c.mfa_verify_sms_code(&args),
                c.mfa_verify_email_code(
                    &json!({ "otcToken": "o", "code": "1", "rememberDevice": true }),
                ),
                c.mfa_confirm_totp(&json!({ "code": "1", "rememberDevice": true })),
                c.mfa_confirm_sms(&json!({ "otcToken": "o", "code": "1", "rememberDevice": true })),
            ];
            bodies.map(|req| body(&req.unwrap()).get("rememberDevice").cloned())
        };
        // Unknown policy: sent as asked (the host decides).
        assert_eq!(
            remembers(&c),
            [
                Some(json!(true)),
                Some(json!(true)),
                Some(json!(true)),
                Some(json!(true)),
                Some(json!(true))
            ]
        );
        c.remember_policy = Some(("m".into(), true));
        assert!(remembers(&c).iter().all(|v| *v == Some(json!(true))));
        c.remember_policy = Some(("m".into(), false));
        assert!(
            remembers(&c).iter().all(Option::is_none),
            "never sent against the policy"
        );
        // The policy of another login doesn't apply.
        c.remember_policy = Some(("other".into(), false));
        assert!(remembers(&c).iter().all(|v| *v == Some(json!(true))));
        // `false` is always fine to send.
        c.remember_policy = Some(("m".into(), false));
        let req = c
            .mfa_verify_totp(&json!({ "code": "1", "rememberDevice": false }))
            .unwrap();
        assert_eq!(body(&req)["rememberDevice"], json!(false));
    }

    #[test]
    fn bad_arguments_fail_before_any_request() {
        let mut c = core();
        c.pending_mfa = Some("m".into());
        for (result, what) in [
            (c.mfa_verify_totp(&json!({})), "`code` is required"),
            (
                c.mfa_verify_totp(&json!({ "code": 123456 })),
                "`code` must be a string",
            ),
            (
                c.mfa_send_sms_code(&json!({ "deviceId": "../../users" })),
                "not a valid id",
            ),
            (
                c.mfa_verify_sms_code(&json!({ "deviceId": "p", "code": "1" })),
                "`otcToken` is required",
            ),
            (c.mfa_enroll_sms(&json!({})), "`phoneNumber` is required"),
            (
                c.mfa_recover(&json!({ "email": "a@b.c" })),
                "`recoveryCode` is required",
            ),
            (
                c.mfa_confirm_totp(&json!({ "code": "1", "remember": true })),
                "unknown field `remember`",
            ),
        ] {
            let err = result.unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.message.contains(what), "{}", err.message);
        }
        let wrong_code = HttpResponse {
            status: 400,
            body: "{}".into(),
            trace_id: None,
            set_cookies: vec![],
        };
        assert_eq!(
            c.handle_login_like(wrong_code, 0.0, StatusMeaning::MFA)
                .unwrap_err()
                .code,
            ErrorCode::InvalidCode
        );
        let expired = HttpResponse {
            status: 401,
            body: "{}".into(),
            trace_id: None,
            set_cookies: vec![],
        };
        assert_eq!(
            c.handle_login_like(expired, 0.0, StatusMeaning::MFA)
                .unwrap_err()
                .code,
            ErrorCode::MfaTokenExpired
        );
    }
}
