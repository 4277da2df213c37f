/**
 * Vercel AI SDK: `headroomMiddleware()` for `wrapLanguageModel`. It compresses the prompt's tool
 * results (`transformParams`) and answers the model's `headroom_retrieve` calls inside `generateText`
 * and `streamText` (`wrapGenerate`, `wrapStream`) without the app seeing them.
 */

import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FunctionTool,
  LanguageModelV3Message,
  LanguageModelV3Middleware,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3ToolCall,
} from "@ai-sdk/provider";

import { defaultHeadroom, type Headroom } from "./client.js";
import { answerCalls } from "./answer.js";
import { RETRIEVE_TOOL_NAME, type CompressionOptions, type JsonObject } from "./types.js";

/** Options of `headroomMiddleware`. */
export interface HeadroomMiddlewareOptions {
  /** The proxy client (default: `$HEADROOM_URL`, or a local proxy started on first use). */
  headroom?: Headroom;
  /** Retrieval rounds answered per model call. Default 3. */
  retrieveRounds?: number;
  options?: CompressionOptions;
}

type Slot = { message: number; part: number };

/** The prompt as OpenAI chat messages, and where each tool message's result lives in the prompt. */
function asChat(prompt: LanguageModelV3Prompt): { messages: JsonObject[]; slots: Map<number, Slot> } {
  const messages: JsonObject[] = [];
  const slots = new Map<number, Slot>();
  const text = (parts: readonly { type: string; text?: string }[]) =>
    parts.flatMap((p) => (p.type === "text" && p.text ? [p.text] : [])).join("\n");
  prompt.forEach((m, i) => {
    if (m.role === "system") messages.push({ role: "system", content: m.content });
    else if (m.role === "user") messages.push({ role: "user", content: text(m.content) });
    else if (m.role === "assistant") {
      const calls = m.content.flatMap((p) =>
        p.type === "tool-call"
          ? [{ id: p.toolCallId, type: "function", function: { name: p.toolName, arguments: JSON.stringify(p.input ?? {}) } }]
          : [],
      );
      messages.push({ role: "assistant", content: text(m.content) || null, ...(calls.length ? { tool_calls: calls } : {}) });
    } else {
      m.content.forEach((p, j) => {
        if (p.type !== "tool-result") return;
        const out = p.output;
        const content = out.type === "text" ? out.value : out.type === "json" ? JSON.stringify(out.value) : null;
        if (content === null) return; // errors, denials, media: carried as they are
        slots.set(messages.length, { message: i, part: j });
        messages.push({ role: "tool", tool_call_id: p.toolCallId, content });
      });
    }
  });
  return { messages, slots };
}

function retrieveTool(definition: JsonObject | undefined): LanguageModelV3FunctionTool | undefined {
  const fn = definition?.function as JsonObject | undefined;
  if (!fn) return undefined;
  return {
    type: "function",
    name: RETRIEVE_TOOL_NAME,
    description: typeof fn.description === "string" ? fn.description : undefined,
    inputSchema: (fn.parameters ?? { type: "object" }) as LanguageModelV3FunctionTool["inputSchema"],
  };
}

function onlyRetrieves(calls: LanguageModelV3ToolCall[]): boolean {
  return calls.length > 0 && calls.every((c) => c.toolName === RETRIEVE_TOOL_NAME);
}

/** The prompt continued with the model's retrieval turn and the originals. */
async function continued(
  headroom: Headroom,
  params: LanguageModelV3CallOptions,
  content: LanguageModelV3Content[],
  calls: LanguageModelV3ToolCall[],
): Promise<LanguageModelV3CallOptions> {
  const parse = (s: string): JsonObject => {
    try {
      return JSON.parse(s || "{}") as JsonObject;
    } catch {
      return {};
    }
  };
  const answers = await answerCalls(
    headroom,
    calls.map((c) => ({ id: c.toolCallId, args: parse(c.input) })),
  );
  const said = content.flatMap((c) => (c.type === "text" && c.text ? [{ type: "text" as const, text: c.text }] : []));
  const turn: LanguageModelV3Message = {
    role: "assistant",
    content: [
      ...said,
      ...calls.map((c) => ({ type: "tool-call" as const, toolCallId: c.toolCallId, toolName: c.toolName, input: parse(c.input) })),
    ],
  };
  const results: LanguageModelV3Message = {
    role: "tool",
    content: answers.map((a) => ({
      type: "tool-result" as const,
      toolCallId: a.id,
      toolName: RETRIEVE_TOOL_NAME,
      output: a.isError ? { type: "error-text" as const, value: a.content } : { type: "text" as const, value: a.content },
    })),
  };
  return { ...params, prompt: [...params.prompt, turn, results] };
}

/** Whether this part belongs to a `headroom_retrieve` call. */
function isRetrievePart(part: LanguageModelV3StreamPart): boolean {
  return (part.type === "tool-input-start" || part.type === "tool-call") && part.toolName === RETRIEVE_TOOL_NAME;
}

/** Whether this part already shows the streamed turn is the app's. */
function isAppPart(part: LanguageModelV3StreamPart): boolean {
  switch (part.type) {
    case "text-delta":
      return part.delta.length > 0;
    case "tool-input-start":
    case "tool-call":
      return part.toolName !== RETRIEVE_TOOL_NAME;
    case "error":
    case "file":
    case "source":
    case "tool-result":
    case "tool-approval-request":
      return true;
    default:
      return false;
  }
}

/** The middleware for `wrapLanguageModel({ model, middleware: headroomMiddleware() })`. */
export function headroomMiddleware(options: HeadroomMiddlewareOptions = {}): LanguageModelV3Middleware {
  const getHeadroom = () => (options.headroom ? Promise.resolve(options.headroom) : defaultHeadroom());
  const rounds = options.retrieveRounds ?? 3;
  const answered = new WeakSet<LanguageModelV3CallOptions>();
  return {
    specificationVersion: "v3",

    async transformParams({ params, model }) {
      const { messages, slots } = asChat(params.prompt);
      // An agent call (one with tools) is offered headroom_retrieve from its first call on, so its tool
      // list never changes; an app that defines the tool itself answers it itself.
      const agent = (params.tools?.length ?? 0) > 0;
      const own = params.tools?.some((t) => t.name === RETRIEVE_TOOL_NAME) ?? false;
      if (slots.size === 0 && (!agent || own)) return params;
      const headroom = await getHeadroom();
      const result = await headroom.compress(messages, {
        model: model.modelId,
        format: "openai",
        options: options.options,
        offerRetrieve: agent && !own,
      });
      if (result.refs.length === 0 && result.tools.length === 0) return params;
      const prompt = [...params.prompt];
      for (const [index, slot] of slots) {
        const content = result.messages[index]?.content;
        const message = prompt[slot.message];
        if (message?.role !== "tool" || typeof content !== "string" || content === messages[index]!.content) continue;
        const parts = [...message.content];
        const part = parts[slot.part];
        if (part?.type !== "tool-result") continue;
        parts[slot.part] = { ...part, output: { type: "text", value: content } };
        prompt[slot.message] = { ...message, content: parts };
      }
      const tool = own ? undefined : retrieveTool(result.tools[0]);
      const transformed = { ...params, prompt, tools: tool ? [...(params.tools ?? []), tool] : params.tools };
      if (tool) answered.add(transformed); // only calls of the tool offered here are answered here
      return transformed;
    },

    async wrapGenerate({ doGenerate, params, model }) {
      let result = await doGenerate();
      const ours = answered.has(params);
      for (let round = 0; ours && round < rounds; round++) {
        const calls = result.content.filter((c): c is LanguageModelV3ToolCall => c.type === "tool-call");
        if (!onlyRetrieves(calls)) break;
        params = await continued(await getHeadroom(), params, result.content, calls);
        result = await model.doGenerate(params);
      }
      return result;
    },

    async wrapStream({ doStream, params, model }) {
      const first = await doStream();
      if (!answered.has(params)) return first;
      const headroom = await getHeadroom();
      // Everything is relayed as it arrives except a headroom_retrieve call: from its first part on the
      // turn is held; a turn that ends with only such calls is answered and the next model turn is
      // relayed into the same stream (one stream-start), so streamText sees one step without them.
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          try {
            let current = first.stream;
            for (let round = 0; ; round++) {
              const held: LanguageModelV3StreamPart[] = [];
              let said = "";
              let holding = false;
              const reader = current.getReader();
              for (;;) {
                const { done, value } = await reader.read();
                if (done) break;
                if (round > 0 && value.type === "stream-start") continue;
                if (isRetrievePart(value) && round < rounds) holding = true;
                else if (holding && isAppPart(value)) {
                  held.splice(0).forEach((p) => controller.enqueue(p)); // the app's own part: its turn
                  holding = false;
                }
                if (value.type === "text-delta") said += value.delta;
                if (holding) held.push(value);
                else controller.enqueue(value);
              }
              const calls = held.filter((p): p is LanguageModelV3ToolCall => p.type === "tool-call");
              if (!holding) break;
              if (!onlyRetrieves(calls)) {
                held.forEach((p) => controller.enqueue(p));
                break;
              }
              params = await continued(headroom, params, said ? [{ type: "text", text: said }] : [], calls);
              current = (await model.doStream(params)).stream;
            }
            controller.close();
          } catch (e) {
            controller.error(e);
          }
        },
      });
      return { ...first, stream };
    },
  };
}
