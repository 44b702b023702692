//! Error bodies of every status, read with every endpoint's meaning of 400/401/403.
#![no_main]

use frontegg_auth_wasm::core::account::expect_success;
use frontegg_auth_wasm::core::error::{Error, StatusMeaning};
use frontegg_auth_wasm_fuzz::{answer, success, Answer};
use libfuzzer_sys::fuzz_target;

const MEANINGS: [StatusMeaning; 6] = [
    StatusMeaning::LOGIN,
    StatusMeaning::REFRESH,
    StatusMeaning::SIGNED_IN,
    StatusMeaning::MFA,
    StatusMeaning::PASSWORDLESS,
    StatusMeaning::PUBLIC,
];

fuzz_target!(|data: &[u8]| {
    let Some(Answer { pick, response }) = answer(data) else {
        return;
    };
    let meaning = MEANINGS[usize::from(pick) % MEANINGS.len()];
    let status = response.status;
    let e = Error::from_status(status, &response.body, response.trace_id.clone(), meaning);
    // The code depends on the status (and the endpoint's meaning) alone, never on the body.
    let bodiless = Error::from_status(status, "", None, meaning);
    assert_eq!(e.code, bodiless.code);
    assert_eq!(e.status, Some(status));
    assert_eq!(e.trace_id, response.trace_id);
    assert!(
        !e.message.trim().is_empty(),
        "an empty message for {status}"
    );
    assert_eq!(expect_success(&response, meaning).is_ok(), success(status));
});
