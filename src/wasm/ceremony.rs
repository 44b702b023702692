//! The browser half of WebAuthn: `navigator.credentials.create()` / `get()` through web-sys,
//! the browser's failures as `FronteggError` codes, and the JS methods that run a ceremony.
//!
//! The options reaching the browser were checked by [`crate::core::webauthn`] first; here they only
//! become the browser's dictionaries (JSON with the binary members as bytes).

use std::rc::Rc;

use crate::core::json::{Map, Value};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, CredentialCreationOptions, CredentialRequestOptions};

use crate::client::webauthn::Authenticator;
use crate::client::Client;
use crate::core::base64url;
use crate::core::error::{Error, ErrorCode};
use crate::core::input::Fields;
use crate::core::self_service::DisableResult;
use crate::core::webauthn::{BrowserCredential, CreationOptions, RequestOptions};
use crate::wasm::convert::{from_js, promise, to_value};
use crate::wasm::fetch::FetchRuntime;

#[wasm_bindgen(typescript_custom_section)]
const TS_WEBAUTHN: &'static str = r#"
/** Built into the device (Touch ID, Windows Hello) or roaming (a USB/NFC security key, a phone). */
export type WebAuthnDeviceType = "Platform" | "CrossPlatform";

/** Cancels a pending WebAuthn ceremony: it then rejects with `webauthn_cancelled`. */
export interface CeremonyOptions {
  /** Aborting it ends the ceremony and the call rejects with `webauthn_cancelled`. */
  signal?: AbortSignal;
}

/** `mfaVerifyWebAuthn`: which WebAuthn device signs the MFA challenge. */
export interface MfaVerifyWebAuthnParams extends CeremonyOptions {
  /** The `mfa_required` answer's token; default: the one the client kept from that answer. */
  mfaToken?: string;
  /** One of `mfa.devices.webauthn[].id`. */
  deviceId: string;
  /** Skip MFA on this device next time, where `mfa.rememberDeviceAllowed`. */
  rememberDevice?: boolean;
}
/** `mfaEnrollWebAuthn`: the kind of device to register when policy forces MFA. */
export interface MfaEnrollWebAuthnParams extends CeremonyOptions {
  /** The `mfa_enrollment_required` answer's token; default: the one the client kept from it. */
  mfaToken?: string;
  /** Built in (`"Platform"`) or a roaming key (`"CrossPlatform"`). */
  deviceType: WebAuthnDeviceType;
  /** Skip MFA on this device next time, where the host allows it. */
  rememberDevice?: boolean;
}
/** `mfaSettingsEnrollWebAuthn`: the kind of device to add from settings. */
export interface MfaSettingsEnrollWebAuthnParams extends CeremonyOptions {
  /** Built in (`"Platform"`) or a roaming key (`"CrossPlatform"`). */
  deviceType: WebAuthnDeviceType;
}

/**
 * `email` narrows the choice to that user's passkeys; without it any passkey of the site may
 * answer. `conditional: true` waits for the user to pick a passkey from the browser's autofill
 * (an `<input autocomplete="username webauthn">`); it rejects with `webauthn_unsupported` where
 * the browser has no conditional mediation. Abort it with `signal` before a modal sign-in.
 */
export interface PasskeyLoginParams extends CeremonyOptions {
  /** Offer only this user's passkeys. */
  email?: string;
  /** Wait for a passkey picked from the browser's autofill instead of showing a prompt. */
  conditional?: boolean;
}
/** `passkeyRegister`: how to name and where to keep the new passkey. */
export interface PasskeyRegisterParams extends CeremonyOptions {
  /** Shown in the user's list of passkeys, e.g. "Work laptop". */
  name?: string;
  /** The kind recorded for it; default: what the browser reports of the authenticator used. */
  deviceType?: WebAuthnDeviceType;
}

/** A passkey, or a WebAuthn MFA device just enrolled from settings (with its `recoveryCode`). */
export interface WebAuthnDevice {
  /** Names the device to `passkeyRemove` and `mfaDisableDevice`. */
  id: string;
  /** As the host reports it; a host may name kinds beyond the two. */
  deviceType: WebAuthnDeviceType | string;
  /** The name given at registration. */
  name?: string;
  /** RFC 3339. */
  createdAt?: string;
  /** When it last signed a challenge, RFC 3339. */
  lastUsed?: string;
  /** Shown once, after `mfaSettingsEnrollWebAuthn`. */
  recoveryCode?: string;
}
"#;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn unsupported(message: &str) -> Error {
    Error::new(ErrorCode::WebauthnUnsupported, message)
}

/// Whether this runtime can run a WebAuthn ceremony at all: a secure context with
/// `PublicKeyCredential` (so not Node, workers, or a page over plain HTTP other than localhost).
fn webauthn_available() -> Result<(), Error> {
    let global = js_sys::global();
    if !get(&global, "PublicKeyCredential").is_function() {
        return Err(unsupported("This browser (or runtime) has no WebAuthn."));
    }
    if get(&global, "isSecureContext").as_bool() == Some(false) {
        return Err(unsupported(
            "WebAuthn needs a secure context: serve the page over HTTPS (or from localhost).",
        ));
    }
    Ok(())
}

/// `navigator.credentials`, where WebAuthn is possible.
fn container() -> Result<web_sys::CredentialsContainer, Error> {
    webauthn_available()?;
    let window =
        web_sys::window().ok_or_else(|| unsupported("WebAuthn ceremonies need a page."))?;
    Ok(window.navigator().credentials())
}

/// The browser in this page, optionally cancellable with an `AbortSignal`.
pub struct BrowserAuthenticator {
    signal: Option<AbortSignal>,
}

impl BrowserAuthenticator {
    /// The error for a rejected ceremony. An abort through our signal is a cancellation,
    /// whatever reason the caller gave to `abort()`.
    fn error(&self, e: JsValue) -> Error {
        if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Error::new(
                ErrorCode::WebauthnCancelled,
                "The WebAuthn ceremony was aborted.",
            );
        }
        let name = get(&e, "name").as_string().unwrap_or_default();
        let message = get(&e, "message").as_string().unwrap_or_default();
        let (code, sentence) = match name.as_str() {
            "NotAllowedError" | "AbortError" => (
                ErrorCode::WebauthnCancelled,
                "The WebAuthn ceremony was cancelled or timed out.",
            ),
            "InvalidStateError" => (
                ErrorCode::WebauthnAlreadyRegistered,
                "This authenticator is already registered.",
            ),
            "NotSupportedError" | "SecurityError" | "ConstraintError" => (
                ErrorCode::WebauthnUnsupported,
                "WebAuthn is not available for this page or authenticator.",
            ),
            _ => (ErrorCode::Server, "The browser's WebAuthn call failed."),
        };
        let detail = if message.is_empty() { name } else { message };
        Error::new(code, format!("{sentence} ({detail})"))
    }

    fn with_signal(&self, options: &JsValue) {
        if let Some(signal) = &self.signal {
            let _ = Reflect::set(options, &"signal".into(), signal);
        }
    }

    async fn run(&self, promise: Result<Promise, JsValue>) -> Result<JsValue, Error> {
        let promise = promise.map_err(|e| self.error(e))?;
        let credential = JsFuture::from(promise).await.map_err(|e| self.error(e))?;
        if credential.is_null() || credential.is_undefined() {
            return Err(Error::new(
                ErrorCode::WebauthnCancelled,
                "The browser returned no credential.",
            ));
        }
        Ok(credential)
    }
}

/// The bytes of an `ArrayBuffer` (or typed array) member; `None` for anything else.
fn bytes(target: &JsValue, key: &str) -> Option<Vec<u8>> {
    let value = get(target, key);
    if value.is_instance_of::<js_sys::ArrayBuffer>() {
        Some(Uint8Array::new(&value).to_vec())
    } else if js_sys::ArrayBuffer::is_view(&value) {
        let view: &Uint8Array = value.unchecked_ref();
        let buffer = view.buffer();
        let offset = get(&value, "byteOffset").as_f64().unwrap_or(0.0) as u32;
        let length = get(&value, "byteLength").as_f64().unwrap_or(0.0) as u32;
        Some(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec())
    } else {
        None
    }
}

/// Calls the method `name` of `target`, if it has one.
fn call_method(target: &JsValue, name: &str) -> Option<JsValue> {
    get(target, name)
        .dyn_into::<Function>()
        .ok()
        .and_then(|f| f.call0(target).ok())
}

/// Reads a `PublicKeyCredential` into plain bytes and strings.
fn read_credential(credential: &JsValue) -> BrowserCredential {
    let response = get(credential, "response");
    let transports = call_method(&response, "getTransports")
        .and_then(|t| t.dyn_into::<Array>().ok())
        .map(|list| list.iter().filter_map(|t| t.as_string()).collect())
        .unwrap_or_default();
    // JSON.stringify drops what is not JSON (a PRF output buffer becomes {}), which is fine for
    // results the server only logs.
    let client_extension_results = call_method(credential, "getClientExtensionResults")
        .and_then(|r| js_sys::JSON::stringify(&r).ok())
        .and_then(|s| s.as_string())
        .and_then(|s| crate::core::json::from_str::<Value>(&s))
        .unwrap_or(Value::Null);
    BrowserCredential {
        raw_id: bytes(credential, "rawId").unwrap_or_default(),
        type_: get(credential, "type").as_string().unwrap_or_default(),
        client_data_json: bytes(&response, "clientDataJSON").unwrap_or_default(),
        attestation_object: bytes(&response, "attestationObject"),
        authenticator_data: bytes(&response, "authenticatorData"),
        signature: bytes(&response, "signature"),
        user_handle: bytes(&response, "userHandle"),
        authenticator_attachment: get(credential, "authenticatorAttachment").as_string(),
        transports,
        client_extension_results,
    }
}

/// An empty `rpId` / `rp.id` means "this page's domain": the member must be absent for that.
fn drop_empty(target: &JsValue, key: &str) {
    if get(target, key).as_string().is_some_and(|s| s.is_empty()) {
        let _ = Reflect::delete_property(target.unchecked_ref::<Object>(), &key.into());
    }
}

/// Replaces the base64url string at `target[key]` with its bytes. The core made it canonical, so
/// it always decodes.
fn to_bytes(target: &JsValue, key: &str) {
    if let Some(bytes) = get(target, key)
        .as_string()
        .and_then(|s| base64url::decode(&s))
    {
        let _ = Reflect::set(target, &key.into(), &Uint8Array::from(bytes.as_slice()));
    }
}

/// The browser's `{ publicKey }` dictionary: the checked JSON as a JS object, with the challenge
/// and the credential ids listed under `descriptors` as bytes.
fn dictionary(public_key: Map, descriptors: &str) -> Result<Object, Error> {
    let public_key = to_value(&Value::Object(public_key))?;
    to_bytes(&public_key, "challenge");
    if let Ok(list) = get(&public_key, descriptors).dyn_into::<Array>() {
        list.iter().for_each(|d| to_bytes(&d, "id"));
    }
    let options = Object::new();
    let _ = Reflect::set(&options, &"publicKey".into(), &public_key);
    Ok(options)
}

impl Authenticator for BrowserAuthenticator {
    async fn create(&self, options: CreationOptions) -> Result<BrowserCredential, Error> {
        let container = container()?;
        let options = dictionary(options.public_key, "excludeCredentials")?;
        let public_key = get(&options, "publicKey");
        to_bytes(&get(&public_key, "user"), "id");
        drop_empty(&get(&public_key, "rp"), "id");
        self.with_signal(&options);
        let options: &CredentialCreationOptions = options.unchecked_ref();
        let credential = self.run(container.create_with_options(options)).await?;
        Ok(read_credential(&credential))
    }

    async fn get(&self, options: RequestOptions) -> Result<BrowserCredential, Error> {
        let container = container()?;
        if options.conditional && !conditional_mediation_available().await {
            return Err(unsupported(
                "This browser has no conditional mediation (passkey autofill).",
            ));
        }
        let conditional = options.conditional;
        let options = dictionary(options.public_key, "allowCredentials")?;
        drop_empty(&get(&options, "publicKey"), "rpId");
        if conditional {
            let _ = Reflect::set(&options, &"mediation".into(), &"conditional".into());
        }
        self.with_signal(&options);
        let options: &CredentialRequestOptions = options.unchecked_ref();
        let credential = self.run(container.get_with_options(options)).await?;
        Ok(read_credential(&credential))
    }
}

/// Awaits `PublicKeyCredential[name]()`, a static returning a `Promise<boolean>`; false if absent.
async fn ask_public_key_credential(name: &str) -> bool {
    let class = get(&js_sys::global(), "PublicKeyCredential");
    let Some(promise) = call_method(&class, name).and_then(|p| p.dyn_into::<Promise>().ok()) else {
        return false;
    };
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

async fn conditional_mediation_available() -> bool {
    ask_public_key_credential("isConditionalMediationAvailable").await
}

/// True where a user-verifying platform authenticator (Touch ID, Windows Hello, a phone's screen
/// lock) can hold passkeys. False in runtimes without WebAuthn or outside a secure context.
async fn supports_passkeys_now() -> bool {
    webauthn_available().is_ok()
        && ask_public_key_credential("isUserVerifyingPlatformAuthenticatorAvailable").await
}

/// The package's `supportsPasskeys()` (the loader exports it, initialising the module first).
#[wasm_bindgen(js_name = "supportsPasskeys", skip_typescript)]
pub fn supports_passkeys() -> Promise {
    promise(async { Ok(supports_passkeys_now().await) })
}

/// Splits a ceremony's argument into plain data and the optional `signal`.
fn ceremony_args(what: &str, params: JsValue) -> Result<(Value, BrowserAuthenticator), Error> {
    if !params.is_object() {
        return Ok((
            from_js(what, params)?,
            BrowserAuthenticator { signal: None },
        ));
    }
    let copy = Object::assign(&Object::new(), params.unchecked_ref());
    let signal = get(&copy, "signal");
    let _ = Reflect::delete_property(&copy, &"signal".into());
    let signal = if signal.is_undefined() || signal.is_null() {
        None
    } else {
        Some(signal.dyn_into::<AbortSignal>().map_err(|_| {
            Error::invalid_input(format!("{what}: `signal` must be an AbortSignal."))
        })?)
    };
    Ok((from_js(what, copy.into())?, BrowserAuthenticator { signal }))
}

/// [`ceremony_args`] for a method that always runs a ceremony: in a runtime without WebAuthn
/// (Node, a worker, an insecure page) it fails at once, before asking the server for a challenge.
pub(crate) fn ceremony(
    what: &str,
    params: JsValue,
) -> Result<(Value, BrowserAuthenticator), Error> {
    let split = ceremony_args(what, params)?;
    webauthn_available()?;
    Ok(split)
}

/// `mfaDisableDevice`: WebAuthn devices need the browser to prove possession first; the other
/// kinds are plain requests.
pub(crate) async fn disable_device(
    client: Rc<Client<FetchRuntime>>,
    params: JsValue,
) -> Result<DisableResult, Error> {
    let (args, authenticator) = ceremony_args("mfaDisableDevice", params)?;
    if args.get("kind").and_then(Value::as_str) != Some("webauthn") {
        return client.disable_device(&args).await;
    }
    let mut f = Fields::new("mfaDisableDevice", &args)?;
    let device_id = f.req_id("deviceId")?.to_owned();
    f.req_str("kind")?;
    f.finish()?;
    webauthn_available()?;
    client
        .mfa_disable_webauthn(&device_id, &authenticator)
        .await?;
    Ok(DisableResult::Disabled)
}
