/**
 * Per provider API: which model turns are `headroom_retrieve` turns, how a streamed turn is assembled,
 * and how the conversation goes on with the originals. Everything else in a body is kept as it was.
 */

import { RETRIEVE_TOOL_NAME, type Api, type JsonObject } from "./types.js";

/** One `headroom_retrieve` call the model made. */
export interface RetrieveCall {
  id: string;
  args: JsonObject;
}

/** The answer to one call: the original (or the error the model should read). */
export interface RetrieveAnswer {
  id: string;
  content: string;
  isError: boolean;
}

/** One server-sent event: its `event:` name, its data parsed (undefined when not JSON). */
export interface SseEvent {
  event: string | undefined;
  data: unknown;
}

/** How Headroom reads and continues one provider API. */
export interface Dialect {
  /** The calls of a turn that only retrieves (text may come with it); null when it is the app's turn. */
  retrieveCalls(response: JsonObject): RetrieveCall[] | null;
  /** `body` continued with the model's turn and the answers. */
  continueWith(body: JsonObject, response: JsonObject, answers: RetrieveAnswer[]): JsonObject;
  /** Whether this streamed event already shows the turn is the app's (relay it from here on). */
  isAppTurn(event: SseEvent): boolean;
  /** The turn the streamed events make up, as a non-streamed response would carry it. */
  assemble(events: SseEvent[]): JsonObject;
}

const obj = (v: unknown): JsonObject => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const parseArgs = (s: unknown): JsonObject => {
  if (typeof s !== "string") return obj(s);
  try {
    return obj(JSON.parse(s || "{}"));
  } catch {
    return {};
  }
};

/** Only retrieve calls, and at least one: the turn is Headroom's. */
function onlyRetrieves(calls: { name: unknown; id: unknown; args: JsonObject }[]): RetrieveCall[] | null {
  if (calls.length === 0 || calls.some((c) => c.name !== RETRIEVE_TOOL_NAME)) return null;
  return calls.map((c) => ({ id: String(c.id), args: c.args }));
}

const chat: Dialect = {
  retrieveCalls(response) {
    const message = obj(obj(arr(response.choices)[0]).message);
    const calls = arr(message.tool_calls).map((c) => {
      const fn = obj(obj(c).function);
      return { name: fn.name, id: obj(c).id, args: parseArgs(fn.arguments) };
    });
    return arr(response.choices).length === 1 ? onlyRetrieves(calls) : null;
  },
  continueWith(body, response, answers) {
    const message = obj(obj(arr(response.choices)[0]).message);
    const results = answers.map((a) => ({ role: "tool", tool_call_id: a.id, content: a.content }));
    return { ...body, messages: [...arr(body.messages), message, ...results] };
  },
  isAppTurn({ data }) {
    const delta = obj(obj(arr(obj(data).choices)[0]).delta);
    if ((typeof delta.content === "string" && delta.content) || delta.refusal) return true;
    return arr(delta.tool_calls).some((c) => {
      const name = obj(obj(c).function).name;
      return typeof name === "string" && name !== RETRIEVE_TOOL_NAME;
    });
  },
  assemble(events) {
    let content = "";
    const calls: { id: string; type: string; function: { name: string; arguments: string } }[] = [];
    for (const { data } of events) {
      const delta = obj(obj(arr(obj(data).choices)[0]).delta);
      if (typeof delta.content === "string") content += delta.content;
      for (const c of arr(delta.tool_calls)) {
        const i = Number(obj(c).index ?? 0);
        const fn = obj(obj(c).function);
        calls[i] ??= { id: "", type: "function", function: { name: "", arguments: "" } };
        const call = calls[i]!;
        if (typeof obj(c).id === "string") call.id = obj(c).id as string;
        if (typeof fn.name === "string") call.function.name += fn.name;
        if (typeof fn.arguments === "string") call.function.arguments += fn.arguments;
      }
    }
    const message = { role: "assistant", content: content || null, tool_calls: calls.filter(Boolean) };
    return { choices: [{ index: 0, message }] };
  },
};

const anthropic: Dialect = {
  retrieveCalls(response) {
    if (response.stop_reason !== "tool_use") return null;
    const uses = arr(response.content).filter((b) => obj(b).type === "tool_use" || obj(b).type === "server_tool_use");
    return onlyRetrieves(uses.map((b) => ({ name: obj(b).name, id: obj(b).id, args: obj(obj(b).input) })));
  },
  continueWith(body, response, answers) {
    const results = answers.map((a) => ({
      type: "tool_result",
      tool_use_id: a.id,
      content: a.content,
      ...(a.isError ? { is_error: true } : {}),
    }));
    const turn = { role: "assistant", content: response.content };
    return { ...body, messages: [...arr(body.messages), turn, { role: "user", content: results }] };
  },
  isAppTurn({ event, data }) {
    const d = obj(data);
    if (event === "error" || d.type === "error") return true;
    const block = obj(d.content_block);
    if (d.type === "content_block_start") {
      if (block.type === "tool_use") return block.name !== RETRIEVE_TOOL_NAME;
      return !["text", "thinking", "redacted_thinking"].includes(String(block.type));
    }
    const delta = obj(d.delta);
    return d.type === "content_block_delta" && delta.type === "text_delta" && Boolean(delta.text);
  },
  assemble(events) {
    const content: JsonObject[] = [];
    const json: string[] = [];
    let stopReason: unknown = null;
    for (const { data } of events) {
      const d = obj(data);
      const i = Number(d.index ?? 0);
      if (d.type === "content_block_start") content[i] = { ...obj(d.content_block) };
      const delta = obj(d.delta);
      const block = content[i];
      if (d.type === "content_block_delta" && block) {
        if (delta.type === "text_delta") block.text = String(block.text ?? "") + String(delta.text ?? "");
        if (delta.type === "thinking_delta") block.thinking = String(block.thinking ?? "") + String(delta.thinking ?? "");
        if (delta.type === "signature_delta") block.signature = delta.signature;
        if (delta.type === "input_json_delta") json[i] = (json[i] ?? "") + String(delta.partial_json ?? "");
      }
      if (d.type === "content_block_stop" && block && json[i] !== undefined) block.input = parseArgs(json[i]);
      if (d.type === "message_delta") stopReason = delta.stop_reason ?? stopReason;
    }
    return { content: content.filter(Boolean), stop_reason: stopReason };
  },
};

const responses: Dialect = {
  retrieveCalls(response) {
    const output = arr(response.output).map(obj);
    if (output.some((item) => item.type === "message" && arr(item.content).length > 0)) return null;
    const calls = output.filter((item) => !["reasoning", "message"].includes(String(item.type)));
    return onlyRetrieves(
      calls.map((c) => ({ name: c.type === "function_call" ? c.name : c.type, id: c.call_id, args: parseArgs(c.arguments) })),
    );
  },
  continueWith(body, response, answers) {
    const input = typeof body.input === "string" ? [{ role: "user", content: body.input }] : arr(body.input);
    const outputs = answers.map((a) => ({ type: "function_call_output", call_id: a.id, output: a.content }));
    return { ...body, input: [...input, ...arr(response.output), ...outputs] };
  },
  isAppTurn({ event, data }) {
    const d = obj(data);
    const type = String(d.type ?? event);
    if (type === "error" || type === "response.failed" || type === "response.incomplete") return true;
    if (type === "response.output_text.delta" || type === "response.refusal.delta") return Boolean(d.delta);
    const item = obj(d.item);
    if (type !== "response.output_item.added") return false;
    if (item.type === "function_call") return item.name !== RETRIEVE_TOOL_NAME;
    return !["reasoning", "message"].includes(String(item.type));
  },
  assemble(events) {
    for (const { data } of events.slice().reverse()) {
      const d = obj(data);
      if (d.type === "response.completed") return obj(d.response);
    }
    return { output: [] };
  },
};

/** The dialect of each API. */
export const DIALECTS: Record<Api, Dialect> = {
  "openai-chat": chat,
  "anthropic-messages": anthropic,
  "openai-responses": responses,
};

/** The API a request URL is for, or undefined when it is not a model request Headroom handles. */
export function apiOf(url: string): Api | undefined {
  let path: string;
  try {
    path = new URL(url).pathname.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
  if (path.endsWith("/chat/completions")) return "openai-chat";
  if (path.endsWith("/responses")) return "openai-responses";
  if (path.endsWith("/messages")) return "anthropic-messages";
  return undefined;
}
