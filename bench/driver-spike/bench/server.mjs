// Tiny identity host for the prototypes: login, refresh, users/v2/me. 127.0.0.1 only.
import http from "node:http";
const PROFILE = JSON.stringify({
  id: "5d6f0b2e-7d6e-4a6b-9a57-0c1a2b3c4d5e", email: "demo@example.com", name: "Demo User",
  profilePictureUrl: "https://example.com/p.png", verified: true, mfaEnrolled: false,
  tenantId: "t-1", tenantIds: ["t-1", "t-2"],
  roles: [{ id: "r1", key: "Admin", name: "Admin" }], permissions: [{ id: "p1", key: "fe.secure.*" }],
  metadata: "{}", createdAt: "2026-01-01T00:00:00.000Z", lastLogin: "2026-11-30T00:00:00.000Z",
});
let n = 0, token = "tok-0";
export const stats = { refresh: 0, login: 0, me: 0 };
const send = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
};
const tokens = () => {
  token = `tok-${++n}`;
  return JSON.stringify({ accessToken: token, refreshToken: `rt-${n}`, expiresIn: Number(process.env.EXPIRES_IN || 3600) });
};
export function start(port = 0) {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const u = req.url;
      if (req.method === "POST" && u === "/identity/resources/auth/v1/user") {
        stats.login++;
        const b = JSON.parse(body || "{}");
        if (b.password !== "pw") return send(res, 401, JSON.stringify({ errors: ["Invalid authentication"] }));
        return send(res, 200, tokens());
      }
      if (req.method === "POST" && u === "/identity/resources/auth/v1/user/token/refresh") {
        stats.refresh++;
        return setTimeout(() => send(res, 200, tokens()), 5);
      }
      if (req.method === "GET" && u === "/identity/resources/users/v2/me") {
        stats.me++;
        if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, "{}");
        return send(res, 200, PROFILE);
      }
      if (u === "/__rotate") { token = "rotated"; return send(res, 200, "{}"); }
      send(res, 404, "{}");
    });
  });
  return new Promise((r) => server.listen(port, "127.0.0.1", () => r(server)));
}
if (process.argv[1] && process.argv[1].endsWith("server.mjs")) {
  const s = await start(Number(process.argv[2] || 0));
  console.log(s.address().port);
}
