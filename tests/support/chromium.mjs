// Launches Debian's Chromium through Playwright (never a downloaded browser).
import { chromium } from "playwright-core";

/** Headless Chromium with the flags that keep it off the network at start-up. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}
