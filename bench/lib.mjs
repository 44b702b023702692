// Helpers the benchmarks share: the release emulator, a signed-in Node client, summary
// statistics and plain-text tables.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const demo = { email: "demo@example.com", password: "Demo-pass-123!" };

// Benchmarks run the release emulator (tests use the debug one); the env var is read at import.
process.env.FRONTEGG_EMULATOR_BIN ??= `${root}target/release/frontegg-emulator`;
const { startEmulator } = await import("../tests/support/emulator.mjs");
export { startEmulator };

/** A fresh build/bench/NAME with pkg/ copied into it and the given index.html; returns its path. */
export function site(name, html) {
  const dir = `${root}build/bench/${name}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(`${dir}/pkg`, { recursive: true });
  cpSync(`${root}pkg`, `${dir}/pkg`, { recursive: true, filter: (f) => !f.endsWith(".d.ts") });
  writeFileSync(`${dir}/index.html`, html);
  return dir;
}

/** A server-mode client of pkg/node.js signed in as the demo user: { auth, token }. */
export async function signIn(baseUrl) {
  const { createAuth } = await import("../pkg/node.js");
  const auth = await createAuth({ baseUrl, mode: "server", autoRefresh: false });
  const result = await auth.login(demo);
  if (result.status !== "authenticated") throw new Error(`demo login: ${result.status}`);
  return { auth, token: result.session.accessToken };
}

/** Sample statistics: { n, min, median, mean, p99, max }. */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, min: s[0], median: at(0.5), mean, p99: at(0.99), max: s[s.length - 1] };
}

/** Prints a heading and a table: rows are arrays, the first column left-aligned, the rest right. */
export function table(heading, columns, rows) {
  const cells = [columns, ...rows].map((r) => r.map(String));
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  console.log(`\n${heading}\n`);
  for (const r of cells) {
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i] + 2))).join(""));
  }
}

/**
 * Runs the calls interleaved, call by call; returns one array of microsecond samples per call.
 * Self-contained, so that bench/calls.mjs can also run it in a page (from its source text).
 */
export async function measure(calls, warmup, n) {
  const samples = calls.map(() => []);
  for (let i = 0; i < warmup + n; i++) {
    for (const [j, call] of calls.entries()) {
      const t0 = performance.now();
      await call();
      if (i >= warmup) samples[j].push((performance.now() - t0) * 1000);
    }
  }
  return samples;
}

/** `x` over the baseline `b`, in µs and as a share of `b`: "+12.3 (+4.5%)". */
export const over = (x, b) => `${x >= b ? "+" : ""}${us(x - b)} (${x >= b ? "+" : ""}${(((x - b) / b) * 100).toFixed(1)}%)`;

export const ms = (x) => x.toFixed(x < 10 ? 2 : 1);
export const us = (x) => (Math.abs(x) < 99.95 ? x.toFixed(1) : x.toFixed(0));
export const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
