/**
 * Headroom for Node: compress LLM context through a Headroom proxy, and answer the model's
 * `headroom_retrieve` calls. See README.md.
 */

export { Headroom, compress, defaultHeadroom, retrieve } from "./client.js";
export type { CompressCallOptions, HeadroomOptions } from "./client.js";
export {
  HeadroomAuthError,
  HeadroomBadRequestError,
  HeadroomConnectionError,
  HeadroomError,
  HeadroomProxyStartError,
  HeadroomRefExpiredError,
  HeadroomRefNotFoundError,
} from "./errors.js";
export { findHeadroomCommand, startProxy } from "./local.js";
export type { LocalProxy, StartProxyOptions } from "./local.js";
export { RETRIEVE_TOOL_NAME } from "./types.js";
export type {
  Api,
  CompressBodyResult,
  CompressionOptions,
  CompressResult,
  JsonObject,
  MessageFormat,
  RetrieveOptions,
} from "./types.js";
export { answerCalls } from "./answer.js";
export { headroomFetch } from "./fetch.js";
export type { Fetch, HeadroomFetchOptions } from "./fetch.js";
export { withHeadroom } from "./wrap.js";
export type { FetchConfigurable } from "./wrap.js";
export { headroomMiddleware } from "./ai-sdk.js";
export type { HeadroomMiddlewareOptions } from "./ai-sdk.js";
