//! Base64url without padding, the encoding of JWTs and of WebAuthn's binary fields. Natively this
//! is the `base64` crate; in wasm the runtime's own `atob` and `btoa` (browsers, workers, Node,
//! Deno and workerd all have them) do the work, so no codec ships in the wasm.

/// The bytes of unpadded base64url text; `None` for anything else.
#[cfg(not(target_arch = "wasm32"))]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

/// Unpadded base64url of `bytes`.
#[cfg(not(target_arch = "wasm32"))]
pub fn encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(target_arch = "wasm32")]
use crate::wasm::codec::{atob, btoa};

/// The bytes of unpadded base64url text; `None` for anything else. `atob` is laxer (padding,
/// whitespace, the standard alphabet), so the text is checked first.
#[cfg(target_arch = "wasm32")]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !text.chars().all(url_safe) || text.len() % 4 == 1 {
        return None;
    }
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    // A "binary string": one char per byte, each below 256.
    let binary = atob(&standard)?;
    binary.chars().map(|c| u8::try_from(c).ok()).collect()
}

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

    /// The contract the wasm version (tests/browser.rs) is held to as well.
    #[test]
    fn strict_unpadded_base64url() {
        let all: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 2, 3, 4, 255, 256] {
            let text = encode(&all[..len]);
            assert_eq!(decode(&text).as_deref(), Some(&all[..len]), "{text}");
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        for junk in ["a", "ab=c", "AQ==", "+/8", " AQ", "é", "AQ\n"] {
            assert_eq!(decode(junk), None, "{junk:?}");
        }
    }
}
