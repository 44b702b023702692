// Start-up cost of the SDK: importing the package, then the first createAuth (which reads or
// fetches the wasm, compiles and instantiates it, and builds a client). Node: a fresh process
// per sample; Chromium: a fresh browser context (empty caches) per sample, the package served
// by the emulator on loopback. 20 samples each.
import { execFileSync } from "node:child_process";
import { launchChromium } from "../tests/support/chromium.mjs";
import { ms, site, startEmulator, stats, table } from "./lib.mjs";

const SAMPLES = 20;
const rows = [];
const summarise = (label, samples) => {
  for (const [i, part] of ["import", "createAuth", "total"].entries()) {
    const s = stats(samples.map((x) => (i < 2 ? x[i] : x[0] + x[1])));
    rows.push([i === 0 ? label : "", part, ms(s.median), ms(s.min), ms(s.max)]);
  }
};

// Node: each sample is a new process, so nothing is cached between samples.
const probe = `
  const t0 = performance.now();
  const m = await import(${JSON.stringify(new URL("../pkg/node.js", import.meta.url).href)});
  const t1 = performance.now();
  await m.createAuth({ baseUrl: "http://127.0.0.1:9", mode: "server" });
  console.log(JSON.stringify([t1 - t0, performance.now() - t1]));`;
const node = [];
for (let i = 0; i < SAMPLES; i++) {
  node.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" })));
}
summarise(`Node ${process.version}`, node);

// Chromium: the emulator serves an empty page with pkg/ beside it.
const emu = await startEmulator(["--serve", site("startup", "<!doctype html><title>startup</title>")]);
const browser = await launchChromium();
try {
  const chrome = [];
  for (let i = 0; i < SAMPLES; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(emu.url);
    chrome.push(
      await page.evaluate(async (baseUrl) => {
        const t0 = performance.now();
        const m = await import("/pkg/index.js");
        const t1 = performance.now();
        await m.createAuth({ baseUrl });
        return [t1 - t0, performance.now() - t1];
      }, emu.url),
    );
    await context.close();
  }
  summarise(`Chromium ${browser.version()}`, chrome);
} finally {
  await browser.close();
  await emu.stop();
}

table(
  `Start-up, ms over ${SAMPLES} cold samples: import pkg, then the first createAuth (wasm load + compile + instantiate)`,
  ["runtime", "step", "median", "min", "max"],
  rows,
);
