// The emulator's developer endpoints, for arranging a test and reading what was "sent".
import { PNG } from "pngjs";
import jsQR from "jsqr";
import * as OTPAuth from "otpauth";

async function json(response) {
  if (!response.ok) throw new Error(`developer endpoint answered ${response.status}`);
  return response.json();
}

/** The emulator's developer API at `base`. */
export function dev(base) {
  return {
    /** The last message sent to `to` (an email or a phone number). */
    async lastMessage(to) {
      const messages = await json(await fetch(`${base}/emulator/v1/outbox?to=${encodeURIComponent(to)}`));
      if (!messages.length) throw new Error(`nothing was sent to ${to}`);
      return messages.at(-1);
    },
    config: (patch) => fetch(`${base}/emulator/v1/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(patch) }).then(json),
    createUser: (user) =>
      fetch(`${base}/emulator/v1/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ password: "Demo-pass-123!", ...user }) }).then(json),
    reset: () => fetch(`${base}/emulator/v1/reset`, { method: "POST" }).then(json),
    /** Moves the emulator's clock `seconds` forward (a fresh TOTP window, an expiry). */
    clockAdvance: (seconds) =>
      fetch(`${base}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: seconds }) }).then(json),
    /** A TOTP code for `secret` at the emulator's clock, as a phone would show it. */
    async totp(secret) {
      const { now } = await json(await fetch(`${base}/emulator/v1/clock`));
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
      return totp.generate({ timestamp: now * 1000 });
    },
  };
}

/** The secret in a QR code (a PNG data URL of an otpauth:// URI), as an authenticator app scans it. */
export function scanTotpSecret(qrCode) {
  const png = PNG.sync.read(Buffer.from(qrCode.replace(/^data:image\/png;base64,/, ""), "base64"));
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!found) throw new Error("no QR code in the image");
  return new URL(found.data).searchParams.get("secret");
}
