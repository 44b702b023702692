// Starts the emulator binary for a Node test and stops it afterwards.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const emulatorBin = process.env.FRONTEGG_EMULATOR_BIN ?? `${root}target/debug/frontegg-emulator`;

/** `frontegg-emulator --port 0 --memory --seed demo [...extra]`; resolves to { url, stop }. */
export async function startEmulator(extra = []) {
  const child = spawn(emulatorBin, ["--port", "0", "--memory", "--seed", "demo", ...extra], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`emulator exited with ${code} before listening (${emulatorBin})`);
    }),
    once(child, "error").then(([e]) => {
      throw new Error(`could not start ${emulatorBin}: ${e.message}`);
    }),
  ]);
  const match = /^listening on (http:\/\/\S+)$/.exec(first);
  if (!match) throw new Error(`unexpected first line from the emulator: ${first}`);
  return {
    url: match[1],
    async stop() {
      if (child.exitCode === null) {
        child.kill();
        await once(child, "exit");
      }
    },
  };
}
