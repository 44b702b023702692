// Every method of FronteggAuth is declared once, as an operation of the wasm client
// (js/client.js's list, src/wasm/auth.rs's `call`): the two lists must agree.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createAuth, FronteggAuth, FronteggError } from "../../pkg/node.js";
import * as glue from "../../pkg/frontegg_auth_wasm_server.js";

const refuse = async () => new Response(JSON.stringify({ errors: ["no"] }), { status: 401 });
const options = { baseUrl: "https://id.example.com", fetch: refuse, autoRefresh: false };

/** The methods a consumer sees, besides `session` and `onAuthStateChange`. */
const operations = Object.getOwnPropertyNames(FronteggAuth.prototype).filter(
  (name) => !["constructor", "session", "onAuthStateChange"].includes(name),
);

test("every method of FronteggAuth is an operation the wasm client knows", async () => {
  const auth = await createAuth(options);
  assert.ok(operations.length >= 40, `${operations.length} methods`);
  for (const name of operations) {
    assert.equal(auth[name].name, name);
    // A function is never a valid argument: each method refuses it, or answers without it.
    const outcome = await auth[name](() => {}).then(
      () => "resolved",
      (e) => e,
    );
    if (outcome !== "resolved") {
      assert.ok(outcome instanceof FronteggError, `${name}: ${outcome}`);
      assert.doesNotMatch(outcome.message, /has no method/, name);
    }
  }
});

test("every method declared in the types is on the class, and no other", () => {
  const types = readFileSync(new URL("../../pkg/frontegg_auth_wasm.d.ts", import.meta.url), "utf8");
  const start = types.indexOf("export class FronteggAuth");
  const body = types.slice(start, types.indexOf("\n}", start));
  const declared = [...body.matchAll(/^ +(?:static )?(\w+)\(/gm)].map((m) => m[1]);
  const onClass = [...operations, "onAuthStateChange", "supportsPasskeys"];
  assert.deepEqual(declared.filter((n) => n !== "constructor").sort(), onClass.sort());
});

test("an operation the wasm client doesn't know rejects with invalid_input", async () => {
  await createAuth(options); // loads the module
  const client = glue.createAuth(options);
  await assert.rejects(client.call("deleteEverything"), (e) => {
    assert.equal(e.code, "invalid_input");
    assert.match(e.message, /no method `deleteEverything`/);
    return true;
  });
});

test("a method called on something that is not a client is a TypeError", () => {
  assert.throws(() => FronteggAuth.prototype.login.call({}, {}), TypeError);
});
