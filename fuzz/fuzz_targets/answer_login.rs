//! Login-like answers (password, MFA step, passwordless, sign-up, API token, remember-device
//! policy) with any status, body and cookies.
#![no_main]

use frontegg_auth_wasm::core::account::SignUpResult;
use frontegg_auth_wasm::core::error::StatusMeaning;
use frontegg_auth_wasm::core::flows::LoginResult;
use frontegg_auth_wasm::core::AuthCore;
use frontegg_auth_wasm_fuzz::{
    answer, assert_signs_in, mode, options, same_instant, success, Answer, NOW,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(Answer { pick, response }) = answer(data) else {
        return;
    };
    let mode = mode(pick);
    let mut core = AuthCore::new(options(), mode);
    let status = response.status;
    let result = match pick & 0x07 {
        0 => core.handle_login(response, NOW),
        1 => core.handle_login_like(response, NOW, StatusMeaning::MFA),
        2 => core.handle_login_like(response, NOW, StatusMeaning::PASSWORDLESS),
        3 => match core.handle_signup(response, NOW) {
            Ok(SignUpResult::Login(result)) => Ok(*result),
            Ok(SignUpResult::ActivationRequired) => {
                assert!(success(status));
                assert!(core.session().is_none());
                return assert_signs_in(&mut core);
            }
            Err(e) => Err(e),
        },
        4 => core
            .handle_api_token(response, NOW)
            .map(|session| LoginResult::Authenticated {
                session,
                recovery_code: None,
            }),
        _ => {
            let allowed = core.handle_remember_policy("mfa-token", &response);
            assert!(allowed.is_none() || success(status));
            return assert_signs_in(&mut core);
        }
    };
    match &result {
        Ok(LoginResult::Authenticated { session, .. }) => {
            assert!(success(status), "a {status} answer signed in");
            assert_eq!(core.session(), Some(session));
            // The session survives storage: its snapshot is taken in by a fresh client.
            let snapshot = core.snapshot().expect("signed in, so there is a snapshot");
            let mut restored = AuthCore::new(options(), mode);
            assert!(
                restored.adopt_snapshot(&snapshot, 0.0),
                "own snapshot refused: {snapshot}"
            );
            let held = restored.session().expect("adopted");
            assert_eq!(held.access_token, session.access_token);
            assert!(same_instant(held.expires_at, session.expires_at));
            assert_eq!(held.user, session.user);
        }
        Ok(_) => {
            assert!(success(status), "a {status} answer went on to a next step");
            assert!(core.session().is_none());
        }
        Err(e) => {
            assert!(core.session().is_none());
            assert!(!e.message.is_empty());
        }
    }
    assert_signs_in(&mut core);
});
