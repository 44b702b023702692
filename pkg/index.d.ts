/**
 * Sign people in against the Frontegg identity API from browsers, bundlers, Node 20+, Deno and
 * Cloudflare Workers: a Rust core compiled to WebAssembly. Start with `createAuth`; every failure
 * is a `FronteggError`.
 *
 * @packageDocumentation
 */
import type {
  AccessTokenClaims,
  AuthOptions,
  FronteggAuth,
  FronteggErrorCode,
  VerifyOptions,
} from "./frontegg_auth_wasm.js";

export type {
  AccessTokenClaims,
  AuthEvent,
  AuthOptions,
  Authorization,
  CodeSent,
  DisableDeviceParams,
  DisableDeviceResult,
  ProfileUpdate,
  Tenant,
  UserSession,
  MfaConfirmSmsParams,
  MfaVerifyEmailCodeParams,
  MfaVerifySmsCodeParams,
  MfaVerifyTotpParams,
  PasswordlessCompleteParams,
  PasswordlessStartParams,
  PasswordlessType,
  SignupParams,
  TotpEnrollment,
  VerifyOptions,
  FronteggErrorCode,
  Grant,
  LoginParams,
  LoginResult,
  LogoutOptions,
  MfaChallenge,
  MfaDevices,
  Profile,
  Session,
  SessionUser,
  StorageAdapter,
} from "./frontegg_auth_wasm.js";

export type {
  CeremonyOptions,
  MfaEnrollWebAuthnParams,
  MfaSettingsEnrollWebAuthnParams,
  MfaVerifyWebAuthnParams,
  PasskeyLoginParams,
  PasskeyRegisterParams,
  WebAuthnDevice,
  WebAuthnDeviceType,
} from "./frontegg_auth_wasm.js";

/** The client class (`createAuth` makes them); its static `supportsPasskeys()` works before that too. */
export { FronteggAuth } from "./frontegg_auth_wasm.js";

/**
 * Whether this device can hold passkeys (a user-verifying platform authenticator: Touch ID,
 * Windows Hello, a phone's screen lock); false without WebAuthn or outside a secure context.
 */
export function supportsPasskeys(): Promise<boolean>;

/** Initialises the wasm module (once) and returns a client for one identity host. */
export function createAuth(options: AuthOptions): Promise<FronteggAuth>;

/**
 * Verifies an access token (edge, server): RS256 signature against the host's JWKS with
 * WebCrypto, then `exp` / `nbf` / `iss` / `aud`. Rejects with `FronteggError` code
 * `unauthorized` for a token that is not valid. Part of the server build (Node, Deno, Workers);
 * the browser build rejects it with `invalid_input`.
 */
export function verifyAccessToken(token: string, options: VerifyOptions): Promise<AccessTokenClaims>;

/** Every failure of the SDK; `instanceof` works. */
export class FronteggError extends Error {
  /** Made by the SDK; apps and tests may make one too (e.g. a fake client's rejection). */
  constructor(code: FronteggErrorCode, message: string, details?: { status?: number; errorCode?: string; traceId?: string; retryAfterMs?: number });
  /** Always "FronteggError", so logs and `e.name` checks tell it from other errors. */
  readonly name: "FronteggError";
  /** Stable machine code. */
  readonly code: FronteggErrorCode;
  /** HTTP status, where there was a response. */
  readonly status?: number;
  /** The server's own `errorCode`, where given. */
  readonly errorCode?: string;
  /** The server's `frontegg-trace-id` header, where given. */
  readonly traceId?: string;
  /** With `rate_limited`: how long the server asked to wait (`Retry-After`), in ms, where given. */
  readonly retryAfterMs?: number;
}
