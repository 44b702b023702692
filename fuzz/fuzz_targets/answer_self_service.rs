//! Answers to a signed-in user's calls (profile, sessions, tenants, authorization, MFA devices
//! and their enrollment, device removal, passkeys, tenant switch), through the driver: a 401
//! there also sends the refresh, which gets the same answer.
#![no_main]

use frontegg_auth_wasm::client::calls::Calls;
use frontegg_auth_wasm::core::account::expect_success;
use frontegg_auth_wasm::core::error::{Result, StatusMeaning};
use frontegg_auth_wasm::core::json::Value;
use frontegg_auth_wasm::core::self_service::read_recovery_code;
use frontegg_auth_wasm::core::AuthCore;
use frontegg_auth_wasm_fuzz::{
    answer, assert_client_signs_in, block_on, mode, signed_in_client, success, Answer, Scripted,
};
use frontegg_auth_wasm::client::Client;
use libfuzzer_sys::fuzz_target;
use frontegg_auth_wasm_fuzz::ours;

/// Runs the package's method `name` from the driver's table, as the wasm does.
fn run(client: &Client<Scripted>, name: &str, args: Value) -> Result<Value> {
    let call = Value::call(name).expect("a method of the table");
    block_on(client.run_call(call, &args))
}

fuzz_target!(|data: &[u8]| {
    let Some(Answer { pick, response }) = answer(data) else {
        return;
    };
    let client = signed_in_client(mode(pick));
    let status = response.status;
    *client.runtime().answer.borrow_mut() = response.clone();
    // Whether the call succeeded; every call must fail on an answer that is not a 2xx.
    let ok = match pick & 0x0f {
        0 => run(&client, "getProfile", Value::Null).is_ok(),
        1 => match run(&client, "listSessions", Value::Null) {
            // At most one session is this one.
            Ok(Value::Array(sessions)) => {
                let current = sessions
                    .iter()
                    .filter(|s| s.get("current").and_then(Value::as_bool) == Some(true))
                    .count();
                current <= 1
            }
            Ok(_) => panic!("sessions are a list"),
            Err(_) => false,
        },
        2 => run(&client, "listTenants", Value::Null).is_ok(),
        3 => run(&client, "getAuthorization", Value::Null).is_ok(),
        4 => run(&client, "listMfaDevices", Value::Null).is_ok(),
        5 => run(&client, "mfaSettingsEnrollTotp", Value::Null).is_ok(),
        6 => run(&client, "mfaSettingsEnrollSms", ours!({ "phoneNumber": "+15555550100" })).is_ok(),
        7 => run(&client, "mfaSettingsConfirmSms", ours!({ "code": "123456", "otcToken": "otc" }))
            .is_ok(),
        8 | 9 => {
            let args = if pick & 0x0f == 8 {
                ours!({ "deviceId": "d1", "kind": "sms" })
            } else {
                ours!({ "deviceId": "d1", "kind": "authenticator", "code": "123456" })
            };
            block_on(client.run_call(&Value::DISABLE_DEVICE, &args)).is_ok()
        }
        10 => run(&client, "passkeysList", Value::Null).is_ok(),
        11 => block_on(client.switch_tenant(&ours!("tenant-2"))).is_ok(),
        12 => run(&client, "revokeSession", ours!("s1")).is_ok(),
        13 => {
            // The readers the wasm layer calls on a body it already has.
            let tenants = AuthCore::read_tenants(&response.body);
            let code = read_recovery_code(&response, StatusMeaning::SIGNED_IN);
            assert_eq!(code.is_ok(), success(status));
            assert_eq!(
                expect_success(&response, StatusMeaning::MFA).is_ok(),
                success(status)
            );
            tenants.is_some() && success(status)
        }
        _ => {
            // Sign-out ends the session locally whatever the host answers.
            let _ = block_on(
                client.logout_with(frontegg_auth_wasm::core::LogoutInput { everywhere: true }),
            );
            assert!(client.session().is_none());
            false
        }
    };
    assert!(
        !ok || success(status),
        "a call succeeded on a {status} answer"
    );
    assert_client_signs_in(&client);
});
