//! Refresh answers to a signed-in client: browser, server (refresh cookie) or API-token session.
#![no_main]

use frontegg_auth_wasm::core::error::ErrorCode;
use frontegg_auth_wasm_fuzz::{
    answer, assert_signs_in, good_login, mode, signed_in, success, Answer, NOW,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(Answer { pick, response }) = answer(data) else {
        return;
    };
    let mut core = signed_in(mode(pick));
    if pick & 0x01 == 1 {
        // A machine session instead: it refreshes with the token in the body.
        core.handle_api_token(good_login(), NOW)
            .expect("a good API-token answer");
    }
    assert!(core.refresh_request().is_ok());
    let before = core.session().cloned().expect("signed in");
    let status = response.status;
    match core.handle_refresh(response, NOW + 60_000.0) {
        Ok(session) => {
            assert!(success(status), "a {status} answer refreshed");
            assert_eq!(core.session(), Some(&session));
        }
        Err(e) if matches!(status, 400 | 401 | 403) => {
            // The host refused the refresh token: the session is over.
            assert_eq!(e.code, ErrorCode::SessionExpired);
            assert!(core.session().is_none());
        }
        Err(e) => {
            // Anything else (5xx, garbage) keeps the session for a retry.
            assert_ne!(e.code, ErrorCode::SessionExpired, "{e:?}");
            assert_eq!(core.session(), Some(&before));
        }
    }
    assert_signs_in(&mut core);
});
