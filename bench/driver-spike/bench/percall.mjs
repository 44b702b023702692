// Per-call overhead of getProfile against a local server, versus a bare fetch of the same URL
// (fetch + r.json()). Server in a child process; 500 warm-up calls of each; then 2000 timed
// calls of each, interleaved in blocks of 100. Prints medians in microseconds.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { VARIANTS } from "./variants.mjs";
const srv = spawn(process.execPath, ["bench/server.mjs"], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise((r) => srv.stdout.once("data", (d) => r(Number(String(d).trim()))));
const baseUrl = `http://127.0.0.1:${port}`;
const url = `${baseUrl}/identity/resources/users/v2/me`;
const med = (a) => { const s = [...a].sort((x, y) => x - y); return (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2; };
const rows = [];
for (const name of process.argv.slice(2)) {
  const v = VARIANTS[name];
  const { createAuth } = await import(pathToFileURL(v.js));
  const auth = await createAuth({ baseUrl }, readFileSync(v.wasm));
  const { accessToken } = await auth.login({ email: "a@b.c", password: "pw" });
  const headers = { accept: "application/json", authorization: `Bearer ${accessToken}` };
  const bare = () => fetch(url, { headers }).then((r) => r.json());
  // The same plus the 15 s AbortSignal.timeout every SDK request carries (both designs).
  const bareSig = () => fetch(url, { headers, signal: AbortSignal.timeout(15000) }).then((r) => r.json());
  const sdk = () => auth.getProfile();
  for (let i = 0; i < 500; i++) { await sdk(); await bare(); await bareSig(); }
  const ts = [], tb = [], tg = [];
  for (let blk = 0; blk < 20; blk++) {
    for (let i = 0; i < 100; i++) { const t = performance.now(); await sdk(); ts.push(performance.now() - t); }
    for (let i = 0; i < 100; i++) { const t = performance.now(); await bare(); tb.push(performance.now() - t); }
    for (let i = 0; i < 100; i++) { const t = performance.now(); await bareSig(); tg.push(performance.now() - t); }
  }
  const s = med(ts) * 1000, b = med(tb) * 1000, g = med(tg) * 1000;
  rows.push({ variant: name, sdkMedianUs: s.toFixed(0), bareMedianUs: b.toFixed(0), overheadUs: (s - b).toFixed(0), bareWithSignalUs: g.toFixed(0), overheadVsSignalUs: (s - g).toFixed(0) });
}
console.table(rows);
srv.kill();
