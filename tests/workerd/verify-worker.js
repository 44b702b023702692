// A Worker that lets a request through only with a valid access token (the edge's own job).
import { verifyAccessToken } from "../../pkg/workerd.js";

export default {
  async fetch(request, env) {
    const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    try {
      const claims = await verifyAccessToken(token, { baseUrl: env.BASE_URL, issuer: env.BASE_URL });
      return Response.json({ ok: true, email: claims.email, tenantId: claims.tenantId });
    } catch (e) {
      return Response.json({ ok: false, code: e.code, message: e.message }, { status: 401 });
    }
  },
};
