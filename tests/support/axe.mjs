// axe-core's WCAG 2.1 A and AA rules on a page as it is now, in the light and the dark colour
// scheme (the demo follows the system's). Every screen of the demo must pass with none broken.
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";

const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Fails with each broken rule and the elements that break it. */
export async function assertAccessible(page, screen) {
  const found = [];
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).withTags(tags).analyze();
    for (const v of violations) {
      const where = v.nodes.map((n) => `      ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`);
      found.push(`${colorScheme}: ${v.id}, ${v.nodes.length} element(s): ${v.help}\n${where.join("\n")}`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
  assert.deepEqual(found, [], `${screen}: WCAG 2.1 A/AA violations\n${found.join("\n")}`);
}
