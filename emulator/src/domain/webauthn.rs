//! The rules of WebAuthn, verified for real with `webauthn-rs`, apart from HTTP: the relying
//! party, the credentials as clients send them, and the ceremonies of passkeys and of WebAuthn
//! second factors.
//!
//! Every ceremony is two requests. The first answers `options` (the JSON form of
//! `PublicKeyCredentialCreationOptions` / `PublicKeyCredentialRequestOptions`, binary fields
//! base64url) and stores the `webauthn-rs` state under the hash of its challenge; the second
//! brings the authenticator's response, whose `clientDataJSON` carries the challenge back, and
//! takes (deletes) that state before verifying: a challenge answers once, and expires. Where
//! the official client passes a `webauthnToken`, it is the ceremony's challenge (base64url); it
//! is optional on the second request and, when sent, must match the challenge signed.
//!
//! The relying party (RP id and allowed origins) is chosen per ceremony, see
//! [`RelyingParty::for_request`], and stored with it, so the second request is checked against
//! what the first one offered.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    AuthenticatorAttachment, CredentialID, DiscoverableAuthentication, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey,
    SecurityKeyAuthentication, SecurityKeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder,
    WebauthnError,
};

use crate::config::Settings;
use crate::domain::mfa::{hash_recovery_code, new_recovery_code};
use crate::error::{codes, ApiError};
use crate::state::AppState;
use crate::store::{
    NewWebauthnDevice, UserRecord, WebauthnCeremony, WebauthnDevice, WebauthnPurpose,
};

// ---------------------------------------------------------------------------------------------
// Relying party

/// The relying party a ceremony is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct RelyingParty {
    id: String,
    name: String,
    origins: Vec<String>,
}

fn rp_unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        message,
        codes::WEBAUTHN_RP_UNAVAILABLE,
    )
}

impl RelyingParty {
    /// The configured origins (`webauthn.origins`) when there are any; otherwise the request's
    /// `Origin`, which must be an allowed origin with a domain name. The RP id is
    /// `webauthn.rpId`, else the first origin's host.
    pub(crate) fn for_request(settings: &Settings, headers: &HeaderMap) -> Result<Self, ApiError> {
        let policy = &settings.webauthn;
        let origins = if policy.origins.is_empty() {
            let origin = headers
                .get(ORIGIN)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| {
                    rp_unavailable(
                        "WebAuthn needs the request's Origin header (or webauthn.origins in the \
                         emulator config)",
                    )
                })?;
            if !settings.origin_allowed(origin) {
                return Err(rp_unavailable(format!(
                    "Origin {origin} is not allowed (see allowedOrigins in the emulator config)"
                )));
            }
            vec![origin.to_owned()]
        } else {
            policy.origins.clone()
        };
        let first = origins
            .first()
            .map(|origin| parse_origin(origin))
            .transpose()?
            .ok_or_else(|| rp_unavailable("No WebAuthn origin configured"))?;
        let host = first.domain().ok_or_else(|| {
            rp_unavailable(
                "WebAuthn needs a domain name: browsers refuse IP addresses such as 127.0.0.1 as \
                 relying party ids; open the app at http://localhost:PORT instead",
            )
        })?;
        Ok(Self {
            id: policy.rp_id.clone().unwrap_or_else(|| host.to_owned()),
            name: policy.rp_name.clone(),
            origins,
        })
    }

    /// The `webauthn-rs` instance for this RP, built once and cached: RPs come from the config
    /// or from allowed local origins, so there are few of them.
    pub(crate) fn webauthn(&self) -> Result<Arc<Webauthn>, ApiError> {
        static CACHE: OnceLock<Mutex<HashMap<RelyingParty, Arc<Webauthn>>>> = OnceLock::new();
        /// Past this many RPs (say, a dev server on many ports) the cache starts over.
        const MAX_CACHED: usize = 64;
        let cache = CACHE.get_or_init(Mutex::default);
        if let Some(found) = cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(self)
        {
            return Ok(Arc::clone(found));
        }
        let origins = self
            .origins
            .iter()
            .map(|origin| parse_origin(origin))
            .collect::<Result<Vec<_>, _>>()?;
        let (first, rest) = origins
            .split_first()
            .ok_or_else(|| rp_unavailable("No WebAuthn origin configured"))?;
        let mismatch = |_| {
            rp_unavailable(format!(
                "The WebAuthn RP id {:?} is not the host of {first} or a parent domain of it",
                self.id
            ))
        };
        let mut builder = WebauthnBuilder::new(&self.id, first)
            .map_err(mismatch)?
            .rp_name(&self.name)
            .timeout(Duration::from_secs(CEREMONY_TTL_SECONDS.unsigned_abs()));
        for origin in rest {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = Arc::new(builder.build().map_err(mismatch)?);
        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(self.clone(), Arc::clone(&webauthn));
        Ok(webauthn)
    }
}

fn parse_origin(origin: &str) -> Result<Url, ApiError> {
    Url::parse(origin).map_err(|e| rp_unavailable(format!("Invalid origin {origin:?}: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Request bodies: the credentials as the official client sends them

/// `response` of a registration (`navigator.credentials.create()`), binary fields base64url.
#[derive(Debug, Deserialize)]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub(crate) client_data_json: String,
    #[serde(rename = "attestationObject")]
    attestation_object: String,
}

/// A new credential: `{ id, rawId?, response: { clientDataJSON, attestationObject } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationCredential {
    id: String,
    raw_id: Option<String>,
    pub(crate) response: AttestationResponse,
}

/// `response` of an assertion (`navigator.credentials.get()`), binary fields base64url.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    #[serde(rename = "clientDataJSON")]
    pub(crate) client_data_json: String,
    authenticator_data: String,
    signature: String,
    user_handle: Option<String>,
}

/// An assertion: `{ id, rawId?, response: { clientDataJSON, authenticatorData, signature,
/// userHandle? } }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionCredential {
    id: String,
    raw_id: Option<String>,
    pub(crate) response: AssertionResponse,
}

/// Base64url (or standard base64, padded or not: clients differ) to bytes.
fn decode_b64(field: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    let trimmed = value.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| {
            STANDARD.decode(format!(
                "{trimmed}{}",
                "=".repeat((4 - trimmed.len() % 4) % 4)
            ))
        })
        .map_err(|_| ApiError::bad_request(format!("{field} is not base64url")))
}

/// Canonical (unpadded base64url) form of a binary field, as `webauthn-rs` reads it.
fn canonical_b64(field: &str, value: &str) -> Result<String, ApiError> {
    Ok(URL_SAFE_NO_PAD.encode(decode_b64(field, value)?))
}

/// The raw credential id: `rawId` when sent (it must agree with `id`), else `id`.
fn raw_id(id: &str, raw_id: Option<&str>) -> Result<Vec<u8>, ApiError> {
    let from_id = decode_b64("id", id)?;
    if let Some(raw) = raw_id {
        if decode_b64("rawId", raw)? != from_id {
            return Err(ApiError::bad_request("rawId and id differ"));
        }
    }
    Ok(from_id)
}

fn into_credential<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("Invalid WebAuthn credential: {e}")))
}

impl AttestationCredential {
    /// The credential as `webauthn-rs` reads it (canonical base64url, `rawId` checked).
    pub(crate) fn parse(&self) -> Result<RegisterPublicKeyCredential, ApiError> {
        let raw_id = URL_SAFE_NO_PAD.encode(raw_id(&self.id, self.raw_id.as_deref())?);
        into_credential(json!({
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": canonical_b64("clientDataJSON", &self.response.client_data_json)?,
                "attestationObject":
                    canonical_b64("attestationObject", &self.response.attestation_object)?,
            },
        }))
    }
}

impl AssertionCredential {
    /// The credential as `webauthn-rs` reads it (canonical base64url, `rawId` checked).
    pub(crate) fn parse(&self) -> Result<PublicKeyCredential, ApiError> {
        let raw_id = URL_SAFE_NO_PAD.encode(raw_id(&self.id, self.raw_id.as_deref())?);
        let response = &self.response;
        let user_handle = response
            .user_handle
            .as_deref()
            .filter(|handle| !handle.is_empty())
            .map(|handle| canonical_b64("userHandle", handle))
            .transpose()?;
        into_credential(json!({
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": canonical_b64("clientDataJSON", &response.client_data_json)?,
                "authenticatorData":
                    canonical_b64("authenticatorData", &response.authenticator_data)?,
                "signature": canonical_b64("signature", &response.signature)?,
                "userHandle": user_handle,
            },
        }))
    }
}

/// `deviceType` as the official client names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DeviceType {
    /// Built into the device (Touch ID, Windows Hello).
    Platform,
    /// Roaming (a USB/NFC security key, a phone).
    CrossPlatform,
}

impl DeviceType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "Platform",
            Self::CrossPlatform => "CrossPlatform",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "Platform" => Some(Self::Platform),
            "CrossPlatform" => Some(Self::CrossPlatform),
            _ => None,
        }
    }

    /// The MFA strategy that offers this kind of device.
    fn strategy(self) -> &'static str {
        match self {
            Self::Platform => "WebAuthnPlatform",
            Self::CrossPlatform => "WebAuthnCrossPlatform",
        }
    }

    fn attachment(self) -> AuthenticatorAttachment {
        match self {
            Self::Platform => AuthenticatorAttachment::Platform,
            Self::CrossPlatform => AuthenticatorAttachment::CrossPlatform,
        }
    }

    fn default_name(self, purpose: WebauthnPurpose) -> &'static str {
        match (purpose, self) {
            (WebauthnPurpose::Passkey, _) => "Passkey",
            (WebauthnPurpose::Mfa, Self::Platform) => "Platform authenticator",
            (WebauthnPurpose::Mfa, Self::CrossPlatform) => "Security key",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ceremonies

/// How long a ceremony may take; also the `timeout` offered to the browser.
const CEREMONY_TTL_SECONDS: i64 = 300;
/// Passkey sign-ins pending at once, past which the oldest are dropped. Anyone may start one,
/// so the attempt limits alone (which the config can turn off) must not be all that bounds the
/// rows they store; expired ones are swept whenever a ceremony is stored.
pub(crate) const MAX_PENDING_PASSKEY_LOGINS: u32 = 1_000;

/// Ceremony kinds, stored with each ceremony so a response is only accepted by its own route.
pub(crate) mod kind {
    pub const PASSKEY_REGISTRATION: &str = "passkey-registration";
    pub const PASSKEY_LOGIN: &str = "passkey-login";
    pub const MFA_REGISTRATION: &str = "mfa-registration";
    pub const MFA_LOGIN: &str = "mfa-login";
    pub const MFA_DISABLE: &str = "mfa-disable";
}

/// 400: the challenge is unknown, answered, expired, or another ceremony's or user's.
fn challenge_invalid() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "Unknown, used or expired WebAuthn challenge; start again",
        codes::WEBAUTHN_CHALLENGE_INVALID,
    )
}

/// 401: no registered credential (of this kind, for this user) has this id.
pub(crate) fn credential_unknown() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Unknown WebAuthn credential",
        codes::WEBAUTHN_CREDENTIAL_UNKNOWN,
    )
}

/// 404: not one of the user's WebAuthn devices of this kind.
pub(crate) fn device_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "WebAuthn device not found",
        codes::WEBAUTHN_DEVICE_NOT_FOUND,
    )
}

/// Maps a failed `webauthn-rs` verification to the API error a client can act on.
pub(crate) fn verification_error(err: WebauthnError) -> ApiError {
    let (status, code) = match err {
        WebauthnError::InvalidRPOrigin => {
            (StatusCode::UNAUTHORIZED, codes::WEBAUTHN_ORIGIN_MISMATCH)
        }
        WebauthnError::MismatchedChallenge => {
            (StatusCode::BAD_REQUEST, codes::WEBAUTHN_CHALLENGE_INVALID)
        }
        WebauthnError::CredentialPossibleCompromise => {
            (StatusCode::UNAUTHORIZED, codes::WEBAUTHN_COUNTER_REGRESSION)
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            codes::WEBAUTHN_VERIFICATION_FAILED,
        ),
    };
    ApiError::new(status, format!("WebAuthn verification failed: {err}"), code)
}

/// A `webauthn-rs` value as the JSON the store keeps.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

/// A `webauthn-rs` value back from the JSON the store keeps.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(ApiError::internal)
}

/// The user handle WebAuthn stores on authenticators: the user id's UUID bytes.
pub(crate) fn user_handle(user: &UserRecord) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&user.id).map_err(ApiError::internal)
}

/// The `publicKey` member of serialised options, which is what the browser API takes.
pub(crate) fn public_key_options<T: Serialize>(options: &T) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(options).map_err(ApiError::internal)?;
    value
        .get_mut("publicKey")
        .map(Value::take)
        .ok_or_else(|| ApiError::internal("webauthn-rs options without publicKey"))
}

/// What a started ceremony needs stored besides its `webauthn-rs` state.
pub(crate) struct Started<'a> {
    pub kind: &'static str,
    pub user_id: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub device_type: Option<DeviceType>,
}

/// Stores a ceremony under its challenge and returns the challenge as base64url (the
/// `webauthnToken`).
pub(crate) fn store_ceremony<S: Serialize>(
    state: &AppState,
    rp: &RelyingParty,
    challenge: &[u8],
    ceremony_state: &S,
    started: Started<'_>,
    now: i64,
) -> Result<String, ApiError> {
    let ceremony = WebauthnCeremony {
        kind: started.kind.to_owned(),
        user_id: started.user_id.map(str::to_owned),
        device_id: started.device_id.map(str::to_owned),
        device_type: started.device_type.map(|t| t.as_str().to_owned()),
        relying_party: to_json(rp)?,
        state: to_json(ceremony_state)?,
        expires_at: now.saturating_add(CEREMONY_TTL_SECONDS),
    };
    let hash: [u8; 32] = Sha256::digest(challenge).into();
    state
        .store
        .insert_webauthn_ceremony(&hash, &ceremony, now)?;
    Ok(URL_SAFE_NO_PAD.encode(challenge))
}

/// A ceremony taken for finishing, with its relying party's `webauthn-rs` instance.
pub(crate) struct Taken {
    pub ceremony: WebauthnCeremony,
    pub webauthn: Arc<Webauthn>,
}

/// Takes the ceremony whose challenge the client signed (`clientDataJSON.challenge`). It must be
/// of `kind`, for `user_id` when given, and match `webauthn_token` when one was sent.
pub(crate) fn take_ceremony(
    state: &AppState,
    client_data_json: &str,
    webauthn_token: Option<&str>,
    kind: &str,
    user_id: Option<&str>,
) -> Result<Taken, ApiError> {
    #[derive(Deserialize)]
    struct ClientData {
        challenge: String,
    }
    let client_data: ClientData =
        serde_json::from_slice(&decode_b64("clientDataJSON", client_data_json)?)
            .map_err(|e| ApiError::bad_request(format!("Invalid clientDataJSON: {e}")))?;
    let challenge = decode_b64("clientDataJSON.challenge", &client_data.challenge)?;
    if let Some(token) = webauthn_token {
        if decode_b64("webauthnToken", token)? != challenge {
            return Err(challenge_invalid());
        }
    }
    let hash: [u8; 32] = Sha256::digest(&challenge).into();
    let ceremony = state
        .store
        .take_webauthn_ceremony(&hash, state.clock.now())?
        .filter(|ceremony| ceremony.kind == kind)
        .filter(|ceremony| user_id.is_none() || ceremony.user_id.as_deref() == user_id)
        .ok_or_else(challenge_invalid)?;
    let rp: RelyingParty = from_json(&ceremony.relying_party)?;
    Ok(Taken {
        webauthn: rp.webauthn()?,
        ceremony,
    })
}

/// Ids of all the user's credentials, so an authenticator is not registered twice.
pub(crate) fn registered_credential_ids(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<CredentialID>, ApiError> {
    let mut ids = Vec::new();
    for device in state
        .store
        .webauthn_devices(user_id, WebauthnPurpose::Passkey)?
    {
        ids.push(from_json::<Passkey>(&device.credential)?.cred_id().clone());
    }
    for device in state
        .store
        .webauthn_devices(user_id, WebauthnPurpose::Mfa)?
    {
        ids.push(
            from_json::<SecurityKey>(&device.credential)?
                .cred_id()
                .clone(),
        );
    }
    Ok(ids)
}

/// A verified credential about to be stored.
pub(crate) struct NewDevice<'a> {
    pub user_id: &'a str,
    pub purpose: WebauthnPurpose,
    pub device_type: DeviceType,
    pub name: Option<&'a str>,
    pub credential_id: &'a [u8],
    pub credential: String,
}

/// Stores a verified new credential (with the MFA recovery code hash, for MFA enrollments);
/// 409 if that credential is already registered.
pub(crate) fn store_device(
    state: &AppState,
    device: NewDevice<'_>,
    recovery_hash: Option<&[u8; 32]>,
    now: i64,
) -> Result<String, ApiError> {
    let new = NewWebauthnDevice {
        user_id: device.user_id,
        purpose: device.purpose,
        device_type: device.device_type.as_str(),
        name: device
            .name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(device.device_type.default_name(device.purpose)),
        credential_id: device.credential_id,
        credential: &device.credential,
    };
    state
        .store
        .insert_webauthn_device(new, recovery_hash, now)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "This authenticator is already registered",
                codes::WEBAUTHN_CREDENTIAL_EXISTS,
            )
        })
}

/// The user's device of `purpose` with this id, or 404.
fn own_device(
    state: &AppState,
    user_id: &str,
    device_id: &str,
    purpose: WebauthnPurpose,
) -> Result<WebauthnDevice, ApiError> {
    state
        .store
        .webauthn_device(device_id)?
        .filter(|device| device.user_id == user_id && device.purpose == purpose)
        .ok_or_else(device_not_found)
}

// ---------------------------------------------------------------------------------------------
// WebAuthn as a second factor

/// Checks that the MFA policy offers WebAuthn: this device type, or either when not yet known.
fn ensure_strategy(settings: &Settings, device_type: Option<DeviceType>) -> Result<(), ApiError> {
    let offered = |t: DeviceType| settings.mfa.strategies.iter().any(|s| s == t.strategy());
    let ok = match device_type {
        Some(t) => offered(t),
        None => offered(DeviceType::Platform) || offered(DeviceType::CrossPlatform),
    };
    if ok {
        return Ok(());
    }
    let what = device_type.map_or("WebAuthn", DeviceType::strategy);
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        format!("The MFA policy does not offer {what}"),
        codes::MFA_METHOD_DISABLED,
    ))
}

/// Counts one second-factor attempt, under the same per-user key as the other MFA methods.
pub(crate) fn limit_mfa(
    state: &AppState,
    peer: SocketAddr,
    user: &UserRecord,
) -> Result<(), ApiError> {
    state.limit_attempt(peer.ip(), &format!("mfa:{}", user.id))
}

/// Starts registering an MFA authenticator for `user`: the answer `{ webauthnToken, options }`.
pub(crate) fn start_mfa_registration(
    state: &AppState,
    headers: &HeaderMap,
    user: &UserRecord,
    device_type: Option<DeviceType>,
) -> Result<Value, ApiError> {
    let settings = state.settings();
    ensure_strategy(&settings, device_type)?;
    let rp = RelyingParty::for_request(&settings, headers)?;
    let exclude = registered_credential_ids(state, &user.id)?;
    let (options, registration) = rp
        .webauthn()?
        .start_securitykey_registration(
            user_handle(user)?,
            &user.email,
            &user.name,
            Some(exclude),
            None,
            device_type.map(DeviceType::attachment),
        )
        .map_err(ApiError::internal)?;
    let started = Started {
        kind: kind::MFA_REGISTRATION,
        user_id: Some(&user.id),
        device_id: None,
        device_type,
    };
    let now = state.clock.now();
    let challenge = &options.public_key.challenge;
    let token = store_ceremony(state, &rp, challenge, &registration, started, now)?;
    let mut public_key = public_key_options(&options)?;
    // webauthn-rs asks for credProtect "userVerificationRequired" with user verification only
    // "preferred"; Chromium refuses that mix (NotSupportedError), and the hosted login box
    // passes these options to the browser as they are. The policy is optional: leave it out.
    if let Some(extensions) = public_key
        .get_mut("extensions")
        .and_then(Value::as_object_mut)
    {
        extensions.remove("credentialProtectionPolicy");
        extensions.remove("enforceCredentialProtectionPolicy");
    }
    let body = json!({ "webauthnToken": token, "options": public_key });
    Ok(body)
}

/// A verified MFA registration, not stored yet.
pub(crate) struct NewMfaKey {
    device_type: DeviceType,
    key: SecurityKey,
}

/// Verifies an MFA registration. The device type is the one sent now, else the one the
/// ceremony was started for, else `CrossPlatform`.
pub(crate) fn verify_mfa_registration(
    state: &AppState,
    user: &UserRecord,
    webauthn_token: Option<&str>,
    credential: &AttestationCredential,
    device_type: Option<DeviceType>,
) -> Result<NewMfaKey, ApiError> {
    let parsed = credential.parse()?;
    let taken = take_ceremony(
        state,
        &credential.response.client_data_json,
        webauthn_token,
        kind::MFA_REGISTRATION,
        Some(&user.id),
    )?;
    let device_type = device_type
        .or_else(|| {
            taken
                .ceremony
                .device_type
                .as_deref()
                .and_then(DeviceType::parse)
        })
        .unwrap_or(DeviceType::CrossPlatform);
    ensure_strategy(&state.settings(), Some(device_type))?;
    let registration: SecurityKeyRegistration = from_json(&taken.ceremony.state)?;
    let key = taken
        .webauthn
        .finish_securitykey_registration(&parsed, &registration)
        .map_err(verification_error)?;
    Ok(NewMfaKey { device_type, key })
}

/// Stores a verified MFA authenticator with a new recovery code (replacing any earlier one, as
/// every MFA enrollment does). Returns the device id and the recovery code.
pub(crate) fn store_mfa_key(
    state: &AppState,
    user: &UserRecord,
    new_key: &NewMfaKey,
    now: i64,
) -> Result<(String, String), ApiError> {
    let recovery_code = new_recovery_code();
    let id = store_device(
        state,
        NewDevice {
            user_id: &user.id,
            purpose: WebauthnPurpose::Mfa,
            device_type: new_key.device_type,
            name: None,
            credential_id: new_key.key.cred_id().as_slice(),
            credential: to_json(&new_key.key)?,
        },
        Some(&hash_recovery_code(&recovery_code)),
        now,
    )?;
    Ok((id, recovery_code))
}

/// Starts an assertion with one of the user's MFA authenticators: the answer
/// `{ webauthnToken, options }`.
pub(crate) fn start_mfa_assertion(
    state: &AppState,
    headers: &HeaderMap,
    user: &UserRecord,
    device_id: &str,
    kind: &'static str,
) -> Result<Value, ApiError> {
    let device = own_device(state, &user.id, device_id, WebauthnPurpose::Mfa)?;
    let key: SecurityKey = from_json(&device.credential)?;
    let rp = RelyingParty::for_request(&state.settings(), headers)?;
    let (options, authentication) = rp
        .webauthn()?
        .start_securitykey_authentication(&[key])
        .map_err(ApiError::internal)?;
    let started = Started {
        kind,
        user_id: Some(&user.id),
        device_id: Some(&device.id),
        device_type: None,
    };
    let now = state.clock.now();
    let challenge = &options.public_key.challenge;
    let token = store_ceremony(state, &rp, challenge, &authentication, started, now)?;
    let body = json!({ "webauthnToken": token, "options": public_key_options(&options)? });
    Ok(body)
}

/// Verifies an assertion by one of the user's MFA authenticators and records its use (the
/// updated sign counter). Returns the device.
pub(crate) fn finish_mfa_assertion(
    state: &AppState,
    user: &UserRecord,
    device_id: &str,
    webauthn_token: Option<&str>,
    credential: &AssertionCredential,
    kind: &str,
) -> Result<WebauthnDevice, ApiError> {
    let parsed = credential.parse()?;
    let taken = take_ceremony(
        state,
        &credential.response.client_data_json,
        webauthn_token,
        kind,
        Some(&user.id),
    )?;
    if taken.ceremony.device_id.as_deref() != Some(device_id) {
        return Err(challenge_invalid());
    }
    let device = own_device(state, &user.id, device_id, WebauthnPurpose::Mfa)?;
    let authentication: SecurityKeyAuthentication = from_json(&taken.ceremony.state)?;
    let result = taken
        .webauthn
        .finish_securitykey_authentication(&parsed, &authentication)
        .map_err(verification_error)?;
    let mut key: SecurityKey = from_json(&device.credential)?;
    key.update_credential(&result);
    state
        .store
        .record_webauthn_use(&device.id, &to_json(&key)?, state.clock.now())?;
    Ok(device)
}

// ---------------------------------------------------------------------------------------------
// Passkeys

/// Starts registering a passkey for `user`: the creation options (`publicKey`), asking for a
/// discoverable credential (`residentKey: required`) with user verification, so the passkey
/// alone signs the user in.
pub(crate) fn start_passkey_registration(
    state: &AppState,
    headers: &HeaderMap,
    user: &UserRecord,
) -> Result<Value, ApiError> {
    let rp = RelyingParty::for_request(&state.settings(), headers)?;
    let exclude = registered_credential_ids(state, &user.id)?;
    let (options, registration) = rp
        .webauthn()?
        .start_passkey_registration(user_handle(user)?, &user.email, &user.name, Some(exclude))
        .map_err(ApiError::internal)?;
    let mut public_key = public_key_options(&options)?;
    // webauthn-rs leaves residency to the authenticator; sign-in without an identifier needs it.
    if let Some(selection) = public_key.get_mut("authenticatorSelection") {
        selection["residentKey"] = json!("required");
        selection["requireResidentKey"] = json!(true);
    }
    let started = Started {
        kind: kind::PASSKEY_REGISTRATION,
        user_id: Some(&user.id),
        device_id: None,
        device_type: None,
    };
    let now = state.clock.now();
    store_ceremony(
        state,
        &rp,
        &options.public_key.challenge,
        &registration,
        started,
        now,
    )?;
    Ok(public_key)
}

/// Verifies a passkey attestation and stores the passkey (`Platform` unless `device_type` says
/// otherwise); answers the stored device. 409 if the credential is already registered.
pub(crate) fn finish_passkey_registration(
    state: &AppState,
    user: &UserRecord,
    credential: &AttestationCredential,
    device_type: Option<DeviceType>,
    name: Option<&str>,
) -> Result<WebauthnDevice, ApiError> {
    let parsed = credential.parse()?;
    let taken = take_ceremony(
        state,
        &credential.response.client_data_json,
        None,
        kind::PASSKEY_REGISTRATION,
        Some(&user.id),
    )?;
    let registration: PasskeyRegistration = from_json(&taken.ceremony.state)?;
    let passkey = taken
        .webauthn
        .finish_passkey_registration(&parsed, &registration)
        .map_err(verification_error)?;
    let now = state.clock.now();
    let device = NewDevice {
        user_id: &user.id,
        purpose: WebauthnPurpose::Passkey,
        device_type: device_type.unwrap_or(DeviceType::Platform),
        name,
        credential_id: passkey.cred_id().as_slice(),
        credential: to_json(&passkey)?,
    };
    let id = store_device(state, device, None, now)?;
    let device = state
        .store
        .webauthn_device(&id)?
        .ok_or_else(device_not_found)?;
    Ok(device)
}

/// Starts a passkey sign-in: the request options (`publicKey`). For a named user who has
/// passkeys, `allowCredentials` lists them and only one of theirs may answer; otherwise it is
/// empty and any discoverable passkey of this RP may answer, so the answer does not tell
/// whether an account exists.
pub(crate) fn start_passkey_login(
    state: &AppState,
    headers: &HeaderMap,
    user_id: Option<&str>,
) -> Result<Value, ApiError> {
    let rp = RelyingParty::for_request(&state.settings(), headers)?;
    let (options, authentication) = rp
        .webauthn()?
        .start_discoverable_authentication()
        .map_err(ApiError::internal)?;
    let passkeys = match user_id {
        Some(user_id) => state
            .store
            .webauthn_devices(user_id, WebauthnPurpose::Passkey)?,
        None => Vec::new(),
    };
    let mut allow = Vec::new();
    for device in &passkeys {
        let passkey: Passkey = from_json(&device.credential)?;
        allow.push(json!({
            "type": "public-key",
            "id": URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice()),
        }));
    }
    let mut public_key = public_key_options(&options)?;
    public_key["allowCredentials"] = Value::Array(allow);
    let started = Started {
        kind: kind::PASSKEY_LOGIN,
        // Named users with passkeys must answer with one of theirs.
        user_id: user_id.filter(|_| !passkeys.is_empty()),
        device_id: None,
        device_type: None,
    };
    let now = state.clock.now();
    store_ceremony(
        state,
        &rp,
        &options.public_key.challenge,
        &authentication,
        started,
        now,
    )?;
    state
        .store
        .trim_webauthn_ceremonies(kind::PASSKEY_LOGIN, MAX_PENDING_PASSKEY_LOGINS)?;
    Ok(public_key)
}

/// Verifies a passkey assertion (counted against the per-IP and per-credential attempt limits)
/// and records its use; answers the passkey's owner, who may now start a session, and the time
/// of the sign-in.
pub(crate) fn finish_passkey_login(
    state: &AppState,
    ip: IpAddr,
    credential: &AssertionCredential,
) -> Result<(UserRecord, i64), ApiError> {
    let parsed = credential.parse()?;
    let credential_id = URL_SAFE_NO_PAD.encode(parsed.get_credential_id());
    state.limit_attempt(ip, &format!("webauthn:{credential_id}"))?;
    let taken = take_ceremony(
        state,
        &credential.response.client_data_json,
        None,
        kind::PASSKEY_LOGIN,
        None,
    )?;
    let device = state
        .store
        .webauthn_device_by_credential_id(parsed.get_credential_id())?
        .filter(|device| device.purpose == WebauthnPurpose::Passkey)
        .filter(|device| {
            let expected = taken.ceremony.user_id.as_deref();
            expected.is_none_or(|user_id| user_id == device.user_id)
        })
        .ok_or_else(credential_unknown)?;
    let user = state
        .store
        .user(&device.user_id)?
        .ok_or_else(credential_unknown)?;
    // A discoverable credential names its user; it must be the credential's owner.
    if let Some(handle) = parsed.get_user_unique_id() {
        if handle != user_handle(&user)?.as_bytes() {
            return Err(credential_unknown());
        }
    }
    let authentication: DiscoverableAuthentication = from_json(&taken.ceremony.state)?;
    let mut passkey: Passkey = from_json(&device.credential)?;
    let result = taken
        .webauthn
        .finish_discoverable_authentication_v2(&parsed, authentication, &passkey)
        .map_err(verification_error)?;
    passkey.update_credential(&result);
    let now = state.clock.now();
    state
        .store
        .record_webauthn_use(&device.id, &to_json(&passkey)?, now)?;
    Ok((user, now))
}
