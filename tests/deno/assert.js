// The few assertions the Deno tests need (jsr:@std/assert is not reachable from this machine).
export function assert(condition, message = "assertion failed") {
  if (!condition) throw new Error(message);
}

export function assertEquals(actual, expected) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

/** Awaits `fn()`, which must reject with an instance of `Class`; returns the error. */
export async function assertRejects(fn, Class) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof Class)) throw new Error(`expected a ${Class.name}, got ${e}`);
    return e;
  }
  throw new Error(`expected a rejection with ${Class.name}`);
}
