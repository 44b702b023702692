import type { AuthOptions, FronteggAuth, FronteggErrorCode } from "./frontegg_auth_wasm.js";

export type {
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
  FronteggAuth,
  FronteggErrorCode,
  Grant,
  LoginParams,
  LoginResult,
  MfaChallenge,
  MfaDevices,
  Profile,
  Session,
  SessionUser,
  StorageAdapter,
} from "./frontegg_auth_wasm.js";

/** Initialises the wasm module (once) and returns a client for one identity host. */
export function createAuth(options: AuthOptions): Promise<FronteggAuth>;

/** Every failure of the SDK; `instanceof` works. */
export class FronteggError extends Error {
  constructor(code: FronteggErrorCode, message: string, details?: { status?: number; errorCode?: string; traceId?: string });
  readonly name: "FronteggError";
  /** Stable machine code. */
  readonly code: FronteggErrorCode;
  /** HTTP status, where there was a response. */
  readonly status?: number;
  /** The server's own `errorCode`, where given. */
  readonly errorCode?: string;
  /** The server's `frontegg-trace-id` header, where given. */
  readonly traceId?: string;
}
