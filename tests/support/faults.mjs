// A fault-injecting HTTP proxy in front of the emulator: each request to a route takes the next
// fault scripted for that route (or passes through), and the proxy counts what it received and
// what reached the emulator, so a test asserts on what happened rather than on how long it took.
//
//   const proxy = await startFaultProxy(emu.url);
//   proxy.next("POST /identity/resources/auth/v1/user/token/refresh", { kind: "lose" });
//   const auth = await createAuth({ baseUrl: proxy.url });
//
// Faults:
//   { kind: "status", status: 503, times? }   answers itself, `times` requests in a row; nothing reaches the emulator
//   { kind: "429", retryAfter: "2" }           answers 429 with that `Retry-After`; nothing reaches the emulator
//   { kind: "stall", ms }                      holds the request `ms` before passing it on; dropped unsent if the
//                                              client gives up first (a host too slow to take it)
//   { kind: "reset", afterBytes }              passes it on, then sends the head and the first `afterBytes` bytes
//                                              of the body and resets the connection (the emulator acted on it)
//   { kind: "lose" }                           passes it on, waits for the whole answer, then resets the connection
//                                              without a byte of it: the emulator acted, the client never hears
import { createServer, request as httpRequest } from "node:http";
import { once } from "node:events";

// Held at load: a test that mocks the global timers must not freeze the proxy's own stalls.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** `"METHOD /path"` of a request, without its query: the key faults are scripted under. */
const routeOf = (req) => `${req.method} ${new URL(req.url, "http://proxy").pathname}`;

/** Starts the proxy in front of `target` (the emulator's URL); resolves to its controls. */
export async function startFaultProxy(target) {
  const upstream = new URL(target);
  const script = new Map(); // route -> faults still to play, in order
  const received = new Map(); // route -> requests the proxy took in
  const forwarded = new Map(); // route -> requests that reached the emulator
  const log = []; // { route, fault, outcome } for every request, for failure messages
  const waiters = []; // { route, count, resolve }
  const bump = (map, route) => map.set(route, (map.get(route) ?? 0) + 1);

  const handledCount = (route) => log.filter((e) => e.route === route).length;
  function settle() {
    for (const w of waiters.splice(0)) {
      if (handledCount(w.route) >= w.count) w.resolve();
      else waiters.push(w);
    }
  }
  function note(route, fault, outcome) {
    log.push({ route, fault: fault?.kind ?? "pass", outcome });
    settle();
  }

  /** Sends the request on to the emulator; resolves to its whole answer. */
  function forward(req, body, route) {
    bump(forwarded, route);
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        async (res) => {
          const chunks = [];
          for await (const chunk of res) chunks.push(chunk);
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) });
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }

  function answer(res, { status, headers, body }) {
    res.writeHead(status, headers);
    res.end(body);
  }

  const server = createServer(async (req, res) => {
    const route = routeOf(req);
    bump(received, route);
    const queue = script.get(route);
    const fault = queue?.shift();
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    try {
      switch (fault?.kind) {
        case undefined:
          answer(res, await forward(req, body, route));
          return note(route, fault, "passed");
        case "status": {
          const errors = [`injected ${fault.status}`];
          answer(res, { status: fault.status, headers: { "content-type": "application/json" }, body: JSON.stringify({ errors }) });
          return note(route, fault, `answered ${fault.status}`);
        }
        case "429":
          answer(res, {
            status: 429,
            headers: { "content-type": "application/json", "retry-after": String(fault.retryAfter) },
            body: JSON.stringify({ errors: ["Too many requests"] }),
          });
          return note(route, fault, `answered 429, Retry-After ${fault.retryAfter}`);
        case "stall": {
          // The client giving up closes the connection: then the request never goes on.
          const gaveUp = once(res, "close").then(() => true);
          let timer;
          const waited = new Promise((r) => (timer = realSetTimeout(() => r(false), fault.ms)));
          const left = await Promise.race([gaveUp, waited]);
          realClearTimeout(timer);
          if (left) return note(route, fault, "client gave up during the stall; not forwarded");
          answer(res, await forward(req, body, route));
          return note(route, fault, "passed after the stall");
        }
        case "reset": {
          const { status, headers, body: full } = await forward(req, body, route);
          res.writeHead(status, headers); // keeps content-length: the client knows it is cut short
          res.write(full.subarray(0, fault.afterBytes));
          // Let the head and the first bytes leave before the reset.
          await new Promise((r) => res.socket.write("", r));
          res.socket.resetAndDestroy?.() ?? res.socket.destroy();
          return note(route, fault, `forwarded; reset after ${Math.min(fault.afterBytes, full.length)} of ${full.length} bytes`);
        }
        case "lose":
          await forward(req, body, route);
          res.socket.resetAndDestroy?.() ?? res.socket.destroy();
          return note(route, fault, "forwarded; answer lost");
        default:
          throw new Error(`unknown fault ${JSON.stringify(fault)}`);
      }
    } catch (e) {
      res.socket?.destroy();
      note(route, fault, `proxy error: ${e.message}`);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Scripts the next request(s) to `route` (`"POST /identity/..."`): `fault.times` of them, default 1. */
    next(route, fault) {
      if (!script.has(route)) script.set(route, []);
      for (let i = 0; i < (fault.times ?? 1); i += 1) script.get(route).push(fault);
    },
    /** Requests to `route` the proxy took in. */
    received: (route) => received.get(route) ?? 0,
    /** Requests to `route` that reached the emulator. */
    forwarded: (route) => forwarded.get(route) ?? 0,
    /** Faults scripted for `route` and not yet played. */
    pending: (route) => script.get(route)?.length ?? 0,
    /** Resolves once the proxy has dealt with `count` requests to `route` (answered, cut or dropped). */
    handled(route, count) {
      return new Promise((resolve) => {
        waiters.push({ route, count, resolve });
        settle();
      });
    },
    log,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
