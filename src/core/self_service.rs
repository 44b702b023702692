//! What a signed-in user can see and change of their own: profile, sessions, tenants,
//! authorization, and MFA devices from settings. Every call carries the access token.

use crate::core::json::Value;
use crate::core::json::{FromJson, ToJson};

use crate::core::account::expect_success;
use crate::core::endpoints::{CodeSent, Grant, USERS_V1};
use crate::core::error::{Error, Result, StatusMeaning};
use crate::core::http::{HttpRequest, HttpResponse, Method};
use crate::core::input::Fields;
use crate::core::json;
use crate::core::{parse, AuthCore};

/// `GET users/sessions/v1/me` entries: where the user is signed in.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct UserSession {
    pub id: String,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub last_active_at: Option<String>,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The session of this client.
    #[json(nullable)]
    pub current: bool,
}

/// A tenant (account) the user belongs to.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct Tenant {
    #[json(nullable)]
    pub tenant_id: String,
    #[json(nullable)]
    pub name: String,
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

#[derive(FromJson)]
struct TenantsAnswer {
    #[json(nullable)]
    tenants: Vec<Tenant>,
}

/// The user's roles and permissions.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(default)]
pub struct Authorization {
    #[json(nullable)]
    pub roles: Vec<Grant>,
    #[json(nullable)]
    pub permissions: Vec<Grant>,
}

/// What `mfaSettingsConfirmTotp` and `mfaSettingsConfirmSms` answer: the recovery code to show
/// once, where the host gave one.
#[derive(Debug, Clone, Default, ToJson, FromJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
pub struct RecoveryCode {
    #[json(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// Reads the answer of an MFA enrollment from settings. The official client reads only
/// `recoveryCode` (an empty body is `{}` to it), so once the host said 2xx the device is
/// enrolled, whatever else the body holds.
pub fn read_recovery_code(resp: &HttpResponse, meaning: StatusMeaning) -> Result<RecoveryCode> {
    expect_success(resp, meaning)?;
    Ok(crate::core::json::from_str(&resp.body).unwrap_or_default())
}

/// `PUT users/v2/me` body; `metadata` is stringified JSON, as the API keeps it.
#[derive(Debug, Clone, Default, ToJson, PartialEq, Eq)]
#[json(rename_all = "camelCase")]
struct ProfileUpdate {
    #[json(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    profile_picture_url: Option<String>,
    #[json(skip_serializing_if = "Option::is_none")]
    metadata: Option<String>,
}

#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct TenantChoice<'a> {
    tenant_id: &'a str,
}

/// A TOTP code from settings (`token`, as the API names it).
#[derive(ToJson)]
struct TotpCode<'a> {
    token: &'a str,
}

/// Body of `users/v1/mfa/sms/enroll`.
#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct PhoneNumber<'a> {
    phone_number: &'a str,
}

/// An SMS code and the `otcToken` it was sent with.
#[derive(ToJson)]
#[json(rename_all = "camelCase")]
struct SmsCode<'a> {
    otc_token: &'a str,
    code: &'a str,
}

/// How `mfaDisableDevice` went: done, or a code was texted to confirm (SMS devices).
#[derive(Debug, Clone, PartialEq, Eq, ToJson)]
#[json(tag = "status", rename_all = "snake_case")]
pub enum DisableResult {
    /// The device is gone.
    Disabled,
    /// Call again with `code` (and this `otcToken`).
    CodeSent {
        #[json(rename = "otcToken", skip_serializing_if = "Option::is_none")]
        otc_token: Option<String>,
        #[json(rename = "phoneNumber", skip_serializing_if = "Option::is_none")]
        phone_number: Option<String>,
    },
}

/// The kinds of device `mfaDisableDevice` knows, by their `kind` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Authenticator,
    Sms,
    WebAuthn,
}

/// A validated `mfaDisableDevice` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisableDevice {
    pub kind: DeviceKind,
    pub device_id: String,
    pub code: Option<String>,
    pub otc_token: Option<String>,
}

impl AuthCore {
    /// `updateProfile({ name?, phoneNumber?, profilePictureUrl?, metadata? })`; `metadata` may
    /// be an object (it is stringified) or already a string.
    pub fn update_profile(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("updateProfile", args)?;
        let mut body = ProfileUpdate {
            name: f.opt_str("name")?.map(str::to_owned),
            phone_number: f.opt_str("phoneNumber")?.map(str::to_owned),
            profile_picture_url: f.opt_str("profilePictureUrl")?.map(str::to_owned),
            metadata: None,
        };
        body.metadata = match args.get("metadata") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(object @ Value::Object(_)) => Some(json::to_string(object)),
            Some(_) => {
                return Err(Error::invalid_input(
                    "updateProfile: `metadata` must be an object or a JSON string.",
                ))
            }
        };
        f.skip("metadata");
        f.finish()?;
        if body == ProfileUpdate::default() {
            return Err(Error::invalid_input(
                "updateProfile: give at least one of `name`, `phoneNumber`, `profilePictureUrl`, `metadata`.",
            ));
        }
        self.authed(
            Method::Put,
            "/identity/resources/users/v2/me",
            Some(json::to_string(&body)),
        )
    }

    /// `listSessions()`.
    pub fn list_sessions(&self) -> Result<HttpRequest> {
        self.authed(
            Method::Get,
            "/identity/resources/users/sessions/v1/me",
            None,
        )
    }

    /// Marks this client's session where the host did not: it is the one of the token's `sid`.
    pub fn mark_current(&self, mut sessions: Vec<UserSession>) -> Vec<UserSession> {
        if let Some(sid) = self.session().and_then(|s| s.sid.as_deref()) {
            for s in &mut sessions {
                s.current = s.current || s.id == sid;
            }
        }
        sessions
    }

    /// Reads `listSessions`' answer, this client's session marked `current`.
    pub fn handle_sessions(&self, resp: &HttpResponse) -> Result<Vec<UserSession>> {
        Ok(self.mark_current(parse(resp, StatusMeaning::SIGNED_IN)?))
    }

    /// `revokeSession(id)`: ends one of the user's sessions (its refresh tokens stop working).
    pub fn revoke_session(&self, id: &Value) -> Result<HttpRequest> {
        let args = crate::core::json::single("id", id.clone());
        let mut f = Fields::new("revokeSession", &args)?;
        let id = f.req_id("id")?;
        self.authed(
            Method::Delete,
            &format!("/identity/resources/users/sessions/v1/me/{id}"),
            None,
        )
    }

    /// `revokeAllSessions()`: every session but this one.
    pub fn revoke_all_sessions(&self) -> Result<HttpRequest> {
        self.authed(
            Method::Delete,
            "/identity/resources/users/sessions/v1/me/all",
            None,
        )
    }

    /// `listTenants()`.
    pub fn list_tenants(&self) -> Result<HttpRequest> {
        self.authed(Method::Get, &format!("{USERS_V1}/me/tenants"), None)
    }

    /// The tenants out of `GET users/v1/me/tenants` (`{ tenants, activeTenant }`) or a plain list.
    pub fn read_tenants(text: &str) -> Option<Vec<Tenant>> {
        json::from_str::<TenantsAnswer>(text)
            .map(|a| a.tenants)
            .or_else(|| json::from_str::<Vec<Tenant>>(text))
    }

    /// Reads `listTenants`' answer.
    pub fn handle_tenants(resp: &HttpResponse) -> Result<Vec<Tenant>> {
        parse::<Value>(resp, StatusMeaning::SIGNED_IN)?;
        Self::read_tenants(&resp.body).ok_or_else(|| {
            Error::bad_response(
                resp.status,
                resp.trace_id.clone(),
                "the tenants are not a list",
            )
        })
    }

    /// Checks `switchTenant`'s argument: a tenant id.
    pub fn tenant_choice(tenant_id: &Value) -> Result<String> {
        let args = crate::core::json::single("tenantId", tenant_id.clone());
        Ok(Fields::new("switchTenant", &args)?
            .req_str("tenantId")?
            .to_owned())
    }

    /// `switchTenant(tenantId)`, first half: moves the session to `tenant_id`. The refresh that
    /// follows asks for that tenant and re-issues the token.
    pub fn switch_tenant(&self, tenant_id: &str) -> Result<HttpRequest> {
        let body = json::to_string(&TenantChoice { tenant_id });
        self.authed(Method::Put, &format!("{USERS_V1}/tenant"), Some(body))
    }

    /// `getAuthorization()`.
    pub fn get_authorization(&self) -> Result<HttpRequest> {
        self.authed(Method::Get, &format!("{USERS_V1}/me/authorization"), None)
    }

    /// `listMfaDevices()`.
    pub fn list_mfa_devices(&self) -> Result<HttpRequest> {
        self.authed(Method::Get, &format!("{USERS_V1}/mfa/devices"), None)
    }

    /// `mfaSettingsEnrollTotp()`: answers `{ qrCode }`.
    pub fn mfa_settings_enroll_totp(&self) -> Result<HttpRequest> {
        self.authed(
            Method::Post,
            &format!("{USERS_V1}/mfa/authenticator/enroll"),
            Some("{}".into()),
        )
    }

    /// `mfaSettingsConfirmTotp({ code })`: answers `{ recoveryCode }`.
    pub fn mfa_settings_confirm_totp(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaSettingsConfirmTotp", args)?;
        let code = f.req_code("code")?;
        f.finish()?;
        // No MFA token here: the access token says who it is.
        self.authed_post(
            &format!("{USERS_V1}/mfa/authenticator/enroll/verify"),
            &TotpCode { token: &code },
        )
    }

    /// `mfaSettingsEnrollSms({ phoneNumber })`: texts a code to a new MFA phone; answers
    /// `{ otcToken, phoneNumber }` (`preEnrollMFASMS` in the official client).
    pub fn mfa_settings_enroll_sms(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaSettingsEnrollSms", args)?;
        let phone_number = f.req_code("phoneNumber")?;
        f.finish()?;
        self.authed_post(
            &format!("{USERS_V1}/mfa/sms/enroll"),
            &PhoneNumber {
                phone_number: &phone_number,
            },
        )
    }

    /// Reads the answer of a request that texted a code (`mfaSettingsEnrollSms`, or
    /// `mfaDisableDevice` for a phone without `code`), keeping its `otcToken` for the call that
    /// sends the code back.
    pub fn handle_code_texted(&mut self, resp: &HttpResponse) -> Result<CodeSent> {
        let sent: CodeSent = parse(resp, StatusMeaning::SIGNED_IN)?;
        self.pending_otc = sent.otc_token.clone();
        Ok(sent)
    }

    /// Reads `mfaSettingsConfirmSms`' answer: the recovery code, where given. The texted code
    /// is spent.
    pub fn handle_settings_sms_confirmed(&mut self, resp: &HttpResponse) -> Result<RecoveryCode> {
        let answer = read_recovery_code(resp, StatusMeaning::SIGNED_IN)?;
        self.pending_otc = None;
        Ok(answer)
    }

    /// `mfaSettingsConfirmSms({ otcToken?, code })`: the texted code enrolls the phone; answers
    /// `{ recoveryCode }` (`enrollMFASMS`). `otcToken` defaults to the one just sent.
    pub fn mfa_settings_confirm_sms(&self, args: &Value) -> Result<HttpRequest> {
        let mut f = Fields::new("mfaSettingsConfirmSms", args)?;
        let given = f.opt_str("otcToken")?;
        let code = f.req_code("code")?;
        f.finish()?;
        let otc_token = given.or(self.pending_otc.as_deref()).ok_or_else(|| {
            Error::invalid_input(
                "mfaSettingsConfirmSms: `otcToken` is required (from mfaSettingsEnrollSms).",
            )
        })?;
        self.authed_post(
            &format!("{USERS_V1}/mfa/sms/enroll/verify"),
            &SmsCode {
                otc_token,
                code: &code,
            },
        )
    }

    /// Checks `mfaDisableDevice({ deviceId, kind, code?, otcToken? })`.
    pub fn disable_device_input(&self, args: &Value) -> Result<DisableDevice> {
        let mut f = Fields::new("mfaDisableDevice", args)?;
        let device_id = f.req_id("deviceId")?.to_owned();
        let kind = match f.req_str("kind")? {
            "authenticator" => DeviceKind::Authenticator,
            "sms" => DeviceKind::Sms,
            "webauthn" => DeviceKind::WebAuthn,
            other => {
                return Err(Error::invalid_input(format!(
                    "mfaDisableDevice: `kind` must be \"authenticator\", \"sms\" or \"webauthn\", not \"{other}\"."
                )))
            }
        };
        let code = match f.opt_str("code")? {
            Some(_) => Some(f.req_code("code")?),
            None => None,
        };
        let otc_token = f.opt_str("otcToken")?.map(str::to_owned);
        f.finish()?;
        if kind == DeviceKind::Authenticator && code.is_none() {
            return Err(Error::invalid_input(
                "mfaDisableDevice: `code` (a current code from the app) is required for an authenticator.",
            ));
        }
        Ok(DisableDevice {
            kind,
            device_id,
            code,
            otc_token,
        })
    }

    /// The request that disables an authenticator app or an SMS phone (WebAuthn devices need a
    /// ceremony, see the WebAuthn module): SMS without a code first texts one.
    pub fn disable_device_request(&self, d: &DisableDevice) -> Result<HttpRequest> {
        let id = &d.device_id;
        match (d.kind, d.code.as_deref()) {
            (DeviceKind::Authenticator, code) => {
                let body = TotpCode { token: code.unwrap_or_default() };
                self.authed_post(&format!("{USERS_V1}/mfa/authenticator/{id}/disable/verify"), &body)
            }
            (DeviceKind::Sms, None) => {
                self.authed(Method::Post, &format!("{USERS_V1}/mfa/sms/{id}/disable"), Some("{}".into()))
            }
            (DeviceKind::Sms, Some(code)) => {
                let otc_token = d.otc_token.as_deref().or(self.pending_otc.as_deref()).ok_or_else(|| {
                    Error::invalid_input(
                        "mfaDisableDevice: `otcToken` is required (from the first call, which texted the code).",
                    )
                })?;
                self.authed_post(&format!("{USERS_V1}/mfa/sms/{id}/disable/verify"), &SmsCode { otc_token, code })
            }
            (DeviceKind::WebAuthn, _) => Err(Error::invalid_input(
                "mfaDisableDevice: WebAuthn devices are removed with a security-key ceremony in a browser.",
            )),
        }
    }

    /// Reads the answer to [`Self::disable_device_request`]: an SMS phone asked without a code
    /// answers the texted code's `otcToken`, kept for the second call.
    pub fn handle_disable_device(
        &mut self,
        d: &DisableDevice,
        resp: &HttpResponse,
    ) -> Result<DisableResult> {
        if d.kind == DeviceKind::Sms && d.code.is_none() {
            let sent = self.handle_code_texted(resp)?;
            return Ok(DisableResult::CodeSent {
                otc_token: sent.otc_token,
                phone_number: sent.phone_number,
            });
        }
        expect_success(resp, StatusMeaning::MFA)?;
        Ok(DisableResult::Disabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Mode, Options};
    use crate::core::error::ErrorCode;
    use crate::core::http::HttpResponse;
    use crate::core::json::json;
    use crate::core::session::tests::jwt;

    fn signed_in() -> AuthCore {
        let mut c = AuthCore::new(
            Options::from_json(&json!({ "baseUrl": "http://h" })).unwrap(),
            Mode::Browser,
        );
        let token = jwt(json!({ "sub": "u", "email": "a@b.c", "tenantId": "t1", "sid": "s2" }));
        let resp = HttpResponse {
            status: 200,
            body: json!({ "accessToken": token, "expiresIn": 300 }).to_string(),
            trace_id: None,
            set_cookies: vec![],
        };
        c.handle_login(resp, 0.0).unwrap();
        c
    }

    #[test]
    fn profile_update_bodies() {
        let c = signed_in();
        let req = c
            .update_profile(&json!({ "name": "N", "metadata": { "theme": "dark" } }))
            .unwrap();
        assert_eq!(req.method, Method::Put);
        assert_eq!(
            crate::core::json::from_str::<Value>(req.body.as_deref().unwrap()).unwrap(),
            json!({ "name": "N", "metadata": "{\"theme\":\"dark\"}" })
        );
        for (args, what) in [
            (json!({}), "at least one"),
            (json!({ "metadata": 5 }), "`metadata` must be"),
            (json!({ "nickname": "x" }), "unknown field `nickname`"),
        ] {
            let err = c.update_profile(&args).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.message.contains(what), "{}", err.message);
        }
    }

    #[test]
    fn the_current_session_is_marked_from_the_tokens_sid() {
        let c = signed_in();
        let sessions = vec![
            UserSession {
                id: "s1".into(),
                ..UserSession::default()
            },
            UserSession {
                id: "s2".into(),
                ..UserSession::default()
            },
        ];
        let marked = c.mark_current(sessions);
        assert_eq!(
            marked.iter().map(|s| s.current).collect::<Vec<_>>(),
            [false, true]
        );
    }

    #[test]
    fn switching_tenant_refreshes_into_the_new_one() {
        let mut c = signed_in();
        let tenant = AuthCore::tenant_choice(&json!("t2")).unwrap();
        let req = c.switch_tenant(&tenant).unwrap();
        assert_eq!(req.body.as_deref(), Some(r#"{"tenantId":"t2"}"#));
        c.next_tenant = Some(tenant);
        assert_eq!(
            c.refresh_request().unwrap().body.as_deref(),
            Some(r#"{"tenantId":"t2"}"#)
        );
        assert!(AuthCore::tenant_choice(&json!(5)).is_err());
        assert!(AuthCore::tenant_choice(&json!("")).is_err());
    }

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            body: body.into(),
            trace_id: None,
            set_cookies: vec![],
        }
    }

    #[test]
    fn an_sms_phone_disabled_without_a_code_keeps_the_texted_codes_token_for_the_second_call() {
        let mut c = signed_in();
        let first = c
            .disable_device_input(&json!({ "deviceId": "p1", "kind": "sms" }))
            .unwrap();
        let sent = c
            .handle_disable_device(
                &first,
                &answer(200, r#"{"otcToken":"o9","phoneNumber":"+1555"}"#),
            )
            .unwrap();
        assert_eq!(
            json::to_string(&sent),
            r#"{"status":"code_sent","otcToken":"o9","phoneNumber":"+1555"}"#
        );
        let second = c
            .disable_device_input(&json!({ "deviceId": "p1", "kind": "sms", "code": "123456" }))
            .unwrap();
        let request = c.disable_device_request(&second).unwrap();
        assert!(request.body.unwrap().contains(r#""otcToken":"o9""#));
        let done = c.handle_disable_device(&second, &answer(200, "")).unwrap();
        assert_eq!(json::to_string(&done), r#"{"status":"disabled"}"#);
        let refused = c
            .handle_disable_device(&second, &answer(400, "{}"))
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidCode);
    }

    #[test]
    fn a_settings_phone_keeps_its_otc_token_until_the_code_enrolls_it() {
        let mut c = signed_in();
        c.handle_code_texted(&answer(200, r#"{"otcToken":"o1"}"#))
            .unwrap();
        assert_eq!(c.pending_otc.as_deref(), Some("o1"));
        let code = c
            .handle_settings_sms_confirmed(&answer(200, r#"{"recoveryCode":"r"}"#))
            .unwrap();
        assert_eq!(code.recovery_code.as_deref(), Some("r"));
        assert_eq!(c.pending_otc, None);
    }

    #[test]
    fn tenants_from_either_shape() {
        let v1 = r#"{"tenants":[{"tenantId":"a","name":"A"}],"activeTenant":null}"#;
        assert_eq!(AuthCore::read_tenants(v1).unwrap()[0].tenant_id, "a");
        assert_eq!(
            AuthCore::read_tenants(r#"[{"tenantId":"b","name":"B"}]"#).unwrap()[0].name,
            "B"
        );
        assert!(AuthCore::read_tenants("garbage").is_none());
    }

    #[test]
    fn sms_enrollment_from_settings() {
        let mut c = signed_in();
        let req = c
            .mfa_settings_enroll_sms(&json!({ "phoneNumber": "+1 555 0100" }))
            .unwrap();
        assert!(req
            .url
            .ends_with("/identity/resources/users/v1/mfa/sms/enroll"));
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.body.as_deref(), Some(r#"{"phoneNumber":"+15550100"}"#));
        assert!(req.headers.iter().any(|(k, _)| k == "authorization"));
        assert!(!req.with_credentials);

        assert!(c
            .mfa_settings_confirm_sms(&json!({ "code": "1" }))
            .unwrap_err()
            .message
            .contains("`otcToken` is required"));
        c.pending_otc = Some("o1".into());
        let req = c
            .mfa_settings_confirm_sms(&json!({ "code": "123 456" }))
            .unwrap();
        assert!(req
            .url
            .ends_with("/identity/resources/users/v1/mfa/sms/enroll/verify"));
        assert_eq!(
            req.body.as_deref(),
            Some(r#"{"otcToken":"o1","code":"123456"}"#),
            "the keys enrollMFASMS sends"
        );
        let req = c
            .mfa_settings_confirm_sms(&json!({ "otcToken": "o2", "code": "1" }))
            .unwrap();
        assert_eq!(req.body.as_deref(), Some(r#"{"otcToken":"o2","code":"1"}"#));
        for (args, what) in [
            (json!({}), "`phoneNumber` is required"),
            (json!({ "phoneNumber": 5 }), "must be a string"),
            (
                json!({ "phoneNumber": "+1", "mfaToken": "m" }),
                "unknown field `mfaToken`",
            ),
        ] {
            let err = c.mfa_settings_enroll_sms(&args).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.message.contains(what), "{}", err.message);
        }
    }

    #[test]
    fn a_settings_enrollment_succeeds_on_any_2xx() {
        let answer = |status: u16, body: &str| HttpResponse {
            status,
            body: body.into(),
            trace_id: None,
            set_cookies: vec![],
        };
        for body in [
            "",
            "{}",
            "null",
            "[]",
            r#"{"recoveryCode":null}"#,
            r#"{"recoveryCode":5}"#,
        ] {
            assert_eq!(
                read_recovery_code(&answer(200, body), StatusMeaning::SIGNED_IN).unwrap(),
                RecoveryCode::default(),
                "{body:?}"
            );
        }
        assert_eq!(
            read_recovery_code(
                &answer(201, r#"{"recoveryCode":"R-1","extra":1}"#),
                StatusMeaning::SIGNED_IN
            )
            .unwrap()
            .recovery_code
            .as_deref(),
            Some("R-1")
        );
        assert_eq!(
            read_recovery_code(
                &answer(400, r#"{"errors":["Invalid code"]}"#),
                StatusMeaning::SIGNED_IN
            )
            .unwrap_err()
            .code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn disabling_devices() {
        let mut c = signed_in();
        let d = c
            .disable_device_input(
                &json!({ "deviceId": "a1", "kind": "authenticator", "code": "123 456" }),
            )
            .unwrap();
        let req = c.disable_device_request(&d).unwrap();
        assert!(req
            .url
            .ends_with("/users/v1/mfa/authenticator/a1/disable/verify"));
        assert_eq!(req.body.as_deref(), Some(r#"{"token":"123456"}"#));
        let sms = c
            .disable_device_input(&json!({ "deviceId": "p1", "kind": "sms" }))
            .unwrap();
        assert!(c
            .disable_device_request(&sms)
            .unwrap()
            .url
            .ends_with("/users/v1/mfa/sms/p1/disable"));
        c.pending_otc = Some("o".into());
        let confirm = c
            .disable_device_input(&json!({ "deviceId": "p1", "kind": "sms", "code": "1" }))
            .unwrap();
        assert_eq!(
            c.disable_device_request(&confirm).unwrap().body.as_deref(),
            Some(r#"{"otcToken":"o","code":"1"}"#)
        );
        for (args, what) in [
            (
                json!({ "deviceId": "a1", "kind": "authenticator" }),
                "`code`",
            ),
            (json!({ "deviceId": "a1", "kind": "fax" }), "`kind` must be"),
            (
                json!({ "deviceId": "a/1", "kind": "sms" }),
                "not a valid id",
            ),
        ] {
            assert!(c
                .disable_device_input(&args)
                .unwrap_err()
                .message
                .contains(what));
        }
    }
}
