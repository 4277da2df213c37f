/**
 * `headroomFetch`: a `fetch` for provider SDKs that compresses each model request through the proxy
 * and answers the model's `headroom_retrieve` calls itself, streamed or not, so the app never sees them.
 */

import { answerCalls } from "./answer.js";
import { relayAnthropic } from "./anthropic-stream.js";
import { defaultHeadroom, type Headroom } from "./client.js";
import { DIALECTS, apiOf, type Dialect, type SseEvent } from "./dialects.js";
import { HeadroomBadRequestError } from "./errors.js";
import { sseEvents } from "./sse.js";
import { RETRIEVE_TOOL_NAME, type CompressionOptions, type JsonObject } from "./types.js";

/** The `fetch` shape provider SDKs take. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of `headroomFetch` and `withHeadroom`. */
export interface HeadroomFetchOptions {
  /** The proxy client (default: `$HEADROOM_URL`, or a local proxy started on first use). */
  headroom?: Headroom;
  /** The fetch that reaches the model (default: the global one). */
  fetch?: Fetch;
  /** Retrieval rounds answered per request; then the model's turn goes to the app as it is. Default 3. */
  retrieveRounds?: number;
  /** Per-request compression options. */
  options?: CompressionOptions;
}

function toolName(tool: unknown): unknown {
  const t = (tool ?? {}) as JsonObject;
  const fn = t.function as JsonObject | undefined;
  return fn && typeof fn === "object" ? fn.name : t.name;
}

/** A fetch that compresses model requests and answers `headroom_retrieve` calls (see module doc). */
export function headroomFetch(options: HeadroomFetchOptions = {}): Fetch {
  const inner: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const rounds = options.retrieveRounds ?? 3;
  const getHeadroom = () => (options.headroom ? Promise.resolve(options.headroom) : defaultHeadroom());

  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const api = apiOf(url);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    if (!api || method !== "POST" || typeof init?.body !== "string") return inner(input, init);
    let body: JsonObject;
    try {
      body = JSON.parse(init.body) as JsonObject;
    } catch {
      return inner(input, init); // not JSON: the upstream's to judge
    }
    const headroom = await getHeadroom();
    // An app that defines headroom_retrieve itself answers its calls itself.
    const own = Array.isArray(body.tools) && body.tools.some((t) => toolName(t) === RETRIEVE_TOOL_NAME);
    try {
      body = (await headroom.compressBody(body, api, options.options, true)).body;
    } catch (e) {
      if (!(e instanceof HeadroomBadRequestError)) throw e;
      // A body Headroom cannot read goes as it was: the upstream answers it in its own format.
    }
    const headers = new Headers(init.headers);
    headers.delete("content-length");
    const send = (b: JsonObject) => inner(url, { ...init, headers, body: JSON.stringify(b) });
    const loop = new Loop(headroom, DIALECTS[api], send, own ? 0 : rounds);
    if (body.stream !== true) return loop.plain(body);
    return api === "anthropic-messages" ? loop.streamedAnthropic(body) : loop.streamed(body);
  };
}

function isEventStream(response: Response): boolean {
  return response.ok && response.body !== null && (response.headers.get("content-type") ?? "").includes("text/event-stream");
}

/** `response`'s status and headers for a body this module rewrote (fetch already decoded it). */
function like(response: Response): ResponseInit {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  return { status: response.status, statusText: response.statusText, headers };
}

/** A response like `first` whose body is what `run` emits. */
function relayed(first: Response, run: (emit: (raw: string) => void) => Promise<void>): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        await run((raw) => controller.enqueue(encoder.encode(raw)));
        controller.close();
      } catch (e) {
        controller.error(e);
      }
    },
  });
  return new Response(stream, like(first));
}

class Loop {
  constructor(
    readonly headroom: Headroom,
    readonly dialect: Dialect,
    readonly send: (body: JsonObject) => Promise<Response>,
    readonly rounds: number,
  ) {}

  async plain(body: JsonObject): Promise<Response> {
    for (let round = 0; ; round++) {
      const response = await this.send(body);
      if (!response.ok || round >= this.rounds) return response;
      const text = await response.text();
      let turn: JsonObject;
      try {
        turn = JSON.parse(text) as JsonObject;
      } catch {
        return new Response(text, like(response));
      }
      const calls = this.dialect.retrieveCalls(turn);
      if (!calls) return new Response(text, like(response));
      body = this.dialect.continueWith(body, turn, await answerCalls(this.headroom, calls));
    }
  }

  async streamedAnthropic(body: JsonObject): Promise<Response> {
    const first = await this.send(body);
    if (!isEventStream(first)) return first;
    const { headroom, send, rounds } = this;
    return relayed(first, (emit) => relayAnthropic({ first, body, send, headroom, rounds, emit }));
  }

  async streamed(body: JsonObject): Promise<Response> {
    const first = await this.send(body);
    if (!isEventStream(first)) return first;
    return relayed(first, async (emit) => {
      let response = first;
      for (let round = 0; ; round++) {
        const held = await this.relay(response, emit, round >= this.rounds);
        if (held === null) return; // the app's turn: relayed
        const turn = this.dialect.assemble(held.events);
        const calls = this.dialect.retrieveCalls(turn);
        if (!calls) return emit(held.raw);
        body = this.dialect.continueWith(body, turn, await answerCalls(this.headroom, calls));
        response = await this.send(body);
        if (!response.ok || !response.body) {
          // The continuation failed: the client reads the upstream's error where the stream was.
          return emit(`event: error\ndata: ${await response.text()}\n\n`);
        }
      }
    });
  }

  /**
   * Reads one streamed turn. Events are held until one shows the turn is the app's; then the held
   * ones and the rest are relayed as they arrive (null). A turn that ends still held is returned.
   */
  async relay(
    response: Response,
    emit: (raw: string) => void,
    relayAll: boolean,
  ): Promise<{ raw: string; events: SseEvent[] } | null> {
    let raw = "";
    const events: SseEvent[] = [];
    let relaying = relayAll;
    for await (const { raw: text, event } of sseEvents(response.body!)) {
      if (relaying) {
        emit(text);
        continue;
      }
      raw += text;
      events.push(event);
      if (this.dialect.isAppTurn(event)) {
        relaying = true;
        emit(raw);
      }
    }
    return relaying ? null : { raw, events };
  }
}

