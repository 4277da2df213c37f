/**
 * The OpenClaw plugin (`headroom-js/openclaw`): a ContextEngine that compresses the assembled context
 * in `assemble()`, and the `headroom_retrieve` tool. The tool is a required tool in every built-in
 * tool profile (main, subagent and scheduled sessions alike), and `assemble()` leaves a run's context
 * as it is when the run does not have the tool: no marker is ever shown to a model that cannot
 * redeem it. Structural types only: nothing from `openclaw` is imported at load time.
 */

import { Headroom, defaultHeadroom } from "./client.js";
import { RETRIEVE_TOOL_NAME, type CompressionOptions, type JsonObject } from "./types.js";

/** The plugin's config (`plugins.entries.headroom.config`). */
export interface HeadroomOpenClawConfig {
  /** The proxy (default: `$HEADROOM_URL`, else a local `headroom proxy` started on first use). */
  baseUrl?: string;
  token?: string;
  options?: CompressionOptions;
}

type Part = { type: string; text?: string; id?: string; name?: string; arguments?: unknown };
type AgentMessage = { role: string; content?: unknown; toolCallId?: string; toolName?: string } & JsonObject;

interface AssembleParams {
  messages: AgentMessage[];
  model?: string;
  prompt?: string;
  availableTools?: Set<string>;
}

interface PluginApi {
  pluginConfig?: unknown;
  registerContextEngine(id: string, factory: (ctx: unknown) => unknown): void;
  registerTool(tool: unknown, opts?: unknown): void;
  logger?: { warn?(message: string): void };
}

const ENGINE_ID = "headroom";

const RETRIEVE_PARAMETERS = {
  type: "object",
  properties: {
    ref: { type: "string", description: "The ref a headroom marker names." },
    query: { type: "string", description: "Only the lines or rows matching these words." },
    lines: { type: "string", description: 'A 1-based line range such as "120-180".' },
  },
  required: ["ref"],
  additionalProperties: false,
};

const parts = (content: unknown): Part[] => (Array.isArray(content) ? (content as Part[]) : []);
const textOf = (content: unknown): string =>
  typeof content === "string" ? content : parts(content).flatMap((p) => (p.type === "text" && p.text ? [p.text] : [])).join("\n");

/** OpenClaw's messages as OpenAI chat messages, with the index of each compressible tool result. */
export function toChat(messages: AgentMessage[]): { chat: JsonObject[]; slots: Map<number, number> } {
  const chat: JsonObject[] = [];
  const slots = new Map<number, number>();
  messages.forEach((m, i) => {
    if (m.role === "user") chat.push({ role: "user", content: textOf(m.content) });
    else if (m.role === "assistant") {
      const calls = parts(m.content)
        .filter((p) => p.type === "toolCall")
        .map((p) => ({ id: p.id, type: "function", function: { name: p.name, arguments: JSON.stringify(p.arguments ?? {}) } }));
      chat.push({ role: "assistant", content: textOf(m.content) || null, ...(calls.length ? { tool_calls: calls } : {}) });
    } else if (m.role === "toolResult" && parts(m.content).every((p) => p.type === "text")) {
      slots.set(chat.length, i);
      chat.push({ role: "tool", tool_call_id: m.toolCallId, content: textOf(m.content) });
    }
    // Images, bash executions, summaries and custom messages are carried as they are.
  });
  return { chat, slots };
}

/** The ContextEngine: compression in `assemble()`, OpenClaw's own compaction otherwise. */
export function headroomContextEngine(getHeadroom: () => Promise<Headroom>, options?: CompressionOptions) {
  const committed = new Set<string>();
  return {
    info: {
      id: ENGINE_ID,
      name: "Headroom",
      ownsCompaction: false,
      acceptedHostParams: ["prompt"],
      // The engine keeps no turn state of its own (the transcript keeps the originals and assemble()
      // compresses afresh), so committing a turn is trivially atomic and idempotent.
      transcriptSemantics: {
        currentTurnFence: "before-current-turn-entry-v1" as const,
        turnAdvancementIdempotency: "atomic-idempotent-v1" as const,
      },
    },

    async ingest() {
      return { ingested: false };
    },

    async commitTurn(params: { advancementKey: string }) {
      if (committed.has(params.advancementKey)) return { status: "duplicate" as const };
      committed.add(params.advancementKey);
      return { status: "committed" as const };
    },

    async assemble(params: AssembleParams) {
      const estimate = (ms: unknown[]) => Math.ceil(JSON.stringify(ms).length / 4);
      const unchanged = { messages: params.messages, estimatedTokens: estimate(params.messages) };
      if (params.availableTools && !params.availableTools.has(RETRIEVE_TOOL_NAME)) return unchanged;
      const { chat, slots } = toChat(params.messages);
      if (slots.size === 0) return unchanged;
      const headroom = await getHeadroom();
      const result = await headroom.compress(chat, { model: params.model ?? "gpt-4o", format: "openai", options });
      if (result.refs.length === 0) return unchanged;
      const messages = [...params.messages];
      for (const [index, at] of slots) {
        const content = result.messages[index]?.content;
        if (typeof content === "string" && content !== chat[index]!.content) {
          messages[at] = { ...messages[at]!, content: [{ type: "text", text: content }] };
        }
      }
      return { messages, estimatedTokens: estimate(messages) };
    },

    async compact(params: unknown) {
      // Not Headroom's job: OpenClaw's built-in compaction, as the legacy engine does.
      const sdk = (await import("openclaw/plugin-sdk/core" as string)) as {
        delegateCompactionToRuntime(p: unknown): Promise<unknown>;
      };
      return sdk.delegateCompactionToRuntime(params);
    },
  };
}

/** The `headroom_retrieve` tool, answered from the proxy's store. */
export function headroomRetrieveTool(getHeadroom: () => Promise<Headroom>) {
  return {
    name: RETRIEVE_TOOL_NAME,
    label: "Headroom retrieve",
    // Model-visible in every run: markers name it, so it is never behind OpenClaw's tool search.
    catalogMode: "direct-only" as const,
    description:
      "Fetch content Headroom left out of a tool result: the whole original behind a marker's ref, only " +
      "the lines matching `query`, or a `lines` range such as 120-180.",
    parameters: RETRIEVE_PARAMETERS,
    async execute(_toolCallId: string, params: { ref?: unknown; query?: unknown; lines?: unknown }) {
      const headroom = await getHeadroom();
      const text = await headroom.retrieve(String(params.ref ?? ""), {
        query: params.query ? String(params.query) : undefined,
        lines: params.lines ? String(params.lines) : undefined,
      });
      return { content: [{ type: "text", text }], details: { ref: params.ref } };
    },
  };
}

function clientFor(config: HeadroomOpenClawConfig): () => Promise<Headroom> {
  if (!config.baseUrl) return defaultHeadroom;
  const headroom = new Headroom({ baseUrl: config.baseUrl, token: config.token });
  return () => Promise.resolve(headroom);
}

/** The plugin entry OpenClaw loads (`openclaw.extensions` in package.json). */
const plugin = {
  id: ENGINE_ID,
  name: "Headroom",
  description: "Compresses tool outputs in the assembled context; headroom_retrieve fetches what was left out.",
  register(api: PluginApi) {
    const config = (api.pluginConfig ?? {}) as HeadroomOpenClawConfig;
    const getHeadroom = clientFor(config);
    api.registerContextEngine(ENGINE_ID, () => headroomContextEngine(getHeadroom, config.options));
    api.registerTool(headroomRetrieveTool(getHeadroom), { name: RETRIEVE_TOOL_NAME });
  },
};

export default plugin;
