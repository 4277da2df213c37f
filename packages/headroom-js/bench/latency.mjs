// What compress() adds over a direct POST /v1/compress on loopback: both paths, interleaved, against
// one real `headroom proxy` (started here); prints a table. Usage (from the repo root):
//   uv run --package headroom-core --all-extras npm run --prefix packages/headroom-js bench [-- N]
import { performance } from "node:perf_hooks";

import { Headroom, startProxy } from "../dist/esm/index.js";
import { chatMessages, serviceLog } from "../test/support.mjs";

const n = Number(process.argv[2] ?? 500);
const proxy = await startProxy();
const headroom = new Headroom({ baseUrl: proxy.url, token: proxy.token });
const rows = [];
try {
  for (const lines of [20, 300, 3000]) {
    const messages = chatMessages(serviceLog(lines));
    const payload = JSON.stringify({ messages, model: "gpt-4o" });
    const direct = async () => {
      const r = await fetch(`${proxy.url}/v1/compress`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-headroom-token": proxy.token },
        body: payload,
      });
      return r.json();
    };
    const sdk = () => headroom.compress(messages, { model: "gpt-4o" });
    for (let i = 0; i < 20; i++) await Promise.all([direct(), sdk()]); // warm: memo, connection pools
    const times = { direct: [], sdk: [] };
    for (let i = 0; i < n; i++) {
      for (const [name, fn] of i % 2 ? [["direct", direct], ["sdk", sdk]] : [["sdk", sdk], ["direct", direct]]) {
        const t = performance.now();
        await fn();
        times[name].push(performance.now() - t);
      }
    }
    const q = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
    rows.push({
      input: `${Buffer.byteLength(payload)} B`,
      "direct p50 ms": q(times.direct, 0.5).toFixed(2),
      "compress() p50 ms": q(times.sdk, 0.5).toFixed(2),
      "added p50 ms": (q(times.sdk, 0.5) - q(times.direct, 0.5)).toFixed(2),
      "direct p90 ms": q(times.direct, 0.9).toFixed(2),
      "compress() p90 ms": q(times.sdk, 0.9).toFixed(2),
    });
  }
} finally {
  await proxy.stop();
}
console.log(`compress() over a direct POST /v1/compress, loopback, ${n} calls each (interleaved), node ${process.version}`);
console.table(rows);
