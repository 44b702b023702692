//! Answers to a signed-in user's calls (profile, sessions, tenants, authorization, MFA devices
//! and their enrollment, device removal, passkeys, tenant switch), through the driver: a 401
//! there also sends the refresh, which gets the same answer.
#![no_main]

use frontegg_auth_wasm::core::account::expect_success;
use frontegg_auth_wasm::core::endpoints::{MfaDevices, TotpEnrollment};
use frontegg_auth_wasm::client::Client;
use frontegg_auth_wasm::core::error::{Result, StatusMeaning};
use frontegg_auth_wasm::core::http::{HttpRequest, HttpResponse};
use frontegg_auth_wasm::core::self_service::{read_recovery_code, Authorization};
use frontegg_auth_wasm::core::AuthCore;
use frontegg_auth_wasm_fuzz::{
    answer, assert_client_signs_in, block_on, mode, signed_in_client, success, Answer, Scripted,
};
use libfuzzer_sys::fuzz_target;
use frontegg_auth_wasm_fuzz::ours;

/// One request and the core's read of its answer, as the wasm's one-request methods run.
fn read<O>(
    client: &Client<Scripted>,
    build: impl Fn(&AuthCore) -> Result<HttpRequest>,
    read: impl FnOnce(&mut AuthCore, HttpResponse) -> Result<O>,
) -> Result<O> {
    let response = block_on(client.exchange(&build, true))?;
    client.take_in(|core, _| read(core, response))
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
        0 => block_on(client.get_profile()).is_ok(),
        1 => match read(&client, |c| c.list_sessions(), |c, r| c.handle_sessions(&r)) {
            // At most one session is this one.
            Ok(sessions) => sessions.iter().filter(|s| s.current).count() <= 1,
            Err(_) => false,
        },
        2 => read(&client, AuthCore::list_tenants, |_, r| AuthCore::handle_tenants(&r)).is_ok(),
        3 => block_on(client.call_signed_in::<Authorization>(AuthCore::get_authorization)).is_ok(),
        4 => block_on(client.call_signed_in::<MfaDevices>(AuthCore::list_mfa_devices)).is_ok(),
        5 => block_on(client.call_signed_in::<TotpEnrollment>(AuthCore::mfa_settings_enroll_totp))
            .is_ok(),
        6 => block_on(client.mfa_settings_enroll_sms(&ours!({ "phoneNumber": "+15555550100" })))
            .is_ok(),
        7 => block_on(
            client.mfa_settings_confirm_sms(&ours!({ "code": "123456", "otcToken": "otc" })),
        )
        .is_ok(),
        8 | 9 => {
            let args = if pick & 0x0f == 8 {
                ours!({ "deviceId": "d1", "kind": "sms" })
            } else {
                ours!({ "deviceId": "d1", "kind": "authenticator", "code": "123456" })
            };
            let build = |c: &AuthCore| c.disable_device_request(&c.disable_device_input(&args)?);
            read(&client, build, |c, r| {
                let input = c.disable_device_input(&args)?;
                c.handle_disable_device(&input, &r)
            })
            .is_ok()
        }
        10 => read(&client, AuthCore::passkeys_list, |_, r| AuthCore::handle_passkeys(&r)).is_ok(),
        11 => block_on(client.switch_tenant(&ours!("tenant-2"))).is_ok(),
        12 => {
            block_on(client.call_signed_in_empty(|core| core.revoke_session(&ours!("s1")))).is_ok()
        }
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
