/**
 * `headroomFetch`: a `fetch` for provider SDKs that compresses each model request through the proxy
 * and answers the model's `headroom_retrieve` calls itself, streamed or not, so the app never sees them.
 */

import { defaultHeadroom, type Headroom } from "./client.js";
import { DIALECTS, apiOf, type Dialect, type RetrieveAnswer, type RetrieveCall, type SseEvent } from "./dialects.js";
import { HeadroomBadRequestError, HeadroomConnectionError } from "./errors.js";
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

/** Answers each call from the proxy's store; an unknown ref or a bad range is an error the model reads. */
export async function answerCalls(headroom: Headroom, calls: RetrieveCall[]): Promise<RetrieveAnswer[]> {
  return Promise.all(
    calls.map(async ({ id, args }) => {
      const ref = typeof args.ref === "string" ? args.ref : "";
      if (!ref.trim()) return { id, content: "headroom_retrieve needs a 'ref' string argument", isError: true };
      const opts = { query: args.query ? String(args.query) : undefined, lines: args.lines ? String(args.lines) : undefined };
      try {
        return { id, content: await headroom.retrieve(ref, opts), isError: false };
      } catch (e) {
        if (e instanceof HeadroomConnectionError) throw e;
        return { id, content: e instanceof Error ? e.message : String(e), isError: true };
      }
    }),
  );
}

function toolName(tool: unknown): unknown {
  const t = (tool ?? {}) as JsonObject;
  const fn = t.function as JsonObject | undefined;
  return fn && typeof fn === "object" ? fn.name : t.name;
}

function splitEvents(buffer: string): [string[], string] {
  const parts = buffer.split(/\r?\n\r?\n/);
  const rest = parts.pop() ?? "";
  return [parts, rest];
}

function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  const text = data.join("\n");
  try {
    return { event, data: text && text !== "[DONE]" ? JSON.parse(text) : undefined };
  } catch {
    return { event, data: undefined };
  }
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
    return body.stream === true ? loop.streamed(body) : loop.plain(body);
  };
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
        return new Response(text, response);
      }
      const calls = this.dialect.retrieveCalls(turn);
      if (!calls) return new Response(text, response);
      body = this.dialect.continueWith(body, turn, await answerCalls(this.headroom, calls));
    }
  }

  async streamed(body: JsonObject): Promise<Response> {
    const first = await this.send(body);
    const type = first.headers.get("content-type") ?? "";
    if (!first.ok || !first.body || !type.includes("text/event-stream")) return first;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start: async (controller) => {
        try {
          let response = first;
          for (let round = 0; ; round++) {
            const held = await this.relay(response, controller, round >= this.rounds);
            if (held === null) break; // the app's turn: relayed
            const turn = this.dialect.assemble(held.events);
            const calls = this.dialect.retrieveCalls(turn);
            if (!calls) {
              controller.enqueue(encoder.encode(held.raw));
              break;
            }
            body = this.dialect.continueWith(body, turn, await answerCalls(this.headroom, calls));
            response = await this.send(body);
            if (!response.ok || !response.body) {
              // The continuation failed: the client reads the upstream's error where the stream was.
              controller.enqueue(encoder.encode(`event: error\ndata: ${await response.text()}\n\n`));
              break;
            }
          }
          controller.close();
        } catch (e) {
          controller.error(e);
        }
      },
    });
    return new Response(stream, { status: first.status, statusText: first.statusText, headers: first.headers });
  }

  /**
   * Reads one streamed turn. Events are held until one shows the turn is the app's; then the held
   * ones and the rest are relayed as they arrive (null). A turn that ends still held is returned.
   */
  async relay(
    response: Response,
    controller: ReadableStreamDefaultController<Uint8Array>,
    relayAll: boolean,
  ): Promise<{ raw: string; events: SseEvent[] } | null> {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let buffer = "";
    let raw = "";
    const events: SseEvent[] = [];
    let relaying = relayAll;
    for (;;) {
      const { done, value } = await reader.read();
      if (relaying) {
        if (done) return null;
        controller.enqueue(value);
        continue;
      }
      buffer += done ? decoder.decode() + "\n\n" : decoder.decode(value, { stream: true });
      const [complete, rest] = splitEvents(buffer);
      buffer = rest;
      for (const text of complete) {
        if (!text.trim()) continue;
        raw += text + "\n\n";
        const event = parseEvent(text);
        events.push(event);
        if (!relaying && this.dialect.isAppTurn(event)) relaying = true;
      }
      if (relaying) {
        controller.enqueue(encoder.encode(raw + buffer));
        buffer = "";
        if (done) return null;
        // from here the bytes go through untouched
        for (;;) {
          const next = await reader.read();
          if (next.done) return null;
          controller.enqueue(next.value);
        }
      }
      if (done) return { raw, events };
    }
  }
}

