// The FronteggAuth class: each method that answers a promise is one operation of the wasm
// client's `call` (src/wasm/auth.rs), so this file holds no flow logic and declares every
// method the same way. The types and documentation are in frontegg_auth_wasm.d.ts.

const handles = new WeakMap();

/** The wasm client behind `auth`; a `this` that is not a client is a plain TypeError. */
const handle = (auth) => {
  const found = handles.get(auth);
  if (found === undefined) throw new TypeError("Not a FronteggAuth client; make one with createAuth.");
  return found;
};

export class FronteggAuth {
  /** Wraps a client made by the wasm's `createAuth` (the package's `createAuth` calls this). */
  constructor(wasmClient) {
    handles.set(this, wasmClient);
  }

  get session() {
    return handle(this).session;
  }

  onAuthStateChange(callback) {
    const client = handle(this);
    const id = client.listen(callback);
    return () => client.unlisten(id);
  }
}

for (const op of "login refresh restore logout mfaVerifyTotp mfaSendSmsCode mfaVerifySmsCode mfaSendEmailCode mfaVerifyEmailCode mfaEnrollTotp mfaConfirmTotp mfaEnrollSms mfaConfirmSms mfaRecover passwordlessStart passwordlessComplete signup changePassword forgotPassword resetPassword fetch updateProfile listSessions revokeSession revokeAllSessions listTenants switchTenant getAuthorization listMfaDevices mfaSettingsEnrollTotp mfaSettingsConfirmTotp mfaSettingsEnrollSms mfaSettingsConfirmSms loginWithApiToken getProfile mfaDisableDevice mfaVerifyWebAuthn mfaEnrollWebAuthn mfaSettingsEnrollWebAuthn passkeyRegister passkeyLogin passkeysList passkeyRemove".split(" ")) {
  const method = function (a, b) {
    return handle(this).call(op, a, b);
  };
  Object.defineProperty(method, "name", { value: op });
  Object.defineProperty(FronteggAuth.prototype, op, { value: method, writable: true, configurable: true });
}
