//! Every sign-in path of the SDK core against the emulator: MFA (TOTP, SMS, email code,
//! enrollment, recovery), passwordless, sign-up and passwords. Codes come from the emulator's
//! outbox and TOTP codes are computed at the emulator's clock, as a person's phone would.

mod common;

use common::json;
use common::{client, demo, secret_from_qr, totp_at, Emulator};
use frontegg_auth_wasm::core::account::SignUpResult;
use frontegg_auth_wasm::core::error::StatusMeaning;
use frontegg_auth_wasm::core::flows::MfaChallenge;
use frontegg_auth_wasm::native::NativeRuntime;
use frontegg_auth_wasm::{Client, ErrorCode, LoginResult};

const PASSWORD: &str = "Demo-pass-123!";
const MFA_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// The code an authenticator app shows for `secret`, at the emulator's clock.
async fn totp(emu: &Emulator, secret: &str) -> String {
    totp_at(secret, emu.now().await)
}

fn authenticated(result: LoginResult) -> frontegg_auth_wasm::Session {
    match result {
        LoginResult::Authenticated { session, .. } => session,
        other => panic!("expected authenticated, got {other:?}"),
    }
}

fn mfa(result: LoginResult) -> MfaChallenge {
    match result {
        LoginResult::MfaRequired { mfa } | LoginResult::MfaEnrollmentRequired { mfa } => mfa,
        other => panic!("expected an MFA step, got {other:?}"),
    }
}

async fn login(c: &Client<NativeRuntime>, email: &str) -> LoginResult {
    c.login(&json!({ "email": email, "password": PASSWORD }))
        .await
        .expect("login")
}

#[tokio::test]
async fn mfa_with_an_authenticator_app() {
    let emu = demo().await;
    let c = client(&emu.base);
    let challenge = mfa(login(&c, "mfa@example.com").await);
    assert!(challenge.strategies.iter().any(|s| s == "AuthenticatorApp"));

    let wrong = c
        .step(
            |core| core.mfa_verify_totp(&json!({ "code": "000000" })),
            StatusMeaning::MFA,
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidCode);
    assert!(c.session().is_none());

    // The MFA token is remembered from the login: the app need not pass it.
    let code = totp(&emu, MFA_SECRET).await;
    let session = authenticated(
        c.step(
            |core| core.mfa_verify_totp(&json!({ "code": code })),
            StatusMeaning::MFA,
        )
        .await
        .unwrap(),
    );
    assert_eq!(session.user.email, "mfa@example.com");
    assert_eq!(c.get_profile().await.unwrap().email, "mfa@example.com");

    // A spent MFA token is refused as expired, not as a wrong code.
    let again = c
        .step(
            |core| core.mfa_verify_totp(&json!({ "mfaToken": challenge.mfa_token, "code": code })),
            StatusMeaning::MFA,
        )
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::MfaTokenExpired);
}

#[tokio::test]
async fn mfa_with_an_email_code_and_with_an_sms_code() {
    let emu = demo().await;
    let c = client(&emu.base);
    mfa(login(&c, "mfa@example.com").await);
    let sent: frontegg_auth_wasm::core::endpoints::CodeSent = c
        .call(
            |core| core.mfa_send_email_code(&json!({})),
            StatusMeaning::MFA,
        )
        .await
        .unwrap();
    let otc_token = sent.otc_token.expect("otcToken");
    let code = emu.last_message("mfa@example.com").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let args = json!({ "otcToken": otc_token, "code": code });
    authenticated(
        c.step(|core| core.mfa_verify_email_code(&args), StatusMeaning::MFA)
            .await
            .unwrap(),
    );

    emu.create_user(
        serde_json::json!({ "email": "sms@example.com", "phoneNumber": "+15550100", "phoneNumberType": "mfa" }),
    )
    .await;
    let c = client(&emu.base);
    let challenge = mfa(login(&c, "sms@example.com").await);
    let phone = challenge
        .devices
        .phones
        .first()
        .expect("an MFA phone")
        .id
        .clone();
    let sent: frontegg_auth_wasm::core::endpoints::CodeSent = c
        .call(
            |core| core.mfa_send_sms_code(&json!({ "deviceId": phone })),
            StatusMeaning::MFA,
        )
        .await
        .unwrap();
    let code = emu.last_message("+15550100").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = json!({ "deviceId": phone, "otcToken": sent.otc_token, "code": "000000" });
    assert_eq!(
        c.step(|core| core.mfa_verify_sms_code(&wrong), StatusMeaning::MFA)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidCode
    );
    let right = json!({ "deviceId": phone, "otcToken": sent.otc_token, "code": code });
    authenticated(
        c.step(|core| core.mfa_verify_sms_code(&right), StatusMeaning::MFA)
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn forced_enrollment_then_recovery() {
    let emu = demo().await;
    emu.config(serde_json::json!({ "mfa": { "enforce": "Force" } }))
        .await;
    let c = client(&emu.base);
    let result = login(&c, "demo@example.com").await;
    assert!(
        matches!(result, LoginResult::MfaEnrollmentRequired { .. }),
        "{result:?}"
    );

    let enrollment: frontegg_auth_wasm::core::endpoints::TotpEnrollment = c
        .call(|core| core.mfa_enroll_totp(&json!({})), StatusMeaning::MFA)
        .await
        .unwrap();
    let secret = secret_from_qr(&enrollment.qr_code);
    let code = totp(&emu, &secret).await;
    let LoginResult::Authenticated { recovery_code, .. } = c
        .step(
            |core| core.mfa_confirm_totp(&json!({ "code": code })),
            StatusMeaning::MFA,
        )
        .await
        .unwrap()
    else {
        panic!("expected a session after enrollment")
    };
    let recovery_code = recovery_code.expect("a recovery code, shown once");

    // Next sign-in asks for the new factor; the recovery code turns MFA off instead.
    let c = client(&emu.base);
    mfa(login(&c, "demo@example.com").await);
    let recover = json!({ "email": "demo@example.com", "recoveryCode": recovery_code });
    c.call_empty(|core| core.mfa_recover(&recover), StatusMeaning::MFA)
        .await
        .unwrap();
    emu.config(serde_json::json!({ "mfa": { "enforce": "DontForce" } }))
        .await;
    authenticated(login(&client(&emu.base), "demo@example.com").await);
    let reused = client(&emu.base)
        .call_empty(|core| core.mfa_recover(&recover), StatusMeaning::MFA)
        .await
        .unwrap_err();
    assert_eq!(
        reused.code,
        ErrorCode::InvalidCode,
        "a recovery code works once"
    );
}

#[tokio::test]
async fn forced_sms_enrollment() {
    let emu = demo().await;
    emu.config(serde_json::json!({ "mfa": { "enforce": "Force" } }))
        .await;
    let c = client(&emu.base);
    mfa(login(&c, "demo@example.com").await);
    let sent: frontegg_auth_wasm::core::endpoints::CodeSent = c
        .call(
            |core| core.mfa_enroll_sms(&json!({ "phoneNumber": "+15550123" })),
            StatusMeaning::MFA,
        )
        .await
        .unwrap();
    let code = emu.last_message("+15550123").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let args = json!({ "otcToken": sent.otc_token, "code": code });
    let LoginResult::Authenticated { recovery_code, .. } = c
        .step(|core| core.mfa_confirm_sms(&args), StatusMeaning::MFA)
        .await
        .unwrap()
    else {
        panic!("expected a session")
    };
    assert!(recovery_code.is_some());
}

#[tokio::test]
async fn passwordless_code_magic_link_and_sms() {
    let emu = demo().await;
    let c = client(&emu.base);
    let sent = c
        .passwordless_start(&json!({ "type": "OTC", "email": "demo@example.com" }))
        .await
        .unwrap();
    assert_eq!(
        (sent.otc_token, sent.phone_number),
        (None, None),
        "the code alone names the login"
    );
    let code = emu.last_message("demo@example.com").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = c
        .step(
            |core| core.passwordless_complete(&json!({ "type": "OTC", "token": "000000" })),
            StatusMeaning::PASSWORDLESS,
        )
        .await;
    assert_eq!(wrong.unwrap_err().code, ErrorCode::InvalidCode);
    let args = json!({ "type": "OTC", "token": code });
    authenticated(
        c.step(
            |core| core.passwordless_complete(&args),
            StatusMeaning::PASSWORDLESS,
        )
        .await
        .unwrap(),
    );

    let c = client(&emu.base);
    c.passwordless_start(&json!({ "type": "MagicLink", "email": "demo@example.com" }))
        .await
        .unwrap();
    let message = emu.last_message("demo@example.com").await;
    assert_eq!(message["kind"], "magic_link");
    let args = json!({ "type": "MagicLink", "token": message["token"] });
    authenticated(
        c.step(
            |core| core.passwordless_complete(&args),
            StatusMeaning::PASSWORDLESS,
        )
        .await
        .unwrap(),
    );
    let reused = c
        .step(
            |core| core.passwordless_complete(&args),
            StatusMeaning::PASSWORDLESS,
        )
        .await
        .unwrap_err();
    assert_eq!(reused.code, ErrorCode::InvalidCode, "a link works once");

    emu.create_user(
        serde_json::json!({ "email": "phone@example.com", "phoneNumber": "+15550199" }),
    )
    .await;
    let c = client(&emu.base);
    c.passwordless_start(&json!({ "type": "SmsCode", "email": "phone@example.com" }))
        .await
        .unwrap();
    let code = emu.last_message("+15550199").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let args = json!({ "type": "SmsCode", "token": code });
    assert_eq!(
        authenticated(
            c.step(
                |core| core.passwordless_complete(&args),
                StatusMeaning::PASSWORDLESS
            )
            .await
            .unwrap()
        )
        .user
        .email,
        "phone@example.com"
    );

    // MFA still applies after a passwordless first factor.
    let c = client(&emu.base);
    c.passwordless_start(&json!({ "type": "OTC", "email": "mfa@example.com" }))
        .await
        .unwrap();
    let code = emu.last_message("mfa@example.com").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let args = json!({ "type": "OTC", "token": code });
    mfa(c
        .step(
            |core| core.passwordless_complete(&args),
            StatusMeaning::PASSWORDLESS,
        )
        .await
        .unwrap());
}

#[tokio::test]
async fn signup_forgot_reset_and_change_password() {
    let emu = demo().await;
    let c = client(&emu.base);
    let signed_up = c.signup(&json!({ "email": "new@example.com", "password": "First-pass-1!", "companyName": "New Co" })).await.unwrap();
    assert!(
        matches!(signed_up, SignUpResult::Login(ref r) if matches!(**r, LoginResult::Authenticated { .. }))
    );
    assert_eq!(c.get_profile().await.unwrap().email, "new@example.com");
    let taken = c
        .signup(
            &json!({ "email": "new@example.com", "password": "First-pass-1!", "companyName": "X" }),
        )
        .await
        .unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    let pending = client(&emu.base)
        .signup(&json!({ "email": "later@example.com", "companyName": "Later" }))
        .await
        .unwrap();
    assert_eq!(pending, SignUpResult::ActivationRequired);

    let change = json!({ "password": "First-pass-1!", "newPassword": "Second-pass-2!" });
    c.call_signed_in_empty(|core| core.change_password(&change))
        .await
        .unwrap();
    let login_with = |password: &'static str| {
        let url = emu.base.clone();
        async move {
            client(&url)
                .login(&json!({ "email": "new@example.com", "password": password }))
                .await
        }
    };
    assert_eq!(
        login_with("First-pass-1!").await.unwrap_err().code,
        ErrorCode::InvalidCredentials
    );
    authenticated(login_with("Second-pass-2!").await.unwrap());

    let forgot = json!({ "email": "new@example.com" });
    client(&emu.base)
        .call_empty(|core| core.forgot_password(&forgot), StatusMeaning::PUBLIC)
        .await
        .unwrap();
    let message = emu.last_message("new@example.com").await;
    assert_eq!(message["kind"], "password_reset");
    let link = message["link"].clone();
    let query = link
        .as_str()
        .and_then(|l| l.split_once('?'))
        .expect("reset link")
        .1
        .to_owned();
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .expect(name)
            .to_owned()
    };
    let reset =
        json!({ "userId": param("userId"), "token": param("token"), "password": "Third-pass-3!" });
    client(&emu.base)
        .call_empty(|core| core.reset_password(&reset), StatusMeaning::PUBLIC)
        .await
        .unwrap();
    authenticated(login_with("Third-pass-3!").await.unwrap());
    let reused = client(&emu.base)
        .call_empty(|core| core.reset_password(&reset), StatusMeaning::PUBLIC)
        .await
        .unwrap_err();
    assert_eq!(
        reused.code,
        ErrorCode::InvalidInput,
        "a reset link works once"
    );
}

/// Server mode keeps the remember-device cookie as a browser's jar would: after a verify with
/// `rememberDevice`, the next sign-in of this client (or of one restored from its snapshot)
/// skips MFA. The policy comes with the challenge, and a "no" keeps the flag off the wire.
#[tokio::test]
async fn a_remembered_device_skips_mfa_in_server_mode() {
    let emu = demo().await;
    let c = client(&emu.base);
    let challenge = mfa(login(&c, "mfa@example.com").await);
    assert_eq!(challenge.remember_device_allowed, Some(true));
    let code = totp(&emu, MFA_SECRET).await;
    let args = json!({ "code": code, "rememberDevice": true });
    authenticated(
        c.step(|core| core.mfa_verify_totp(&args), StatusMeaning::MFA)
            .await
            .unwrap(),
    );
    let snapshot = c.snapshot().expect("signed in");
    assert!(
        snapshot.contains("\"deviceCookie\":\"fe_device_"),
        "{snapshot}"
    );

    c.logout().await;
    authenticated(login(&c, "mfa@example.com").await);

    // A fresh process restored from the stored snapshot remembers the device too.
    let restored = client(&emu.base);
    assert!(restored.adopt_snapshot(&snapshot));
    restored.logout().await;
    authenticated(login(&restored, "mfa@example.com").await);
    // A client that never verified has no such cookie.
    mfa(login(&client(&emu.base), "mfa@example.com").await);

    emu.config(serde_json::json!({ "mfa": { "allowRememberDevice": false } }))
        .await;
    let c = client(&emu.base);
    let challenge = mfa(login(&c, "mfa@example.com").await);
    assert_eq!(challenge.remember_device_allowed, Some(false));
    // A TOTP code is good once: the next one comes in the next window.
    emu.advance(30).await;
    let code = totp(&emu, MFA_SECRET).await;
    let args = json!({ "code": code, "rememberDevice": true });
    authenticated(
        c.step(|core| core.mfa_verify_totp(&args), StatusMeaning::MFA)
            .await
            .unwrap(),
    );
    assert!(!c.snapshot().unwrap().contains("deviceCookie"));
}

/// `mfaSettingsEnrollSms` / `mfaSettingsConfirmSms`: a signed-in user adds an MFA phone, as
/// `preEnrollMFASMS` and `enrollMFASMS` do; the next sign-in asks for it.
#[tokio::test]
async fn sms_enrollment_from_settings() {
    let emu = demo().await;
    let c = client(&emu.base);
    authenticated(login(&c, "demo@example.com").await);
    let sent = c
        .mfa_settings_enroll_sms(&json!({ "phoneNumber": "+15550177" }))
        .await
        .unwrap();
    assert!(sent.otc_token.is_some());
    let code = emu.last_message("+15550177").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = c
        .mfa_settings_confirm_sms(&json!({ "code": "000000" }))
        .await
        .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidInput);
    // The otcToken is remembered from the enrollment.
    let done = c
        .mfa_settings_confirm_sms(&json!({ "code": code }))
        .await
        .unwrap();
    assert!(done.recovery_code.is_some());
    let devices: frontegg_auth_wasm::core::endpoints::MfaDevices = c
        .call_signed_in(frontegg_auth_wasm::core::AuthCore::list_mfa_devices)
        .await
        .unwrap();
    assert_eq!(devices.phones.len(), 1);
    let challenge = mfa(login(&client(&emu.base), "demo@example.com").await);
    assert_eq!(challenge.devices.phones.len(), 1);
}
