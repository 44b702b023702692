//! Command line and configuration.
//!
//! The command line chooses where the emulator listens and stores data; the optional TOML file
//! (`--config`) sets the policies in [`Settings`]. The TOML keys are camelCase, the same names the
//! developer config endpoint uses in JSON, so one document works for both:
//!
//! ```toml
//! accessTokenTtlSeconds = 300
//! refreshTokenTtlSeconds = 2592000
//! clientId = "b9a1f0b6-0c7e-4c55-9d8e-2f6f5b0c1e11"
//! issuer = "http://127.0.0.1:8787"      # default: the address the emulator bound
//! appUrl = "http://localhost:5173"      # where emailed links open; default: the issuer
//! allowedOrigins = ["http://localhost:*", "http://127.0.0.1:*"]
//! ```
//!
//! Every key is optional; unknown keys are an error so typos don't pass silently.

use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use serde::{Deserialize, Serialize};

/// The client id used when none is configured; it names the refresh cookie.
pub const DEFAULT_CLIENT_ID: &str = "b9a1f0b6-0c7e-4c55-9d8e-2f6f5b0c1e11";

/// `frontegg-emulator` command line arguments.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "frontegg-emulator",
    version,
    about = "A local emulator of the Frontegg identity API"
)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (the first stdout line tells which).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// SQLite database file; created with its parent directory if missing.
    #[arg(
        long,
        default_value = ".emulator/emulator.db",
        conflicts_with = "memory"
    )]
    pub data: PathBuf,
    /// Keep all data in memory; nothing survives a restart.
    #[arg(long)]
    pub memory: bool,
    /// TOML file with policy settings (see the `config` module docs).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data to load into an empty database.
    #[arg(long, value_enum, default_value_t = SeedMode::Demo)]
    pub seed: SeedMode,
    /// Also serve the static files of this directory at `/`, behind the API routes.
    #[arg(long)]
    pub serve: Option<PathBuf>,
    /// Another browser origin (`scheme://host[:port]`, or `:*` for any port) allowed to call the
    /// emulator, developer endpoints included. Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN", value_parser = parse_origin_pattern)]
    pub allow_origins: Vec<String>,
    /// Another host name requests may address, besides loopback names and IP addresses (for a
    /// name in `/etc/hosts`, or a tunnel). Repeatable.
    #[arg(long = "allow-host", value_name = "HOST", value_parser = parse_host_name)]
    pub allow_hosts: Vec<String>,
}

/// `--allow-origin`: `http(s)://host[:port|:*]`, nothing after it.
fn parse_origin_pattern(value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or("an origin starts with http:// or https://")?;
    let authority = rest.strip_suffix(":*").unwrap_or(rest);
    if authority.is_empty() || authority.parse::<axum::http::uri::Authority>().is_err() {
        return Err("expected scheme://host[:port] or scheme://host:*".to_owned());
    }
    if authority.contains(['/', '@', '?', '#']) {
        return Err("an origin has no path, user or query".to_owned());
    }
    Ok(value.to_ascii_lowercase())
}

/// `--allow-host`: a bare host name, compared case-insensitively.
fn parse_host_name(value: &str) -> Result<String, String> {
    match value.parse::<axum::http::uri::Authority>() {
        Ok(authority) if authority.port().is_none() && !authority.as_str().contains('@') => {
            Ok(value.to_ascii_lowercase())
        }
        _ => Err("expected a host name without port, e.g. dev.example.test".to_owned()),
    }
}

impl Cli {
    /// Where the database lives, as chosen by `--data` / `--memory`.
    pub fn storage(&self) -> Storage {
        if self.memory {
            Storage::Memory
        } else {
            Storage::File(self.data.clone())
        }
    }
}

/// Origins and host names allowed beyond the defaults, from the command line. Not part of the
/// runtime config on purpose: the developer config endpoint cannot widen them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// `--allow-origin`: origin patterns allowed everywhere, developer endpoints included.
    pub origins: Vec<String>,
    /// `--allow-host`: host names served besides loopback names and IP addresses.
    pub hosts: Vec<String>,
}

impl Access {
    /// Whether requests addressed to `host` (a `Host` header: name or address, optional port)
    /// are served. IP addresses always are: rebinding needs a domain name, and the bound
    /// address (a LAN address under `--host 0.0.0.0`) is one of them.
    pub fn host_allowed(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<axum::http::uri::Authority>() else {
            return false;
        };
        if authority.as_str().contains('@') {
            return false;
        }
        let name = authority.host().trim_end_matches('.').to_ascii_lowercase();
        let address = name.trim_start_matches('[').trim_end_matches(']');
        address.parse::<std::net::IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.hosts.contains(&name)
    }
}

/// Which data an empty database is filled with on start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeedMode {
    /// The demo users and tenants of EMULATOR.md.
    Demo,
    /// Nothing: tests create what they need through the developer endpoints.
    None,
}

/// Where the SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A file, so data survives restarts.
    File(PathBuf),
    /// Memory only.
    Memory,
}

/// Policies that shape tokens and CORS; the developer config endpoint edits them at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Lifetime of access tokens.
    pub access_token_ttl_seconds: i64,
    /// Lifetime of each refresh token (every rotation starts a fresh lifetime).
    pub refresh_token_ttl_seconds: i64,
    /// How long after its rotation a refresh token may come back as a retry (the client never
    /// got the answer) and be exchanged again instead of revoking the session as stolen. Only
    /// while its successor has never been presented. `0` treats every replay as theft.
    pub refresh_retry_grace_seconds: i64,
    /// The application's client id: the `aud` of access tokens and the refresh cookie's suffix.
    pub client_id: String,
    /// The `iss` of access tokens; `None` means `http://HOST:PORT` as bound.
    pub issuer: Option<String>,
    /// The application's absolute http(s) URL, which every emailed link (magic link, password
    /// reset, activation) points into; `None` means the issuer. Never taken from a request: a
    /// page that could choose it would receive the secrets in the links.
    pub app_url: Option<String>,
    /// Origins allowed to call with credentials. An entry ending in `:*` matches any port.
    pub allowed_origins: Vec<String>,
    /// Multi-factor policy.
    pub mfa: MfaPolicy,
    /// Which passwordless methods are on.
    pub passwordless: PasswordlessPolicy,
    /// Account lockout after failed sign-in attempts.
    pub lockout: LockoutPolicy,
    /// Per-IP and per-user limits on attempts (passwords, codes, recovery codes).
    pub rate_limit: RateLimitPolicy,
    /// The WebAuthn relying party (passkeys and WebAuthn MFA).
    pub webauthn: WebauthnPolicy,
}

/// Whether MFA is forced on users who have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MfaEnforce {
    /// Users without MFA sign in with their first factor alone.
    DontForce,
    /// Users without MFA must enroll during login.
    Force,
}

/// `mfa` in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct MfaPolicy {
    /// Force enrollment for users without MFA.
    pub enforce: MfaEnforce,
    /// Offer "remember this device", and honour the device cookie that skips MFA.
    pub allow_remember_device: bool,
    /// How long a remembered device skips MFA.
    pub remember_device_seconds: i64,
    /// Strategies offered: `AuthenticatorApp`, `SMS`, `EmailCode`, `WebAuthnPlatform`, `WebAuthnCrossPlatform`.
    pub strategies: Vec<String>,
}

impl Default for MfaPolicy {
    fn default() -> Self {
        Self {
            enforce: MfaEnforce::DontForce,
            allow_remember_device: true,
            remember_device_seconds: 30 * 86_400,
            strategies: [
                "AuthenticatorApp",
                "SMS",
                "EmailCode",
                "WebAuthnPlatform",
                "WebAuthnCrossPlatform",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// `passwordless` in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PasswordlessPolicy {
    /// Magic links by email.
    pub magic_link: bool,
    /// One-time codes by email.
    pub otc: bool,
    /// One-time codes by SMS.
    pub sms_code: bool,
}

impl Default for PasswordlessPolicy {
    fn default() -> Self {
        Self {
            magic_link: true,
            otc: true,
            sms_code: true,
        }
    }
}

/// `lockout` in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct LockoutPolicy {
    /// Consecutive failed password attempts that lock the account (0: never).
    pub max_attempts: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { max_attempts: 5 }
    }
}

/// `rateLimit` in the config: fixed one-minute windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RateLimitPolicy {
    /// Attempts per client IP per minute (0: unlimited).
    pub per_ip_per_minute: u32,
    /// Attempts per user (or email, or MFA token) per minute (0: unlimited).
    pub per_user_per_minute: u32,
}

/// Default attempts per client IP per minute: 5 a second. Above what a person or a test suite
/// against one emulator makes (the biggest, `tests/load.rs`, logs in about 200 times in one
/// burst), far below what a guessing or sign-up loop wants. Loopback is not exempt: that is where
/// every caller of a laptop emulator comes from. Load tests lift it (`examples/bench.rs` sets
/// `rateLimit.perIpPerMinute = 0`).
pub const DEFAULT_PER_IP_PER_MINUTE: u32 = 300;

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            per_ip_per_minute: DEFAULT_PER_IP_PER_MINUTE,
            // A guessing loop against one user is stopped within a minute.
            per_user_per_minute: 20,
        }
    }
}

/// `webauthn` in the config: which relying party WebAuthn ceremonies are for.
///
/// With no `origins`, each ceremony takes its origin from the request's `Origin` header, which
/// must be one of `allowedOrigins` (by default any `http://localhost:*`) and have a domain name
/// (browsers refuse IP addresses as RP ids, so `127.0.0.1` cannot work); the RP id defaults to
/// that origin's host. With `origins`, those are the only origins accepted and the RP id defaults
/// to the first origin's host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct WebauthnPolicy {
    /// The RP id: a domain that every origin's host equals or is a subdomain of.
    pub rp_id: Option<String>,
    /// The RP name authenticators may show.
    pub rp_name: String,
    /// Origins (`scheme://host[:port]`) allowed in the client data of ceremonies.
    pub origins: Vec<String>,
}

impl Default for WebauthnPolicy {
    fn default() -> Self {
        Self {
            rp_id: None,
            rp_name: "Frontegg Emulator".to_owned(),
            origins: Vec::new(),
        }
    }
}

impl WebauthnPolicy {
    fn validate(&self) -> Result<(), String> {
        if self.rp_name.trim().is_empty() {
            return Err("webauthn.rpName must not be empty".to_owned());
        }
        for origin in &self.origins {
            let url = webauthn_rs::prelude::Url::parse(origin)
                .map_err(|e| format!("webauthn.origins: {origin:?} is not a URL: {e}"))?;
            let host = url.domain().ok_or_else(|| {
                format!("webauthn.origins: {origin:?} needs a domain name, not an IP address")
            })?;
            let rp_id = self.rp_id.as_deref().unwrap_or(host);
            if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                return Err(format!(
                    "webauthn.origins: the host of {origin:?} is not {rp_id:?} or a subdomain of it"
                ));
            }
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_ttl_seconds: 300,
            refresh_token_ttl_seconds: 2_592_000,
            // Covers a client's whole refresh with retries at the SDK's default 15 s timeout
            // (three tries, about 46 s); 60 s is also the most Cognito allows.
            refresh_retry_grace_seconds: 60,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            issuer: None,
            app_url: None,
            allowed_origins: vec![
                "http://localhost:*".to_owned(),
                "http://127.0.0.1:*".to_owned(),
            ],
            mfa: MfaPolicy::default(),
            passwordless: PasswordlessPolicy::default(),
            lockout: LockoutPolicy::default(),
            rate_limit: RateLimitPolicy::default(),
            webauthn: WebauthnPolicy::default(),
        }
    }
}

impl Settings {
    /// Reads settings from a TOML file; keys left out keep their defaults.
    pub fn from_toml_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| format!("invalid config file {}: {e}", path.display()))
    }

    /// Parses settings from TOML text and checks that they make sense.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let settings: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        settings.validate()?;
        Ok(settings)
    }

    /// Rejects values that would make the emulator misbehave rather than fail loudly later.
    pub fn validate(&self) -> Result<(), String> {
        check_ttl("accessTokenTtlSeconds", self.access_token_ttl_seconds)?;
        check_ttl("refreshTokenTtlSeconds", self.refresh_token_ttl_seconds)?;
        if !(0..=MAX_RETRY_GRACE_SECONDS).contains(&self.refresh_retry_grace_seconds) {
            return Err(format!(
                "refreshRetryGraceSeconds must be between 0 and {MAX_RETRY_GRACE_SECONDS}"
            ));
        }
        check_ttl(
            "mfa.rememberDeviceSeconds",
            self.mfa.remember_device_seconds,
        )?;
        if let Some(url) = &self.app_url {
            check_app_url(url)?;
        }
        // It names the refresh cookie (`fe_refresh_<clientId without dashes>`), so it must be
        // a cookie-name token: a control character or a `;` would break every sign-in.
        let id_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if self.client_id.is_empty()
            || self.client_id.len() > 64
            || !self.client_id.chars().all(id_char)
        {
            return Err(
                "clientId must be 1 to 64 letters, digits, '-' or '_' (a UUID, as the hosted service gives)"
                    .to_owned(),
            );
        }
        const STRATEGIES: [&str; 5] = [
            "AuthenticatorApp",
            "SMS",
            "EmailCode",
            "WebAuthnPlatform",
            "WebAuthnCrossPlatform",
        ];
        if let Some(unknown) = self
            .mfa
            .strategies
            .iter()
            .find(|s| !STRATEGIES.contains(&s.as_str()))
        {
            return Err(format!(
                "mfa.strategies: unknown strategy {unknown:?}; known: {}",
                STRATEGIES.join(", ")
            ));
        }
        self.webauthn.validate()?;
        Ok(())
    }

    /// Whether a browser origin may call the API with credentials.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|pattern| origin_matches(pattern, origin))
    }
}

/// Longest lifetime a TTL setting may have: ten years. Expiry times stay far from overflowing
/// and from the dates cookies and RFC 3339 can express.
pub const MAX_TTL_SECONDS: i64 = 10 * 365 * 86_400;

/// A lifetime from 1 second to [`MAX_TTL_SECONDS`].
/// The longest retry grace: a window for a lost answer, not a second refresh token lifetime.
const MAX_RETRY_GRACE_SECONDS: i64 = 300;

fn check_ttl(name: &str, seconds: i64) -> Result<(), String> {
    if (1..=MAX_TTL_SECONDS).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "{name} must be between 1 and {MAX_TTL_SECONDS} seconds (ten years)"
        ))
    }
}

/// `appUrl`: an absolute http(s) URL with a host, and nothing a link's own path and query
/// would collide with (user, query, fragment).
fn check_app_url(value: &str) -> Result<(), String> {
    let url = webauthn_rs::prelude::Url::parse(value)
        .map_err(|e| format!("appUrl: {value:?} is not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "appUrl: {value:?} must be an http(s) URL with a host"
        ));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "appUrl: {value:?} must have no user, query or fragment"
        ));
    }
    Ok(())
}

/// Matches an origin against `scheme://host` or `scheme://host:*` (any port, or none).
pub(crate) fn origin_matches(pattern: &str, origin: &str) -> bool {
    match pattern.strip_suffix(":*") {
        Some(base) => match origin.strip_prefix(base) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix(':')
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())),
            None => false,
        },
        None => pattern == origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_origins_allow_local_dev_servers_only() {
        let s = Settings::default();
        assert!(s.origin_allowed("http://localhost:5173"));
        assert!(s.origin_allowed("http://127.0.0.1:8080"));
        assert!(s.origin_allowed("http://localhost"));
        assert!(!s.origin_allowed("http://localhost.evil.example"));
        assert!(!s.origin_allowed("http://localhost:80@evil.example"));
        assert!(!s.origin_allowed("https://localhost:5173"));
        assert!(!s.origin_allowed("http://evil.example"));
    }

    #[test]
    fn toml_overrides_some_keys_and_rejects_unknown_ones() {
        let s = Settings::from_toml("accessTokenTtlSeconds = 60\nclientId = \"abc\"").unwrap();
        assert_eq!(s.access_token_ttl_seconds, 60);
        assert_eq!(s.client_id, "abc");
        for bad in ["", " ", "a\nb", "a;b=c", "a b", &"x".repeat(65)] {
            let toml = format!("clientId = {bad:?}");
            assert!(Settings::from_toml(&toml).is_err(), "{bad:?}");
        }
        assert_eq!(s.refresh_token_ttl_seconds, 2_592_000);
        assert!(Settings::from_toml("accesTokenTtlSeconds = 60").is_err());
        assert!(Settings::from_toml("accessTokenTtlSeconds = 0").is_err());
    }

    #[test]
    fn app_url_is_an_absolute_http_url() {
        for good in [
            "http://localhost:5173",
            "https://app.example.test/",
            "https://app.example.test/base",
        ] {
            let toml = format!("appUrl = {good:?}");
            assert!(Settings::from_toml(&toml).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/account",
            "localhost:5173",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.test",
            "http://user@example.test",
            "http://example.test/?next=x",
            "http://example.test/#x",
        ] {
            let error = Settings::from_toml(&format!("appUrl = {bad:?}")).expect_err(bad);
            assert!(error.contains("appUrl"), "{bad}: {error}");
        }
    }

    #[test]
    fn lifetimes_are_bounded() {
        for key in [
            "accessTokenTtlSeconds",
            "refreshTokenTtlSeconds",
            "mfa.rememberDeviceSeconds",
        ] {
            let (table, name) = key.split_once('.').map_or(("", key), |(t, n)| (t, n));
            let toml = |value: &str| match table {
                "" => format!("{name} = {value}"),
                table => format!("[{table}]\n{name} = {value}"),
            };
            assert!(
                Settings::from_toml(&toml(&MAX_TTL_SECONDS.to_string())).is_ok(),
                "{key}"
            );
            for bad in ["0", "-1", &(MAX_TTL_SECONDS + 1).to_string(), "1.5", "nan"] {
                let error = Settings::from_toml(&toml(bad)).expect_err(key);
                assert!(error.contains(name), "{key} = {bad}: {error}");
            }
        }
    }
}
