// A consumer's Node script: the package as npm installed it, by its name, signing in.
import { createAuth } from "frontegg-auth-wasm";

const auth = await createAuth({ baseUrl: process.env.BASE_URL, autoRefresh: false });
const result = await auth.login({ email: "demo@example.com", password: "Demo-pass-123!" });
const profile = await auth.getProfile();
console.log(JSON.stringify({
  entry: import.meta.resolve("frontegg-auth-wasm"),
  status: result.status,
  sessionEmail: result.session?.user.email,
  profileEmail: profile.email,
}));
