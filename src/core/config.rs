//! Client options: validated once, up front, so a typo fails at `createAuth` and not at the
//! first sign-in.

use crate::core::json::Value;

use crate::core::error::{Error, Result};
use crate::core::input::Fields;
use crate::core::origin::{normalize_origin, origin_of};

/// Where the refresh token lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In the identity host's httpOnly cookie; page script never sees it.
    Browser,
    /// In the SDK, sent back as a `Cookie` header (Node, Deno, edge workers).
    Server,
}

/// Where the session snapshot (never the browser-mode refresh token) is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// In memory, gone with the page. The default: nothing for other scripts to read.
    Memory,
    /// `localStorage`: survives reloads and is shared by the origin's tabs.
    Local,
    /// `sessionStorage`: survives reloads of this tab only.
    Session,
    /// The caller's `{ get, set, remove }` object (a worker's KV, a server's session store).
    Adapter,
}

/// Validated client options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Identity host without a trailing slash, e.g. `https://app-x.frontegg.com`.
    pub base_url: String,
    /// Names the refresh cookie in server mode.
    pub client_id: Option<String>,
    /// Sent as `frontegg-requested-application-id`.
    pub app_id: Option<String>,
    /// Browser or server; `None` lets the shell decide from the runtime.
    pub mode: Option<Mode>,
    /// Where the session snapshot is kept.
    pub storage: StorageKind,
    /// Refresh before the access token expires.
    pub auto_refresh: bool,
    /// How long before expiry to refresh.
    pub refresh_leeway_seconds: u32,
    /// Per-request timeout.
    pub timeout_ms: u32,
    /// Origins besides the identity host and the page's own to which `auth.fetch` may send the
    /// access token, normalised as `URL.origin` spells them (see [`crate::core::origin`]).
    pub bearer_origins: Vec<String>,
}

impl Options {
    /// Validates options given as JSON (the JS object minus functions).
    pub fn from_json(value: &Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::invalid_input(
                "createAuth needs an options object, e.g. { baseUrl: \"https://app-x.frontegg.com\" }.",
            ));
        }
        let mut f = Fields::new("createAuth", value)?;
        let base_url = normalize_base_url(f.opt_str("baseUrl")?.ok_or_else(|| {
            Error::invalid_input(
                "createAuth: `baseUrl` is required, e.g. \"https://app-x.frontegg.com\".",
            )
        })?)?;
        let mode = match f.opt_str("mode")? {
            None => None,
            Some("browser") => Some(Mode::Browser),
            Some("server") => Some(Mode::Server),
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "createAuth: `mode` must be \"browser\" or \"server\", not \"{other}\"."
                )))
            }
        };
        // An adapter object is taken out by the JS shell, which then sets `StorageKind::Adapter`.
        let storage = match f.opt_str("storage")? {
            None | Some("memory") => StorageKind::Memory,
            Some("local") => StorageKind::Local,
            Some("session") => StorageKind::Session,
            Some(other) => {
                return Err(Error::invalid_input(format!(
                    "createAuth: `storage` must be \"memory\", \"local\", \"session\" or an adapter {{ get, set, remove }}, not \"{other}\"."
                )))
            }
        };
        let options = Self {
            base_url,
            client_id: f.opt_str("clientId")?.map(str::to_owned),
            app_id: f.opt_str("appId")?.map(str::to_owned),
            mode,
            storage,
            auto_refresh: f.opt_bool("autoRefresh")?.unwrap_or(true),
            refresh_leeway_seconds: f.opt_u32("refreshLeewaySeconds", 0, 86_400)?.unwrap_or(30),
            timeout_ms: f.opt_u32("timeoutMs", 1, 600_000)?.unwrap_or(15_000),
            bearer_origins: bearer_origins(value.get("bearerOrigins"))?,
        };
        f.skip("bearerOrigins");
        // `fetch` (a JS function) is taken out and checked by the JS shell before this point.
        f.finish()?;
        Ok(options)
    }
}

/// Reads `bearerOrigins`: an array of origins (`scheme://host[:port]`), each checked and
/// normalised; missing or `null` is none.
fn bearer_origins(value: Option<&Value>) -> Result<Vec<String>> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Error::invalid_input(
                "createAuth: `bearerOrigins` must be an array of origins, e.g. [\"https://api.example.com\"].",
            ))
        }
    };
    items
        .iter()
        .map(|item| {
            item.as_str().and_then(normalize_origin).ok_or_else(|| {
                Error::invalid_input(format!(
                    "createAuth: `bearerOrigins` must hold origins such as \"https://api.example.com\" (scheme, host and optional port; no path), not {}.",
                    crate::core::json::to_string(item)
                ))
            })
        })
        .collect()
}

/// Checks that `base_url` is an absolute http(s) origin (with an optional path prefix) and
/// strips the trailing slash, so paths can be appended as they are.
pub fn normalize_base_url(raw: &str) -> Result<String> {
    let bad = || {
        Error::invalid_input(format!(
            "`baseUrl` must be an absolute http(s) URL such as \"https://app-x.frontegg.com\", not \"{raw}\"."
        ))
    };
    let trimmed = raw.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or_default();
    let valid_host = !host.is_empty()
        && !host.starts_with(':')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    // The origin parser `auth.fetch` uses too: brackets closed, the port a number.
    if !valid_host || rest.contains(['?', '#', ' ', '\t', '\n']) || origin_of(trimmed).is_none() {
        return Err(bad());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    use crate::core::json::json;

    #[test]
    fn defaults() {
        let o = Options::from_json(&json!({ "baseUrl": "http://127.0.0.1:8787/" })).unwrap();
        assert_eq!(o.base_url, "http://127.0.0.1:8787");
        assert_eq!(o.mode, None);
        assert_eq!(o.storage, StorageKind::Memory);
        assert!(o.auto_refresh);
        assert_eq!(o.refresh_leeway_seconds, 30);
        assert_eq!(o.timeout_ms, 15_000);
        assert!(o.bearer_origins.is_empty());
    }

    #[test]
    fn bearer_origins_are_checked_and_normalised() {
        let o = Options::from_json(&json!({
            "baseUrl": "http://x",
            "bearerOrigins": ["https://API.example.com:443", "http://localhost:3000"],
        }))
        .unwrap();
        assert_eq!(
            o.bearer_origins,
            ["https://api.example.com", "http://localhost:3000"]
        );
        let none = json!({ "baseUrl": "http://x", "bearerOrigins": null });
        assert!(Options::from_json(&none).unwrap().bearer_origins.is_empty());
        for bad in [
            json!("https://api.example.com"),
            json!(["https://api.example.com/v1"]),
            json!(["api.example.com"]),
            json!(["https://*.example.com"]),
            json!([42]),
            json!({ "origin": "https://api.example.com" }),
        ] {
            let input = json!({ "baseUrl": "http://x", "bearerOrigins": bad });
            let err = Options::from_json(&input).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{input}");
            assert!(
                err.message.contains("`bearerOrigins`"),
                "{input}: {}",
                err.message
            );
        }
    }

    #[test]
    fn bad_options_are_invalid_input_with_the_field_named() {
        let cases = [
            (json!(null), "options object"),
            (json!({}), "`baseUrl` is required"),
            (json!({ "baseUrl": 42 }), "`baseUrl` must be a string"),
            (
                json!({ "baseUrl": "app-x.frontegg.com" }),
                "absolute http(s) URL",
            ),
            (json!({ "baseUrl": "ftp://x" }), "absolute http(s) URL"),
            (json!({ "baseUrl": "http://" }), "absolute http(s) URL"),
            (json!({ "baseUrl": "http://a b" }), "absolute http(s) URL"),
            (json!({ "baseUrl": "http://[::1" }), "absolute http(s) URL"),
            (
                json!({ "baseUrl": "http://[::1]x" }),
                "absolute http(s) URL",
            ),
            (
                json!({ "baseUrl": "http://x:port" }),
                "absolute http(s) URL",
            ),
            (json!({ "baseUrl": "http://x", "mode": "edge" }), "`mode`"),
            (
                json!({ "baseUrl": "http://x", "timeoutMs": -1 }),
                "`timeoutMs`",
            ),
            (
                json!({ "baseUrl": "http://x", "timeoutMs": "5" }),
                "`timeoutMs` must be a number",
            ),
            (
                json!({ "baseUrl": "http://x", "autoRefresh": "yes" }),
                "`autoRefresh`",
            ),
            (
                json!({ "baseUrl": "http://x", "clientId": "" }),
                "`clientId` must not be empty",
            ),
            (
                json!({ "baseUrl": "http://x", "baseURL": "http://x" }),
                "unknown field `baseURL`",
            ),
        ];
        for (input, expected) in cases {
            let err = Options::from_json(&input).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{input}");
            assert!(err.message.contains(expected), "{input}: {}", err.message);
        }
    }

    #[test]
    fn base_url_keeps_a_path_prefix() {
        assert_eq!(
            normalize_base_url("https://x.example/auth/").unwrap(),
            "https://x.example/auth"
        );
        assert_eq!(
            normalize_base_url("http://[::1]:8787").unwrap(),
            "http://[::1]:8787"
        );
    }
}
