// @frontegg/rest-api, only the modules behind our features: auth (password, sign-up,
// passwordless, MFA, WebAuthn/passkeys, refresh, logout, sessions, getMeV2), users (profile),
// teams (change password), tenants (list, switch), and the context with baseUrl and the token.
import { ContextHolder } from "@frontegg/rest-api/ContextHolder";
import { AuthenticationApi } from "@frontegg/rest-api/auth";
import { UsersApi } from "@frontegg/rest-api/users";
import { TeamsApi } from "@frontegg/rest-api/teams";
import { TenantsApi } from "@frontegg/rest-api/tenants";

export function client(baseUrl) {
  ContextHolder.default().setContext({ baseUrl, requestCredentials: "include" });
  const auth = new AuthenticationApi("default");
  const users = new UsersApi("default");
  const teams = new TeamsApi("default");
  const tenants = new TenantsApi("default");
  return {
    login: auth.login, signUp: auth.signUpUser, loginWithMfa: auth.loginWithMfa,
    passwordlessPreLogin: auth.passwordlessPreLogin, passwordlessPostLogin: auth.passwordlessPostLogin,
    webAuthnPreLogin: auth.webAuthnPreLogin, webAuthnPostLogin: auth.webAuthnPostLogin,
    enrollMFAWebAuthn: auth.enrollMFAWebAuthn, getMFADevices: auth.getMFADevices,
    refreshToken: auth.refreshToken, logout: auth.logout, getMeV2: auth.getMeV2,
    getCurrentUserSessions: auth.getCurrentUserSessions, deleteSessionForUser: auth.deleteSessionForUser,
    updateProfile: users.updateUserProfileV2, changePassword: teams.changePassword,
    getTenants: tenants.getTenants, switchTenant: tenants.switchTenant,
  };
}
