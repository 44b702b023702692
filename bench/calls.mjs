// Per-call overhead: GET /identity/resources/users/v2/me through this SDK (getProfile), through
// a bare fetch with the bearer token, and through @frontegg/rest-api (api.auth.getMeV2), against
// the release emulator on loopback. The three are interleaved call by call, 1,000 timed calls
// each after 100 warm-up calls, in Node and in a Chromium page served by the emulator. A page
// that is not cross-origin isolated gets performance.now() in jittered 100 µs steps, so there
// the mean says more than the median.
import { build } from "esbuild";
import { launchChromium } from "../tests/support/chromium.mjs";
import { demo, measure, over, root, signIn, site, startEmulator, stats, table, us } from "./lib.mjs";

const WARMUP = 100;
const CALLS = 1000;

const rows = [];
const report = (runtime, names, samples) => {
  const base = stats(samples[names.indexOf("bare fetch")]);
  // The overhead in µs and as a share of the bare fetch's time (the target is 5% or less).
  names.forEach((name, i) => {
    const s = stats(samples[i]);
    const vs = name === "bare fetch" ? ["", ""] : [over(s.median, base.median), over(s.mean, base.mean)];
    rows.push([i === 0 ? runtime : "", name, us(s.median), us(s.mean), us(s.p99), ...vs]);
  });
};

// Chromium's page: the official client bundled, the package beside it.
const dir = site("calls", `<!doctype html><script type="module" src="rest-api.js"></script>`);
await build({
  stdin: { contents: `import fe from "@frontegg/rest-api"; window.fe = fe;`, resolveDir: root },
  bundle: true, format: "esm", minify: true, outfile: `${dir}/rest-api.js`, logLevel: "error",
});
const emu = await startEmulator(["--serve", dir]);
let browser;
try {
  const me = `${emu.url}/identity/resources/users/v2/me`;
  const names = ["frontegg-auth-wasm getProfile", "bare fetch", "@frontegg/rest-api getMeV2"];

  // Node. The official client reads window.location.search on every request (a scoped tenant in
  // the query string); an empty stand-in is all it needs to run here.
  const { auth, token } = await signIn(emu.url);
  globalThis.window ??= { location: { search: "", href: emu.url } };
  const fe = (await import("@frontegg/rest-api")).default;
  fe.ContextHolder.default().setContext({ baseUrl: emu.url });
  fe.ContextHolder.default().setAccessToken(token);
  const bare = async () => {
    const r = await fetch(me, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`bare fetch: ${r.status}`);
    return r.json();
  };
  report(`Node ${process.version}`, names, await measure([() => auth.getProfile(), bare, () => fe.api.auth.getMeV2()], WARMUP, CALLS));
  await auth.logout();

  // Chromium: browser mode (the refresh token in the emulator's cookie), same origin as the page.
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(emu.url);
  await page.waitForFunction(() => window.fe);
  const samples = await page.evaluate(
    async ({ baseUrl, demo, warmup, n, measure }) => {
      const { createAuth } = await import("/pkg/index.js");
      const auth = await createAuth({ baseUrl, autoRefresh: false });
      const { session } = await auth.login(demo);
      window.fe.ContextHolder.default().setContext({ baseUrl, requestCredentials: "include" });
      window.fe.ContextHolder.default().setAccessToken(session.accessToken);
      const me = `${baseUrl}/identity/resources/users/v2/me`;
      const bare = async () => {
        const r = await fetch(me, { headers: { authorization: `Bearer ${session.accessToken}` }, credentials: "include" });
        if (!r.ok) throw new Error(`bare fetch: ${r.status}`);
        return r.json();
      };
      const run = new Function(`return (${measure})`)();
      return run([() => auth.getProfile(), bare, () => window.fe.api.auth.getMeV2()], warmup, n);
    },
    { baseUrl: emu.url, demo, warmup: WARMUP, n: CALLS, measure: measure.toString() },
  );
  report(`Chromium ${browser.version()}`, names, samples);
} finally {
  await browser?.close();
  await emu.stop();
}

table(
  `GET users/v2/me on loopback (release emulator), µs per call over ${CALLS} interleaved calls after ${WARMUP} warm-up`,
  ["runtime", "client", "median", "mean", "p99", "median vs fetch", "mean vs fetch"],
  rows,
);
console.log("Target: ours within 5% of the bare fetch's median.");
console.log("In Node, @frontegg/rest-api runs with a stand-in `window = { location }` (it reads location.search per request).");
