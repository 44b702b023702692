// Shortens the names the wasm and its wasm-bindgen glue know each other by. wasm-bindgen names
// every import `__wbg_<method>_<16 hex digits>` and some exports after whole Rust paths; each name
// is stored twice (in the wasm and in the glue), and the hashes don't compress: 3.8 KB gzip of a
// browser download. `wasm-opt --minify-imports-and-exports-and-modules` renames them in the wasm
// and prints the mapping; this script applies it to the glue, and fails rather than ship a glue
// that refers to a name the wasm no longer has.
//
//   node scripts/minify-names.mjs <glue.js> <mapping.json> <renamed.wasm>
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath, mapPath, wasmPath] = process.argv.slice(2);
let glue = readFileSync(gluePath, "utf8");
const mapping = JSON.parse(readFileSync(mapPath, "utf8"));
const wasm = new WebAssembly.Module(readFileSync(wasmPath));
const fail = (message) => {
  console.error(`minify-names: ${message}`);
  process.exit(1);
};

// Imports: one module (the glue's import object), renamed with its members.
const modules = new Set(mapping.imports.map(([module]) => module));
if (modules.size !== 1) fail(`expected one import module, found ${[...modules].join(", ")}`);
const [module] = modules;
const imports = new Map(mapping.imports.map(([, from, to]) => [from, to]));
const renamedModules = new Set(WebAssembly.Module.imports(wasm).map((i) => i.module));
if (renamedModules.size !== 1) fail("the renamed wasm should import from one module");
const moduleKey = `${JSON.stringify(module)}: import0,`;
if (!glue.includes(moduleKey)) fail(`the glue has no import object for ${module}`);
glue = glue.replace(moduleKey, () => `${JSON.stringify([...renamedModules][0])}: import0,`);
const renamed = new Set();
glue = glue.replace(/^(\s+)([A-Za-z_$][\w$]*)(: function\b)/gm, (whole, indent, name, rest) => {
  const to = imports.get(name);
  if (to === undefined) return whole;
  if (renamed.has(name)) fail(`the glue defines the import ${name} twice`);
  renamed.add(name);
  return `${indent}${JSON.stringify(to)}${rest}`;
});
const missed = [...imports.keys()].filter((name) => !renamed.has(name));
if (missed.length > 0) fail(`the glue does not define the imports ${missed.join(", ")}`);

// Exports: the glue reaches every one as `wasm.<name>` (a comment saying `wasm.<word>` stops the
// build too, which is safe).
const exports = new Map(mapping.exports);
glue = glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (whole, name) => {
  const to = exports.get(name);
  if (to === undefined) fail(`the glue uses wasm.${name}, which the wasm does not export`);
  return `wasm[${JSON.stringify(to)}]`;
});
const exported = new Set(WebAssembly.Module.exports(wasm).map((e) => e.name));
for (const to of exports.values()) {
  if (!exported.has(to)) fail(`the mapping names an export ${to} the wasm does not have`);
}
writeFileSync(gluePath, glue);
