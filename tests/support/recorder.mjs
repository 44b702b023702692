// A recording reverse proxy for wire-level comparisons: a small HTTP server on 127.0.0.1 that
// forwards every request to `target` (the emulator) unchanged and records, for the identity API,
// what went over the wire: method, path, query, request headers, JSON body, and the answer's
// status and Set-Cookie headers. Pages served through it talk to one origin (the proxy's), so two
// clients can be compared request by request in the same run.
//
// A page may add `x-wire-credentials: <RequestInit.credentials>` to each request (see
// `credentialsProbe`): the proxy records it and strips it before forwarding, so the fetch
// credentials mode, which never shows on a same-origin wire, can be compared too.
import http from "node:http";
import { once } from "node:events";

const PROBE = "x-wire-credentials";

/** Paths worth recording: the identity API under either prefix. */
const RECORDED = /^\/(frontegg\/)?identity\//;

/** Starts the proxy in front of `target` (e.g. "http://127.0.0.1:1234"); resolves { port, log, stop }. */
export async function startRecorder(target) {
  const upstream = new URL(target);
  /** Every recorded exchange, in arrival order. */
  const log = [];
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const headers = { ...req.headers };
      const credentials = headers[PROBE];
      delete headers[PROBE];
      const url = new URL(req.url, "http://proxy");
      const record = RECORDED.test(url.pathname) && req.method !== "OPTIONS";
      const entry = record
        ? {
            seq: seq++,
            method: req.method,
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            headers,
            credentials: credentials ?? null,
            rawBody: raw.length ? raw.toString("utf8") : null,
            body: parseJson(raw),
          }
        : null;
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: forwardHeaders(headers, raw.length),
        },
        (answer) => {
          if (entry) {
            entry.status = answer.statusCode;
            entry.setCookies = [].concat(answer.headers["set-cookie"] ?? []);
            log.push(entry);
          }
          res.writeHead(answer.statusCode, answer.rawHeaders);
          answer.pipe(res);
        },
      );
      forward.on("error", (e) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`recorder: ${e.message}`);
      });
      forward.end(raw);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: server.address().port,
    log,
    /** The exchanges recorded from index `from` on (see `log.length` to take a mark). */
    since: (from) => log.slice(from),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

function forwardHeaders(headers, length) {
  const out = { ...headers };
  delete out["transfer-encoding"];
  if (length) out["content-length"] = String(length);
  else delete out["content-length"];
  return out;
}

function parseJson(raw) {
  if (!raw.length) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return Symbol.for("not-json");
  }
}

/**
 * A script for `context.addInitScript`: wraps `window.fetch` so each request also carries its
 * `credentials` mode in the `x-wire-credentials` header (the recorder strips it). Only plain
 * (input, init) calls are seen, which is how both clients call fetch.
 */
export const credentialsProbe = `(() => {
  const original = window.fetch;
  window.fetch = function (input, init) {
    const given = init ?? {};
    const headers = new Headers(given.headers ?? (input instanceof Request ? input.headers : undefined));
    const mode = given.credentials ?? (input instanceof Request ? input.credentials : undefined) ?? "same-origin(default)";
    headers.set("${PROBE}", String(mode));
    const copy = {};
    for (const key of ["method", "body", "credentials", "signal", "mode", "cache", "redirect", "referrer", "integrity", "keepalive"]) {
      if (given[key] !== undefined) copy[key] = given[key];
    }
    copy.headers = headers;
    return original.call(this, input, copy);
  };
})();`;

/** The JSON type of a value, as the comparison sees it. */
export function jsonType(v) {
  if (v === undefined) return "absent";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Differences in shape between two JSON values: same keys, same JSON types, recursively (array
 * items by the first element). Values may differ. Resolves [{ field, sdk, official }].
 */
export function shapeDiff(sdk, official, prefix = "body") {
  const out = [];
  const a = jsonType(sdk);
  const b = jsonType(official);
  if (a !== b) {
    out.push({ field: prefix, sdk: a, official: b });
    return out;
  }
  if (a === "object") {
    for (const key of new Set([...Object.keys(sdk), ...Object.keys(official)])) {
      out.push(...shapeDiff(sdk[key], official[key], `${prefix}.${key}`));
    }
  } else if (a === "array" && sdk.length && official.length) {
    out.push(...shapeDiff(sdk[0], official[0], `${prefix}[]`));
  }
  return out;
}
