/** Shapes shared by the client, the wrappers and the middleware. */

/** A JSON object as it travels: every key is kept, whatever it is. */
export type JsonObject = Record<string, unknown>;

/** The message formats Headroom reads and writes back unchanged in shape. */
export type MessageFormat = "openai" | "anthropic" | "responses";

/** The provider APIs whose request bodies Headroom compresses whole. */
export type Api = "openai-chat" | "openai-responses" | "anthropic-messages";

/** The name of the tool through which a model fetches what a marker left out. */
export const RETRIEVE_TOOL_NAME = "headroom_retrieve";

/** Options a request may set (the rest belongs to whoever runs the proxy). */
export interface CompressionOptions {
  /** Blocks under this many tokens are left alone. */
  minTokens?: number;
  /** Compress long user text too, not only tool outputs. */
  compressUserText?: boolean;
  userTextMinTokens?: number;
  /** Whether `tools` carries the `headroom_retrieve` definition when markers were written. */
  retrieveTool?: boolean;
  /** Fit the request into the model's context window when it is still too large. */
  fit?: boolean;
  contextLimit?: number;
  outputReserve?: number;
  volatile?: string;
  dedupe?: boolean;
  /** How hard every compressor cuts: `safe` keeps more, `max` saves more. */
  level?: "safe" | "balanced" | "max";
}

/** What `compress` returns. */
export interface CompressResult<M = JsonObject> {
  /** The caller's messages, same structure and keys, with compressed blocks replaced. */
  messages: M[];
  /** `[headroom_retrieve definition]` in the caller's format when `refs` is non-empty, else `[]`. */
  tools: JsonObject[];
  tokensBefore: number;
  tokensAfter: number;
  tokensSaved: number;
  /** The fraction of tokens saved (as in Python: 0.9 means 90 % fewer tokens; 0 when nothing was saved). */
  compressionRatio: number;
  /** Refs named by markers in `messages`; `retrieve(ref)` gives their originals. */
  refs: string[];
}

/** What `compressBody` returns: a whole provider request body, ready to send. */
export interface CompressBodyResult {
  body: JsonObject;
  tokensBefore: number;
  tokensAfter: number;
  tokensSaved: number;
  compressionRatio: number;
  refs: string[];
}

/** How much of an original `retrieve` returns. */
export interface RetrieveOptions {
  /** Only the lines (or JSON rows) matching these words, prefixed with their line numbers. */
  query?: string;
  /** A 1-based inclusive line range such as `"120-180"`. */
  lines?: string;
}
