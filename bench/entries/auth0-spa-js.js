// @auth0/auth0-spa-js: createAuth0Client with its MFA, passkey and My Account sub-clients.
// Password, sign-up and passwordless happen on Auth0's hosted page (a redirect or a popup), which
// is downloaded then and is not counted here; there is no sessions list and no tenant switching.
import { createAuth0Client } from "@auth0/auth0-spa-js";

export async function client(domain, clientId) {
  const c = await createAuth0Client({ domain, clientId, useRefreshTokens: true });
  return {
    loginWithRedirect: c.loginWithRedirect, loginWithPopup: c.loginWithPopup,
    handleRedirectCallback: c.handleRedirectCallback, mfa: c.mfa, passkey: c.passkey,
    myAccount: c.myAccount, getTokenSilently: c.getTokenSilently, logout: c.logout, getUser: c.getUser,
  };
}
