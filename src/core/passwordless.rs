//! Passwordless sign-in: a magic link, an email code (OTC) or an SMS code. `passwordlessStart`
//! sends it; `passwordlessComplete` trades the link's token or the code for a session (or an
//! MFA step: MFA still applies). The code alone names the login: the hosted service's postlogin
//! body is `{ token }`, as `@frontegg/rest-api` sends it (see `docs/fidelity.md`).

use crate::core::json::Value;

use crate::core::endpoints::{CodeSent, PasswordlessComplete, PasswordlessStart, AUTH_V1};
use crate::core::error::{Error, Result, StatusMeaning};
use crate::core::http::{HttpRequest, HttpResponse};
use crate::core::input::Fields;
use crate::core::{parse, AuthCore};

/// The three kinds, as JS names them, and the path segment of each.
const KINDS: [(&str, &str); 3] = [
    ("MagicLink", "magiclink"),
    ("OTC", "code"),
    ("SmsCode", "smscode"),
];

fn kind(f: &mut Fields<'_>) -> Result<&'static str> {
    let given = f.req_str("type")?;
    KINDS
        .iter()
        .find(|(name, _)| *name == given)
        .map(|(_, segment)| *segment)
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "{}: `type` must be \"MagicLink\", \"OTC\" or \"SmsCode\", not \"{given}\".",
                f.what()
            ))
        })
}

impl AuthCore {
    /// `passwordlessStart({ type, email?, phoneNumber?, userId?, username? })`.
    pub fn passwordless_start(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("passwordlessStart", args)?;
        let segment = kind(&mut f)?;
        let body = PasswordlessStart {
            email: f.opt_str("email")?.map(|e| e.trim().to_owned()),
            phone_number: f.opt_str("phoneNumber")?.map(str::to_owned),
            user_id: f.opt_str("userId")?.map(str::to_owned),
            username: f.opt_str("username")?.map(str::to_owned),
        };
        f.finish()?;
        if body == PasswordlessStart::default() {
            return Err(Error::invalid_input(
                "passwordlessStart: give `email`, `phoneNumber`, `userId` or `username`.",
            ));
        }
        Ok(self.login_step(&format!("{AUTH_V1}/passwordless/{segment}/prelogin"), &body))
    }

    /// Reads the start answer: `{ phoneNumber? }` for SMS codes, nothing else worth keeping.
    pub fn handle_passwordless_start(&self, resp: &HttpResponse) -> Result<CodeSent> {
        // Magic links answer an empty body.
        if resp.is_success() && resp.body.trim().is_empty() {
            return Ok(CodeSent::default());
        }
        parse::<CodeSent>(resp, StatusMeaning::PUBLIC)
    }

    /// `passwordlessComplete({ type, token })`: `token` is the link's token or the code.
    pub fn passwordless_complete(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("passwordlessComplete", args)?;
        let segment = kind(&mut f)?;
        let token = f.req_code("token")?;
        f.finish()?;
        let body = PasswordlessComplete { token };
        Ok(self.login_step(
            &format!("{AUTH_V1}/passwordless/{segment}/postlogin"),
            &body,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Mode, Options};
    use crate::core::error::ErrorCode;
    use crate::core::json::json;

    fn core() -> AuthCore {
        AuthCore::new(
            Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap(),
            Mode::Browser,
        )
    }

    fn ok(body: &str) -> HttpResponse {
        HttpResponse {
            status: 201,
            body: body.into(),
            trace_id: None,
            set_cookies: vec![],
        }
    }

    #[test]
    fn code_flow_sends_the_code_alone() {
        let c = core();
        let start = c
            .passwordless_start(&json!({ "type": "OTC", "email": " a@b.c " }))
            .unwrap();
        assert!(start.url.ends_with("/auth/v1/passwordless/code/prelogin"));
        assert_eq!(start.body.as_deref(), Some(r#"{"email":"a@b.c"}"#));
        assert_eq!(
            c.handle_passwordless_start(&ok("{}")).unwrap(),
            CodeSent::default()
        );
        let sms = c
            .handle_passwordless_start(&ok(r#"{"phoneNumber":"+1555"}"#))
            .unwrap();
        assert_eq!(sms.phone_number.as_deref(), Some("+1555"));
        let done = c
            .passwordless_complete(&json!({ "type": "OTC", "token": "123 456" }))
            .unwrap();
        assert!(done.url.ends_with("/auth/v1/passwordless/code/postlogin"));
        assert_eq!(done.body.as_deref(), Some(r#"{"token":"123456"}"#));
        assert!(done.with_credentials, "the answer sets the refresh cookie");
    }

    #[test]
    fn magic_links_send_their_token() {
        let c = core();
        c.passwordless_start(&json!({ "type": "MagicLink", "email": "a@b.c" }))
            .unwrap();
        assert_eq!(
            c.handle_passwordless_start(&ok("")).unwrap(),
            CodeSent::default()
        );
        let done = c
            .passwordless_complete(&json!({ "type": "MagicLink", "token": "t" }))
            .unwrap();
        assert!(done.url.ends_with("/passwordless/magiclink/postlogin"));
        assert_eq!(done.body.as_deref(), Some(r#"{"token":"t"}"#));
    }

    #[test]
    fn bad_arguments() {
        let c = core();
        for (args, what) in [
            (json!({ "email": "a@b.c" }), "`type` is required"),
            (
                json!({ "type": "Pigeon", "email": "a@b.c" }),
                "must be \"MagicLink\"",
            ),
            (json!({ "type": "OTC" }), "give `email`"),
            (
                json!({ "type": "SmsCode", "phone": "+1" }),
                "unknown field `phone`",
            ),
        ] {
            let err = c.passwordless_start(&args).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.message.contains(what), "{}", err.message);
        }
        assert!(c
            .passwordless_complete(&json!({ "type": "OTC" }))
            .unwrap_err()
            .message
            .contains("`token` is required"));
    }
}
