// Compiled with `tsc --noEmit` by `make test`: a consumer gets precise types, and misuse fails
// to compile (the @ts-expect-error lines must stay errors).
import { createAuth, FronteggError, type LoginResult, type Session } from "frontegg-auth-wasm";

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
    const done = await auth.mfaVerifyTotp({ code: "123456", rememberDevice: true });
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

export async function bearerFetch(): Promise<number> {
  const auth = await createAuth({ baseUrl: "http://127.0.0.1:8787" });
  const response: Response = await auth.fetch("https://api.example.com/things", { method: "POST", body: "{}" });
  const again: Response = await auth.fetch(new URL("https://api.example.com/things"));
  return response.status + again.status;
}
