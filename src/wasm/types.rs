//! The package's TypeScript declarations: the options, the results, and the `FronteggAuth` class,
//! one declaration per arm of `call` in `auth.rs` (`tests/node/methods.test.mjs` holds the two
//! to each other). wasm-bindgen writes them into `frontegg_auth_wasm.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `createAuth`. Bad options reject with `FronteggError` code `invalid_input`. */
export interface AuthOptions {
  /** Identity host, e.g. `https://app-x.frontegg.com`; the SDK appends `/identity/resources/...`. */
  baseUrl: string;
  /** Names the refresh cookie `fe_refresh_<clientId without dashes>` in server mode. */
  clientId?: string;
  /** Sent as `frontegg-requested-application-id`. */
  appId?: string;
  /** Where the refresh token lives; default: "browser" where there is a `document`, else "server". */
  mode?: "browser" | "server";
  /**
   * Where the session snapshot is kept (default "memory"). In browser mode it never holds the
   * refresh token; in server mode an adapter keeps it too, e.g. in a worker's KV.
   */
  storage?: "memory" | "local" | "session" | StorageAdapter;
  /** Refresh before the access token expires (default true). */
  autoRefresh?: boolean;
  /** How long before expiry to refresh, in seconds (default 30). */
  refreshLeewaySeconds?: number;
  /** Per-request timeout in milliseconds (default 15000). */
  timeoutMs?: number;
  /** Injected runtime (tests, edge); default: the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Origins (`scheme://host[:port]`, e.g. "https://api.example.com") that `auth.fetch` may send
   * the access token to, besides the identity host and (in a browser) the page's own origin; a
   * request to any other origin is refused with `invalid_input` rather than sent. Default [].
   */
  bearerOrigins?: string[];
}

/** Options of `logout`. */
export interface LogoutOptions {
  /** Also end every other session of the user (other devices and browsers). Default false. */
  everywhere?: boolean;
}

/**
 * A place for the session snapshot; methods may return promises. Writes are started before the
 * SDK call that caused them resolves, one at a time in order.
 */
export interface StorageAdapter {
  /** The value stored at `key`, or `null` / `undefined` when there is none. */
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  /** Stores `value` at `key`, replacing what was there. */
  set(key: string, value: string): void | Promise<void>;
  /** Deletes `key` (signing out); a missing key is no error. */
  remove(key: string): void | Promise<void>;
  /**
   * Optional, for instances that share one store (Worker isolates, server processes): replace
   * the value at `key` with `value` only if it is still `expected`, atomically, and answer
   * whether it did. With it, an instance about to refresh claims the refresh with a short lease
   * written into the snapshot, and the others wait for the session it stores instead of
   * presenting the same refresh token (which the host takes for theft, revoking the session).
   * Without it, two instances refreshing in the same instant can still both send. Durable
   * Objects, Redis (`WATCH`/`MULTI`), SQL (`UPDATE … WHERE value = ?`) can; Workers KV can't.
   */
  compareAndSet?(key: string, expected: string, value: string): boolean | Promise<boolean>;
}

/** The signed-in user, from the access token's claims. */
export interface SessionUser {
  /** The user's id (the token's `sub`). */
  id: string;
  /** The user's email address. */
  email: string;
  /** Display name, where the user has one. */
  name?: string;
  /** The tenant (account) this session acts in. */
  tenantId: string;
  /** Every tenant the user belongs to. */
  tenantIds: string[];
  /** Role keys in the active tenant. */
  roles: string[];
  /** Permission keys in the active tenant. */
  permissions: string[];
  /** URL of the user's picture, where set. */
  profilePictureUrl?: string;
}

/** A signed-in session: the access token and who it is for. */
export interface Session {
  /** The JWT to send as `Authorization: Bearer` (`auth.fetch` does). */
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The user, from the token's claims. */
  user: SessionUser;
  /** Server mode only. */
  refreshToken?: string;
}

/** A user's second factors, by kind; each `id` names the device to the MFA calls. */
export interface MfaDevices {
  /** Authenticator apps (TOTP). */
  authenticators: { id: string }[];
  /** Phones that get codes by text message. */
  phones: { id: string; phoneNumber: string }[];
  /** Addresses that get codes by email. */
  emails: { email: string }[];
  /** Security keys and built-in authenticators. */
  webauthn: { id: string; deviceType: "Platform" | "CrossPlatform"; name?: string }[];
}

/** The second step a login needs: the user's devices and the ways the host accepts. */
export interface MfaChallenge {
  /** Ties the MFA calls to this login; the client keeps it, so they may leave it out. */
  mfaToken: string;
  /** The user's enrolled devices. */
  devices: MfaDevices;
  /** e.g. ["AuthenticatorApp", "SMS", "EmailCode", "WebAuthnPlatform"] */
  strategies: string[];
  /** Whether `rememberDevice: true` is honoured; absent when the host doesn't say. */
  rememberDeviceAllowed?: boolean;
}

/**
 * What every login-like call answers, by `status`: signed in (with a `recoveryCode` to show once
 * after enrolling MFA), a second step to take, MFA to set up first, or a password to reset.
 */
export type LoginResult =
  | { status: "authenticated"; session: Session; recoveryCode?: string }
  | { status: "mfa_required"; mfa: MfaChallenge }
  | { status: "mfa_enrollment_required"; mfa: MfaChallenge }
  | { status: "password_expired"; resetPasswordToken: string };

/** `login`: an `email` or a `username`, and the password. */
export type LoginParams =
  ({ email: string; username?: string } | { email?: string; username: string }) & {
    password: string;
    invitationToken?: string;
    recaptchaToken?: string;
  };

/** A role or a permission. */
export interface Grant {
  /** The host's id for it. */
  id: string;
  /** The stable key tokens carry, e.g. "Admin" or "fe.secure.read.*". */
  key: string;
  /** Its display name, where it has one. */
  name?: string;
}

/** `GET users/v2/me`. */
export interface Profile {
  /** The user's id. */
  id: string;
  /** The user's email address. */
  email: string;
  /** Display name. */
  name?: string;
  /** URL of the user's picture. */
  profilePictureUrl?: string;
  /** Phone number, E.164 (e.g. "+15551234567"). */
  phoneNumber?: string;
  /** Whether the email address has been confirmed. */
  verified: boolean;
  /** Whether the user has a second factor. */
  mfaEnrolled: boolean;
  /** The active tenant (account). */
  tenantId: string;
  /** Every tenant the user belongs to. */
  tenantIds: string[];
  /** Roles in the active tenant. */
  roles: Grant[];
  /** Permissions in the active tenant. */
  permissions: Grant[];
  /** Stringified JSON. */
  metadata?: string;
  /** When the user was created, as the host writes dates. */
  createdAt?: string;
  /** When the user last signed in, as the host writes dates. */
  lastLogin?: string;
}

/** What `onAuthStateChange` listeners hear. */
export type AuthEvent = "SIGNED_IN" | "TOKEN_REFRESHED" | "SIGNED_OUT" | "SESSION_EXPIRED" | "MFA_REQUIRED";

/** A code was sent; pass `otcToken` back with the code. */
export interface CodeSent {
  /** Names the code sent; the next call takes it back. */
  otcToken?: string;
  /** Where a text went, as the host shows it. */
  phoneNumber?: string;
}

/** Authenticator-app enrollment: show `qrCode` (a data URL) as an image. */
export interface TotpEnrollment {
  /** A `data:image/png` URL of the QR code for the app to scan. */
  qrCode: string;
  /** The same secret as text, for typing into an app by hand, where the host gives it. */
  secret?: string;
}

/** `mfaVerifyTotp`: the code an authenticator app shows. */
export interface MfaVerifyTotpParams {
  /** The `mfa_required` answer's token; default: the one the client kept from that answer. */
  mfaToken?: string;
  /** The six digits the app shows now. */
  code: string;
  /** Which of `mfa.devices.authenticators` shows it, where the user has several. */
  deviceId?: string;
  /** Skip MFA on this device next time, where `mfa.rememberDeviceAllowed`. */
  rememberDevice?: boolean;
}
/** `mfaVerifySmsCode`: the code texted by `mfaSendSmsCode`. */
export interface MfaVerifySmsCodeParams {
  /** The `mfa_required` answer's token; default: the one the client kept from that answer. */
  mfaToken?: string;
  /** The phone the code went to, one of `mfa.devices.phones[].id`. */
  deviceId: string;
  /** From `mfaSendSmsCode`'s answer. */
  otcToken: string;
  /** The code in the text. */
  code: string;
  /** Skip MFA on this device next time, where `mfa.rememberDeviceAllowed`. */
  rememberDevice?: boolean;
}
/** `mfaVerifyEmailCode`: the code emailed by `mfaSendEmailCode`. */
export interface MfaVerifyEmailCodeParams {
  /** The `mfa_required` answer's token; default: the one the client kept from that answer. */
  mfaToken?: string;
  /** From `mfaSendEmailCode`'s answer. */
  otcToken: string;
  /** The code in the email. */
  code: string;
  /** Skip MFA on this device next time, where `mfa.rememberDeviceAllowed`. */
  rememberDevice?: boolean;
}
/** `mfaConfirmSms`: the code texted by `mfaEnrollSms`, which finishes enrolling the phone. */
export interface MfaConfirmSmsParams {
  /** The `mfa_enrollment_required` answer's token; default: the one the client kept from it. */
  mfaToken?: string;
  /** From `mfaEnrollSms`'s answer. */
  otcToken: string;
  /** The code in the text. */
  code: string;
  /** Skip MFA on this device next time, where the host allows it. */
  rememberDevice?: boolean;
}

/** Sign-in without a password: a link by email, a code by email (`"OTC"`), or a code by text. */
export type PasswordlessType = "MagicLink" | "OTC" | "SmsCode";
/** `passwordlessStart`: how to reach the user; one of `email`, `phoneNumber`, `userId`, `username`. */
export interface PasswordlessStartParams {
  /** What to send. */
  type: PasswordlessType;
  /** The user's email address. */
  email?: string;
  /** The user's phone, E.164, for `"SmsCode"`. */
  phoneNumber?: string;
  /** The user's id. */
  userId?: string;
  /** The user's username. */
  username?: string;
}
/** `token` is the magic link's token, or the code. */
export interface PasswordlessCompleteParams {
  /** The same `type` as `passwordlessStart`'s. */
  type: PasswordlessType;
  /** The magic link's `token` parameter, or the code the user received. */
  token: string;
}

/** `signup`: the new user and their company (tenant). */
export interface SignupParams {
  /** The new user's email address. */
  email: string;
  /** Names the tenant (account) created with the user. */
  companyName: string;
  /** Without one, the account waits for the activation link (`activation_required`). */
  password?: string;
  /** Display name. */
  name?: string;
  /** Phone number, E.164. */
  phoneNumber?: string;
  /** An invitation's token, from its link. */
  invitationToken?: string;
  /** Where the host requires reCAPTCHA: the widget's token. */
  recaptchaToken?: string;
}

/** `updateProfile`: only the fields given change; `metadata` may be an object. */
export interface ProfileUpdate {
  /** Display name. */
  name?: string;
  /** Phone number, E.164 (e.g. "+15551234567"). */
  phoneNumber?: string;
  /** URL of the user's picture. */
  profilePictureUrl?: string;
  /** Any JSON the app keeps with the user; an object is stringified. */
  metadata?: Record<string, unknown> | string;
}

/** Where the user is signed in. */
export interface UserSession {
  /** Names it to `revokeSession`. */
  id: string;
  /** The browser or client that signed in. */
  userAgent?: string;
  /** The address it signed in from. */
  ipAddress?: string;
  /** When it began, as the host writes dates. */
  createdAt?: string;
  /** When it was last used, as the host writes dates. */
  lastActiveAt?: string;
  /** When it ends unless refreshed, as the host writes dates. */
  expires?: string;
  /** This client's session. */
  current: boolean;
}

/** A tenant (account) the user belongs to. */
export interface Tenant {
  /** Names it to `switchTenant`. */
  tenantId: string;
  /** Its display name. */
  name: string;
  /** When it was created, as the host writes dates. */
  createdAt?: string;
}

/** The user's roles and permissions in the active tenant. */
export interface Authorization {
  /** Roles, e.g. "Admin". */
  roles: Grant[];
  /** Permissions, e.g. "fe.secure.read.*". */
  permissions: Grant[];
}

/**
 * `mfaDisableDevice`: an authenticator app needs a current `code`; an SMS phone is first texted
 * one (call again with it); a WebAuthn device signs a challenge (`signal` aborts that).
 */
export type DisableDeviceParams =
  | { kind: "authenticator"; deviceId: string; code: string }
  | { kind: "sms"; deviceId: string; code?: string; otcToken?: string }
  | { kind: "webauthn"; deviceId: string; signal?: AbortSignal };

/** Removed, or (an SMS phone) a code texted for the second call. */
export type DisableDeviceResult =
  | { status: "disabled" }
  | { status: "code_sent"; otcToken?: string; phoneNumber?: string };

/** Options of `verifyAccessToken`: where the keys are (`baseUrl` or `jwksUrl`), and what to require. */
export type VerifyOptions = (
  /** The identity host; keys are read from `<baseUrl>/.well-known/jwks.json`. */
  | { baseUrl: string; jwksUrl?: string }
  /** Or the JWKS URL itself. */
  | { jwksUrl: string; baseUrl?: string }
) & {
  /** Required `aud` (a string, or one of an array); unchecked unless given. */
  audience?: string;
  /** Required `iss` (default: the origin of `baseUrl`, else of `jwksUrl`, as the identity API issues it). */
  issuer?: string;
  /**
   * Which tokens pass, by their `type` claim: `"user"` (default) a user's token (`userToken`),
   * `"api"` a machine's (`tenantApiToken`, `userApiToken`), `"any"` either.
   */
  tokenType?: "user" | "api" | "any";
  /** Tolerance on `exp` and `nbf`, in seconds, 0 to 600 (default 0, as jose). */
  clockSkewSeconds?: number;
  /** Fetches the keys (tests, proxies); default: the global `fetch`. */
  fetch?: typeof fetch;
};

/** The claims of a verified access token. */
export interface AccessTokenClaims {
  /** The user's (or the API token's) id. */
  sub: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Issued at, epoch seconds. */
  iat?: number;
  /** Not valid before, epoch seconds. */
  nbf?: number;
  /** The issuer, the identity host's origin. */
  iss?: string;
  /** The audience the host issued it for. */
  aud?: string | string[];
  /** The user's email address. */
  email?: string;
  /** The user's display name. */
  name?: string;
  /** The active tenant. */
  tenantId?: string;
  /** Every tenant of the user. */
  tenantIds?: string[];
  /** Role keys in the active tenant. */
  roles?: string[];
  /** Permission keys in the active tenant. */
  permissions?: string[];
  /** The session's id. */
  sid?: string;
  /** `"userToken"` for users; `"tenantApiToken"` or `"userApiToken"` for machines. */
  type?: string;
  /** Any other claim the host adds, as it is in the token. */
  [claim: string]: unknown;
}

/** `FronteggError.code`: what went wrong, stable across versions (messages are not). */
export type FronteggErrorCode =
  | "invalid_input" | "network" | "timeout" | "unauthorized" | "forbidden" | "not_found"
  | "conflict" | "rate_limited" | "locked_out" | "invalid_credentials" | "invalid_code"
  | "mfa_token_expired" | "session_expired" | "webauthn_cancelled" | "webauthn_unsupported"
  | "webauthn_already_registered" | "server";
/**
 * A client for one identity host; `createAuth` makes them. Its promises reject with
 * `FronteggError`, and after any rejected call the client still works.
 */
export class FronteggAuth {
  private constructor();

  /** Password login: `{ email | username, password, invitationToken?, recaptchaToken? }`. */
  login(params: LoginParams): Promise<LoginResult>;

  /** Refreshes the session; concurrent callers share one request. */
  refresh(): Promise<Session>;

  /** On page load: the session held, or one refresh through the refresh cookie; `null` if none. */
  restore(): Promise<Session | null>;

  /**
   * Signs out at the host and locally; local state is cleared even when the network fails.
   * `{ everywhere: true }` first ends every other session of the user (other devices and
   * browsers); if that fails, this one still ends and the promise rejects with the reason.
   */
  logout(options?: LogoutOptions): Promise<void>;

  /** MFA: checks an authenticator-app code. */
  mfaVerifyTotp(params: MfaVerifyTotpParams): Promise<LoginResult>;

  /** MFA: texts a code to one of the user's phones. */
  mfaSendSmsCode(params: { mfaToken?: string; deviceId: string }): Promise<CodeSent>;

  /** MFA: checks the texted code. */
  mfaVerifySmsCode(params: MfaVerifySmsCodeParams): Promise<LoginResult>;

  /** MFA: emails a code to the user. */
  mfaSendEmailCode(params: { mfaToken?: string }): Promise<CodeSent>;

  /** MFA: checks the emailed code. */
  mfaVerifyEmailCode(params: MfaVerifyEmailCodeParams): Promise<LoginResult>;

  /** MFA enrollment during login: the QR code for an authenticator app. */
  mfaEnrollTotp(params: { mfaToken?: string }): Promise<TotpEnrollment>;

  /** MFA enrollment during login: the first code from the new app; signs in. */
  mfaConfirmTotp(params: { mfaToken?: string; code: string; rememberDevice?: boolean }): Promise<LoginResult>;

  /** MFA enrollment during login: texts a code to a new phone. */
  mfaEnrollSms(params: { mfaToken?: string; phoneNumber: string }): Promise<CodeSent>;

  /** MFA enrollment during login: the texted code; signs in. */
  mfaConfirmSms(params: MfaConfirmSmsParams): Promise<LoginResult>;

  /** Turns MFA off with a recovery code (then sign in with the password alone). */
  mfaRecover(params: { email: string; recoveryCode: string }): Promise<void>;

  /** Sends a magic link, an email code or an SMS code. */
  passwordlessStart(params: PasswordlessStartParams): Promise<CodeSent>;

  /** Trades the link's token or the code for a session (or an MFA step). */
  passwordlessComplete(params: PasswordlessCompleteParams): Promise<LoginResult>;

  /** Creates an account: signed in at once, or `{ status: "activation_required" }`. */
  signup(params: SignupParams): Promise<LoginResult | { status: "activation_required" }>;

  /** Changes the signed-in user's password. */
  changePassword(params: { password: string; newPassword: string }): Promise<void>;

  /** Emails a password-reset link (the same answer for unknown emails). */
  forgotPassword(params: { email: string }): Promise<void>;

  /** Sets a new password from a reset link's `userId` and `token`. */
  resetPassword(params: { userId: string; token: string; password: string }): Promise<void>;

  /**
   * `fetch` with the session's access token: refreshes first when the token is about to
   * expire, and once more (then retries) if the server answers 401. Signed out, the request
   * goes as it is. `init.signal` aborts it as with `fetch`. `input` is a URL string (relative
   * ones resolve against the page), a `URL` or a `Request`. Only the identity host, the page's
   * own origin and `bearerOrigins` get the token: a request to any other origin is refused
   * with `invalid_input`, signed in or not, and never sent.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;

  /** Updates the signed-in user's profile; answers the new profile. */
  updateProfile(params: ProfileUpdate): Promise<Profile>;

  /** Where the user is signed in; this session is marked `current`. */
  listSessions(): Promise<UserSession[]>;

  /** Ends one of the user's sessions. */
  revokeSession(id: string): Promise<void>;

  /** Ends every session of the user but this one. */
  revokeAllSessions(): Promise<void>;

  /** The tenants (accounts) the user belongs to. */
  listTenants(): Promise<Tenant[]>;

  /** Moves the session to another tenant; the token is re-issued (`TOKEN_REFRESHED`). */
  switchTenant(tenantId: string): Promise<Session>;

  /** The user's roles and permissions. */
  getAuthorization(): Promise<Authorization>;

  /** The user's MFA devices. */
  listMfaDevices(): Promise<MfaDevices>;

  /** Adds an authenticator app from settings: the QR code to scan. */
  mfaSettingsEnrollTotp(): Promise<TotpEnrollment>;

  /** Confirms the new app with its first code; answers the recovery code to show once. */
  mfaSettingsConfirmTotp(params: { code: string }): Promise<{ recoveryCode?: string }>;

  /** Adds an SMS phone from settings: texts it a code (`{ otcToken }`, kept for the next call). */
  mfaSettingsEnrollSms(params: { phoneNumber: string }): Promise<CodeSent>;

  /** Confirms the phone with the texted code; answers the recovery code to show once. */
  mfaSettingsConfirmSms(params: { otcToken?: string; code: string }): Promise<{ recoveryCode?: string }>;

  /**
   * Signs in with machine credentials (`auth/v2/api-token`); the session refreshes itself.
   * Part of the server build (Node, Deno, Workers); the browser build rejects it with
   * `invalid_input` (a page must never hold the secret).
   */
  loginWithApiToken(params: { clientId: string; secret: string }): Promise<Session>;

  /** The signed-in user's profile (`GET users/v2/me`). */
  getProfile(): Promise<Profile>;

  /**
   * Calls `callback(event, session)` after every change of session; returns a function that
   * stops it. Callbacks run after the SDK's own work, so they may call back into the client.
   */
  onAuthStateChange(callback: (event: AuthEvent, session: Session | null) => void): () => void;

  /** The current session, or `null` when signed out. */
  readonly session: Session | null;

  /** Removes an MFA device. An SMS phone without `code` is first texted one; call again with it. */
  mfaDisableDevice(params: DisableDeviceParams): Promise<DisableDeviceResult>;

  /** `FronteggAuth.supportsPasskeys()`: whether this device can hold passkeys. */
  static supportsPasskeys(): Promise<boolean>;

  /** MFA during login: the browser signs the challenge with one of the user's WebAuthn devices. */
  mfaVerifyWebAuthn(params: MfaVerifyWebAuthnParams): Promise<LoginResult>;

  /**
   * MFA enrollment during login (policy forces MFA): registers a WebAuthn device and signs in
   * (with a `recoveryCode` to show once).
   */
  mfaEnrollWebAuthn(params: MfaEnrollWebAuthnParams): Promise<LoginResult>;

  /** From settings: adds a WebAuthn MFA device; answers it with a `recoveryCode`. */
  mfaSettingsEnrollWebAuthn(params: MfaSettingsEnrollWebAuthnParams): Promise<WebAuthnDevice>;

  /** Registers a passkey for the signed-in user; answers the new device (`id`, ...). */
  passkeyRegister(params?: PasskeyRegisterParams): Promise<WebAuthnDevice>;

  /** Signs in with a passkey alone. */
  passkeyLogin(params?: PasskeyLoginParams): Promise<LoginResult>;

  /** The signed-in user's passkeys. */
  passkeysList(): Promise<WebAuthnDevice[]>;

  /** Removes one of the signed-in user's passkeys. */
  passkeyRemove(id: string): Promise<void>;
}
"#;
