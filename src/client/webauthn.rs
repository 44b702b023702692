//! WebAuthn ceremonies in the driver: each is two requests with the browser's
//! `navigator.credentials` call in between, run over an [`Authenticator`] (the browser in wasm,
//! see `wasm/ceremony.rs`; a fake in tests). The encoding rules are in [`crate::core::webauthn`].

use crate::core::json::Value;

use super::Client;
use crate::client::runtime::Runtime;
use crate::core::account::expect_success;
use crate::core::endpoints::WebAuthnDevice;
use crate::core::error::{Result, StatusMeaning};
use crate::core::flows::LoginResult;
use crate::core::webauthn::{
    already_registered, creation_options, registered_device, request_options, sent_device,
    BrowserCredential, Challenge, CreationOptions, Outcome, RequestOptions, StartCeremony,
};
use crate::core::{parse, AuthCore};

/// Runs `navigator.credentials.create` / `get` (or a stand-in in tests). Cancellation, an
/// authenticator already registered and a missing WebAuthn are errors with their own codes.
#[allow(async_fn_in_trait)]
pub trait Authenticator {
    /// Creates a credential (registration).
    async fn create(&self, options: CreationOptions) -> Result<BrowserCredential>;
    /// Gets an assertion.
    async fn get(&self, options: RequestOptions) -> Result<BrowserCredential>;
}

/// Every method that runs a WebAuthn ceremony, by name, with the core's reading of its
/// arguments.
pub const CEREMONIES: &[(&str, StartCeremony)] = &[
    ("mfaVerifyWebAuthn", AuthCore::mfa_verify_webauthn_ceremony),
    ("mfaEnrollWebAuthn", AuthCore::mfa_enroll_webauthn_ceremony),
    ("passkeyLogin", AuthCore::passkey_login_ceremony),
    ("passkeyRegister", AuthCore::passkey_register_ceremony),
    (
        "mfaSettingsEnrollWebAuthn",
        AuthCore::mfa_settings_enroll_webauthn_ceremony,
    ),
];

/// What a ceremony ended with (see [`Outcome`]).
pub enum Ceremonied {
    /// A login step's result.
    Login(LoginResult),
    /// The new device.
    Device(WebAuthnDevice),
    /// The device is gone.
    Removed,
}

impl<T: Runtime> Client<T> {
    /// Runs a WebAuthn method: `start` checks the caller's `args` and says which ceremony they
    /// ask for (`AuthCore::passkey_login_ceremony` and the like). The challenge is asked for,
    /// the browser makes the credential, and the second request sends it; a cancelled or failed
    /// ceremony sends nothing more.
    pub async fn ceremony(
        &self,
        start: StartCeremony,
        args: &Value,
        authenticator: &impl Authenticator,
    ) -> Result<Ceremonied> {
        let c = start(&self.core.borrow(), args)?;
        let response = self.exchange(&*c.challenge, c.signed_in).await?;
        let challenge: Challenge = parse(&response, c.meaning)?;
        let credential = if c.create {
            authenticator
                .create(creation_options(&challenge.options)?)
                .await?
                .attestation_json()?
        } else {
            let mut options = request_options(&challenge.options)?;
            options.conditional = c.conditional;
            authenticator.get(options).await?.assertion_json()?
        };
        let token = challenge.webauthn_token.as_deref();
        let finish = |core: &AuthCore| (c.finish)(core, token, &credential);
        let response = self.exchange(&finish, c.signed_in).await?;
        match c.outcome {
            Outcome::Login(meaning) => match self.finish_step(response, meaning).await {
                Ok(result) => Ok(Ceremonied::Login(result)),
                // A credential the host already holds is a registration's own mistake.
                Err(e) if c.create => Err(already_registered(e)),
                Err(e) => Err(e),
            },
            Outcome::Device(device_type, name) => {
                let sent = sent_device(&credential, device_type, name.as_deref());
                registered_device(&response, sent).map(Ceremonied::Device)
            }
            Outcome::Removed => {
                expect_success(&response, StatusMeaning::SIGNED_IN).map(|()| Ceremonied::Removed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use crate::core::json::json;

    use super::*;
    use crate::client::tests::block_on;
    use crate::core::base64url;
    use crate::core::config::{Mode, Options};
    use crate::core::error::{Error, ErrorCode};
    use crate::core::http::{HttpRequest, HttpResponse, Method};
    use crate::core::session::tests::jwt;
    use crate::core::webauthn::tests::{attestation, body, creation_json, request_json};
    use crate::core::webauthn::DeviceType;

    #[derive(Default)]
    struct Scripted {
        answers: RefCell<VecDeque<(u16, Value)>>,
        sent: RefCell<Vec<HttpRequest>>,
    }

    impl Runtime for Scripted {
        async fn send(&self, request: HttpRequest, _timeout_ms: u32) -> Result<HttpResponse> {
            self.sent.borrow_mut().push(request);
            let (status, body) = self.answers.borrow_mut().pop_front().expect("an answer");
            Ok(HttpResponse {
                status,
                body: body.to_string(),
                trace_id: None,
                set_cookies: vec![],
            })
        }
        fn sleep(&self, _ms: u32) -> impl std::future::Future<Output = ()> + use<> {
            std::future::ready(())
        }
        fn jitter(&self) -> f64 {
            0.0
        }
        type RefreshLock = ();
        async fn refresh_lock(&self) {}
        fn spawn(&self, _task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
            unreachable!("these clients run no lifecycle")
        }
    }

    /// Answers every ceremony with a fixed credential, or fails as the browser would.
    struct Fake {
        fail: Option<ErrorCode>,
        seen: RefCell<Vec<String>>,
    }

    impl Authenticator for Fake {
        async fn create(&self, options: CreationOptions) -> Result<BrowserCredential> {
            self.seen
                .borrow_mut()
                .push(format!("create {}", options.typed().user.name));
            match self.fail {
                Some(code) => Err(Error::new(code, "no")),
                None => Ok(attestation()),
            }
        }
        async fn get(&self, options: RequestOptions) -> Result<BrowserCredential> {
            self.seen.borrow_mut().push(format!(
                "get {} conditional={}",
                options.typed().allow_credentials.len(),
                options.conditional
            ));
            match self.fail {
                Some(code) => Err(Error::new(code, "no")),
                None => Ok(BrowserCredential {
                    attestation_object: None,
                    authenticator_data: Some(vec![1; 37]),
                    signature: Some(vec![2; 8]),
                    user_handle: Some(vec![3; 16]),
                    ..attestation()
                }),
            }
        }
    }

    fn client(answers: Vec<(u16, Value)>) -> Client<Scripted> {
        let runtime = Scripted {
            answers: RefCell::new(answers.into()),
            ..Scripted::default()
        };
        let options =
            Options::from_json(&json!({ "baseUrl": "http://h", "clientId": "c" })).unwrap();
        Client::new(options, Mode::Server, runtime, || 0.0)
    }

    fn tokens() -> Value {
        json!({ "accessToken": jwt(json!({ "sub": "u1", "email": "a@b.c", "tenantId": "t", "exp": 4_000_000_000u64 })), "expiresIn": 3600 })
    }

    /// Runs the ceremony `start` says, expecting `Login` (or a failure).
    fn login(
        c: &Client<Scripted>,
        start: StartCeremony,
        args: &Value,
        authn: &Fake,
    ) -> Result<LoginResult> {
        block_on(c.ceremony(start, args, authn)).map(|done| match done {
            Ceremonied::Login(result) => result,
            _ => panic!("a login"),
        })
    }

    /// Runs the ceremony `start` says, expecting a new device (or a failure).
    fn register(
        c: &Client<Scripted>,
        start: StartCeremony,
        args: &Value,
    ) -> Result<WebAuthnDevice> {
        block_on(c.ceremony(start, args, &fake(None))).map(|done| match done {
            Ceremonied::Device(device) => device,
            _ => panic!("a device"),
        })
    }

    fn fake(fail: Option<ErrorCode>) -> Fake {
        Fake {
            fail,
            seen: RefCell::new(Vec::new()),
        }
    }

    #[test]
    fn passkey_login_runs_both_halves_around_the_ceremony() {
        let c = client(vec![
            (200, json!({ "options": request_json() })),
            (200, tokens()),
        ]);
        let authn = fake(None);
        let result = login(
            &c,
            AuthCore::passkey_login_ceremony,
            &json!({ "email": "a@b.c", "conditional": true }),
            &authn,
        )
        .unwrap();
        assert!(matches!(result, LoginResult::Authenticated { .. }));
        assert_eq!(*authn.seen.borrow(), ["get 1 conditional=true"]);
        let sent = c.runtime().sent.borrow();
        let post = body(&sent[1]);
        assert!(sent[1].url.ends_with("/auth/v1/webauthn/postlogin"));
        assert_eq!(post["id"], "-_8BAg");
        assert_eq!(post["response"]["userHandle"], base64url::encode(&[3; 16]));
        assert_eq!(
            post["response"]["authenticatorData"],
            base64url::encode(&[1; 37])
        );
    }

    #[test]
    fn failures_keep_their_codes_and_nothing_is_sent_after_a_cancelled_ceremony() {
        // Cancelled in the browser: the second request is never made.
        let c = client(vec![(200, json!({ "options": request_json() }))]);
        let err = login(
            &c,
            AuthCore::passkey_login_ceremony,
            &Value::Null,
            &fake(Some(ErrorCode::WebauthnCancelled)),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::WebauthnCancelled);
        assert_eq!(c.runtime().sent.borrow().len(), 1);

        // Malformed options: invalid_input before any ceremony.
        let c = client(vec![(200, json!({ "options": { "challenge": "%%" } }))]);
        let authn = fake(None);
        let err = login(&c, AuthCore::passkey_login_ceremony, &Value::Null, &authn).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(authn.seen.borrow().is_empty());

        // The server refuses the assertion.
        let c = client(vec![
            (200, json!({ "options": request_json() })),
            (
                401,
                json!({ "errors": ["WebAuthn verification failed: origin"], "errorCode": "ER-03012" }),
            ),
        ]);
        let err = login(
            &c,
            AuthCore::passkey_login_ceremony,
            &Value::Null,
            &fake(None),
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.status, err.error_code.as_deref()),
            (ErrorCode::InvalidCredentials, Some(401), Some("ER-03012"))
        );
    }

    #[test]
    fn mfa_with_webauthn_uses_the_pending_token_and_the_webauthn_token() {
        let c = client(vec![
            (200, json!({ "mfaRequired": true, "mfaToken": "m" })),
            (
                200,
                json!({ "isAllowedToRemember": false, "mfaDeviceExpiration": 86400 }),
            ),
            (
                200,
                json!({ "webauthnToken": "w", "options": request_json() }),
            ),
            (200, tokens()),
        ]);
        let LoginResult::MfaRequired { mfa } =
            block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap()
        else {
            panic!("expected MFA")
        };
        assert_eq!(mfa.remember_device_allowed, Some(false));
        let args = json!({ "deviceId": "d1", "rememberDevice": true });
        let result = login(
            &c,
            AuthCore::mfa_verify_webauthn_ceremony,
            &args,
            &fake(None),
        )
        .unwrap();
        assert!(matches!(result, LoginResult::Authenticated { .. }));
        let sent = c.runtime().sent.borrow();
        assert!(sent[1]
            .url
            .ends_with("/mfa-policy/allow-remember-device?mfaToken=m"));
        assert_eq!(body(&sent[2]), json!({ "mfaToken": "m" }));
        let verify = body(&sent[3]);
        assert_eq!(verify.get("rememberDevice"), None, "the policy says no");
        assert_eq!(
            (
                verify["mfaToken"].as_str(),
                verify["webauthnToken"].as_str()
            ),
            (Some("m"), Some("w"))
        );
        assert_eq!(
            verify["options"]["response"]["signature"],
            base64url::encode(&[2; 8])
        );
    }

    #[test]
    fn registration_conflicts_are_already_registered() {
        let c = client(vec![(200, tokens())]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        c.runtime().answers.borrow_mut().extend([
            (200, json!({ "options": creation_json() })),
            (409, json!({ "errors": ["This authenticator is already registered"] })),
            (200, json!({ "options": creation_json() })),
            (201, json!({ "id": "p1", "deviceType": "Platform", "name": "Laptop", "createdAt": "2026-01-01T00:00:00Z", "lastUsed": null })),
            (200, json!({ "devices": [{ "id": "p1", "deviceType": "Platform", "name": "Laptop" }] })),
            (200, json!({})),
        ]);
        let err = register(&c, AuthCore::passkey_register_ceremony, &Value::Null).unwrap_err();
        assert_eq!(err.code, ErrorCode::WebauthnAlreadyRegistered);
        let device = register(
            &c,
            AuthCore::passkey_register_ceremony,
            &json!({ "name": "Laptop" }),
        )
        .unwrap();
        assert_eq!(device.id, "p1");
        let sent = c.runtime().sent.borrow().clone();
        let verify = body(&sent[4]);
        assert_eq!(verify["name"], "Laptop");
        assert_eq!(
            verify["deviceType"], "Platform",
            "from authenticatorAttachment"
        );
        assert_eq!(verify["response"]["attestationObject"], "o2NmbXQ");
        assert!(sent[4]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v.starts_with("Bearer ")));
        assert_eq!(
            block_on(c.exchange(&AuthCore::passkeys_list, true))
                .and_then(|answer| AuthCore::handle_passkeys(&answer))
                .unwrap()[0]
                .name
                .as_deref(),
            Some("Laptop")
        );
        let remove = |id: Value| {
            block_on(c.exchange(&|core| core.passkey_remove(&id), true))
                .and_then(|answer| expect_success(&answer, StatusMeaning::SIGNED_IN))
        };
        remove(json!("p1")).unwrap();
        assert_eq!(
            c.runtime().sent.borrow().last().unwrap().method,
            Method::Delete
        );
        assert_eq!(
            remove(json!("../p1")).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    /// A 409 to a registration is an authenticator already registered; to an assertion, it stays
    /// the host's conflict.
    #[test]
    fn only_a_registrations_conflict_is_already_registered() {
        let conflict = json!({ "errors": ["conflict"] });
        for (start, args, options, code) in [
            (
                AuthCore::mfa_enroll_webauthn_ceremony as StartCeremony,
                json!({ "mfaToken": "m", "deviceType": "Platform" }),
                creation_json(),
                ErrorCode::WebauthnAlreadyRegistered,
            ),
            (
                AuthCore::mfa_verify_webauthn_ceremony,
                json!({ "mfaToken": "m", "deviceId": "d1" }),
                request_json(),
                ErrorCode::Conflict,
            ),
        ] {
            let c = client(vec![
                (200, json!({ "webauthnToken": "w", "options": options })),
                (409, conflict.clone()),
            ]);
            let err = login(&c, start, &args, &fake(None)).unwrap_err();
            assert_eq!(err.code, code);
        }
    }

    /// The official client reads nothing of a registration's answer but `recoveryCode`: once the
    /// host has registered the device, no answer shape is a failure.
    #[test]
    fn any_success_answer_finishes_a_registration() {
        let odd_answers = [
            Value::String(String::new()),
            json!({}),
            json!([1, 2]),
            json!("ok"),
            json!({ "id": 5, "deviceType": ["x"] }),
            json!({ "id": null, "deviceType": null, "name": null, "recoveryCode": null }),
            json!({ "recoveryCode": "R2" }),
        ];
        for answer in odd_answers {
            let text = match &answer {
                Value::String(s) if s.is_empty() => String::new(),
                other => other.to_string(),
            };
            let response = HttpResponse {
                status: 201,
                body: text.clone(),
                trace_id: None,
                set_cookies: vec![],
            };
            let sent = sent_device(
                &attestation().attestation_json().unwrap(),
                None,
                Some("Key"),
            );
            let device =
                registered_device(&response, sent).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(device.id, "-_8BAg", "{text}: the credential id");
            assert_eq!(
                device.device_type, "Platform",
                "{text}: from authenticatorAttachment"
            );
            assert_eq!(device.name.as_deref(), Some("Key"));
            let recovery = (text == r#"{"recoveryCode":"R2"}"#).then_some("R2");
            assert_eq!(device.recovery_code.as_deref(), recovery, "{text}");
        }
        // A device in the answer wins over what was sent.
        let response = HttpResponse {
            status: 200,
            body: json!({ "id": "p9", "deviceType": "CrossPlatform", "createdAt": "2026-01-01T00:00:00Z" }).to_string(),
            trace_id: None,
            set_cookies: vec![],
        };
        let sent = sent_device(&json!({ "id": "cred" }), Some(DeviceType::Platform), None);
        let device = registered_device(&response, sent).unwrap();
        assert_eq!(
            (device.id.as_str(), device.device_type.as_str()),
            ("p9", "CrossPlatform")
        );
        assert_eq!(device.created_at.as_deref(), Some("2026-01-01T00:00:00Z"));
        // Failures are still failures, a conflict as `webauthn_already_registered`.
        for (status, code) in [
            (409, ErrorCode::WebauthnAlreadyRegistered),
            (400, ErrorCode::InvalidInput),
            (500, ErrorCode::Server),
        ] {
            let response = HttpResponse {
                status,
                body: "{}".into(),
                trace_id: None,
                set_cookies: vec![],
            };
            let sent = sent_device(&json!({ "id": "cred" }), None, None);
            assert_eq!(registered_device(&response, sent).unwrap_err().code, code);
        }

        // Through the client: passkey registration and settings enrollment answered with nothing.
        let c = client(vec![(200, tokens())]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        c.runtime().answers.borrow_mut().extend([
            (200, json!({ "options": creation_json() })),
            (201, json!({})),
            (
                200,
                json!({ "webauthnToken": "w1", "options": creation_json() }),
            ),
            (200, json!(null)),
        ]);
        let passkey = register(
            &c,
            AuthCore::passkey_register_ceremony,
            &json!({ "name": "Laptop" }),
        )
        .unwrap();
        assert_eq!(
            (passkey.id.as_str(), passkey.name.as_deref()),
            ("-_8BAg", Some("Laptop"))
        );
        let key = register(
            &c,
            AuthCore::mfa_settings_enroll_webauthn_ceremony,
            &json!({ "deviceType": "CrossPlatform" }),
        )
        .unwrap();
        assert_eq!(
            (key.device_type.as_str(), key.recovery_code),
            ("CrossPlatform", None)
        );
    }

    #[test]
    fn settings_enrollment_and_removal() {
        let c = client(vec![(200, tokens())]);
        block_on(c.login(&json!({ "email": "a@b.c", "password": "p" }))).unwrap();
        c.runtime().answers.borrow_mut().extend([
            (
                200,
                json!({ "webauthnToken": "w1", "options": creation_json() }),
            ),
            (
                201,
                json!({ "id": "k1", "deviceType": "CrossPlatform", "recoveryCode": "R" }),
            ),
            (
                200,
                json!({ "webauthnToken": "w2", "options": request_json() }),
            ),
            (200, json!({})),
        ]);
        let device = register(
            &c,
            AuthCore::mfa_settings_enroll_webauthn_ceremony,
            &json!({ "deviceType": "CrossPlatform" }),
        )
        .unwrap();
        assert_eq!(device.recovery_code.as_deref(), Some("R"));
        let args = json!({ "deviceId": "k1", "kind": "webauthn" });
        let removed =
            block_on(c.ceremony(AuthCore::mfa_disable_webauthn_ceremony, &args, &fake(None)));
        assert!(matches!(removed, Ok(Ceremonied::Removed)));
        let sent = c.runtime().sent.borrow();
        assert!(sent[2]
            .url
            .ends_with("/users/v1/mfa/webauthn/enroll/verify"));
        assert_eq!(body(&sent[2])["deviceType"], "CrossPlatform");
        assert_eq!(body(&sent[2])["webauthnToken"], "w1");
        assert!(sent[4]
            .url
            .ends_with("/users/v1/mfa/webauthn/k1/disable/verify"));
        assert_eq!(body(&sent[4])["webauthnToken"], "w2");
    }
}
