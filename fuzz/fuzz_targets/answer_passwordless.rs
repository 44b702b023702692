//! Passwordless answers: the start (link, email code, SMS code) and the completion, through the
//! driver so the answer reaches the caller as it would in the package.
#![no_main]

use frontegg_auth_wasm::client::Client;
use frontegg_auth_wasm::core::error::StatusMeaning;
use frontegg_auth_wasm::core::flows::LoginResult;
use frontegg_auth_wasm_fuzz::{
    answer, assert_client_signs_in, block_on, mode, success, Answer, Scripted, NOW,
};
use libfuzzer_sys::fuzz_target;
use frontegg_auth_wasm_fuzz::ours;

fuzz_target!(|data: &[u8]| {
    let Some(Answer { pick, response }) = answer(data) else {
        return;
    };
    let client = Client::new(
        frontegg_auth_wasm_fuzz::options(),
        mode(pick),
        Scripted::new(),
        || NOW,
    );
    let status = response.status;
    *client.runtime().answer.borrow_mut() = response;
    let kind = ["magiclink", "code", "smscode"][usize::from(pick & 0x03) % 3];
    if pick & 0x04 == 0 {
        let started =
            block_on(client.passwordless_start(&ours!({ "type": kind, "email": "a@b.c" })));
        assert!(
            started.is_err() || success(status),
            "a {status} answer sent a code"
        );
        assert!(client.session().is_none());
    } else {
        let args = ours!({ "type": kind, "token": "123456" });
        let finished = block_on(client.step(
            |core| core.passwordless_complete(&args),
            StatusMeaning::PASSWORDLESS,
        ));
        match finished {
            Ok(LoginResult::Authenticated { session, .. }) => {
                assert!(success(status));
                assert_eq!(client.session(), Some(session));
            }
            Ok(_) => assert!(success(status)),
            Err(_) => assert!(client.session().is_none()),
        }
    }
    assert_client_signs_in(&client);
});
