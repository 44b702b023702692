// Runs a test Worker in workerd through miniflare, loading the package as workerd would.
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

/** A Miniflare for the module Worker at `scriptUrl` (a URL); `options` adds bindings, KV, … */
export function startWorker(scriptUrl, options = {}) {
  return new Miniflare({
    modules: true,
    scriptPath: fileURLToPath(scriptUrl),
    // pkg/workerd.js imports the wasm file, which workerd takes only as a compiled module.
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-01-01",
    ...options,
  });
}
