// A Worker that times access-token verification inside workerd: this SDK's verifyAccessToken
// against jose's jwtVerify with a remote JWKS, on the token and options it is posted.
import { createRemoteJWKSet, jwtVerify } from "jose";
import { verifyAccessToken } from "../pkg/workerd.js";
import { compare } from "./verify-loop.js";

export default {
  async fetch(request, env) {
    const { token, options } = await request.json();
    const issuer = env.BASE_URL;
    const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", env.BASE_URL));
    return Response.json(await compare({
      ours: () => verifyAccessToken(token, { baseUrl: env.BASE_URL, issuer }),
      jose: () => jwtVerify(token, jwks, { issuer }),
    }, options));
  },
};
