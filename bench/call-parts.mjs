// Where a getProfile's time goes in Node (docs/per-call.md): the SDK is given a `fetch` that
// marks when it is called, when its Response arrives and when its body has been read, so each
// call splits into the SDK's work before the request, the network, and the SDK's work after
// the body. Three ways, 3,000 calls each after 300 warm-up, medians in µs:
//   - real:    the release emulator on loopback;
//   - instant: the same answer from memory, at once (a hot loop, nothing waits);
//   - idle:    instant, after a setTimeout(0) between calls (the thread sleeps in between, as it
//              does while a real request is out).
//
//   node bench/call-parts.mjs
import { demo, startEmulator, table, us } from "./lib.mjs";

const { createAuth } = await import("../pkg/node.js");
const WARMUP = 300;
const CALLS = 3000;

const emu = await startEmulator([]);
try {
  const rows = [];
  for (const mode of ["real", "instant", "idle"]) {
    let called, answered, read, body;
    const me = (url) => String(url).endsWith("/users/v2/me");
    const spy = (url, init) => {
      called = performance.now();
      const answer = mode !== "real" && me(url) && body !== undefined
        ? Promise.resolve(new Response(body, { status: 200, headers: { "content-type": "application/json" } }))
        : fetch(url, init);
      return answer.then((response) => {
        answered = performance.now();
        const text = response.text.bind(response);
        response.text = () => text().then((t) => {
          if (me(url)) body = t;
          read = performance.now();
          return t;
        });
        return response;
      });
    };
    const auth = await createAuth({ baseUrl: emu.url, mode: "server", autoRefresh: false, fetch: spy });
    await auth.login(demo);
    await auth.getProfile();
    const parts = [[], [], [], []];
    for (let i = 0; i < WARMUP + CALLS; i++) {
      if (mode === "idle") await new Promise((r) => setTimeout(r, 0));
      const start = performance.now();
      await auth.getProfile();
      const end = performance.now();
      if (i < WARMUP) continue;
      [called - start, answered - called, read - answered, end - read].forEach((x, j) => parts[j].push(x * 1000));
    }
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    rows.push([mode, ...parts.map((xs) => us(median(xs))), us(parts.map(median).reduce((a, b) => a + b, 0))]);
    await auth.logout();
  }
  table(
    `getProfile in Node ${process.version}, split where the SDK's fetch sees it (median µs of ${CALLS} calls)`,
    ["answer", "call to fetch", "fetch to Response", "Response to body", "body to result", "sum"],
    rows,
  );
} finally {
  await emu.stop();
}
