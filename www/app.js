// The demo page: every auth decision is the SDK's; this file only wires it to the page.
import { createAuth, FronteggError } from "./pkg/index.js";

const $ = (id) => document.getElementById(id);

/** Runs `work` with `button` showing a busy state; shows a failure in words in `errorEl`. */
async function busy(button, errorEl, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = `${label}…`;
  errorEl.hidden = true;
  try {
    await work();
  } catch (e) {
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
    case "invalid_input": return e.message;
    case "network": return "Can't reach the identity server. Is the emulator running?";
    case "timeout": return "The identity server took too long to answer. Try again.";
    case "rate_limited": return "Too many attempts. Wait a moment and try again.";
    default: return e.message;
  }
}

function show(view) {
  for (const id of ["loading", "signin", "account"]) $(id).hidden = id !== view;
}

async function showAccount(auth) {
  const session = auth.session;
  $("user-email").textContent = session.user.email;
  $("user-tenant").textContent = session.user.tenantId;
  $("token-expiry").textContent = new Date(session.expiresAt).toLocaleTimeString();
  const profile = await auth.getProfile();
  $("user-name").textContent = profile.name ?? "—";
  $("user-roles").textContent = profile.roles.map((r) => r.name ?? r.key).join(", ") || "—";
  show("account");
}

const auth = await createAuth({ baseUrl: location.origin });

$("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  busy($("signin-button"), $("signin-error"), async () => {
    if (!email || !password) throw new FronteggError("invalid_input", "Enter your email and password.");
    const result = await auth.login({ email, password });
    if (result.status === "authenticated") {
      $("password").value = "";
      await showAccount(auth);
    } else if (result.status === "mfa_required" || result.status === "mfa_enrollment_required") {
      throw new FronteggError("invalid_input", "This account uses two-step verification, which this demo can't complete yet.");
    } else {
      throw new FronteggError("invalid_input", "This password has expired and must be reset.");
    }
  });
});

$("signout-button").addEventListener("click", () =>
  busy($("signout-button"), $("account-error"), async () => {
    await auth.logout();
    show("signin");
    $("email").focus();
  }),
);

try {
  if (await auth.restore()) await showAccount(auth);
  else show("signin");
} catch (e) {
  show("signin");
  $("signin-error").textContent = describe(e);
  $("signin-error").hidden = false;
}
