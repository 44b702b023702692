// A consumer's page: the package as npm installed it, bundled by Vite, signing in against the
// identity host that serves this page (the emulator with --serve, so the origin is the host).
import { createAuth, FronteggError } from "frontegg-auth-wasm";

const out = document.getElementById("out");

async function main() {
  const auth = await createAuth({ baseUrl: location.origin, autoRefresh: false });
  const result = await auth.login({ email: "demo@example.com", password: "Demo-pass-123!" });
  if (result.status !== "authenticated") throw new Error(`login answered ${result.status}`);
  const profile = await auth.getProfile();
  out.textContent = `Signed in as ${profile.email}`;
  out.dataset.state = "signed-in";
}

main().catch((e) => {
  out.textContent = `Failed: ${e instanceof FronteggError ? e.code : e?.name}: ${e?.message ?? e}`;
  out.dataset.state = "failed";
});
