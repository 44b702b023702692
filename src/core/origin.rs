//! Which origins `auth.fetch` may send the access token to: the identity host, the page's own
//! origin, and the origins the app names in `bearerOrigins`. A request to any other origin is
//! refused (`invalid_input`) rather than sent without the token or leaked to a host the app never
//! meant to trust.

use crate::core::error::{Error, Result};

/// Checks an origin the app wrote (`bearerOrigins`): `scheme://host[:port]`, http(s) only, with
/// no credentials, path, query or fragment. Answers it as `URL.origin` spells it: scheme and host
/// in lower case, the scheme's default port left out.
pub fn normalize_origin(raw: &str) -> Option<String> {
    let (scheme, authority) = split_scheme(raw)?;
    if authority.contains(['/', '?', '#', '\\', '@']) {
        return None;
    }
    host_port(&scheme, authority)
}

/// The origin of an absolute http(s) URL, as `URL.origin` spells it; `None` for a relative URL
/// or another scheme (`data:`, `blob:`, `file:` have no origin a token may go to).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = split_scheme(url)?;
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    // Credentials in the URL (`https://user:pw@host/`) are not part of the origin.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host_port(&scheme, authority)
}

/// Whether `auth.fetch` may send the access token to `url` (the request's absolute URL): only to
/// the origin of `base_url` (the identity host), to `page_origin` (the page's own, where there is
/// one) and to the `allowed` origins (already normalised by [`normalize_origin`]). Anything else is
/// `invalid_input`, naming the origin and the option that would allow it.
pub fn check_bearer_target(
    url: &str,
    base_url: &str,
    page_origin: Option<&str>,
    allowed: &[String],
) -> Result<()> {
    let Some(target) = origin_of(url) else {
        return Err(Error::invalid_input(format!(
            "fetch: \"{url}\" is not an http(s) URL; the access token goes only to http(s) origins."
        )));
    };
    let trusted = origin_of(base_url).as_deref() == Some(target.as_str())
        || page_origin.and_then(origin_of).as_deref() == Some(target.as_str())
        || allowed.contains(&target);
    if trusted {
        return Ok(());
    }
    Err(Error::invalid_input(format!(
        "fetch: {target} is not the identity host, this page's origin or one of `bearerOrigins`; \
         the request was not sent. Add \"{target}\" to `bearerOrigins` in createAuth to send it \
         the access token, or use the global fetch for requests that need none."
    )))
}

/// `("https", "host:port…")` from `https://host:port…`; the scheme in lower case, http(s) only.
fn split_scheme(url: &str) -> Option<(String, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https").then_some((scheme, rest))
}

/// `scheme://host[:port]` from an authority without credentials: the host checked and in lower
/// case, the port a number and left out when it is the scheme's default.
fn host_port(scheme: &str, authority: &str) -> Option<String> {
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8787`.
        Some(v6) => {
            let (inner, after) = v6.split_once(']')?;
            let valid = !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
            if !valid {
                return None;
            }
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            // `[`, the address and `]`.
            (authority.get(..inner.len().saturating_add(2))?, port)
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let valid_host = !host.is_empty()
        && (host.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
    if !valid_host {
        return None;
    }
    let port = match port {
        None => None,
        // `https://host:` is the default port, as `new URL` reads it.
        Some("") => None,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u32>().ok().filter(|p| *p <= 65_535)?)
        }
        Some(_) => return None,
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    #[test]
    fn origins_are_normalised_as_url_origin_spells_them() {
        for (raw, origin) in [
            ("https://api.example.com", "https://api.example.com"),
            ("HTTPS://API.Example.COM", "https://api.example.com"),
            ("https://api.example.com:443", "https://api.example.com"),
            ("http://localhost:80", "http://localhost"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("https://api.example.com:80", "https://api.example.com:80"),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
            ("http://[::1]:8787", "http://[::1]:8787"),
            ("http://[::1]", "http://[::1]"),
        ] {
            assert_eq!(normalize_origin(raw).as_deref(), Some(origin), "{raw}");
        }
    }

    #[test]
    fn anything_but_an_origin_is_rejected() {
        for raw in [
            "",
            "api.example.com",
            "//api.example.com",
            "ftp://api.example.com",
            "https://",
            "https://api.example.com/",
            "https://api.example.com/v1",
            "https://api.example.com?x=1",
            "https://api.example.com#top",
            "https://user@api.example.com",
            "https://api.example.com:99999",
            "https://api.example.com:80a",
            "https://api example.com",
            "https://*.example.com",
            "https://[zz]:1",
            "https://[::1",
            "null",
        ] {
            assert_eq!(normalize_origin(raw), None, "{raw}");
        }
    }

    #[test]
    fn the_origin_of_a_url() {
        for (url, origin) in [
            (
                "http://127.0.0.1:8787/identity/x?y=1#z",
                Some("http://127.0.0.1:8787"),
            ),
            (
                "https://user:pw@API.example.com:443/a",
                Some("https://api.example.com"),
            ),
            ("https://api.example.com?q", Some("https://api.example.com")),
            ("http://[::1]:8787/", Some("http://[::1]:8787")),
            // Not a login page's URL: `@` in the path is not credentials.
            (
                "https://evil.example/@api.example.com",
                Some("https://evil.example"),
            ),
            ("/relative", None),
            ("data:text/plain,hi", None),
            ("blob:https://api.example.com/1234", None),
            ("file:///etc/passwd", None),
        ] {
            assert_eq!(origin_of(url).as_deref(), origin, "{url}");
        }
    }

    #[test]
    fn the_token_goes_to_the_identity_host_the_page_and_bearer_origins_only() {
        let base = "http://127.0.0.1:8787/auth-prefix";
        let allowed = vec!["https://api.example.com".to_owned()];
        let page = Some("https://app.example.com");
        for url in [
            "http://127.0.0.1:8787/identity/resources/users/v2/me",
            "http://127.0.0.1:8787/other/path",
            "https://app.example.com/api/things",
            "https://APP.example.com:443/",
            "https://api.example.com/things",
        ] {
            assert!(
                check_bearer_target(url, base, page, &allowed).is_ok(),
                "{url}"
            );
        }
        for url in [
            "https://evil.example/",
            "http://127.0.0.1:8788/",
            "http://localhost:8787/",
            "http://api.example.com/things",
            "https://api.example.com:8443/",
            "https://api.example.com.evil.example/",
            "https://evil.example/@api.example.com",
            "data:text/plain,token",
            "/relative",
        ] {
            let err = check_bearer_target(url, base, page, &allowed).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{url}");
        }
        // Outside a page (Node, workers) there is no page origin to trust.
        assert!(check_bearer_target("https://app.example.com/", base, None, &allowed).is_err());
        // An opaque page origin ("null": a sandboxed frame, a file) trusts nothing more.
        assert!(check_bearer_target("https://app.example.com/", base, Some("null"), &[]).is_err());
        let err = check_bearer_target("https://evil.example/x", base, None, &[]).unwrap_err();
        assert!(
            err.message.contains("https://evil.example"),
            "{}",
            err.message
        );
        assert!(err.message.contains("bearerOrigins"), "{}", err.message);
    }
}
