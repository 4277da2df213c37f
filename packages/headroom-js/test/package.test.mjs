// The package as installed: both builds load through its exports map, with the same API.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";

import * as esm from "headroom-js";

const require = createRequire(import.meta.url);

test("ESM import and CJS require give the same public API", () => {
  const cjs = require("headroom-js");
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  for (const name of ["compress", "retrieve", "Headroom", "HeadroomError", "startProxy"]) {
    assert.equal(typeof cjs[name], "function", name);
  }
  assert.ok(new cjs.HeadroomRefNotFoundError("x", 404) instanceof cjs.HeadroomError);
  assert.equal(new cjs.HeadroomRefNotFoundError("x", 404).name, "HeadroomRefNotFoundError");
});

test("the OpenClaw entry loads both ways, and its manifest names what it registers", async () => {
  const { readFileSync } = await import("node:fs");
  const esmPlugin = (await import("headroom-js/openclaw")).default;
  const cjsPlugin = require("headroom-js/openclaw").default;
  const manifest = JSON.parse(readFileSync(new URL("../openclaw.plugin.json", import.meta.url), "utf8"));
  for (const plugin of [esmPlugin, cjsPlugin]) {
    assert.equal(plugin.id, manifest.id);
    const registered = { engines: [], tools: [] };
    plugin.register({
      pluginConfig: {},
      registerContextEngine: (id) => registered.engines.push(id),
      registerTool: (tool) => registered.tools.push(tool.name),
    });
    assert.deepEqual(registered, { engines: [manifest.id], tools: manifest.contracts.tools });
  }
});
