//! Base64url without padding, the encoding of JWTs and of WebAuthn's binary fields. Decoding is
//! our own, in every build: it runs on every verified token, and a loop over bytes in the wasm is
//! many times faster than handing the text to the runtime's `atob` and the "binary string" back.
//! Encoding is the `base64` crate natively and the runtime's `btoa` in wasm, so no encoder ships
//! in the wasm.

/// Not a base64url character, in [`SEXTETS`].
const NOT_BASE64URL: u8 = 0xff;

/// The value of each byte as a base64url character: one load per character, where the ranges
/// of the alphabet would be several comparisons.
// Indexing is evaluated by the compiler here: an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
const SEXTETS: [u8; 256] = {
    let mut table = [NOT_BASE64URL; 256];
    let mut c = 0u8;
    loop {
        table[c as usize] = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => NOT_BASE64URL,
        };
        if c == u8::MAX {
            break table;
        }
        c += 1;
    }
};

/// The value of one base64url character.
fn sextet(c: u8) -> Option<u32> {
    match SEXTETS.get(usize::from(c)) {
        Some(&value) if value != NOT_BASE64URL => Some(u32::from(value)),
        _ => None,
    }
}

/// The bytes of unpadded base64url text; `None` for anything else (padding, whitespace, the
/// standard alphabet's `+` and `/`, a length no encoder produces). The unused low bits of the
/// last character are ignored, as `atob` and jose ignore them.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    // Each character carries 6 bits, so n characters are n * 6 / 8 whole bytes; one character
    // past a multiple of four carries less than a byte, which no encoder writes.
    if text.len() % 4 == 1 {
        return None;
    }
    // Filled in place, one byte whenever 8 bits are held: a call per byte or per group of
    // three costs more than the decoding itself in the size-optimised wasm.
    let mut out = vec![0; text.len() * 3 / 4];
    let mut bytes = out.iter_mut();
    let (mut bits, mut held) = (0u32, 0u32);
    for &c in text {
        bits = (bits << 6) | sextet(c)?;
        held += 6;
        if held >= 8 {
            held -= 8;
            if let Some(byte) = bytes.next() {
                *byte = (bits >> held) as u8;
            }
        }
    }
    Some(out)
}

/// Unpadded base64url of `bytes`.
#[cfg(not(target_arch = "wasm32"))]
pub fn encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(target_arch = "wasm32")]
use crate::wasm::codec::btoa;

/// Unpadded base64url of `bytes`.
#[cfg(target_arch = "wasm32")]
pub fn encode(bytes: &[u8]) -> String {
    let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
    btoa(&binary)
        .unwrap_or_default()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract the wasm build (tests/browser.rs) is held to as well.
    #[test]
    fn strict_unpadded_base64url() {
        let all: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 2, 3, 4, 255, 256] {
            let text = encode(&all[..len]);
            assert_eq!(decode(&text).as_deref(), Some(&all[..len]), "{text}");
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        for junk in [
            "a", "ab=c", "AQ==", "+/8", " AQ", "é", "AQ\n", "AQAB_", "A.AB",
        ] {
            assert_eq!(decode(junk), None, "{junk:?}");
        }
        assert_eq!(
            decode("AR").as_deref(),
            Some(&[1][..]),
            "unused bits are ignored"
        );
    }

    proptest::proptest! {
        /// The same bytes as the `base64` crate, set to ignore unused bits as `atob` does, for any
        /// text over the alphabet and then some.
        #[test]
        fn decodes_as_the_base64_crate(text in "[A-Za-z0-9_=+/-]{0,40}") {
            use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
            use base64::Engine as _;
            let reference = GeneralPurpose::new(
                &base64::alphabet::URL_SAFE,
                GeneralPurposeConfig::new()
                    .with_decode_allow_trailing_bits(true)
                    .with_decode_padding_mode(DecodePaddingMode::RequireNone),
            );
            proptest::prop_assert_eq!(decode(&text), reference.decode(&text).ok());
        }
    }
}
