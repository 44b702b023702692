// The one way the Node tests check a rejection: a `FronteggError` (a real `Error`) with `code`
// and a message.
import assert from "node:assert/strict";
import { FronteggError } from "../../pkg/node.js";

/** Awaits `promise`, which must reject with a `FronteggError` of `code`; resolves the error. */
export async function rejects(promise, code) {
  const e = await promise.then(
    (v) => assert.fail(`expected ${code}, got ${JSON.stringify(v)}`),
    (e) => e,
  );
  assert.ok(e instanceof FronteggError, `a FronteggError, not ${e}`);
  assert.ok(e instanceof Error);
  assert.equal(e.code, code, e.message);
  assert.ok(e.message.length > 0);
  return e;
}
