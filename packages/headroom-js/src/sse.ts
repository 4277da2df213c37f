/** Server-sent events as they arrive: each event's raw text (to relay untouched) and its parsed data. */

import type { SseEvent } from "./dialects.js";

/** Parses one event's text: its `event:` name and its `data:` as JSON (undefined when not JSON). */
export function parseEvent(raw: string): SseEvent {
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

/** The events of a stream, in order; `raw` ends with the blank line that closed the event. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ raw: string; event: SseEvent }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const parts = buffer.split(/\r?\n\r?\n/);
    buffer = done ? "" : (parts.pop() ?? "");
    for (const text of parts) if (text.trim()) yield { raw: `${text}\n\n`, event: parseEvent(text) };
    if (done) return;
  }
}
