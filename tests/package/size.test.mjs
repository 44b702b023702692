// The browser download may not grow past bench/download.mjs's ceiling: size is a feature, and
// growth should be a decision someone makes, not a drift nobody sees until `make bench`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CEILING_GZIP, download } from "../../bench/download.mjs";

test("the browser download stays under its gzip ceiling", () => {
  const { parts, total } = download(new URL("../../pkg/", import.meta.url));
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  const detail = parts.map(([name, sizes]) => `${name} ${kb(sizes[1])}`).join(", ");
  assert.ok(
    total[1] <= CEILING_GZIP,
    `${kb(total[1])} gzip (${detail}) is over the ${kb(CEILING_GZIP)} ceiling: make it smaller, or raise the ceiling in bench/download.mjs and say why in docs/size.md`,
  );
});
