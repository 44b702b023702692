// Compiled with `tsc --noEmit` by `make test`: a consumer gets precise types, and misuse fails
// to compile (the @ts-expect-error lines must stay errors).
import { createAuth, FronteggError, verifyAccessToken, type LoginResult, type Session } from "frontegg-auth-wasm";

export async function signIn(email: string, password: string): Promise<string> {
  const auth = await createAuth({ baseUrl: "https://app-x.frontegg.com", timeoutMs: 5000 });
  const restored: Session | null = await auth.restore();
  if (restored) return restored.user.email;

  let result: LoginResult;
  try {
    result = await auth.login({ email, password });
  } catch (e) {
    if (e instanceof FronteggError && e.code === "invalid_credentials") return `no: ${e.status ?? "?"}`;
    throw e;
  }
  switch (result.status) {
    case "authenticated":
      return `${result.session.user.email} in ${result.session.user.tenantId}, until ${result.session.expiresAt}`;
    case "mfa_required":
    case "mfa_enrollment_required":
      return `${result.mfa.mfaToken}: ${result.mfa.devices.authenticators.map((d) => d.id).join()}`;
    case "password_expired":
      return result.resetPasswordToken;
  }
}

export async function profile(): Promise<string> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787", mode: "server", fetch });
  const me = await auth.getProfile();
  const session = auth.session;
  await auth.logout();
  return `${me.email} ${me.roles.map((r) => r.key).join()} ${session?.accessToken ?? ""}`;
}

export async function misuse(): Promise<void> {
  // @ts-expect-error baseUrl is required
  await createAuth({});
  // @ts-expect-error mode is "browser" | "server"
  await createAuth({ baseUrl: "x", mode: "edge" });
  const auth = await createAuth({ baseUrl: "x" });
  // @ts-expect-error password is required
  await auth.login({ email: "a@b.c" });
  const result = await auth.login({ username: "a", password: "b" });
  // @ts-expect-error session exists only once narrowed to "authenticated"
  result.session;
  // @ts-expect-error codes are a closed set
  const code: FronteggError["code"] = "oops";
  void code;
}

export async function events(): Promise<() => void> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787" });
  const stop = auth.onAuthStateChange((event, session) => {
    if (event === "SIGNED_OUT") console.log(session === null);
    else console.log(session?.user.email);
  });
  // @ts-expect-error event names are a closed set
  auth.onAuthStateChange((event) => event === "LOGGED_IN");
  return stop;
}

export async function flows(): Promise<string> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787" });
  const first = await auth.login({ email: "mfa@example.com", password: "x" });
  if (first.status === "mfa_required") {
    const phone = first.mfa.devices.phones[0];
    if (phone) {
      const { otcToken } = await auth.mfaSendSmsCode({ deviceId: phone.id });
      await auth.mfaVerifySmsCode({ deviceId: phone.id, otcToken: otcToken ?? "", code: "123456" });
    }
    const remember: boolean | undefined = first.mfa.rememberDeviceAllowed;
    const done = await auth.mfaVerifyTotp({ code: "123456", rememberDevice: remember === true });
    if (done.status === "authenticated") return done.session.user.email;
  }
  const { qrCode } = await auth.mfaEnrollTotp({});
  await auth.passwordlessStart({ type: "OTC", email: "a@b.c" });
  const signedUp = await auth.signup({ email: "a@b.c", companyName: "A" });
  if (signedUp.status === "activation_required") return qrCode;
  // @ts-expect-error passwordless types are a closed set
  await auth.passwordlessStart({ type: "Carrier", email: "a@b.c" });
  // @ts-expect-error a code is required
  await auth.mfaVerifyTotp({ mfaToken: "m" });
  await auth.changePassword({ password: "a", newPassword: "b" });
  return signedUp.status;
}

export async function mfaSettings(): Promise<string | undefined> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787" });
  const { otcToken } = await auth.mfaSettingsEnrollSms({ phoneNumber: "+15550100" });
  const { recoveryCode } = await auth.mfaSettingsConfirmSms({ code: "123456" });
  await auth.mfaSettingsConfirmSms({ otcToken, code: "123456" });
  const totp: { recoveryCode?: string } = await auth.mfaSettingsConfirmTotp({ code: "123456" });
  // @ts-expect-error a phone number is required
  await auth.mfaSettingsEnrollSms({});
  // @ts-expect-error the code is required
  await auth.mfaSettingsConfirmSms({ otcToken: "o" });
  return recoveryCode ?? totp.recoveryCode;
}

export async function bearerFetch(): Promise<number> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787", bearerOrigins: ["https://api.example.com"] });
  const response: Response = await auth.fetch("https://api.example.com/things", { method: "POST", body: "{}" });
  const again: Response = await auth.fetch(new URL("https://api.example.com/things"));
  const request: Response = await auth.fetch(new Request("https://api.example.com/things"));
  // @ts-expect-error bearerOrigins is a list of origins
  await createAuth({ baseUrl: "http://127.0.0.1:8787", bearerOrigins: "https://api.example.com" });
  return response.status + again.status + request.status;
}

export async function signOutEverywhere(): Promise<void> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787" });
  await auth.logout({ everywhere: true });
  await auth.logout({});
  await auth.logout();
  // @ts-expect-error everywhere is a boolean
  await auth.logout({ everywhere: "yes" });
  // @ts-expect-error no such option
  await auth.logout({ everyWhere: true });
}

export async function passkeys(): Promise<string> {
  const { supportsPasskeys, FronteggAuth } = await import("frontegg-auth-wasm");
  const canUse: boolean = (await supportsPasskeys()) && (await FronteggAuth.supportsPasskeys());
  const auth = await createAuth({ baseUrl: "http://localhost:8787" });
  const controller = new AbortController();
  const signedIn: LoginResult = await auth.passkeyLogin({ conditional: canUse, signal: controller.signal });
  await auth.passkeyLogin();
  const { id, name } = await auth.passkeyRegister({ name: "Laptop" });
  const all: { id: string; lastUsed?: string }[] = await auth.passkeysList();
  await auth.passkeyRemove(id);
  const first = await auth.login({ email: "a@b.c", password: "x" });
  if (first.status === "mfa_required") {
    const device = first.mfa.devices.webauthn[0];
    if (device) await auth.mfaVerifyWebAuthn({ deviceId: device.id, rememberDevice: true });
  } else if (first.status === "mfa_enrollment_required") {
    const done = await auth.mfaEnrollWebAuthn({ deviceType: "Platform", signal: controller.signal });
    if (done.status === "authenticated") return done.recoveryCode ?? "";
  }
  const key = await auth.mfaSettingsEnrollWebAuthn({ deviceType: "CrossPlatform" });
  await auth.mfaDisableDevice({ kind: "webauthn", deviceId: key.id, signal: controller.signal });
  // @ts-expect-error deviceType is "Platform" | "CrossPlatform"
  await auth.mfaEnrollWebAuthn({ deviceType: "Phone" });
  // @ts-expect-error deviceId is required
  await auth.mfaVerifyWebAuthn({ rememberDevice: true });
  // @ts-expect-error signal is an AbortSignal
  await auth.passkeyLogin({ signal: "stop" });
  return `${signedIn.status} ${name ?? ""} ${all.length} ${key.recoveryCode ?? ""}`;
}

export async function edge(token: string): Promise<string | undefined> {
  const claims = await verifyAccessToken(token, { baseUrl: "https://app-x.frontegg.com", audience: "app" });
  const auth = await createAuth({ baseUrl: "https://app-x.frontegg.com", mode: "server" });
  const machine = await auth.loginWithApiToken({ clientId: "c", secret: "s" });
  // @ts-expect-error a JWKS location is required
  await verifyAccessToken(token, { audience: "app" });
  return claims.tenantId ?? machine.user.id;
}
