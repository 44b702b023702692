// The demo page. Every auth decision is the SDK's; this file only wires it to the page.
import { createAuth, FronteggError, supportsPasskeys } from "./pkg/index.js";

const $ = (id) => document.getElementById(id);
const auth = await createAuth({ baseUrl: location.origin });
const passkeys = await supportsPasskeys();
let challenge = null; // the pending MFA step: { mfa, method }

/** Runs `work` with `button` busy; a failure is shown in words in `errorEl`, next to its cause. */
async function busy(button, errorEl, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = `${label}…`;
  if (errorEl) errorEl.hidden = true;
  try {
    await work();
  } catch (e) {
    if (!errorEl) throw e;
    errorEl.textContent = describe(e);
    errorEl.hidden = false;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

function describe(e) {
  if (!(e instanceof FronteggError)) return `Something went wrong: ${e?.message ?? e}`;
  switch (e.code) {
    case "invalid_credentials": return "That email and password don't match an account.";
    case "invalid_code": return "That code isn't right, or it has expired. Try again.";
    case "mfa_token_expired": return "This sign-in took too long. Start again.";
    case "network": return "Can't reach the identity server. Is the emulator running?";
    case "timeout": return "The identity server took too long to answer. Try again.";
    case "rate_limited": return "Too many attempts. Wait a moment and try again.";
    case "locked_out": return "This account is locked. Reset your password to unlock it.";
    case "session_expired": return "Your session has ended. Sign in again.";
    case "webauthn_cancelled": return "The security key prompt was closed.";
    case "webauthn_unsupported": return "This browser can't use security keys here.";
    case "webauthn_already_registered": return "This security key is already registered.";
    default: return e.message;
  }
}

function fail(message) {
  throw new FronteggError("invalid_input", message);
}

const views = ["loading", "signin", "mfa", "enroll", "recovery", "account"];
function show(view) {
  for (const id of views) $(id).hidden = id !== view;
  const focus = { signin: "email", mfa: "mfa-title", enroll: "enroll-title", recovery: "recovery-done", account: "account-title" }[view];
  if (focus) {
    // Move focus to the new screen so keyboard and screen-reader users land on it.
    const el = $(focus);
    if (!/INPUT|BUTTON/.test(el.tagName)) el.tabIndex = -1;
    el.focus();
  }
}

/** What every login-like call can answer. */
async function handle(result) {
  switch (result.status) {
    case "authenticated":
      if (result.recoveryCode) {
        $("recovery-value").textContent = result.recoveryCode;
        return show("recovery");
      }
      return showAccount();
    case "mfa_required":
      return showMfa(result.mfa);
    case "mfa_enrollment_required":
      challenge = { mfa: result.mfa };
      $("enroll-key").hidden = !window.PublicKeyCredential;
      for (const id of ["enroll-qr-box", "enroll-phone-form", "enroll-form"]) $(id).hidden = true;
      return show("enroll");
    case "password_expired":
      return fail("This password has expired. Use “Forgot password” to set a new one.");
    default:
      return fail(`Unexpected answer: ${result.status}`);
  }
}

// ---- Sign in ----

$("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  busy($("signin-button"), $("signin-error"), async () => {
    if (!email || !password) fail("Enter your email and password.");
    await handle(await auth.login({ email, password }));
    $("password").value = "";
  });
});

function emailOrFail() {
  const email = $("email").value.trim();
  if (!email) fail("Enter your email first.");
  return email;
}

$("code-button").addEventListener("click", () =>
  busy($("code-button"), $("signin-error"), async () => {
    await auth.passwordlessStart({ type: "OTC", email: emailOrFail() });
    $("code-form").hidden = false;
    $("link-sent").hidden = true;
    $("otc").focus();
  }),
);

$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("code-verify"), $("code-error"), async () => {
    const token = $("otc").value.trim();
    if (!token) fail("Enter the code from the email.");
    await handle(await auth.passwordlessComplete({ type: "OTC", token }));
    $("otc").value = "";
    $("code-form").hidden = true;
  });
});

$("link-button").addEventListener("click", () =>
  busy($("link-button"), $("signin-error"), async () => {
    await auth.passwordlessStart({ type: "MagicLink", email: emailOrFail() });
    $("link-sent").hidden = false;
    $("code-form").hidden = true;
  }),
);

/** Opening a magic link: the demo takes the token from the outbox's link. */
async function useMagicLink(token) {
  await handle(await auth.passwordlessComplete({ type: "MagicLink", token }));
  $("link-sent").hidden = true;
}

$("passkey-button").hidden = !passkeys;
$("passkey-button").addEventListener("click", () =>
  busy($("passkey-button"), $("signin-error"), async () => {
    const email = $("email").value.trim();
    await handle(await auth.passkeyLogin(email ? { email } : {}));
  }),
);

// ---- Second factor ----

function showMfa(mfa) {
  challenge = { mfa };
  const methods = $("mfa-methods");
  methods.replaceChildren();
  const add = (label, choose) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = label;
    button.addEventListener("click", () => busy(button, $("mfa-error"), () => choose(button)));
    methods.append(button);
  };
  const { devices } = mfa;
  for (const app of devices.authenticators) {
    add("Authenticator app", async () => askForCode("Code from your authenticator app", { kind: "totp", deviceId: app.id }));
  }
  for (const phone of devices.phones) {
    add(`Text ${phone.phoneNumber}`, async () => {
      const { otcToken } = await auth.mfaSendSmsCode({ deviceId: phone.id });
      askForCode(`Code sent to ${phone.phoneNumber}`, { kind: "sms", deviceId: phone.id, otcToken });
    });
  }
  if (devices.emails.length) {
    add("Email me a code", async () => {
      const { otcToken } = await auth.mfaSendEmailCode({});
      askForCode(`Code sent to ${devices.emails[0].email}`, { kind: "email", otcToken });
    });
  }
  for (const key of devices.webauthn) {
    add(key.name ? `Security key: ${key.name}` : "Security key", async () =>
      handle(await auth.mfaVerifyWebAuthn({ deviceId: key.id, rememberDevice: $("remember").checked })),
    );
  }
  $("mfa-form").hidden = true;
  $("remember").closest("label").hidden = mfa.rememberDeviceAllowed === false;
  show("mfa");
  // One way only: go straight to it.
  if (methods.children.length === 1 && devices.authenticators.length === 1) methods.firstChild.click();
}

function askForCode(label, method) {
  challenge.method = method;
  $("mfa-code-label").textContent = label;
  $("mfa-form").hidden = false;
  $("mfa-code").value = "";
  $("mfa-code").focus();
}

$("mfa-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("mfa-verify"), $("mfa-error"), async () => {
    const code = $("mfa-code").value.trim();
    if (!code) fail("Enter the code.");
    const rememberDevice = $("remember").checked;
    const { kind, deviceId, otcToken } = challenge.method;
    const result =
      kind === "totp" ? await auth.mfaVerifyTotp({ code, deviceId, rememberDevice })
      : kind === "sms" ? await auth.mfaVerifySmsCode({ deviceId, otcToken, code, rememberDevice })
      : await auth.mfaVerifyEmailCode({ otcToken, code, rememberDevice });
    await handle(result);
  });
});

$("recover-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("recover-button"), $("recover-error"), async () => {
    const recoveryCode = $("recovery-code").value.trim();
    if (!recoveryCode) fail("Enter a recovery code.");
    await auth.mfaRecover({ email: $("email").value.trim(), recoveryCode });
    $("recovery-code").value = "";
    show("signin");
    $("signin-error").textContent = "Two-step verification is off. Sign in with your password.";
    $("signin-error").hidden = false;
  });
});

$("mfa-cancel").addEventListener("click", () => show("signin"));

// ---- Enrollment when policy forces it ----

$("enroll-app").addEventListener("click", () =>
  busy($("enroll-app"), $("enroll-error"), async () => {
    const { qrCode } = await auth.mfaEnrollTotp({});
    $("enroll-qr").src = qrCode;
    $("enroll-qr-box").hidden = false;
    $("enroll-phone-form").hidden = true;
    challenge.method = { kind: "totp" };
    $("enroll-form").hidden = false;
    $("enroll-code").focus();
  }),
);

$("enroll-phone").addEventListener("click", () => {
  $("enroll-phone-form").hidden = false;
  $("enroll-qr-box").hidden = true;
  $("enroll-form").hidden = true;
  $("enroll-phone-number").focus();
});

$("enroll-phone-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("enroll-phone-send"), $("enroll-error"), async () => {
    const phoneNumber = $("enroll-phone-number").value.trim();
    if (!phoneNumber) fail("Enter a phone number, like +15551234567.");
    const { otcToken } = await auth.mfaEnrollSms({ phoneNumber });
    challenge.method = { kind: "sms", otcToken };
    $("enroll-form").hidden = false;
    $("enroll-code").focus();
  });
});

$("enroll-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("enroll-verify"), $("enroll-error"), async () => {
    const code = $("enroll-code").value.trim();
    if (!code) fail("Enter the code.");
    const { kind, otcToken } = challenge.method;
    await handle(kind === "totp" ? await auth.mfaConfirmTotp({ code }) : await auth.mfaConfirmSms({ otcToken, code }));
  });
});

$("enroll-key").addEventListener("click", () =>
  busy($("enroll-key"), $("enroll-error"), async () => handle(await auth.mfaEnrollWebAuthn({ deviceType: "CrossPlatform" }))),
);

$("recovery-done").addEventListener("click", () => showAccount());

// ---- Account ----

async function showAccount() {
  show("account");
  const session = auth.session;
  $("user-email").textContent = session.user.email;
  $("user-tenant").textContent = session.user.tenantId;
  $("account-error").hidden = true;
  await Promise.all([loadProfile(), loadTenants(), loadSessions(), loadDevices()]).catch((e) => {
    $("account-error").textContent = describe(e);
    $("account-error").hidden = false;
  });
}

async function loadProfile() {
  const [profile, authorization] = await Promise.all([auth.getProfile(), auth.getAuthorization()]);
  $("profile-name").value = profile.name ?? "";
  $("profile-phone").value = profile.phoneNumber ?? "";
  $("user-roles").textContent = authorization.roles.map((r) => r.name ?? r.key).join(", ") || "None";
}

async function loadTenants() {
  const tenants = await auth.listTenants();
  const select = $("tenant-select");
  select.replaceChildren(
    ...tenants.map((t) => {
      const option = new Option(t.name || t.tenantId, t.tenantId);
      option.selected = t.tenantId === auth.session.user.tenantId;
      return option;
    }),
  );
}

async function loadSessions() {
  const sessions = await auth.listSessions();
  $("sessions-body").replaceChildren(
    ...sessions.map((s) => {
      const row = document.createElement("tr");
      const cells = [s.userAgent ?? "Unknown device", s.ipAddress ?? "", s.createdAt ? new Date(s.createdAt).toLocaleString() : ""];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        row.append(td);
      }
      row.firstChild.className = "ua";
      const action = document.createElement("td");
      if (s.current) {
        action.innerHTML = `<span class="badge">This device</span>`;
      } else {
        const revoke = document.createElement("button");
        revoke.type = "button";
        revoke.className = "secondary small";
        revoke.textContent = "Revoke";
        revoke.setAttribute("aria-label", `Revoke session on ${cells[0]}`);
        revoke.addEventListener("click", () =>
          busy(revoke, $("sessions-error"), async () => {
            await auth.revokeSession(s.id);
            await loadSessions();
          }),
        );
        action.append(revoke);
      }
      row.append(action);
      return row;
    }),
  );
}

function deviceItem(label, onRemove) {
  const li = document.createElement("li");
  const text = document.createElement("span");
  text.textContent = label;
  li.append(text);
  if (onRemove) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary small";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${label}`);
    remove.addEventListener("click", () => busy(remove, $("devices-error"), onRemove));
    li.append(remove);
  }
  return li;
}

/** Asks for a code inside `li` before a removal goes ahead. */
function askCodeIn(li, label, confirm) {
  li.querySelector("form")?.remove();
  const form = document.createElement("form");
  const id = `code-${Math.random().toString(36).slice(2)}`;
  form.innerHTML = `<label for="${id}"></label><input id="${id}" inputmode="numeric" autocomplete="one-time-code">
    <button type="submit" class="danger small">Confirm removal</button>`;
  form.querySelector("label").textContent = label;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = form.querySelector("input").value.trim();
    busy(form.querySelector("button"), $("devices-error"), async () => {
      if (!code) fail("Enter the code.");
      await confirm(code);
      await loadDevices();
    });
  });
  li.append(form);
  form.querySelector("input").focus();
}

async function loadDevices() {
  const devices = await auth.listMfaDevices();
  const items = [];
  for (const app of devices.authenticators) {
    const li = deviceItem("Authenticator app", async () =>
      askCodeIn(li, "Current code from the app", (code) => auth.mfaDisableDevice({ kind: "authenticator", deviceId: app.id, code })),
    );
    items.push(li);
  }
  for (const phone of devices.phones) {
    const li = deviceItem(`Text messages to ${phone.phoneNumber}`, async () => {
      await auth.mfaDisableDevice({ kind: "sms", deviceId: phone.id });
      askCodeIn(li, `Code texted to ${phone.phoneNumber}`, (code) => auth.mfaDisableDevice({ kind: "sms", deviceId: phone.id, code }));
    });
    items.push(li);
  }
  for (const key of devices.webauthn) {
    items.push(deviceItem(`Security key${key.name ? `: ${key.name}` : ""}`, async () => {
      await auth.mfaDisableDevice({ kind: "webauthn", deviceId: key.id });
      await loadDevices();
    }));
  }
  if (!items.length) items.push(deviceItem("Not set up yet. Add a second step below."));
  $("devices-list").replaceChildren(...items);

  $("add-key").hidden = !window.PublicKeyCredential;
  $("add-passkey").hidden = !passkeys;
  $("passkeys-title").hidden = $("passkeys-list").hidden = !passkeys;
  if (passkeys) {
    const list = await auth.passkeysList();
    $("passkeys-list").replaceChildren(
      ...(list.length ? list : [null]).map((p) =>
        p ? deviceItem(p.name || "Passkey", async () => { await auth.passkeyRemove(p.id); await loadDevices(); }) : deviceItem("No passkeys yet."),
      ),
    );
  }
}

$("profile-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("profile-saved").hidden = true;
  busy($("profile-save"), $("profile-error"), async () => {
    const name = $("profile-name").value.trim();
    const phoneNumber = $("profile-phone").value.trim();
    if (!name) fail("Enter a name.");
    await auth.updateProfile(phoneNumber ? { name, phoneNumber } : { name });
    $("profile-saved").hidden = false;
  });
});

$("tenant-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("tenant-switch"), $("tenant-error"), async () => {
    await auth.switchTenant($("tenant-select").value);
    $("user-tenant").textContent = auth.session.user.tenantId;
  });
});

$("add-app").addEventListener("click", () =>
  busy($("add-app"), $("devices-error"), async () => {
    const { qrCode } = await auth.mfaSettingsEnrollTotp();
    $("add-app-qr").src = qrCode;
    $("add-app-box").hidden = false;
    $("add-app-code").focus();
  }),
);

$("add-app-form").addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("add-app-verify"), $("devices-error"), async () => {
    const code = $("add-app-code").value.trim();
    if (!code) fail("Enter the code from the app.");
    const { recoveryCode } = await auth.mfaSettingsConfirmTotp({ code });
    $("add-app-box").hidden = true;
    $("add-app-code").value = "";
    if (recoveryCode) {
      $("recovery-value").textContent = recoveryCode;
      show("recovery");
    } else {
      await loadDevices();
    }
  });
});

$("add-key").addEventListener("click", () =>
  busy($("add-key"), $("devices-error"), async () => {
    await auth.mfaSettingsEnrollWebAuthn({ deviceType: "CrossPlatform" });
    await loadDevices();
  }),
);

$("add-passkey").addEventListener("click", () =>
  busy($("add-passkey"), $("devices-error"), async () => {
    await auth.passkeyRegister({ name: "This device" });
    await loadDevices();
  }),
);

$("password-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("password-saved").hidden = true;
  busy($("password-change"), $("password-error"), async () => {
    const password = $("current-password").value;
    const newPassword = $("new-password").value;
    if (!password || !newPassword) fail("Enter your current and your new password.");
    await auth.changePassword({ password, newPassword });
    $("current-password").value = $("new-password").value = "";
    $("password-saved").hidden = false;
  });
});

$("signout-button").addEventListener("click", () =>
  busy($("signout-button"), $("account-error"), async () => {
    await auth.logout();
  }),
);

$("signout-all-button").addEventListener("click", () =>
  busy($("signout-all-button"), $("account-error"), async () => {
    await auth.logout({ everywhere: true });
  }),
);

// ---- Developer panel ----

async function refreshOutbox() {
  try {
    const messages = await (await fetch("/emulator/v1/outbox")).json();
    $("outbox").replaceChildren(
      ...messages.slice(-8).reverse().map((m) => {
        const li = document.createElement("li");
        const what = document.createElement("span");
        what.textContent = `${m.kind.replaceAll("_", " ")} → ${m.to}`;
        li.append(what);
        if (m.code) {
          const code = document.createElement("code");
          code.textContent = m.code;
          code.className = "outbox-code";
          li.append(code);
        }
        if (m.kind === "magic_link" && m.token) {
          const use = document.createElement("button");
          use.type = "button";
          use.className = "secondary small";
          use.textContent = "Open link";
          use.addEventListener("click", () => busy(use, $("signin-error"), () => useMagicLink(m.token)));
          li.append(use);
        }
        return li;
      }),
    );
    if (!messages.length) $("outbox").replaceChildren(Object.assign(document.createElement("li"), { textContent: "Nothing sent yet." }));
  } catch {
    // The panel is a convenience; the emulator may be restarting.
  }
}

function showClaims(session) {
  if (!session) {
    $("claims").textContent = "Signed out.";
    return;
  }
  const payload = session.accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  $("claims").textContent = JSON.stringify(JSON.parse(atob(payload)), null, 2);
}

auth.onAuthStateChange((event, session) => {
  showClaims(session);
  refreshOutbox();
  if (event === "SIGNED_OUT" || event === "SESSION_EXPIRED") {
    show("signin");
  } else if (event === "TOKEN_REFRESHED" && !$("account").hidden) {
    $("user-tenant").textContent = session.user.tenantId;
  }
});
setInterval(refreshOutbox, 2000);
refreshOutbox();

// ---- Start ----

try {
  const session = await auth.restore();
  showClaims(session);
  if (session) await showAccount();
  else show("signin");
} catch (e) {
  show("signin");
  $("signin-error").textContent = describe(e);
  $("signin-error").hidden = false;
}
