/** `withHeadroom(client)`: an OpenAI or Anthropic SDK client that compresses first and handles retrieval. */

import { headroomFetch, type Fetch, type HeadroomFetchOptions } from "./fetch.js";

/** What `withHeadroom` needs of a client: the Stainless SDKs' `withOptions({ fetch })` (OpenAI, Anthropic). */
export interface FetchConfigurable<C> {
  withOptions(options: { fetch?: Fetch }): C;
}

/**
 * A copy of `client` whose model requests (`chat.completions.create`, `responses.create`,
 * `messages.create`, streaming and the SDK's helpers included) are compressed by Headroom first, and
 * whose `headroom_retrieve` calls are answered before the app sees the model's turn. Typed as `client`.
 *
 * @example
 *   const openai = withHeadroom(new OpenAI());
 *   const anthropic = withHeadroom(new Anthropic(), { headroom: await Headroom.connect() });
 */
export function withHeadroom<C extends FetchConfigurable<C>>(client: C, options: HeadroomFetchOptions = {}): C {
  // The client's own fetch (a custom one, or the SDK's default) still sends the requests.
  const own = (client as unknown as { fetch?: Fetch }).fetch;
  return client.withOptions({ fetch: headroomFetch({ ...options, fetch: options.fetch ?? own }) });
}
