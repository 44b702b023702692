// A Worker that signs a machine in with an API token and keeps the session in Workers KV
// through the SDK's `storage` adapter. Every request makes a fresh client, as a Worker
// invocation would: whatever survives from one request to the next lives in KV.
//
//   POST /login    { clientId, secret }  loginWithApiToken; the snapshot is written to KV
//   GET  /session                        restore() from KV (refreshing if the stored token expired)
//   POST /refresh                        restore() then refresh(); the rotated tokens go back to KV
//   GET  /verify                         restore() then verifyAccessToken on the restored token
//   POST /logout                         restore() then logout(); the snapshot leaves KV
//
// Each answer reports which identity-API paths the client called and which events it heard.
import { createAuth, FronteggError, verifyAccessToken } from "../../pkg/workerd.js";

/** A `{ get, set, remove }` adapter over a KV namespace that remembers its pending writes. */
function kvStorage(kv) {
  const pending = new Set();
  const track = (promise) => {
    pending.add(promise);
    return promise.finally(() => pending.delete(promise));
  };
  return {
    adapter: {
      get: (key) => kv.get(key), // null when absent, which the SDK reads as "nothing stored"
      set: (key, value) => track(kv.put(key, value)),
      remove: (key) => track(kv.delete(key)),
    },
    /** Waits until every write the SDK started has landed, so the next request sees it. */
    async flush() {
      // The SDK has called the adapter by the time its call resolves; a write queued behind
      // another starts as that one settles, before this loop looks again.
      while (pending.size) await Promise.all(pending);
    },
  };
}

async function client(env) {
  const store = kvStorage(env.SESSIONS);
  const calls = [];
  const events = [];
  const auth = await createAuth({
    baseUrl: env.BASE_URL,
    storage: store.adapter,
    // A timer set in one invocation can't do I/O for the next one; each request restores instead.
    autoRefresh: false,
    fetch: (input, init) => {
      calls.push(new URL(input.url ?? input).pathname);
      return fetch(input, init);
    },
  });
  auth.onAuthStateChange((event) => events.push(event));
  return { auth, store, calls, events };
}

/** What a test needs to know of a session (the refresh token stays in KV). */
const describe = (session) =>
  session && {
    userId: session.user.id,
    tenantId: session.user.tenantId,
    accessToken: session.accessToken,
    expiresAt: session.expiresAt,
    holdsRefreshToken: typeof session.refreshToken === "string" && session.refreshToken.length > 0,
  };

export default {
  async fetch(request, env) {
    const route = `${request.method} ${new URL(request.url).pathname}`;
    const { auth, store, calls, events } = await client(env);
    const answer = (body, status = 200) => Response.json({ ...body, calls, events }, { status });
    try {
      switch (route) {
        case "POST /login": {
          const session = await auth.loginWithApiToken(await request.json());
          await store.flush();
          return answer({ session: describe(session) });
        }
        case "GET /session": {
          const session = await auth.restore();
          await store.flush();
          return answer({ session: describe(session) });
        }
        case "POST /refresh": {
          const before = await auth.restore();
          if (!before) return answer({ code: "no_session" }, 404);
          const session = await auth.refresh();
          await store.flush();
          return answer({ before: describe(before), session: describe(session) });
        }
        case "GET /verify": {
          const session = await auth.restore();
          if (!session) return answer({ code: "no_session" }, 404);
          const claims = await verifyAccessToken(session.accessToken, { baseUrl: env.BASE_URL, issuer: env.BASE_URL, tokenType: "api" });
          return answer({ claims });
        }
        case "POST /logout": {
          await auth.restore();
          await auth.logout();
          await store.flush();
          return answer({ session: describe(auth.session) });
        }
        default:
          return answer({ code: "no_route" }, 404);
      }
    } catch (e) {
      const { name, code, status, message, errorCode } = e;
      return answer({ error: { name, code, status, message, errorCode, isFronteggError: e instanceof FronteggError } }, 500);
    }
  },
};
