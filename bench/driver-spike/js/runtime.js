// Design (b)'s runtime: performs the machine's effects and holds no flow logic.
export class FronteggError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "FronteggError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

// invoke(slot, op, a, b, text, now) -> effects as JSON text.
export function makeAuth(invoke, options) {
  const f = (options && options.fetch) || globalThis.fetch;
  const calls = new Map();
  let next = 0, timer, slot = 0;
  const run = (op, a, b, s) => {
    for (const e of JSON.parse(invoke(slot, op, a, b, s || "", Date.now()))) effect(e);
  };
  const effect = (e) => {
    switch (e.t) {
      case "send": {
        const init = { method: e.m, headers: e.h, credentials: e.c ? "include" : "same-origin", signal: AbortSignal.timeout(15000) };
        if (e.b !== undefined) init.body = e.b;
        f.call(globalThis, e.u, init)
          .then((r) => r.text().then((t) => [r.status, t]))
          .then(([s, t]) => run(4, e.id, s, t), (x) => run(5, e.id, 0, (x && x.name) + "\n" + (x && x.message)));
        break;
      }
      case "timer":
        clearTimeout(timer);
        timer = setTimeout(() => run(6, 0, 0), e.ms);
        if (timer.unref) timer.unref();
        break;
      case "clear":
        clearTimeout(timer);
        break;
      case "ok":
      case "err": {
        const c = calls.get(e.k);
        calls.delete(e.k);
        if (c) e.t == "ok" ? c[0](e.v) : c[1](new FronteggError(e.code, e.message, e.status));
      }
    }
  };
  const call = (op, s) => new Promise((res, rej) => {
    const k = next++;
    calls.set(k, [res, rej]);
    run(op, k, 0, s);
  });
  const { baseUrl, refreshLeewaySeconds } = options || {};
  return call(0, JSON.stringify({ baseUrl, refreshLeewaySeconds })).then((k) => (slot = k, {
    login: (p) => call(1, JSON.stringify(p === undefined ? null : p)),
    refresh: () => call(2),
    getProfile: () => call(3),
  }));
}
