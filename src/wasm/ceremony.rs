//! The browser half of WebAuthn: `navigator.credentials.create()` / `get()` through
//! `js/runtime.js`, the browser's failures as `FronteggError` codes, a WebAuthn method's argument
//! split into data and its `signal`, and `supportsPasskeys`.
//!
//! The options reaching the browser were checked by [`crate::core::webauthn`] first; the runtime
//! only turns their binary members into bytes, and the credential's back into base64url.

use crate::core::json::{self, FromJson, Map, Value};
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::client::webauthn::Authenticator;
use crate::core::base64url;
use crate::core::error::{Error, ErrorCode};
use crate::core::webauthn::{BrowserCredential, CreationOptions, RequestOptions};
use crate::wasm::convert::{copy_of, from_js, promise};
use crate::wasm::effects::effects;

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
pub(crate) fn webauthn_available() -> Result<(), Error> {
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

/// The browser in this page, optionally cancellable with an `AbortSignal`.
pub struct BrowserAuthenticator {
    signal: JsValue,
}

/// What `js/runtime.js`'s `ceremony` resolves to: the credential with its binary members in
/// base64url, as WebAuthn's own `toJSON()` writes them.
#[derive(FromJson)]
#[json(rename_all = "camelCase", default)]
struct Credential {
    raw_id: String,
    #[json(rename = "type")]
    type_: String,
    #[json(rename = "clientDataJSON")]
    client_data_json: String,
    attestation_object: Option<String>,
    authenticator_data: Option<String>,
    signature: Option<String>,
    user_handle: Option<String>,
    authenticator_attachment: Option<String>,
    transports: Vec<String>,
    client_extension_results: Value,
}

impl Credential {
    /// As bytes. A member that is not base64url reads as missing, which the core refuses.
    fn decode(self) -> BrowserCredential {
        let bytes = |text: Option<String>| text.and_then(|t| base64url::decode(&t));
        BrowserCredential {
            raw_id: bytes(Some(self.raw_id)).unwrap_or_default(),
            type_: self.type_,
            client_data_json: bytes(Some(self.client_data_json)).unwrap_or_default(),
            attestation_object: bytes(self.attestation_object),
            authenticator_data: bytes(self.authenticator_data),
            signature: bytes(self.signature),
            user_handle: bytes(self.user_handle),
            authenticator_attachment: self.authenticator_attachment,
            transports: self.transports,
            client_extension_results: self.client_extension_results,
        }
    }
}

impl BrowserAuthenticator {
    /// The error for a rejected ceremony. An abort through our signal is a cancellation,
    /// whatever reason the caller gave to `abort()`.
    fn error(&self, e: JsValue) -> Error {
        if get(&self.signal, "aborted").is_truthy() {
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

    /// `navigator.credentials.create()` (`create`) or `get()` with the checked `public_key`,
    /// through `js/runtime.js`, which turns its binary members into bytes and back.
    async fn run(
        &self,
        create: bool,
        mut public_key: Map,
        conditional: bool,
    ) -> Result<BrowserCredential, Error> {
        // An empty `rpId` / `rp.id` means "this page's domain": the member must be absent then.
        let (holder, key) = if create {
            (
                public_key.get_mut("rp").and_then(Value::as_object_mut),
                "id",
            )
        } else {
            (Some(&mut public_key), "rpId")
        };
        if let Some(holder) = holder.filter(|h| h.get(key).and_then(Value::as_str) == Some("")) {
            holder.remove(key);
        }
        let text = json::to_string(&Value::Object(public_key));
        let pending = effects()
            .and_then(|e| e.ceremony(create, &text, &self.signal, conditional))
            .map_err(|e| self.error(e))?;
        let answer = JsFuture::from(pending).await.map_err(|e| self.error(e))?;
        answer
            .as_string()
            .and_then(|text| json::from_str::<Credential>(&text))
            .map(Credential::decode)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::WebauthnCancelled,
                    "The browser returned no credential.",
                )
            })
    }
}

impl Authenticator for BrowserAuthenticator {
    async fn create(&self, options: CreationOptions) -> Result<BrowserCredential, Error> {
        webauthn_available()?;
        self.run(true, options.public_key, false).await
    }

    async fn get(&self, options: RequestOptions) -> Result<BrowserCredential, Error> {
        webauthn_available()?;
        if options.conditional && !ask("isConditionalMediationAvailable").await {
            return Err(unsupported(
                "This browser has no conditional mediation (passkey autofill).",
            ));
        }
        self.run(false, options.public_key, options.conditional)
            .await
    }
}

/// Awaits `PublicKeyCredential[name]()`, a static returning a `Promise<boolean>`; false if absent.
async fn ask(name: &str) -> bool {
    let Ok(effects) = effects() else {
        return false;
    };
    JsFuture::from(effects.ask(name))
        .await
        .is_ok_and(|v| v.is_truthy())
}

/// True where a user-verifying platform authenticator (Touch ID, Windows Hello, a phone's screen
/// lock) can hold passkeys. False in runtimes without WebAuthn or outside a secure context.
async fn supports_passkeys_now() -> bool {
    webauthn_available().is_ok() && ask("isUserVerifyingPlatformAuthenticatorAvailable").await
}

/// The package's `supportsPasskeys()` (the loader exports it, initialising the module first).
#[wasm_bindgen(js_name = "supportsPasskeys", skip_typescript)]
pub fn supports_passkeys() -> Promise {
    promise(async { Ok(supports_passkeys_now().await) })
}

/// Splits a ceremony's argument into plain data and the optional `signal`.
pub(crate) fn ceremony_args(
    what: &str,
    params: JsValue,
) -> Result<(Value, BrowserAuthenticator), Error> {
    if !params.is_object() {
        return Ok((
            from_js(what, params)?,
            BrowserAuthenticator {
                signal: JsValue::UNDEFINED,
            },
        ));
    }
    let copy = copy_of(what, &params)?;
    let signal = get(&copy, "signal");
    let _ = Reflect::delete_property(&copy, &"signal".into());
    let signal = if signal.is_undefined() || signal.is_null() {
        JsValue::UNDEFINED
    } else if signal.is_instance_of::<AbortSignal>() {
        signal
    } else {
        return Err(Error::invalid_input(format!(
            "{what}: `signal` must be an AbortSignal."
        )));
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
