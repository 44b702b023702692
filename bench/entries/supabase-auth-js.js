// @supabase/auth-js: GoTrueClient carries password, sign-up, OTP/magic link, MFA (TOTP, phone,
// WebAuthn), passkeys, refresh, sign-out and user updates. No sessions list and no tenants.
import { GoTrueClient } from "@supabase/auth-js";

export function client(url) {
  const c = new GoTrueClient({ url });
  return {
    signInWithPassword: c.signInWithPassword, signUp: c.signUp, signInWithOtp: c.signInWithOtp,
    verifyOtp: c.verifyOtp, mfa: c.mfa, signInWithPasskey: c.signInWithPasskey,
    registerPasskey: c.registerPasskey, refreshSession: c.refreshSession, signOut: c.signOut,
    getUser: c.getUser, updateUser: c.updateUser,
  };
}
