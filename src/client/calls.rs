//! Most methods as data: one request that the core builds from the caller's arguments, and one
//! read of its answer ([`Calls::CALLS`]), run by [`Client::run_call`]. The wasm binding runs
//! this table for the package's methods, and the native tests and fuzz targets run the same
//! one; each gets the result as the value it works with ([`Out`]: JS values in wasm, JSON
//! natively).

use crate::client::runtime::Runtime;
use crate::client::Client;
use crate::core::account::expect_success;
use crate::core::endpoints::{CodeSent, MfaDevices, Profile, TotpEnrollment};
use crate::core::error::{Error, ErrorCode, Result, StatusMeaning, StatusMeaning as M};
use crate::core::http::{HttpRequest, HttpResponse};
use crate::core::json::{self, FromJson, ToJson, Value};
use crate::core::self_service::{read_recovery_code, Authorization};
use crate::core::{parse, AuthCore};

/// What a caller gets a method's result as.
pub trait Out: Sized + 'static {
    /// `value` as the caller's result.
    fn of<T: ToJson + ?Sized>(value: &T) -> Result<Self>;
    /// The result of a method whose answer has nothing worth reading (`undefined` in JS).
    fn nothing() -> Self;
}

/// Natively, a result is JSON.
impl Out for Value {
    fn of<T: ToJson + ?Sized>(value: &T) -> Result<Self> {
        json::parse(&json::to_string(value))
            .ok_or_else(|| Error::new(ErrorCode::Server, "Could not read back a result."))
    }

    fn nothing() -> Self {
        Value::Null
    }
}

/// Builds a request from the core and the caller's arguments.
pub type Build = fn(&AuthCore, &Value) -> Result<HttpRequest>;

/// What a [`Call`]'s answer resolves to.
pub enum Answer<O> {
    /// A login step's `LoginResult`; a session it starts is taken in.
    Login,
    /// A sign-up's `SignUpResult`: signed in (a `LoginResult`) or `{ status:
    /// "activation_required" }`.
    SignUp,
    /// The body, checked against its Rust type ([`body`]).
    Body(fn(&HttpResponse, StatusMeaning) -> Result<O>),
    /// Read by the core, which may keep something from it (an `otcToken`, a session), with the
    /// caller's arguments and the time; listeners then hear what changed.
    Read(fn(&mut AuthCore, &Value, HttpResponse, f64) -> Result<O>),
    /// Nothing worth reading: any 2xx.
    Nothing,
}

/// A method that sends one request built from the caller's arguments and reads one answer.
/// Most methods are one of these, so the async flow they share exists once.
pub struct Call<O> {
    build: Build,
    /// Whether the method reads its argument (else it ignores whatever it is given).
    pub argument: bool,
    /// Sent with the access token (refreshing first if needed, and once more on a 401).
    signed_in: bool,
    meaning: StatusMeaning,
    answer: Answer<O>,
}

impl<O> Call<O> {
    /// A login step without a session (MFA, passwordless completion).
    const fn step(build: Build, meaning: StatusMeaning) -> Self {
        Self {
            build,
            argument: true,
            signed_in: false,
            meaning,
            answer: Answer::Login,
        }
    }

    /// A call without a session.
    const fn public(build: Build, meaning: StatusMeaning, answer: Answer<O>) -> Self {
        Self {
            build,
            argument: true,
            signed_in: false,
            meaning,
            answer,
        }
    }

    /// A call with the access token.
    const fn signed_in(build: Build, answer: Answer<O>) -> Self {
        Self {
            build,
            argument: true,
            signed_in: true,
            meaning: StatusMeaning::SIGNED_IN,
            answer,
        }
    }

    /// A call with the access token and no argument.
    const fn signed_in_bare(build: Build, answer: Answer<O>) -> Self {
        Self {
            argument: false,
            ..Self::signed_in(build, answer)
        }
    }
}

/// Reads a typed body and hands it to the caller.
fn body<O: Out, R: ToJson + FromJson>(
    response: &HttpResponse,
    meaning: StatusMeaning,
) -> Result<O> {
    O::of(&parse::<R>(response, meaning)?)
}

/// Reads an MFA enrollment's answer from settings: any 2xx, with its recovery code if any.
fn recovery_code<O: Out>(response: &HttpResponse, meaning: StatusMeaning) -> Result<O> {
    O::of(&read_recovery_code(response, meaning)?)
}

/// The methods that are one [`Call`], by name, for results as `Self`. A trait with one blanket
/// implementation, because a table generic over the result's type can't be a `const` item.
pub trait Calls: Out {
    /// Every method that is one [`Call`], by name.
    const CALLS: &'static [(&'static str, Call<Self>)] = &[
        (
            "login",
            Call::step(
                |core, args| Ok(core.login_request(&AuthCore::login_input(args)?)),
                M::LOGIN,
            ),
        ),
        (
            "signup",
            Call::public(AuthCore::signup_request, M::PUBLIC, Answer::SignUp),
        ),
        (
            "changePassword",
            Call::signed_in(AuthCore::change_password, Answer::Nothing),
        ),
        (
            "forgotPassword",
            Call::public(AuthCore::forgot_password, M::PUBLIC, Answer::Nothing),
        ),
        (
            "resetPassword",
            Call::public(AuthCore::reset_password, M::PUBLIC, Answer::Nothing),
        ),
        (
            "mfaVerifyTotp",
            Call::step(AuthCore::mfa_verify_totp, M::MFA),
        ),
        (
            "mfaSendSmsCode",
            Call::public(
                AuthCore::mfa_send_sms_code,
                M::MFA,
                Answer::Body(body::<Self, CodeSent>),
            ),
        ),
        (
            "mfaVerifySmsCode",
            Call::step(AuthCore::mfa_verify_sms_code, M::MFA),
        ),
        (
            "mfaSendEmailCode",
            Call::public(
                AuthCore::mfa_send_email_code,
                M::MFA,
                Answer::Body(body::<Self, CodeSent>),
            ),
        ),
        (
            "mfaVerifyEmailCode",
            Call::step(AuthCore::mfa_verify_email_code, M::MFA),
        ),
        (
            "mfaEnrollTotp",
            Call::public(
                AuthCore::mfa_enroll_totp,
                M::MFA,
                Answer::Body(body::<Self, TotpEnrollment>),
            ),
        ),
        (
            "mfaConfirmTotp",
            Call::step(AuthCore::mfa_confirm_totp, M::MFA),
        ),
        (
            "mfaEnrollSms",
            Call::public(
                AuthCore::mfa_enroll_sms,
                M::MFA,
                Answer::Body(body::<Self, CodeSent>),
            ),
        ),
        (
            "mfaConfirmSms",
            Call::step(AuthCore::mfa_confirm_sms, M::MFA),
        ),
        (
            "mfaRecover",
            Call::public(AuthCore::mfa_recover, M::MFA, Answer::Nothing),
        ),
        (
            "passwordlessStart",
            Call::public(
                AuthCore::passwordless_start,
                M::PUBLIC,
                Answer::Read(|core, _, r, _| Self::of(&core.handle_passwordless_start(&r)?)),
            ),
        ),
        (
            "passwordlessComplete",
            Call::step(AuthCore::passwordless_complete, M::PASSWORDLESS),
        ),
        (
            "passkeysList",
            Call::signed_in_bare(
                |core, _| core.passkeys_list(),
                Answer::Read(|_, _, r, _| Self::of(&AuthCore::handle_passkeys(&r)?)),
            ),
        ),
        (
            "passkeyRemove",
            Call::signed_in(AuthCore::passkey_remove, Answer::Nothing),
        ),
        (
            "getProfile",
            Call::signed_in_bare(
                |core, _| core.profile_request(),
                Answer::Body(body::<Self, Profile>),
            ),
        ),
        (
            "updateProfile",
            Call::signed_in(
                AuthCore::update_profile,
                Answer::Body(body::<Self, Profile>),
            ),
        ),
        (
            "getAuthorization",
            Call::signed_in_bare(
                |core, _| core.get_authorization(),
                Answer::Body(body::<Self, Authorization>),
            ),
        ),
        (
            "listSessions",
            Call::signed_in_bare(
                |core, _| core.list_sessions(),
                Answer::Read(|core, _, r, _| Self::of(&core.handle_sessions(&r)?)),
            ),
        ),
        (
            "revokeSession",
            Call::signed_in(AuthCore::revoke_session, Answer::Nothing),
        ),
        (
            "revokeAllSessions",
            Call::signed_in_bare(|core, _| core.revoke_all_sessions(), Answer::Nothing),
        ),
        (
            "listTenants",
            Call::signed_in_bare(
                |core, _| core.list_tenants(),
                Answer::Read(|_, _, r, _| Self::of(&AuthCore::handle_tenants(&r)?)),
            ),
        ),
        (
            "listMfaDevices",
            Call::signed_in_bare(
                |core, _| core.list_mfa_devices(),
                Answer::Body(body::<Self, MfaDevices>),
            ),
        ),
        (
            "mfaSettingsEnrollTotp",
            Call::signed_in_bare(
                |core, _| core.mfa_settings_enroll_totp(),
                Answer::Body(body::<Self, TotpEnrollment>),
            ),
        ),
        (
            "mfaSettingsConfirmTotp",
            Call::signed_in(
                AuthCore::mfa_settings_confirm_totp,
                Answer::Body(recovery_code::<Self>),
            ),
        ),
        (
            "mfaSettingsEnrollSms",
            Call::signed_in(
                AuthCore::mfa_settings_enroll_sms,
                Answer::Read(|core, _, r, _| Self::of(&core.handle_code_texted(&r)?)),
            ),
        ),
        (
            "mfaSettingsConfirmSms",
            Call::signed_in(
                AuthCore::mfa_settings_confirm_sms,
                Answer::Read(|core, _, r, _| Self::of(&core.handle_settings_sms_confirmed(&r)?)),
            ),
        ),
    ];

    /// `mfaDisableDevice` for an authenticator app or an SMS phone (a WebAuthn device needs a
    /// ceremony first, which the caller chooses by `kind`).
    const DISABLE_DEVICE: Call<Self> = Call::signed_in(
        |core, args| core.disable_device_request(&core.disable_device_input(args)?),
        Answer::Read(|core, args, r, _| {
            let input = core.disable_device_input(args)?;
            Self::of(&core.handle_disable_device(&input, &r)?)
        }),
    );

    /// `loginWithApiToken` (server builds only: a browser holding an API secret would leak it).
    #[cfg(feature = "server")]
    const API_TOKEN_LOGIN: Call<Self> = Call::public(
        AuthCore::api_token_request,
        M::PUBLIC,
        Answer::Read(|core, _, r, now| Self::of(&core.handle_api_token(r, now)?)),
    );

    /// The method `name` of [`Self::CALLS`].
    fn call(name: &str) -> Option<&'static Call<Self>> {
        Self::CALLS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, call)| call)
    }
}

impl<O: Out> Calls for O {}

impl<T: Runtime> Client<T> {
    /// Runs `call` with the caller's `args`: sends its request (with the access token where it
    /// needs one, see [`Client::exchange`]) and reads the answer.
    pub async fn run_call<O: Out>(&self, call: &Call<O>, args: &Value) -> Result<O> {
        let build = |core: &AuthCore| (call.build)(core, args);
        let response = self.exchange(&build, call.signed_in).await?;
        match call.answer {
            Answer::Login => O::of(&self.finish_step(response, call.meaning).await?),
            Answer::SignUp => O::of(&self.finish_signup(response).await?),
            Answer::Body(read) => read(&response, call.meaning),
            Answer::Read(read) => self.take_in(|core, now| read(core, args, response, now)),
            Answer::Nothing => expect_success(&response, call.meaning).map(|()| O::nothing()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::tests::{answer, block_on, client, tokens, Scripted};
    use crate::core::json::json;

    /// Runs the table's method `name`, as the wasm's `call(name, args)` does.
    fn run(c: &Client<Scripted>, name: &str, args: Value) -> Result<Value> {
        let call = Value::call(name).unwrap_or_else(|| panic!("no method {name}"));
        block_on(c.run_call(call, &args))
    }

    #[test]
    fn a_method_runs_from_the_table_by_name() {
        let c = client(vec![
            answer(200, tokens()),
            answer(
                200,
                json!([{ "id": "s1", "userAgent": "x" }, { "id": "s2" }]),
            ),
            answer(200, json!({})),
            answer(201, json!({ "shouldActivate": true })),
            answer(400, json!({ "errors": ["no"] })),
        ]);
        let login = run(&c, "login", json!({ "email": "a@b.c", "password": "p" })).unwrap();
        assert_eq!(login["status"], "authenticated");
        let sessions = run(&c, "listSessions", json!("ignored")).unwrap();
        assert_eq!(sessions[0]["userAgent"], "x");
        assert_eq!(sessions[1]["current"], false);
        assert_eq!(run(&c, "passkeyRemove", json!("p1")).unwrap(), Value::Null);
        let args = json!({ "email": "n@b.c", "companyName": "N" });
        assert_eq!(
            run(&c, "signup", args).unwrap(),
            json!({ "status": "activation_required" })
        );
        let refused = run(
            &c,
            "changePassword",
            json!({ "password": "a", "newPassword": "b" }),
        );
        assert_eq!(
            refused.unwrap_err().code,
            crate::core::error::ErrorCode::InvalidInput
        );
        assert_eq!(
            *c.runtime().sent.borrow(),
            ["user", "me", "p1", "signUp", "change"]
        );
    }

    #[test]
    fn every_method_name_is_in_the_table_once() {
        let names: Vec<&str> = Value::CALLS.iter().map(|(name, _)| *name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(Value::call("noSuchMethod").is_none());
    }
}
