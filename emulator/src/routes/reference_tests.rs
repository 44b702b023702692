//! `emulator/README.md` is the emulator's one reference: these tests fail when a route, a
//! command-line flag or a config key exists that it does not document, or when its example
//! config stops being the defaults.
//!
//! Nothing here is a hand-kept list. Flags come from clap's own model of [`Cli`], config keys from
//! serializing [`Settings::default`], and routes from the `.route(PATH, METHODS)` calls in the
//! source of the route modules, each of which the real router is then asked to answer (so the
//! reading of the source cannot drift from what is served). axum cannot list a router's routes,
//! and reading the source keeps every module free to build its own router.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::StatusCode;
use clap::CommandFactory as _;
use serde_json::Value;

use super::tests::{app, request, send};
use crate::config::Access;
use crate::config::{Cli, Settings};
use crate::error::codes;

const README: &str = include_str!("../../README.md");

/// The text of a `## ` section of the README, up to the next one.
fn section(heading: &str) -> &'static str {
    let start = README
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no section `## {heading}`"));
    let body = &README[start + 1..];
    body.find("\n## ").map_or(body, |end| &body[..end])
}

/// Table rows (lines starting with `|`) of `text`.
fn rows(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|line| line.starts_with('|'))
}

#[test]
fn every_flag_is_documented() {
    let mut cli = Cli::command();
    // Built, so clap's own `--help` and `--version` are listed too.
    cli.build();
    let missing: Vec<String> = cli
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .map(|long| format!("--{long}"))
        .filter(|flag| {
            !rows(section("Starting it"))
                .any(|row| row.contains(&format!("`{flag}`")) || row.contains(&format!("`{flag} ")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "flags missing from the flag table of README.md (`## Starting it`): {missing:?}"
    );
}

/// Every key of `value`, nested ones dotted (`mfa.enforce`); arrays are values, not tables.
fn keys(prefix: &str, value: &Value, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, value) in map {
            let key = format!("{prefix}{key}");
            keys(&format!("{key}."), value, out);
            out.push(key);
        }
    }
}

#[test]
fn every_config_key_is_documented() {
    let mut all = Vec::new();
    keys(
        "",
        &serde_json::to_value(Settings::default()).expect("settings serialize"),
        &mut all,
    );
    let missing: Vec<String> = all
        .into_iter()
        .filter(|key| !rows(section("Configuration")).any(|row| row.contains(&format!("`{key}`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "config keys missing from the tables of README.md (`## Configuration`): {missing:?}"
    );
}

#[test]
fn the_example_config_is_the_defaults() {
    let example = section("Configuration")
        .split_once("```toml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("an emulator.toml example in `## Configuration`")
        .0;
    assert_eq!(
        Settings::from_toml(example).expect("the example is a valid config"),
        Settings::default(),
        "the README's example says every key is at its default"
    );
}

/// A route as a module registers it: its methods and its path relative to where the module's
/// router is mounted.
#[derive(Debug)]
struct Route {
    file: String,
    methods: Vec<String>,
    path: String,
}

/// The `.route(...)` calls of every route module but the test ones.
fn registered_routes() -> Vec<Route> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/routes") {
        let path = entry.expect("directory entry").path();
        let file = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        if !file.ends_with(".rs") || file == "tests.rs" || file.ends_with("_tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("route module");
        routes.extend(routes_in(&file, &source));
    }
    assert!(routes.len() > 50, "too few routes found: {routes:?}");
    routes
}

/// The routes registered in one module's source. A `.route(` whose path is not a string
/// literal, a `&str` const or a `format!` of those is a failure, never skipped.
fn routes_in(file: &str, source: &str) -> Vec<Route> {
    // Inline test modules come last and may build routers of their own.
    let source = source
        .split("#[cfg(test)]\nmod tests {")
        .next()
        .unwrap_or_default();
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let consts = string_consts(&code);
    let mut routes = Vec::new();
    for (at, _) in code.match_indices(".route(") {
        let args = balanced(&code[at + ".route(".len()..]);
        let (path, methods) = args
            .split_once(',')
            .unwrap_or_else(|| panic!("{file}: cannot read `.route({args})`"));
        let path = route_path(path.trim(), &consts)
            .unwrap_or_else(|| panic!("{file}: cannot read the path of `.route({args})`"));
        let methods: Vec<String> = ["get", "post", "put", "patch", "delete"]
            .into_iter()
            .filter(|method| {
                methods.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !methods[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            })
            .map(str::to_ascii_uppercase)
            .collect();
        assert!(!methods.is_empty(), "{file}: no method in `.route({args})`");
        routes.push(Route {
            file: file.to_owned(),
            methods,
            path,
        });
    }
    routes
}

/// `const NAME: &str = "value";` anywhere in `code`.
fn string_consts(code: &str) -> BTreeMap<&str, &str> {
    code.match_indices("const ")
        .filter_map(|(at, _)| {
            let (name, rest) = code[at + "const ".len()..].split_once(": &str = \"")?;
            let value = rest.split_once("\";")?.0;
            let is_name = name.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            is_name.then_some((name, value))
        })
        .collect()
}

/// The text up to the `)` that closes an already opened `(`.
fn balanced(text: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return &text[..i],
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced `.route(`: {text}")
}

/// A route's path from its expression: `"lit"`, `CONST` or `&format!("{CONST}/lit")`.
fn route_path(expression: &str, consts: &BTreeMap<&str, &str>) -> Option<String> {
    if let Some(literal) = expression
        .strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
    {
        return Some(literal.to_owned());
    }
    if let Some(value) = consts.get(expression) {
        return Some((*value).to_owned());
    }
    let template = expression
        .strip_prefix("&format!(\"")?
        .strip_suffix("\")")?;
    let mut path = String::new();
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("{{") {
            path.push('{');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            path.push('}');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let (name, after) = after.split_once('}')?;
            path.push_str(consts.get(name)?);
            rest = after;
        } else {
            path.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(path)
}

/// Path parameters (`{device_id}`, `{deviceId}`) made alike, so the README may name them as the
/// spec does.
fn without_parameter_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        match rest.find('}') {
            Some(close) if !rest[..close].contains(['{', ' ', '`']) => rest = &rest[close..],
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

/// Whether a README table row names `path` (as a whole, in code) and every one of `methods`.
fn row_documents(row: &str, path: &str, methods: &[String]) -> bool {
    let row = without_parameter_names(row);
    let path = without_parameter_names(path);
    let names_path = row.match_indices(&path).any(|(i, _)| {
        row[..i].ends_with(['`', ' ']) && row[i + path.len()..].starts_with(['`', ' ', '?', ','])
    });
    let names_method = |method: &String| {
        row.split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word == method)
    };
    names_path && methods.iter().all(names_method)
}

#[test]
fn every_route_is_documented() {
    let missing: Vec<String> = registered_routes()
        .into_iter()
        .filter(|route| !rows(README).any(|row| row_documents(row, &route.path, &route.methods)))
        .map(|route| {
            format!(
                "{} {} ({})",
                route.methods.join("/"),
                route.path,
                route.file
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a table row naming their path and methods in README.md: {missing:#?}"
    );
}

/// Where a module's routes are mounted: the identity prefix, the developer prefix, or the root.
const MOUNTS: [&str; 3] = ["/identity", "/emulator/v1", ""];

#[tokio::test]
async fn the_routes_read_from_the_source_are_the_served_ones() {
    let app = app(Access::default()).await;
    for route in registered_routes() {
        let path = route.path.replace(['{', '}'], "");
        for method in &route.methods {
            let mut answers = Vec::new();
            for mount in MOUNTS {
                let request = request(method, &format!("{mount}{path}"), None, "");
                let (status, body) = send(&app, request).await;
                answers.push((status, body["errorCode"].clone()));
            }
            let unrouted = |(status, code): &(StatusCode, Value)| {
                *status == StatusCode::NOT_FOUND && code == codes::NOT_FOUND
                    || *status == StatusCode::METHOD_NOT_ALLOWED
                        && code == codes::METHOD_NOT_ALLOWED
            };
            assert!(
                !answers.iter().all(unrouted),
                "{method} {} ({}) is not served under any of {MOUNTS:?}: {answers:?}",
                route.path,
                route.file
            );
        }
    }
}
