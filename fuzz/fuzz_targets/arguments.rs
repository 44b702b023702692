//! Caller arguments (any JSON) to every call that checks them: a bad one is refused with
//! `invalid_input` before anything is sent, a good one makes a request with a JSON body.
#![no_main]

use frontegg_auth_wasm::core::config::Options;
use frontegg_auth_wasm::core::error::{ErrorCode, Result};
use frontegg_auth_wasm::core::http::HttpRequest;
use frontegg_auth_wasm::core::verify::VerifyOptions;
use frontegg_auth_wasm::core::AuthCore;
use frontegg_auth_wasm_fuzz::{mode, signed_in};
use libfuzzer_sys::fuzz_target;
use frontegg_auth_wasm::core::json::{self, Value};

/// The request builders that take the caller's argument as it came; `pick` chooses one.
const BUILDERS: &[fn(&AuthCore, &Value) -> Result<HttpRequest>] = &[
    |c, v| AuthCore::login_input(v).map(|i| c.login_request(&i)),
    |c, v| {
        AuthCore::logout_input(v).and_then(|i| {
            c.logout_others_request(&i)
                .unwrap_or_else(|| c.revoke_all_sessions())
        })
    },
    AuthCore::api_token_request,
    AuthCore::signup_request,
    AuthCore::change_password,
    AuthCore::forgot_password,
    AuthCore::reset_password,
    AuthCore::mfa_verify_totp,
    AuthCore::mfa_send_sms_code,
    AuthCore::mfa_verify_sms_code,
    AuthCore::mfa_send_email_code,
    AuthCore::mfa_verify_email_code,
    AuthCore::mfa_enroll_totp,
    AuthCore::mfa_confirm_totp,
    AuthCore::mfa_enroll_sms,
    AuthCore::mfa_confirm_sms,
    AuthCore::mfa_recover,
    AuthCore::passwordless_start,
    AuthCore::passwordless_complete,
    AuthCore::update_profile,
    AuthCore::revoke_session,
    |c, v| AuthCore::tenant_choice(v).and_then(|t| c.switch_tenant(&t)),
    AuthCore::mfa_settings_confirm_totp,
    AuthCore::mfa_settings_enroll_sms,
    AuthCore::mfa_settings_confirm_sms,
    |c, v| {
        c.disable_device_input(v)
            .and_then(|d| c.disable_device_request(&d))
    },
    |c, v| AuthCore::passkey_register_input(v).and_then(|_| c.passkey_register_start()),
    AuthCore::passkey_remove,
    |c, v| AuthCore::passkey_login_input(v).map(|i| c.passkey_prelogin(&i)),
    |c, v| {
        c.mfa_verify_webauthn_input(v)
            .map(|i| c.mfa_webauthn_start(&i))
    },
    |c, v| {
        c.mfa_enroll_webauthn_input(v)
            .map(|i| c.mfa_webauthn_start(&i))
    },
    |c, v| {
        AuthCore::mfa_settings_enroll_webauthn_input(v)
            .and_then(|_| c.mfa_settings_enroll_webauthn_start())
    },
    |c, v| c.mfa_disable_webauthn_ceremony(v).and_then(|m| (m.challenge)(c)),
    |c, v| Options::from_json(v).and_then(|_| c.profile_request()),
    |c, v| VerifyOptions::from_json(v).and_then(|_| c.profile_request()),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    // What a caller's argument becomes in wasm: JSON text read by the SDK's own reader.
    let Some(args) = std::str::from_utf8(rest).ok().and_then(json::parse) else {
        return;
    };
    let core = signed_in(mode(pick));
    let build = BUILDERS[usize::from(pick & 0x7f) % BUILDERS.len()];
    match build(&core, &args) {
        Ok(request) => {
            if let Some(body) = &request.body {
                serde_json::from_str::<serde_json::Value>(body).expect("a request body is JSON");
            }
            assert!(
                request.url.starts_with("https://auth.example.com/"),
                "{}",
                request.url
            );
        }
        Err(e) => {
            assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?} for {}", json::to_string(&args));
            assert!(!e.message.is_empty());
        }
    }
});
