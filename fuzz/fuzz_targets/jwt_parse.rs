//! Bearer tokens as `verifyAccessToken` and sign-in read them: taken apart, claims checked,
//! and the session's user read from the payload.
#![no_main]

use frontegg_auth_wasm::core::base64url;
use frontegg_auth_wasm::core::error::ErrorCode;
use frontegg_auth_wasm::core::json;
use frontegg_auth_wasm::core::secret::Secret;
use frontegg_auth_wasm::core::session::session_expiring_at;
use frontegg_auth_wasm::core::verify::{check_claims, parse, Claims, HeaderMemo, VerifyOptions};
use frontegg_auth_wasm_fuzz::NOW;
use libfuzzer_sys::fuzz_target;
use frontegg_auth_wasm_fuzz::ours;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    match parse(token, &mut HeaderMemo::default()) {
        Ok(jwt) => {
            // What is checked against the signature is exactly the token up to its last dot.
            let (signed, signature) = token.trim().rsplit_once('.').expect("three parts");
            assert_eq!(jwt.signed, signed);
            assert_eq!(Some(jwt.signature), base64url::decode(signature));
            let options = VerifyOptions::from_json(&ours!({
                "baseUrl": "https://auth.example.com", "issuer": "https://auth.example.com",
                "audience": "app", "clockSkewSeconds": 30,
            }))
            .expect("valid options");
            // The payload is within the JSON limits, so reading it can't overflow.
            assert!(json::within_limits(&jwt.payload));
            if let Some(claims) = json::serde_from_str::<Claims>(&jwt.payload) {
                if let Err(e) = check_claims(&claims, &options, NOW / 1000.0) {
                    assert_eq!(e.code, ErrorCode::Unauthorized);
                }
            }
        }
        Err(e) => assert_eq!(e.code, ErrorCode::Unauthorized),
    }
    if let Ok(session) = session_expiring_at(Secret::new(token), NOW, None) {
        assert_eq!(session.access_token.expose(), token);
    }
});
