/** `Headroom`: a client of a Headroom proxy's `/v1/compress` and `/v1/retrieve`. */

import { HeadroomConnectionError, HeadroomError, errorFor } from "./errors.js";
import { startProxy, type LocalProxy, type StartProxyOptions } from "./local.js";
import type {
  Api,
  CompressBodyResult,
  CompressionOptions,
  CompressResult,
  JsonObject,
  MessageFormat,
  RetrieveOptions,
} from "./types.js";

/** How to reach a proxy. */
export interface HeadroomOptions {
  /** The proxy, e.g. `http://127.0.0.1:8787`. Default: `$HEADROOM_URL`, else a local proxy is started. */
  baseUrl?: string;
  /** Sent as `x-headroom-token`. Default: `$HEADROOM_PROXY_TOKEN`. */
  token?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** How a local proxy is started when there is no `baseUrl` nor `$HEADROOM_URL`. */
  local?: StartProxyOptions;
}

/** Per-call options of `compress`. */
export interface CompressCallOptions {
  /** The model the request is for (token counting). Default `gpt-4o`. */
  model?: string;
  /** Detected from the messages when left out. */
  format?: MessageFormat;
  /** Anthropic's top-level system prompt (counted, left as it is). */
  system?: unknown;
  /** The request's tools (counted, left as they are). */
  tools?: unknown[];
  /** The task for every block; by default each block uses the user text before its own tool call. */
  query?: string;
  options?: CompressionOptions;
  /** `tools` carries the `headroom_retrieve` definition even when no marker was written (for an agent
   * that offers it from its first request on, so that its tool list never changes). */
  offerRetrieve?: boolean;
}

function snake(options: CompressionOptions | undefined): JsonObject | undefined {
  if (!options) return undefined;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return out;
}

function account(data: JsonObject): Omit<CompressBodyResult, "body"> {
  return {
    tokensBefore: Number(data.tokens_before ?? 0),
    tokensAfter: Number(data.tokens_after ?? 0),
    tokensSaved: Number(data.tokens_saved ?? 0),
    compressionRatio: Number(data.compression_ratio ?? 0),
    refs: Array.isArray(data.refs) ? (data.refs as string[]) : [],
  };
}

/** A proxy client. Build one with `new Headroom({ baseUrl })`, or `Headroom.connect()` to start one. */
export class Headroom {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #local: LocalProxy | undefined;

  constructor(options: { baseUrl: string; token?: string; fetch?: typeof globalThis.fetch }, local?: LocalProxy) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#local = local;
  }

  /** A client of `baseUrl`, of `$HEADROOM_URL`, or of a `headroom proxy` started here (stopped on exit). */
  static async connect(options: HeadroomOptions = {}): Promise<Headroom> {
    const baseUrl = options.baseUrl ?? process.env.HEADROOM_URL;
    const token = options.token ?? process.env.HEADROOM_PROXY_TOKEN;
    if (baseUrl) return new Headroom({ baseUrl, token, fetch: options.fetch });
    const local = await startProxy(options.local);
    return new Headroom({ baseUrl: local.url, token: local.token, fetch: options.fetch }, local);
  }

  /** Compress a message list (OpenAI chat, Responses input items or Anthropic messages). */
  async compress<M extends object = JsonObject>(
    messages: readonly M[],
    options: CompressCallOptions = {},
  ): Promise<CompressResult<M>> {
    if (!Array.isArray(messages)) throw new TypeError("messages must be an array of message objects");
    const data = await this.#post("/v1/compress", {
      messages,
      model: options.model ?? "gpt-4o",
      format: options.format,
      system: options.system,
      tools: options.tools,
      query: options.query,
      options: snake(options.options),
      offer_retrieve: options.offerRetrieve,
    });
    return {
      messages: data.messages as M[],
      tools: Array.isArray(data.tools) ? (data.tools as JsonObject[]) : [],
      ...account(data),
    };
  }

  /**
   * Compress a whole provider request body. `headroom_retrieve` is added to its tools when a marker
   * was written, and with `offerRetrieve` to every body that declares tools (as the proxy does).
   */
  async compressBody(
    body: JsonObject,
    api: Api,
    options?: CompressionOptions,
    offerRetrieve = false,
  ): Promise<CompressBodyResult> {
    const data = await this.#post("/v1/compress", { body, api, options: snake(options), offer_retrieve: offerRetrieve });
    return { body: data.body as JsonObject, ...account(data) };
  }

  /** The original behind `ref` (whole, the lines matching `query`, or a `lines` range). */
  async retrieve(ref: string, options: RetrieveOptions = {}): Promise<string> {
    const data = await this.#post("/v1/retrieve", { ref, query: options.query, lines: options.lines });
    return String(data.content);
  }

  /** Stops the proxy this client started, if it started one. */
  async close(): Promise<void> {
    await this.#local?.stop();
  }

  async #post(path: string, payload: JsonObject): Promise<JsonObject> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.#token) headers["x-headroom-token"] = this.#token;
    let response: Response;
    try {
      response = await this.#fetch(this.baseUrl + path, { method: "POST", headers, body: JSON.stringify(payload) });
    } catch (cause) {
      throw new HeadroomConnectionError(`cannot reach the Headroom proxy at ${this.baseUrl}: ${String(cause)}`, undefined, {
        cause,
      });
    }
    const text = await response.text();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new HeadroomConnectionError(
        `${this.baseUrl}${path} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`,
        response.status,
      );
    }
    if (!response.ok) throw errorFor(response.status, messageOf(data) ?? text.slice(0, 500));
    if (typeof data !== "object" || data === null) {
      throw new HeadroomError(`${this.baseUrl}${path} answered a JSON ${typeof data}, not an object`, response.status);
    }
    return data as JsonObject;
  }
}

function messageOf(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const error = (data as JsonObject).error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && typeof (error as JsonObject).message === "string") {
    return (error as JsonObject).message as string;
  }
  return typeof (data as JsonObject).message === "string" ? ((data as JsonObject).message as string) : undefined;
}

let shared: Promise<Headroom> | undefined;

/** The client `compress` and `retrieve` use: connected on first use, then kept. */
export function defaultHeadroom(): Promise<Headroom> {
  shared ??= Headroom.connect().catch((e: unknown) => {
    shared = undefined; // a later call may try again (the proxy may be up by then)
    throw e;
  });
  return shared;
}

/** Compress `messages` with the default client (`$HEADROOM_URL`, or a local proxy started on first use). */
export async function compress<M extends object = JsonObject>(
  messages: readonly M[],
  options: CompressCallOptions & { headroom?: Headroom } = {},
): Promise<CompressResult<M>> {
  return (options.headroom ?? (await defaultHeadroom())).compress(messages, options);
}

/** The original behind `ref`, from the default client's proxy. */
export async function retrieve(ref: string, options: RetrieveOptions & { headroom?: Headroom } = {}): Promise<string> {
  return (options.headroom ?? (await defaultHeadroom())).retrieve(ref, options);
}
