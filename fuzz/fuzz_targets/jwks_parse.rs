//! JWKS documents as `verifyAccessToken` fetches them, and key lookup by `kid`.
#![no_main]

use frontegg_auth_wasm::core::error::ErrorCode;
use frontegg_auth_wasm::core::verify::{find_key, parse_jwks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_jwks(text) {
        Ok(keys) => {
            assert!(keys.iter().all(|k| k.kty == "RSA"));
            for key in &keys {
                if let Some(kid) = key.kid.as_deref() {
                    assert_eq!(
                        find_key(&keys, Some(kid)).and_then(|k| k.kid.as_deref()),
                        Some(kid)
                    );
                }
            }
            assert_eq!(find_key(&keys, None).is_some(), keys.len() == 1);
        }
        Err(e) => assert_eq!(e.code, ErrorCode::Server),
    }
});
