//! The user's account outside a sign-in: sign-up, and changing, forgetting and resetting the
//! password.

use crate::core::json::Value;
use crate::core::json::{FromJson, ToJson};

use crate::core::endpoints::{AuthResponse, USERS_V1};
use crate::core::error::{Error, Result, StatusMeaning};
use crate::core::flows::LoginResult;
use crate::core::http::{HttpRequest, HttpResponse};
use crate::core::input::Fields;
use crate::core::secret::Secret;
use crate::core::{parse, AuthCore};

/// Body of `users/v1/signUp`.
#[derive(Debug, Clone, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct SignUp {
    pub email: String,
    pub company_name: String,
    pub provider: &'static str,
    #[json(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    pub recaptcha_token: Option<String>,
}

/// What `users/v1/signUp` answers: tokens at once, or a pending activation by email.
#[derive(Debug, Clone, Default, FromJson, PartialEq)]
#[json(rename_all = "camelCase", default)]
pub(crate) struct SignUpAnswer {
    #[json(nullable)]
    should_activate: bool,
    auth_response: Option<AuthResponse>,
}

/// The result of `signup`: signed in (or a next step), or waiting for the activation email.
#[derive(Debug, Clone, PartialEq)]
pub enum SignUpResult {
    /// Signed in, or a next step (MFA) as after a login.
    Login(Box<LoginResult>),
    /// The account must be activated from the email first.
    ActivationRequired,
}

/// `signup`'s result as JS sees it: a `LoginResult`, or `{ status: "activation_required" }`.
impl ToJson for SignUpResult {
    fn write_json(&self, out: &mut String) {
        match self {
            SignUpResult::Login(result) => result.write_json(out),
            SignUpResult::ActivationRequired => out.push_str(r#"{"status":"activation_required"}"#),
        }
    }
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct ChangePassword {
    password: Secret,
    new_password: Secret,
}

#[derive(ToJson)]
struct Email {
    email: String,
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct ResetPassword {
    user_id: String,
    token: Secret,
    password: Secret,
}

impl AuthCore {
    /// `signup({ email, companyName, password?, name?, phoneNumber?, invitationToken?, recaptchaToken? })`.
    pub fn signup_request(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("signup", args)?;
        let body = SignUp {
            email: f.req_str("email")?.trim().to_owned(),
            company_name: f.req_str("companyName")?.to_owned(),
            provider: "local",
            password: f.opt_str("password")?.map(str::to_owned),
            name: f.opt_str("name")?.map(str::to_owned),
            phone_number: f.opt_str("phoneNumber")?.map(str::to_owned),
            invitation_token: f.opt_str("invitationToken")?.map(str::to_owned),
            recaptcha_token: f.opt_str("recaptchaToken")?.map(str::to_owned),
        };
        f.finish()?;
        Ok(self.login_step(&format!("{USERS_V1}/signUp"), &body))
    }

    /// Reads the sign-up answer; with tokens, the user is signed in as after a login.
    pub fn handle_signup(&mut self, resp: HttpResponse, now_ms: f64) -> Result<SignUpResult> {
        let answer: SignUpAnswer = parse(&resp, StatusMeaning::PUBLIC)?;
        match answer.auth_response {
            Some(auth) => Ok(SignUpResult::Login(Box::new(
                self.finish_login(auth, &resp, now_ms)?,
            ))),
            None if answer.should_activate => Ok(SignUpResult::ActivationRequired),
            None => Err(Error::bad_response(
                resp.status,
                resp.trace_id,
                "sign-up answered neither tokens nor activation",
            )),
        }
    }

    /// `changePassword({ password, newPassword })`, signed in.
    pub fn change_password(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("changePassword", args)?;
        let body = ChangePassword {
            password: Secret::new(f.req_str("password")?),
            new_password: Secret::new(f.req_str("newPassword")?),
        };
        f.finish()?;
        self.authed_post(&format!("{USERS_V1}/passwords/change"), &body)
    }

    /// `forgotPassword({ email })`: the host emails a reset link (and says the same for unknown
    /// emails).
    pub fn forgot_password(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("forgotPassword", args)?;
        let body = Email {
            email: f.req_str("email")?.trim().to_owned(),
        };
        f.finish()?;
        Ok(self.login_step(&format!("{USERS_V1}/passwords/reset"), &body))
    }

    /// `resetPassword({ userId, token, password })`, from the reset link.
    pub fn reset_password(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("resetPassword", args)?;
        let body = ResetPassword {
            user_id: f.req_str("userId")?.to_owned(),
            token: Secret::new(f.req_str("token")?),
            password: Secret::new(f.req_str("password")?),
        };
        f.finish()?;
        Ok(self.login_step(&format!("{USERS_V1}/passwords/reset/verify"), &body))
    }
}

/// Checks an answer that has no body worth reading.
pub fn expect_success(resp: &HttpResponse, meaning: StatusMeaning) -> Result<()> {
    if resp.is_success() {
        Ok(())
    } else {
        Err(Error::from_status(
            resp.status,
            &resp.body,
            resp.trace_id.clone(),
            meaning,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Mode, Options};
    use crate::core::error::ErrorCode;
    use crate::core::json::json;
    use crate::core::session::tests::jwt;

    fn core() -> AuthCore {
        AuthCore::new(
            Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap(),
            Mode::Server,
        )
    }

    fn answer(status: u16, body: Value) -> HttpResponse {
        HttpResponse {
            status,
            body: body.to_string(),
            trace_id: None,
            set_cookies: vec!["fe_refresh_x=r".into()],
        }
    }

    #[test]
    fn signup_signs_in_or_waits_for_activation() {
        let mut c = core();
        let req = c
            .signup_request(
                &json!({ "email": "n@x.io", "companyName": "N", "password": "pw-12345" }),
            )
            .unwrap();
        assert!(req.url.ends_with("/users/v1/signUp"));
        assert_eq!(
            crate::core::json::from_str::<Value>(req.body.as_deref().unwrap()).unwrap(),
            json!({ "email": "n@x.io", "companyName": "N", "provider": "local", "password": "pw-12345" })
        );
        let tokens = json!({ "accessToken": jwt(json!({ "sub": "u", "email": "n@x.io" })), "expiresIn": 300 });
        let result = c
            .handle_signup(
                answer(
                    201,
                    json!({ "shouldActivate": false, "authResponse": tokens }),
                ),
                0.0,
            )
            .unwrap();
        assert!(
            matches!(result, SignUpResult::Login(ref r) if matches!(**r, LoginResult::Authenticated { .. }))
        );
        assert_eq!(
            c.session()
                .unwrap()
                .refresh_token
                .as_ref()
                .map(Secret::expose),
            Some("r"),
            "the sign-up answer set the cookie"
        );
        assert_eq!(
            core()
                .handle_signup(
                    answer(201, json!({ "shouldActivate": true, "userId": "u" })),
                    0.0
                )
                .unwrap(),
            SignUpResult::ActivationRequired
        );
        assert_eq!(
            core()
                .handle_signup(answer(201, json!({})), 0.0)
                .unwrap_err()
                .code,
            ErrorCode::Server
        );
        assert_eq!(
            core()
                .handle_signup(answer(409, json!({ "errors": ["exists"] })), 0.0)
                .unwrap_err()
                .code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn password_calls() {
        let c = core();
        assert_eq!(
            c.change_password(&json!({ "password": "a", "newPassword": "b" }))
                .unwrap_err()
                .code,
            ErrorCode::Unauthorized,
            "needs a session"
        );
        let forgot = c.forgot_password(&json!({ "email": "a@b.c" })).unwrap();
        assert!(forgot.url.ends_with("/users/v1/passwords/reset"));
        let reset = c
            .reset_password(&json!({ "userId": "u", "token": "t", "password": "p" }))
            .unwrap();
        assert_eq!(
            reset.body.as_deref(),
            Some(r#"{"userId":"u","token":"t","password":"p"}"#)
        );
        assert!(c
            .reset_password(&json!({ "userId": "u", "token": "t" }))
            .unwrap_err()
            .message
            .contains("`password` is required"));
        assert!(c
            .signup_request(&json!({ "email": "a@b.c" }))
            .unwrap_err()
            .message
            .contains("`companyName` is required"));
    }
}
