//! WebAuthn in the sans-IO core: passkeys (the whole sign-in) and WebAuthn authenticators as a
//! second factor.
//!
//! Two halves, both pure and tested natively:
//! - checking the server's creation and request options member by member (binary fields in
//!   base64url, padded or not, or plain base64), filling in the spec's defaults and dropping what
//!   a browser would throw on, so that malformed options are an `invalid_input` error before any
//!   ceremony starts. The result is the same JSON, canonical: the browser shell only turns its
//!   binary members into bytes. (`webauthn-rs-proto`'s typed model checks the output in the
//!   tests; shipping its typed conversions cost about 15 KB gzip of wasm.)
//! - encoding the browser's credential back into the JSON the identity API reads, as the official
//!   client sends it (binary fields in unpadded base64url).
//!
//! Each ceremony is two requests with the browser's `navigator.credentials` call in between;
//! the driver runs them (`crate::client::webauthn`).

use crate::core::json::{FromJson, ToJson};
use crate::core::json::{Map, Value};

use crate::core::base64url;
use crate::core::endpoints::{WebAuthnDevice, AUTH_V1, USERS_V1};
use crate::core::error::{Error, ErrorCode, Result, StatusMeaning};
use crate::core::http::{HttpRequest, HttpResponse, Method};
use crate::core::input::Fields;
use crate::core::AuthCore;

/// The signed-in user's passkeys: `POST` starts a registration, `GET` lists them.
pub const PASSKEYS: &str = "/identity/resources/users/webauthn/v1/devices";

/// Passkey sign-in: the authenticator's answer is the credential, so a rejection (400 unknown or
/// used challenge, 401 unknown credential or failed verification) is `invalid_credentials`.
pub const PASSKEY_LOGIN: StatusMeaning = StatusMeaning {
    bad_request: ErrorCode::InvalidCredentials,
    unauthorized: ErrorCode::InvalidCredentials,
    forbidden: ErrorCode::Forbidden,
};

// ---------------------------------------------------------------------------------------------
// Base64

/// The bytes of a base64url or standard base64 string, padded or not (servers and libraries
/// disagree); `None` if it is neither.
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim().trim_end_matches('=');
    let url_safe: String = trimmed
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    base64url::decode(&url_safe)
}

// ---------------------------------------------------------------------------------------------
// Options: server JSON -> checked JSON

/// Options for `navigator.credentials.create()`: the server's `publicKey` member, checked, with
/// the spec's defaults filled in and every binary member in canonical unpadded base64url.
#[derive(Debug, Clone, PartialEq)]
pub struct CreationOptions {
    pub public_key: Map,
}

/// Options for `navigator.credentials.get()`, checked like [`CreationOptions`]; `conditional`
/// asks for the browser's passkey autofill (conditional mediation).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOptions {
    pub public_key: Map,
    pub conditional: bool,
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::invalid_input(format!(
        "The server's WebAuthn options are malformed: {what}."
    ))
}

/// The options object: the server's `options`, or the `publicKey` member if it is wrapped.
fn public_key(value: &Value) -> Result<Map> {
    let value = match value.get("publicKey") {
        Some(inner @ Value::Object(_)) => inner,
        _ => value,
    };
    match value {
        Value::Object(map) => Ok(map.clone()),
        _ => Err(malformed("not an object")),
    }
}

fn present<'a>(obj: &'a Map, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// Rewrites the binary field `key` as canonical unpadded base64url, checking its length.
fn binary(
    obj: &mut Map,
    key: &str,
    path: &str,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<()> {
    let bytes = match present(obj, key) {
        Some(Value::String(s)) => {
            decode_b64(s).ok_or_else(|| malformed(format_args!("`{path}` is not base64url")))?
        }
        Some(_) => return Err(malformed(format_args!("`{path}` is not a string"))),
        None => return Err(malformed(format_args!("`{path}` is missing"))),
    };
    if !lengths.contains(&bytes.len()) {
        return Err(malformed(format_args!(
            "`{path}` must be {} to {} bytes",
            lengths.start(),
            lengths.end()
        )));
    }
    obj.insert(key.to_owned(), Value::String(base64url::encode(&bytes)));
    Ok(())
}

/// A string field, or `default` when absent; anything else is malformed.
fn string_or(obj: &mut Map, key: &str, path: &str, default: &str) -> Result<()> {
    match present(obj, key) {
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(malformed(format_args!("`{path}` is not a string"))),
        None => {
            obj.insert(key.to_owned(), Value::String(default.to_owned()));
            Ok(())
        }
    }
}

/// A nested object, created empty when absent.
fn object<'a>(obj: &'a mut Map, key: &str, required: bool) -> Result<&'a mut Map> {
    if present(obj, key).is_none() {
        if required {
            return Err(malformed(format_args!("`{key}` is missing")));
        }
        obj.insert(key.to_owned(), Value::Object(Map::new()));
    }
    match obj.get_mut(key) {
        Some(Value::Object(inner)) => Ok(inner),
        _ => Err(malformed(format_args!("`{key}` is not an object"))),
    }
}

/// A whole number within `min..=max`, also when a JS runtime handed it over as a float.
fn whole(value: &Value, min: i64, max: i64) -> Option<i64> {
    let n = value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })?;
    (min..=max).contains(&n).then_some(n)
}

/// `timeout`: kept when it is a whole number of milliseconds, else left to the browser.
fn timeout(obj: &mut Map) {
    match present(obj, "timeout").and_then(|v| whole(v, 0, i64::from(u32::MAX))) {
        Some(ms) => obj.insert("timeout".into(), Value::from(ms)),
        None => obj.remove("timeout"),
    };
}

/// An optional enum string: unknown values are dropped (newer servers may know more values
/// than this SDK; the browser then applies its default).
fn known_or_drop(obj: &mut Map, key: &str, known: &[&str]) {
    if !present(obj, key)
        .and_then(Value::as_str)
        .is_some_and(|s| known.contains(&s))
    {
        obj.remove(key);
    }
}

/// An optional list of enum strings, keeping only the known ones.
fn known_list(obj: &mut Map, key: &str, known: &[&str]) {
    let kept: Option<Vec<Value>> = match present(obj, key) {
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter(|v| v.as_str().is_some_and(|s| known.contains(&s)))
                .cloned()
                .collect(),
        ),
        _ => None,
    };
    match kept {
        Some(kept) => obj.insert(key.to_owned(), Value::Array(kept)),
        None => obj.remove(key),
    };
}

const USER_VERIFICATION: &[&str] = &["required", "preferred", "discouraged"];
const HINTS: &[&str] = &["security-key", "client-device", "hybrid"];

/// `userVerification`, defaulting (also for unknown values) to the spec's "preferred".
fn user_verification(obj: &mut Map) {
    known_or_drop(obj, "userVerification", USER_VERIFICATION);
    if !obj.contains_key("userVerification") {
        obj.insert("userVerification".into(), "preferred".into());
    }
}

/// `excludeCredentials` / `allowCredentials`: every id decoded and re-encoded, `type` defaulted.
fn descriptors(obj: &mut Map, key: &str) -> Result<()> {
    let items = match present(obj, key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(malformed(format_args!("`{key}` is not a list"))),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("{key}[{i}].id");
        let Value::Object(mut d) = item else {
            return Err(malformed(format_args!("`{key}[{i}]` is not an object")));
        };
        binary(&mut d, "id", &path, 1..=1023)?;
        string_or(&mut d, "type", &path, "public-key")?;
        match present(&d, "transports") {
            None => {
                d.remove("transports");
            }
            Some(Value::Array(ts)) if ts.iter().all(Value::is_string) => {}
            Some(_) => {
                return Err(malformed(format_args!(
                    "`{key}[{i}].transports` is not a list of strings"
                )))
            }
        }
        out.push(Value::Object(d));
    }
    obj.insert(key.to_owned(), Value::Array(out));
    Ok(())
}

/// An extension the SDK passes on, and whether an input value has the type browsers expect.
type Extension = (&'static str, fn(&Value) -> bool);

/// credProtect (`credentialProtectionPolicy`) is left out: webauthn-rs asks for it on every
/// registration, and Chromium refuses a policy that doesn't match the request's user
/// verification (NotSupportedError) where older SDKs silently never passed it on.
const REGISTRATION_EXTENSIONS: &[Extension] = &[
    ("credProps", Value::is_boolean),
    ("uvm", Value::is_boolean),
    ("minPinLength", Value::is_boolean),
    ("hmacCreateSecret", Value::is_boolean),
];

const AUTHENTICATION_EXTENSIONS: &[Extension] =
    &[("appid", Value::is_string), ("uvm", Value::is_boolean)];

/// Extensions are optional requests to the authenticator: each known one is kept when its input
/// has the right type; the rest are dropped rather than failing the ceremony (a browser throws on
/// a wrongly typed input, and an extension it doesn't know is ignored anyway).
fn extensions(obj: &mut Map, known: &[Extension]) {
    let kept: Map = match present(obj, "extensions") {
        Some(Value::Object(given)) => given
            .iter()
            .filter(|(key, value)| known.iter().any(|(name, fits)| name == key && fits(value)))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        _ => Map::new(),
    };
    if kept.is_empty() {
        obj.remove("extensions");
    } else {
        obj.insert("extensions".into(), Value::Object(kept));
    }
}

/// The server's creation options (`navigator.credentials.create`), checked and typed. Missing
/// optional members get the spec's defaults; `rp.id` may be left empty (the browser then uses
/// the page's domain).
pub fn creation_options(value: &Value) -> Result<CreationOptions> {
    let mut o = public_key(value)?;
    binary(&mut o, "challenge", "challenge", 1..=1024)?;
    {
        let user = object(&mut o, "user", true)?;
        binary(user, "id", "user.id", 1..=64)?;
        string_or(user, "name", "user.name", "")?;
        let name = user
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        string_or(user, "displayName", "user.displayName", &name)?;
    }
    {
        let rp = object(&mut o, "rp", false)?;
        string_or(rp, "id", "rp.id", "")?;
        let id = rp
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        string_or(rp, "name", "rp.name", &id)?;
    }
    let params = match present(&o, "pubKeyCredParams") {
        Some(Value::Array(items)) if !items.is_empty() => items.clone(),
        _ => return Err(malformed("`pubKeyCredParams` must be a non-empty list")),
    };
    let mut checked = Vec::with_capacity(params.len());
    for (i, p) in params.into_iter().enumerate() {
        let Value::Object(mut p) = p else {
            return Err(malformed(format_args!(
                "`pubKeyCredParams[{i}]` is not an object"
            )));
        };
        // COSE algorithm ids are small integers; bounding them keeps the JS conversion exact.
        let alg = present(&p, "alg")
            .and_then(|a| whole(a, i64::from(i32::MIN), i64::from(i32::MAX)))
            .ok_or_else(|| {
                malformed(format_args!(
                    "`pubKeyCredParams[{i}].alg` is not a COSE algorithm id"
                ))
            })?;
        p.insert("alg".into(), Value::from(alg));
        string_or(&mut p, "type", "pubKeyCredParams.type", "public-key")?;
        checked.push(Value::Object(p));
    }
    o.insert("pubKeyCredParams".into(), Value::Array(checked));
    descriptors(&mut o, "excludeCredentials")?;
    if let Some(Value::Object(sel)) = o.get_mut("authenticatorSelection") {
        known_or_drop(
            sel,
            "authenticatorAttachment",
            &["platform", "cross-platform"],
        );
        known_or_drop(
            sel,
            "residentKey",
            &["discouraged", "preferred", "required"],
        );
        let required = sel.get("residentKey").and_then(Value::as_str) == Some("required");
        if !sel.get("requireResidentKey").is_some_and(Value::is_boolean) {
            sel.insert("requireResidentKey".into(), Value::Bool(required));
        }
        user_verification(sel);
    } else {
        o.remove("authenticatorSelection");
    }
    known_or_drop(&mut o, "attestation", &["none", "indirect", "direct"]);
    known_list(&mut o, "hints", HINTS);
    known_list(
        &mut o,
        "attestationFormats",
        &[
            "packed",
            "tpm",
            "android-key",
            "android-safetynet",
            "fido-u2f",
            "apple",
            "none",
        ],
    );
    extensions(&mut o, REGISTRATION_EXTENSIONS);
    timeout(&mut o);
    Ok(CreationOptions { public_key: o })
}

/// The server's request options (`navigator.credentials.get`), checked and typed. An empty
/// `allowCredentials` lets any discoverable credential of the RP answer; an empty `rpId` means
/// the page's domain.
pub fn request_options(value: &Value) -> Result<RequestOptions> {
    let mut o = public_key(value)?;
    binary(&mut o, "challenge", "challenge", 1..=1024)?;
    string_or(&mut o, "rpId", "rpId", "")?;
    descriptors(&mut o, "allowCredentials")?;
    user_verification(&mut o);
    known_list(&mut o, "hints", HINTS);
    extensions(&mut o, AUTHENTICATION_EXTENSIONS);
    timeout(&mut o);
    Ok(RequestOptions {
        public_key: o,
        conditional: false,
    })
}

// ---------------------------------------------------------------------------------------------
// Credentials: browser -> identity API JSON

/// What `navigator.credentials.create()` / `get()` resolved to, as bytes and strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrowserCredential {
    /// `rawId`.
    pub raw_id: Vec<u8>,
    /// `type`, "public-key".
    pub type_: String,
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// `response.attestationObject` (registration).
    pub attestation_object: Option<Vec<u8>>,
    /// `response.authenticatorData` (assertion).
    pub authenticator_data: Option<Vec<u8>>,
    /// `response.signature` (assertion).
    pub signature: Option<Vec<u8>>,
    /// `response.userHandle` (assertion by a discoverable credential).
    pub user_handle: Option<Vec<u8>>,
    /// `authenticatorAttachment`: "platform" or "cross-platform", where the browser says.
    pub authenticator_attachment: Option<String>,
    /// `response.getTransports()` (registration).
    pub transports: Vec<String>,
    /// `getClientExtensionResults()`, as JSON.
    pub client_extension_results: Value,
}

fn incomplete(what: &str) -> Error {
    Error::new(
        ErrorCode::WebauthnUnsupported,
        format!("The browser's WebAuthn answer has no {what}."),
    )
}

/// Base64url members of a credential's `response`, skipping absent ones.
fn members(pairs: &[(&str, Option<&[u8]>)]) -> Map {
    pairs
        .iter()
        .filter_map(|(key, bytes)| {
            Some((
                (*key).to_owned(),
                Value::String(base64url::encode((*bytes)?)),
            ))
        })
        .collect()
}

impl BrowserCredential {
    fn json(&self, response: Map) -> Result<Value> {
        if self.raw_id.is_empty() {
            return Err(incomplete("credential id"));
        }
        if self.client_data_json.is_empty() {
            return Err(incomplete("clientDataJSON"));
        }
        let id = base64url::encode(&self.raw_id);
        let type_ = if self.type_.is_empty() {
            "public-key"
        } else {
            &self.type_
        };
        let mut body = Map::new();
        body.insert("id".into(), Value::String(id.clone()));
        body.insert("rawId".into(), Value::String(id));
        body.insert("type".into(), Value::from(type_));
        body.insert("response".into(), Value::Object(response));
        if let Some(attachment) = &self.authenticator_attachment {
            body.insert(
                "authenticatorAttachment".into(),
                Value::from(attachment.as_str()),
            );
        }
        let extensions = match &self.client_extension_results {
            v @ Value::Object(_) => v.clone(),
            _ => Value::Object(Map::new()),
        };
        body.insert("clientExtensionResults".into(), extensions);
        Ok(Value::Object(body))
    }

    /// A new credential (registration) as the identity API reads it: `{ id, rawId, type,
    /// response: { clientDataJSON, attestationObject, transports }, authenticatorAttachment?,
    /// clientExtensionResults }`, binary fields in unpadded base64url.
    pub fn attestation_json(&self) -> Result<Value> {
        let attestation = self
            .attestation_object
            .as_deref()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| incomplete("attestationObject"))?;
        let mut response = members(&[
            ("clientDataJSON", Some(self.client_data_json.as_slice())),
            ("attestationObject", Some(attestation)),
        ]);
        let transports = self.transports.iter().map(|t| Value::from(t.as_str()));
        response.insert("transports".into(), Value::Array(transports.collect()));
        self.json(response)
    }

    /// An assertion as the identity API reads it: `{ id, rawId, type, response: {
    /// clientDataJSON, authenticatorData, signature, userHandle? }, authenticatorAttachment?,
    /// clientExtensionResults }`.
    pub fn assertion_json(&self) -> Result<Value> {
        let data = self
            .authenticator_data
            .as_deref()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| incomplete("authenticatorData"))?;
        let signature = self
            .signature
            .as_deref()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| incomplete("signature"))?;
        self.json(members(&[
            ("clientDataJSON", Some(self.client_data_json.as_slice())),
            ("authenticatorData", Some(data)),
            ("signature", Some(signature)),
            (
                "userHandle",
                self.user_handle.as_deref().filter(|h| !h.is_empty()),
            ),
        ]))
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The first answer of every ceremony: the options, and the token that names the ceremony
/// (MFA routes; passkey routes have none).
#[derive(Debug, Clone, Default, FromJson)]
#[json(rename_all = "camelCase", default)]
pub struct Challenge {
    pub webauthn_token: Option<String>,
    pub options: Value,
}

/// Whatever a registration answer says about the new device; every member may be missing.
#[derive(Debug, Default, FromJson)]
#[json(rename_all = "camelCase", default)]
struct Registered {
    id: Option<String>,
    device_type: Option<String>,
    name: Option<String>,
    created_at: Option<String>,
    last_used: Option<String>,
    recovery_code: Option<String>,
}

/// Reads the answer that finishes a registration: a passkey (`users/webauthn/v1/devices/verify`)
/// or a WebAuthn MFA device from settings (`users/v1/mfa/webauthn/enroll/verify`). The official
/// client reads nothing of it but `recoveryCode`, so a host that has registered the device may
/// answer an empty body, `{}` or any other shape: every 2xx is success. What the answer leaves
/// out comes from `sent`, the device as the request described it (the credential id, the type,
/// the name).
pub fn registered_device(resp: &HttpResponse, sent: WebAuthnDevice) -> Result<WebAuthnDevice> {
    if !resp.is_success() {
        return Err(already_registered(Error::from_status(
            resp.status,
            &resp.body,
            resp.trace_id.clone(),
            StatusMeaning::SIGNED_IN,
        )));
    }
    let answer: Registered = crate::core::json::from_str(&resp.body).unwrap_or_default();
    let given = |v: Option<String>| v.filter(|s| !s.is_empty());
    Ok(WebAuthnDevice {
        id: given(answer.id).unwrap_or(sent.id),
        device_type: given(answer.device_type).unwrap_or(sent.device_type),
        name: given(answer.name).or(sent.name),
        created_at: answer.created_at,
        last_used: answer.last_used,
        recovery_code: given(answer.recovery_code),
    })
}

/// The device a registration request describes, for [`registered_device`]: its `id` is the
/// credential id, as the official client sends it.
pub(crate) fn sent_device(
    credential: &Value,
    device_type: Option<DeviceType>,
    name: Option<&str>,
) -> WebAuthnDevice {
    let attachment = match credential
        .get("authenticatorAttachment")
        .and_then(Value::as_str)
    {
        Some("platform") => Some(DeviceType::Platform),
        Some("cross-platform") => Some(DeviceType::CrossPlatform),
        _ => None,
    };
    WebAuthnDevice {
        id: credential
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        device_type: device_type
            .or(attachment)
            .map(DeviceType::as_str)
            .unwrap_or_default()
            .to_owned(),
        name: name.map(str::to_owned),
        ..WebAuthnDevice::default()
    }
}

#[derive(Debug, Default, FromJson)]
#[json(default)]
pub(crate) struct DeviceList {
    #[json(nullable)]
    pub(crate) devices: Vec<WebAuthnDevice>,
}

/// `deviceType` as the identity API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    Platform,
    CrossPlatform,
}

impl DeviceType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "Platform",
            Self::CrossPlatform => "CrossPlatform",
        }
    }

    fn read(f: &mut Fields<'_>, required: bool) -> Result<Option<Self>> {
        match f.opt_str("deviceType")? {
            Some("Platform") => Ok(Some(Self::Platform)),
            Some("CrossPlatform") => Ok(Some(Self::CrossPlatform)),
            Some(other) => Err(Error::invalid_input(format!(
                "{}: `deviceType` must be \"Platform\" or \"CrossPlatform\", not \"{other}\".",
                f.what()
            ))),
            None if required => Err(Error::invalid_input(format!(
                "{}: `deviceType` is required (\"Platform\" or \"CrossPlatform\").",
                f.what()
            ))),
            None => Ok(None),
        }
    }
}

/// `passkeyRegister({ name? })`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRegister {
    pub name: Option<String>,
    pub device_type: Option<DeviceType>,
}

/// `passkeyLogin({ email?, conditional? })`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyLogin {
    pub email: Option<String>,
    pub conditional: bool,
}

/// `mfaVerifyWebAuthn({ mfaToken?, deviceId, rememberDevice? })` and
/// `mfaEnrollWebAuthn({ mfaToken?, deviceType, rememberDevice? })`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaWebAuthn {
    pub mfa_token: String,
    pub device_id: Option<String>,
    pub device_type: Option<DeviceType>,
    pub remember_device: Option<bool>,
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct Empty {}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct Prelogin<'a> {
    #[json(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct MfaStart<'a> {
    mfa_token: &'a str,
    #[json(skip_serializing_if = "Option::is_none")]
    device_type: Option<&'static str>,
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct Finish<'a> {
    #[json(skip_serializing_if = "Option::is_none")]
    mfa_token: Option<&'a str>,
    #[json(skip_serializing_if = "Option::is_none")]
    webauthn_token: Option<&'a str>,
    options: &'a Value,
    #[json(skip_serializing_if = "Option::is_none")]
    device_type: Option<&'static str>,
    #[json(skip_serializing_if = "Option::is_none")]
    remember_device: Option<bool>,
}

impl AuthCore {
    /// Checks `passkeyRegister({ name?, deviceType? })`.
    pub fn passkey_register_input(args: &Value) -> Result<PasskeyRegister> {
        let empty = Value::Object(Map::new());
        let mut f = Fields::new(
            "passkeyRegister",
            if args.is_null() { &empty } else { args },
        )?;
        let name = f.opt_str("name")?.map(|n| n.trim().to_owned());
        let device_type = DeviceType::read(&mut f, false)?;
        f.finish()?;
        Ok(PasskeyRegister { name, device_type })
    }

    /// Starts registering a passkey (Bearer): answers `{ options }`.
    pub fn passkey_register_start(&self) -> Result<HttpRequest> {
        self.authed_post(PASSKEYS, &Empty {})
    }

    /// Finishes it with the new credential: the credential's fields, `deviceType` and `name`.
    pub fn passkey_register_finish(
        &self,
        credential: &Value,
        input: &PasskeyRegister,
    ) -> Result<HttpRequest> {
        let mut body = credential.clone();
        if let Value::Object(map) = &mut body {
            // Unless the caller said, the browser's `authenticatorAttachment` tells the kind.
            let device_type = input.device_type.or_else(|| {
                match map.get("authenticatorAttachment").and_then(Value::as_str) {
                    Some("platform") => Some(DeviceType::Platform),
                    Some("cross-platform") => Some(DeviceType::CrossPlatform),
                    _ => None,
                }
            });
            if let Some(t) = device_type {
                map.insert("deviceType".into(), t.as_str().into());
            }
            if let Some(name) = &input.name {
                map.insert("name".into(), name.as_str().into());
            }
        }
        self.authed_post(&format!("{PASSKEYS}/verify"), &body)
    }

    /// `passkeysList()`.
    pub fn passkeys_list(&self) -> Result<HttpRequest> {
        self.authed(Method::Get, PASSKEYS, None)
    }

    /// Reads `passkeysList`' answer.
    pub fn handle_passkeys(resp: &HttpResponse) -> Result<Vec<WebAuthnDevice>> {
        Ok(crate::core::parse::<DeviceList>(resp, StatusMeaning::SIGNED_IN)?.devices)
    }

    /// `passkeyRemove(id)`.
    pub fn passkey_remove(&self, id: &Value) -> Result<HttpRequest> {
        let args = crate::core::json::single("id", id.clone());
        let mut f = Fields::new("passkeyRemove", &args)?;
        let id = f.req_id("id")?;
        self.authed(Method::Delete, &format!("{PASSKEYS}/{id}"), None)
    }

    /// Checks `passkeyLogin({ email?, conditional? })`.
    pub fn passkey_login_input(args: &Value) -> Result<PasskeyLogin> {
        let empty = Value::Object(Map::new());
        let mut f = Fields::new("passkeyLogin", if args.is_null() { &empty } else { args })?;
        let email = f.opt_str("email")?.map(|e| e.trim().to_owned());
        let conditional = f.opt_bool("conditional")?.unwrap_or(false);
        f.finish()?;
        Ok(PasskeyLogin { email, conditional })
    }

    /// `POST auth/v1/webauthn/prelogin`: answers `{ options }`.
    pub fn passkey_prelogin(&self, input: &PasskeyLogin) -> HttpRequest {
        self.login_step(
            &format!("{AUTH_V1}/webauthn/prelogin"),
            &Prelogin {
                email: input.email.as_deref(),
            },
        )
    }

    /// `POST auth/v1/webauthn/postlogin` with the assertion: a login answer.
    pub fn passkey_postlogin(&self, assertion: &Value) -> HttpRequest {
        self.login_step(&format!("{AUTH_V1}/webauthn/postlogin"), assertion)
    }

    /// Checks `mfaVerifyWebAuthn({ mfaToken?, deviceId, rememberDevice? })`.
    pub fn mfa_verify_webauthn_input(&self, args: &Value) -> Result<MfaWebAuthn> {
        let mut f = Fields::new("mfaVerifyWebAuthn", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let device_id = Some(f.req_id("deviceId")?.to_owned());
        let remember_device = self.remember_device(&mfa_token, &mut f)?;
        f.finish()?;
        Ok(MfaWebAuthn {
            mfa_token,
            device_id,
            device_type: None,
            remember_device,
        })
    }

    /// Checks `mfaEnrollWebAuthn({ mfaToken?, deviceType, rememberDevice? })`.
    pub fn mfa_enroll_webauthn_input(&self, args: &Value) -> Result<MfaWebAuthn> {
        let mut f = Fields::new("mfaEnrollWebAuthn", args)?;
        let mfa_token = self.mfa_token(&mut f)?;
        let device_type = DeviceType::read(&mut f, true)?;
        let remember_device = self.remember_device(&mfa_token, &mut f)?;
        f.finish()?;
        Ok(MfaWebAuthn {
            mfa_token,
            device_id: None,
            device_type,
            remember_device,
        })
    }

    fn mfa_webauthn_path(input: &MfaWebAuthn) -> String {
        match &input.device_id {
            Some(id) => format!("{AUTH_V1}/user/mfa/webauthn/{id}"),
            None => format!("{AUTH_V1}/user/mfa/webauthn/enroll"),
        }
    }

    /// During login: starts the assertion with a device, or the enrollment of a new one.
    pub fn mfa_webauthn_start(&self, input: &MfaWebAuthn) -> HttpRequest {
        self.login_step(
            &Self::mfa_webauthn_path(input),
            &MfaStart {
                mfa_token: &input.mfa_token,
                device_type: input.device_type.map(DeviceType::as_str),
            },
        )
    }

    /// During login: finishes it with the browser's credential; a login answer.
    pub fn mfa_webauthn_finish(
        &self,
        input: &MfaWebAuthn,
        webauthn_token: Option<&str>,
        credential: &Value,
    ) -> HttpRequest {
        self.login_step(
            &format!("{}/verify", Self::mfa_webauthn_path(input)),
            &Finish {
                mfa_token: Some(&input.mfa_token),
                webauthn_token,
                options: credential,
                device_type: input.device_type.map(DeviceType::as_str),
                remember_device: input.remember_device,
            },
        )
    }

    /// Checks `mfaSettingsEnrollWebAuthn({ deviceType })`.
    pub fn mfa_settings_enroll_webauthn_input(args: &Value) -> Result<DeviceType> {
        let mut f = Fields::new("mfaSettingsEnrollWebAuthn", args)?;
        let device_type = DeviceType::read(&mut f, true)?;
        f.finish()?;
        Ok(device_type.unwrap_or(DeviceType::CrossPlatform))
    }

    /// From settings (Bearer): starts enrolling a WebAuthn MFA device.
    pub fn mfa_settings_enroll_webauthn_start(&self) -> Result<HttpRequest> {
        self.authed_post(&format!("{USERS_V1}/mfa/webauthn/enroll"), &Empty {})
    }

    /// From settings: finishes the enrollment; answers the device and a recovery code.
    pub fn mfa_settings_enroll_webauthn_finish(
        &self,
        device_type: DeviceType,
        webauthn_token: Option<&str>,
        credential: &Value,
    ) -> Result<HttpRequest> {
        self.authed_post(
            &format!("{USERS_V1}/mfa/webauthn/enroll/verify"),
            &Finish {
                mfa_token: None,
                webauthn_token,
                options: credential,
                device_type: Some(device_type.as_str()),
                remember_device: None,
            },
        )
    }

    /// From settings: starts the assertion that proves possession before removal.
    pub fn mfa_disable_webauthn_start(&self, device_id: &str) -> Result<HttpRequest> {
        self.authed_post(
            &format!("{USERS_V1}/mfa/webauthn/{device_id}/disable"),
            &Empty {},
        )
    }

    /// From settings: finishes it; the device is gone.
    pub fn mfa_disable_webauthn_finish(
        &self,
        device_id: &str,
        webauthn_token: Option<&str>,
        credential: &Value,
    ) -> Result<HttpRequest> {
        self.authed_post(
            &format!("{USERS_V1}/mfa/webauthn/{device_id}/disable/verify"),
            &Finish {
                mfa_token: None,
                webauthn_token,
                options: credential,
                device_type: None,
                remember_device: None,
            },
        )
    }
}

/// Builds a ceremony's request; the core puts the access token in use on it, so a request sent
/// again after a refresh carries the new one.
pub type BuildRequest = Box<dyn Fn(&AuthCore) -> Result<HttpRequest>>;

/// Reads a WebAuthn method's arguments into the [`Ceremony`] they ask for
/// (`AuthCore::passkey_login_ceremony` and the like).
pub type StartCeremony = fn(&AuthCore, &Value) -> Result<Ceremony>;

/// Builds a ceremony's second request from the challenge's `webauthnToken` and the browser's
/// credential.
pub type SendCredential = Box<dyn Fn(&AuthCore, Option<&str>, &Value) -> Result<HttpRequest>>;

/// What a ceremony's last answer is.
pub enum Outcome {
    /// A login step's answer (passkey login, WebAuthn MFA during login), read with this meaning.
    Login(StatusMeaning),
    /// A new device ([`registered_device`]); what the answer leaves out comes from the credential
    /// and this type and name.
    Device(Option<DeviceType>, Option<String>),
    /// A device removed: any 2xx.
    Removed,
}

/// One WebAuthn method as data, made from the caller's checked arguments: a challenge request,
/// the browser's `navigator.credentials` call, and a second request with the credential (the
/// driver's `Client::ceremony` runs it). Every method that runs a ceremony is one of these, so
/// the async flow exists once.
pub struct Ceremony {
    /// Both requests carry the access token (settings), or neither (login).
    pub signed_in: bool,
    /// How the challenge's failures read.
    pub meaning: StatusMeaning,
    /// A registration (`create`); else an assertion (`get`).
    pub create: bool,
    /// An assertion offered in the browser's autofill (`mediation: "conditional"`).
    pub conditional: bool,
    /// The challenge request; its answer is a [`Challenge`].
    pub challenge: BuildRequest,
    /// The request that sends the credential.
    pub finish: SendCredential,
    /// What its answer is.
    pub outcome: Outcome,
}

impl Ceremony {
    /// A ceremony run with the access token (from the account's settings): a registration when
    /// it ends with a new device, else an assertion.
    fn settings(challenge: BuildRequest, finish: SendCredential, outcome: Outcome) -> Self {
        Self {
            signed_in: true,
            meaning: StatusMeaning::SIGNED_IN,
            create: matches!(outcome, Outcome::Device(..)),
            conditional: false,
            challenge,
            finish,
            outcome,
        }
    }

    /// WebAuthn MFA during login: verifying a device, or enrolling one (`create`).
    fn mfa(input: MfaWebAuthn, create: bool) -> Self {
        let first = input.clone();
        Self {
            signed_in: false,
            meaning: StatusMeaning::MFA,
            create,
            conditional: false,
            challenge: Box::new(move |core| Ok(core.mfa_webauthn_start(&first))),
            finish: Box::new(move |core, token, credential| {
                Ok(core.mfa_webauthn_finish(&input, token, credential))
            }),
            outcome: Outcome::Login(StatusMeaning::MFA),
        }
    }
}

impl AuthCore {
    /// `passkeyRegister({ name?, deviceType? })`.
    pub fn passkey_register_ceremony(&self, args: &Value) -> Result<Ceremony> {
        let input = Self::passkey_register_input(args)?;
        let outcome = Outcome::Device(input.device_type, input.name.clone());
        Ok(Ceremony::settings(
            Box::new(Self::passkey_register_start),
            Box::new(move |core, _, credential| core.passkey_register_finish(credential, &input)),
            outcome,
        ))
    }

    /// `passkeyLogin({ email?, conditional? })`.
    pub fn passkey_login_ceremony(&self, args: &Value) -> Result<Ceremony> {
        let input = Self::passkey_login_input(args)?;
        Ok(Ceremony {
            signed_in: false,
            meaning: StatusMeaning::PUBLIC,
            create: false,
            conditional: input.conditional,
            challenge: Box::new(move |core| Ok(core.passkey_prelogin(&input))),
            finish: Box::new(|core, _, assertion| Ok(core.passkey_postlogin(assertion))),
            outcome: Outcome::Login(PASSKEY_LOGIN),
        })
    }

    /// `mfaVerifyWebAuthn({ mfaToken?, deviceId, rememberDevice? })`.
    pub fn mfa_verify_webauthn_ceremony(&self, args: &Value) -> Result<Ceremony> {
        Ok(Ceremony::mfa(self.mfa_verify_webauthn_input(args)?, false))
    }

    /// `mfaEnrollWebAuthn({ mfaToken?, deviceType, rememberDevice? })`.
    pub fn mfa_enroll_webauthn_ceremony(&self, args: &Value) -> Result<Ceremony> {
        Ok(Ceremony::mfa(self.mfa_enroll_webauthn_input(args)?, true))
    }

    /// `mfaSettingsEnrollWebAuthn({ deviceType })`.
    pub fn mfa_settings_enroll_webauthn_ceremony(&self, args: &Value) -> Result<Ceremony> {
        let device_type = Self::mfa_settings_enroll_webauthn_input(args)?;
        Ok(Ceremony::settings(
            Box::new(Self::mfa_settings_enroll_webauthn_start),
            Box::new(move |core, token, credential| {
                core.mfa_settings_enroll_webauthn_finish(device_type, token, credential)
            }),
            Outcome::Device(Some(device_type), None),
        ))
    }

    /// `mfaDisableDevice({ kind: "webauthn", deviceId })`: proves possession, then removes it.
    pub fn mfa_disable_webauthn_ceremony(&self, args: &Value) -> Result<Ceremony> {
        let mut f = Fields::new("mfaDisableDevice", args)?;
        let device_id = f.req_id("deviceId")?.to_owned();
        f.req_str("kind")?;
        f.finish()?;
        let first = device_id.clone();
        Ok(Ceremony::settings(
            Box::new(move |core| core.mfa_disable_webauthn_start(&first)),
            Box::new(move |core, token, assertion| {
                core.mfa_disable_webauthn_finish(&device_id, token, assertion)
            }),
            Outcome::Removed,
        ))
    }
}

/// A credential the server already holds is the same mistake as the browser's InvalidStateError.
pub(crate) fn already_registered(mut e: Error) -> Error {
    if e.code == ErrorCode::Conflict {
        e.code = ErrorCode::WebauthnAlreadyRegistered;
    }
    e
}

#[cfg(test)]
pub(crate) mod tests;
