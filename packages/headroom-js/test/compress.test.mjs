// compress() and retrieve() against a real `headroom proxy` process.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  Headroom,
  HeadroomAuthError,
  HeadroomBadRequestError,
  HeadroomConnectionError,
  HeadroomError,
  HeadroomProxyStartError,
  HeadroomRefNotFoundError,
  compress,
  retrieve,
  startProxy,
} from "../dist/esm/index.js";
import { FAILURE, QUESTION, anthropicMessages, chatMessages, responsesInput, serviceLog, startRig } from "./support.mjs";

const LOG = serviceLog();
let rig;
before(async () => {
  rig = await startRig();
});
after(async () => rig?.close());

const cases = [
  ["openai", chatMessages, (m) => m[2].content, (t) => t.function.name],
  ["anthropic", anthropicMessages, (m) => m[2].content[0].content, (t) => t.name],
  ["responses", responsesInput, (m) => m[2].output, (t) => t.name],
];

describe("compress round trip", () => {
  for (const [format, build, toolOutput, toolName] of cases) {
    test(`${format}: smaller, same shape, every key kept, retrievable`, async () => {
      const messages = build(LOG).map((m, i) => ({ ...m, x_app_key: `kept-${i}` }));
      const result = await rig.headroom.compress(messages, { model: "gpt-4o" });

      assert.equal(result.messages.length, messages.length);
      result.messages.forEach((m, i) => assert.deepEqual(Object.keys(m).sort(), Object.keys(messages[i]).sort()));
      assert.equal(result.messages[1].x_app_key, "kept-1");
      assert.deepEqual(result.messages[0], messages[0]);
      const out = toolOutput(result.messages);
      assert.ok(out.length < LOG.length / 4, `tool output ${out.length} chars of ${LOG.length}`);
      assert.ok(out.includes(FAILURE), "the failure line survives");
      assert.ok(result.tokensSaved > 0 && result.tokensAfter < result.tokensBefore);
      assert.equal(result.tokensSaved, result.tokensBefore - result.tokensAfter);
      assert.ok(Math.abs(result.compressionRatio - result.tokensSaved / result.tokensBefore) < 1e-3);
      assert.ok(result.compressionRatio > 0.75, String(result.compressionRatio));
      assert.equal(result.refs.length, 1);
      assert.ok(out.includes(result.refs[0]), "the marker names the ref");
      assert.deepEqual(result.tools.map(toolName), ["headroom_retrieve"]);
      assert.equal(await rig.headroom.retrieve(result.refs[0]), LOG);
    });
  }

  test("nothing to compress: the messages come back as they were, no refs, no tool", async () => {
    const messages = [{ role: "user", content: QUESTION, name: "ana" }];
    const result = await rig.headroom.compress(messages);
    assert.deepEqual(result.messages, messages);
    assert.deepEqual(result.refs, []);
    assert.deepEqual(result.tools, []);
    assert.equal(result.tokensSaved, 0);
    assert.equal(result.compressionRatio, 0);
  });
});

describe("retrieve", () => {
  test("query and line range narrow what comes back", async () => {
    const { refs } = await rig.headroom.compress(chatMessages(LOG));
    const hits = await rig.headroom.retrieve(refs[0], { query: "TimeoutError" });
    assert.ok(hits.includes(FAILURE));
    assert.ok(hits.split("\n").length < 5, hits);
    const range = await rig.headroom.retrieve(refs[0], { lines: "2-3" });
    assert.deepEqual(range.split("\n").map((l) => l.replace(/^\s*\d+[:|]\s?/, "")), LOG.split("\n").slice(1, 3));
  });

  test("an unknown ref is a HeadroomRefNotFoundError with the proxy's message", async () => {
    const e = await rig.headroom.retrieve("0123456789abcdef").catch((e) => e);
    assert.ok(e instanceof HeadroomRefNotFoundError && e instanceof HeadroomError, String(e));
    assert.equal(e.status, 404);
    assert.match(e.message, /0123456789abcdef/);
  });
});

describe("errors are typed and carry the proxy's message", () => {
  test("malformed messages: HeadroomBadRequestError", async () => {
    const e = await rig.headroom.compress([{ role: "tool", content: 5 }], { format: "openai" }).catch((e) => e);
    assert.ok(e instanceof HeadroomBadRequestError, String(e));
    assert.equal(e.status, 400);
    assert.ok(e.message.length > 10, e.message);
  });

  test("an option the proxy reserves: HeadroomBadRequestError naming it", async () => {
    const e = await rig.headroom.compress(chatMessages(LOG), { options: { modelPath: "/tmp/x" } }).catch((e) => e);
    assert.ok(e instanceof HeadroomBadRequestError, String(e));
    assert.match(e.message, /model_path/);
  });

  test("a wrong token: HeadroomAuthError", async () => {
    const wrong = new Headroom({ baseUrl: rig.proxy.url, token: "not-the-token" });
    const e = await wrong.compress(chatMessages(LOG)).catch((e) => e);
    assert.ok(e instanceof HeadroomAuthError, String(e));
    assert.match(e.message, /token/);
  });

  test("nobody listening: HeadroomConnectionError", async () => {
    const gone = new Headroom({ baseUrl: "http://127.0.0.1:9" });
    const e = await gone.retrieve("abc").catch((e) => e);
    assert.ok(e instanceof HeadroomConnectionError, String(e));
    assert.match(e.message, /127\.0\.0\.1:9/);
  });

  test("a proxy that cannot start: HeadroomProxyStartError with its output", async () => {
    const command = [process.env.HEADROOM_PYTHON ?? "python", "-c", "import sys; print('no such luck', file=sys.stderr); sys.exit(3)"];
    const e = await startProxy({ command, timeout: 20 }).catch((e) => e);
    assert.ok(e instanceof HeadroomProxyStartError, String(e));
    assert.match(e.message, /code 3/);
    assert.match(e.message, /no such luck/);
  });
});

test("compress()/retrieve() use HEADROOM_URL and HEADROOM_PROXY_TOKEN", async () => {
  process.env.HEADROOM_URL = rig.proxy.url;
  process.env.HEADROOM_PROXY_TOKEN = rig.proxy.token;
  const result = await compress(anthropicMessages(LOG), { model: "claude-sonnet-4-5-20250929" });
  assert.ok(result.tokensSaved > 0);
  assert.equal(await retrieve(result.refs[0], { query: "TimeoutError" }).then((t) => t.includes(FAILURE)), true);
});
