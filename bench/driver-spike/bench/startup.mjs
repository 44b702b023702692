// 20 cold starts per variant (fresh node processes, variants interleaved); prints the median.
import { execFileSync } from "node:child_process";
const mode = process.argv[2];
const names = process.argv.slice(3);
const runs = Object.fromEntries(names.map((n) => [n, []]));
for (let i = 0; i < 20; i++)
  for (const n of names)
    runs[n].push(Number(execFileSync(process.execPath, ["bench/startup-one.mjs", n, mode]).toString()));
const med = (a) => { const s = [...a].sort((x, y) => x - y); return (s[9] + s[10]) / 2; };
console.table(names.map((n) => ({ variant: n, mode, medianMs: med(runs[n]).toFixed(2), minMs: Math.min(...runs[n]).toFixed(2), maxMs: Math.max(...runs[n]).toFixed(2) })));
