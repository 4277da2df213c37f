// The README's quick start runs as written (the engine is on PATH inside `uv run`).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import "./support.mjs"; // a fresh $HEADROOM_HOME

test("README quick start", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = readme.split("## Quick start")[1].match(/```js\n([\s\S]*?)```/)[1];
  assert.ok(code.split("\n").length <= 16, "at most 15 lines");
  // Inside the package folder, so that `import "headroom-js"` resolves to this package.
  const file = fileURLToPath(new URL("./.quickstart.mjs", import.meta.url));
  writeFileSync(file, code);
  try {
    const env = { ...process.env };
    delete env.HEADROOM_URL; // it starts its own proxy, as a user's first run does
    const { stdout } = await promisify(execFile)(process.execPath, [file], { env, timeout: 120_000 });
    assert.match(stdout, /^Saved \d+ tokens \(9\d %\)/);
    assert.match(stdout, /ERROR payment gateway timeout after 30000ms order=1750/);
  } finally {
    rmSync(file, { force: true });
  }
});
