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
