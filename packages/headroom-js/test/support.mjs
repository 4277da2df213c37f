// Real parts for the tests: Headroom's FakeUpstream (test/rig.py) as the model, and a real
// `headroom proxy` process started the way users start it (startProxy: `headroom` on PATH).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { Headroom, startProxy } from "../dist/esm/index.js";

// Proxies started by the tests keep their store under a fresh $HEADROOM_HOME, never ~/.headroom.
process.env.HEADROOM_HOME = mkdtempSync(join(tmpdir(), "headroom-js-test-"));

const RIG = fileURLToPath(new URL("./rig.py", import.meta.url));

/** The fake upstream: `url`, and `script`/`requests`/`clear` over its control API. */
export async function startUpstream() {
  const child = spawn(process.env.HEADROOM_PYTHON ?? "python", [RIG], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  const { upstream, control } = JSON.parse(line);
  const call = async (path, body) => {
    const r = await fetch(control + path, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`rig ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    url: upstream,
    script: (...replies) => call("/script", replies),
    requests: () => call("/requests"),
    clear: () => call("/clear", {}),
    stop: () => child.stdin.end(),
  };
}

/** The model, a real proxy, and a client of it; `close()` stops them. */
export async function startRig() {
  const [up, proxy] = await Promise.allSettled([startUpstream(), startProxy()]).then(([u, p]) => {
    if (u.status === "fulfilled" && p.status === "fulfilled") return [u.value, p.value];
    if (u.status === "fulfilled") u.value.stop(); // else it would keep the test process alive
    if (p.status === "fulfilled") p.value.stop();
    throw u.status === "rejected" ? u.reason : p.reason;
  });
  const headroom = new Headroom({ baseUrl: proxy.url, token: proxy.token });
  return {
    up,
    proxy,
    headroom,
    async close() {
      up.stop();
      await proxy.stop();
    },
  };
}

export const QUESTION = "Why did the payment for order 10750 fail?";
export const FAILURE = "TimeoutError: gateway did not answer within 30s";

/** A web service's log: routine requests, one failure with its trace in the middle. */
export function serviceLog(lines = 1500) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const t = `${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}`;
    out.push(`2025-03-14T10:${t}.${String(i % 1000).padStart(3, "0")}Z INFO  [worker-${i % 4}] GET /api/orders/${10000 + i} 200 ${(i * 37) % 90 + 5}ms user=${i % 97}`);
    if (i === Math.floor(lines / 2)) {
      out.push(
        "2025-03-14T10:12:30.500Z ERROR [worker-1] payment gateway timeout after 30000ms order=10750",
        "Traceback (most recent call last):",
        '  File "/srv/app/payments.py", line 88, in charge',
        "    resp = gateway.post(payload, timeout=30)",
        FAILURE,
      );
    }
  }
  return out.join("\n");
}

export const chatMessages = (log) => [
  { role: "user", content: QUESTION },
  { role: "assistant", content: null, tool_calls: [{ id: "call_log", type: "function", function: { name: "read_log", arguments: '{"file": "app.log"}' } }] },
  { role: "tool", tool_call_id: "call_log", content: log },
];

export const anthropicMessages = (log) => [
  { role: "user", content: QUESTION },
  { role: "assistant", content: [{ type: "tool_use", id: "toolu_log", name: "read_log", input: { file: "app.log" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_log", content: log }] },
];

export const responsesInput = (log) => [
  { role: "user", content: QUESTION },
  { type: "function_call", call_id: "call_log", name: "read_log", arguments: '{"file": "app.log"}' },
  { type: "function_call_output", call_id: "call_log", output: log },
];

/** Every string anywhere in a JSON value, joined: what a model would read. */
export const textOf = (value) => JSON.stringify(value);
