/** Start a `headroom proxy` on a free loopback port, with a fresh token, stopped when this process exits. */

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readFileSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

import { HeadroomProxyStartError } from "./errors.js";

/** How a local proxy is started. */
export interface StartProxyOptions {
  /** The command that runs Headroom's CLI, e.g. `["uv", "run", "headroom"]`. Default: found (see README). */
  command?: string[];
  /** Extra `headroom proxy` arguments, e.g. `["--level", "max"]`. */
  args?: string[];
  /** Environment for the proxy (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Seconds to wait for `/health`. Default 60. */
  timeout?: number;
}

/** A running local proxy. */
export interface LocalProxy {
  url: string;
  token: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function inUvProject(from: string): boolean {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "uv.lock"))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** `headroom` on PATH; else `uv run headroom` inside a uv project (a clone); else `uvx`. */
export function findHeadroomCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  if (onPath("headroom", env)) return ["headroom"];
  if (onPath("uv", env) && inUvProject(process.cwd())) return ["uv", "run", "--frozen", "headroom"];
  if (onPath("uvx", env)) return ["uvx", "--from", "headroom-core[proxy]", "headroom"];
  throw new HeadroomProxyStartError(
    "no Headroom proxy to talk to: set HEADROOM_URL (or pass baseUrl), or install Headroom so that " +
      "`headroom` is on PATH (pip install \"headroom-core[proxy]\"), or install uv",
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start `headroom proxy` and wait until it answers `/health`. */
export async function startProxy(options: StartProxyOptions = {}): Promise<LocalProxy> {
  const env = { ...(options.env ?? process.env) };
  const command = options.command ?? findHeadroomCommand(env);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(command, await freePort(), env, options);
    } catch (e) {
      // The free port was taken between our probe and the proxy's bind: another port.
      if (attempt >= 3 || !(e instanceof HeadroomProxyStartError) || !/address already in use/i.test(e.message)) throw e;
    }
  }
}

async function launch(
  command: string[],
  port: number,
  env: NodeJS.ProcessEnv,
  options: StartProxyOptions,
): Promise<LocalProxy> {
  const [cmd, ...pre] = command;
  if (!cmd) throw new HeadroomProxyStartError("empty proxy command");
  const token = randomBytes(24).toString("hex");
  const logPath = join(mkdtempSync(join(tmpdir(), "headroom-proxy-")), "stderr.log");
  const log = openSync(logPath, "w");
  const args = [...pre, "proxy", "--host", "127.0.0.1", "--port", String(port), "--no-log", ...(options.args ?? [])];
  const child = spawn(cmd, args, { env: { ...env, HEADROOM_PROXY_TOKEN: token }, stdio: ["ignore", "ignore", log] });
  closeSync(log);
  child.unref(); // the proxy never keeps this process alive ...
  const kill = () => child.exitCode === null && child.kill();
  process.once("exit", kill); // ... and goes with it
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener("exit", kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill();
    await Promise.race([exited, sleep(5000)]);
  };
  const failed = (why: string) => {
    const tail = readFileSync(logPath, "utf8").trim().split("\n").slice(-15).join("\n");
    return new HeadroomProxyStartError(`${why} (${[cmd, ...args].join(" ")})${tail ? `:\n${tail}` : ""}`);
  };
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));
  const deadline = Date.now() + (options.timeout ?? 60) * 1000;
  while (Date.now() < deadline) {
    if (spawnError) throw failed(`could not start the Headroom proxy: ${spawnError.message}`);
    if (child.exitCode !== null) throw failed(`the Headroom proxy exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/health`, { headers: { "x-headroom-token": token } });
      if (r.ok && child.exitCode === null) return { url, token, process: child, stop };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw failed(`the Headroom proxy did not answer ${url}/health within ${options.timeout ?? 60} s`);
}
