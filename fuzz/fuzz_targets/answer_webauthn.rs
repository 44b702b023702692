//! WebAuthn answers: the ceremony options (creation and request), the registration answer, and
//! whole ceremonies through the driver with a stand-in authenticator.
#![no_main]

use frontegg_auth_wasm::client::webauthn::Authenticator;
use frontegg_auth_wasm::core::base64url;
use frontegg_auth_wasm::core::endpoints::WebAuthnDevice;
use frontegg_auth_wasm::core::error::Result;
use frontegg_auth_wasm::core::json;
use frontegg_auth_wasm::core::webauthn::{
    creation_options, registered_device, request_options, BrowserCredential, Ceremony, Challenge,
    CreationOptions, RequestOptions,
};
use frontegg_auth_wasm::core::AuthCore;
use frontegg_auth_wasm_fuzz::{
    answer, assert_client_signs_in, block_on, mode, signed_in_client, success, Answer,
};
use libfuzzer_sys::fuzz_target;
use frontegg_auth_wasm::core::json::{Map, Value};
use frontegg_auth_wasm_fuzz::ours;

/// Answers every ceremony with a fixed credential, after checking the options it was given.
struct Stand;

impl Authenticator for Stand {
    async fn create(&self, options: CreationOptions) -> Result<BrowserCredential> {
        assert_challenge(&options.public_key);
        Ok(credential(Some(vec![0xa0])))
    }
    async fn get(&self, options: RequestOptions) -> Result<BrowserCredential> {
        assert_challenge(&options.public_key);
        Ok(credential(None))
    }
}

fn credential(attestation: Option<Vec<u8>>) -> BrowserCredential {
    let assertion = attestation.is_none();
    BrowserCredential {
        raw_id: vec![1, 2, 3],
        type_: "public-key".into(),
        client_data_json: br#"{"type":"webauthn.get"}"#.to_vec(),
        attestation_object: attestation,
        authenticator_data: assertion.then(|| vec![5; 37]),
        signature: assertion.then(|| vec![6; 8]),
        user_handle: None,
        authenticator_attachment: Some("platform".into()),
        transports: vec!["internal".into()],
        client_extension_results: Value::Object(Map::new()),
    }
}

/// Checked options carry a challenge of 1..=1024 bytes in canonical base64url.
fn assert_challenge(public_key: &Map) {
    let challenge = public_key
        .get("challenge")
        .and_then(Value::as_str)
        .expect("a string challenge");
    let bytes = base64url::decode(challenge).expect("base64url");
    assert!((1..=1024).contains(&bytes.len()));
    assert_eq!(base64url::encode(&bytes), challenge);
}

fuzz_target!(|data: &[u8]| {
    let Some(Answer { pick, response }) = answer(data) else {
        return;
    };
    let status = response.status;
    match pick & 0x07 {
        0 | 1 => {
            let Some(challenge) = json::from_str::<Challenge>(&response.body) else {
                return;
            };
            // Checking is idempotent: checked options pass again unchanged.
            if pick & 1 == 0 {
                if let Ok(o) = creation_options(&challenge.options) {
                    assert_challenge(&o.public_key);
                    let again = creation_options(&Value::Object(o.public_key.clone()));
                    assert_eq!(again.as_ref(), Ok(&o));
                }
            } else if let Ok(o) = request_options(&challenge.options) {
                assert_challenge(&o.public_key);
                let again = request_options(&Value::Object(o.public_key.clone()));
                assert_eq!(again.map(|a| a.public_key).as_ref(), Ok(&o.public_key));
            }
        }
        2 => {
            let sent = WebAuthnDevice {
                id: "cred-1".into(),
                device_type: "Platform".into(),
                ..Default::default()
            };
            match registered_device(&response, sent) {
                Ok(device) => {
                    assert!(success(status));
                    assert!(!device.id.is_empty() && !device.device_type.is_empty());
                }
                Err(e) => assert!(!success(status), "{e:?}"),
            }
        }
        ceremony => {
            let client = signed_in_client(mode(pick));
            *client.runtime().answer.borrow_mut() = response;
            let (start, args): (fn(&AuthCore, &_) -> Result<Ceremony>, _) = match ceremony {
                3 => (AuthCore::passkey_register_ceremony, ours!({ "name": "Key" })),
                4 => (AuthCore::passkey_login_ceremony, ours!({ "email": "a@b.c" })),
                5 => (
                    AuthCore::mfa_verify_webauthn_ceremony,
                    ours!({ "mfaToken": "m", "deviceId": "d1" }),
                ),
                6 => (
                    AuthCore::mfa_enroll_webauthn_ceremony,
                    ours!({ "mfaToken": "m", "deviceType": "Platform" }),
                ),
                7 if pick & 0x80 == 0 => (
                    AuthCore::mfa_disable_webauthn_ceremony,
                    ours!({ "deviceId": "d1", "kind": "webauthn" }),
                ),
                _ => (
                    AuthCore::mfa_settings_enroll_webauthn_ceremony,
                    ours!({ "deviceType": "Platform" }),
                ),
            };
            let ok = block_on(client.ceremony(start, &args, &Stand)).is_ok();
            assert!(
                !ok || success(status),
                "a ceremony succeeded on a {status} answer"
            );
            assert_client_signs_in(&client);
        }
    }
});
