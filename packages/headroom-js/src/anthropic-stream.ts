/**
 * An Anthropic stream that goes on through retrieval: text is relayed as it arrives; a
 * `headroom_retrieve` block (typically after some text, as Claude writes) is held back, answered, and
 * the continuation's events are relayed into the same stream (one `message_start`, content block
 * indexes carried on), so the app reads one message and never the call.
 */

import type { Headroom } from "./client.js";
import { DIALECTS, type SseEvent } from "./dialects.js";
import { answerCalls } from "./answer.js";
import { sseEvents } from "./sse.js";
import { RETRIEVE_TOOL_NAME, type JsonObject } from "./types.js";

const dialect = DIALECTS["anthropic-messages"];

const obj = (v: unknown): JsonObject => (typeof v === "object" && v !== null ? (v as JsonObject) : {});

/** Relays `first` and its continuations into `emit` (see the module doc). */
export async function relayAnthropic(options: {
  first: Response;
  body: JsonObject;
  send: (body: JsonObject) => Promise<Response>;
  headroom: Headroom;
  rounds: number;
  emit: (raw: string) => void;
}): Promise<void> {
  const { send, headroom, rounds, emit } = options;
  let { first: response, body } = options;
  let offset = 0; // content blocks the app was sent in earlier rounds
  let started = false;
  for (let round = 0; ; round++) {
    const events: SseEvent[] = [];
    let held = "";
    let heldBlocks = 0;
    let sent = 0;
    let holding = false;
    for await (const { raw, event } of sseEvents(response.body!)) {
      events.push(event);
      const data = obj(event.data);
      const type = String(data.type ?? event.event);
      if (type === "message_start") {
        if (!started) emit(raw);
        started = true;
        continue;
      }
      const out =
        offset && typeof data.index === "number"
          ? `event: ${type}\ndata: ${JSON.stringify({ ...data, index: data.index + offset })}\n\n`
          : raw;
      if (type === "content_block_start") {
        const block = obj(data.content_block);
        if (block.type === "tool_use" && block.name === RETRIEVE_TOOL_NAME && round < rounds) holding = true;
        else if (holding) {
          emit(held); // the app's own block after a retrieval: the turn is the app's
          sent += heldBlocks;
          [held, heldBlocks, holding] = ["", 0, false];
        }
        if (holding) heldBlocks++;
        else sent++;
      }
      if (holding) held += out;
      else emit(out);
    }
    if (!holding) return;
    offset += sent;
    const turn = dialect.assemble(events);
    const calls = dialect.retrieveCalls(turn);
    if (!calls) return emit(held);
    body = dialect.continueWith(body, turn, await answerCalls(headroom, calls));
    response = await send(body);
    if (!response.ok || !response.body) {
      // The continuation failed: the app reads the upstream's error where the stream was.
      return emit(`event: error\ndata: ${await response.text()}\n\n`);
    }
  }
}
