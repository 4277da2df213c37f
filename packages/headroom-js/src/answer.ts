/** Answering the model's `headroom_retrieve` calls from the proxy's store. */

import type { Headroom } from "./client.js";
import type { RetrieveAnswer, RetrieveCall } from "./dialects.js";
import { HeadroomConnectionError } from "./errors.js";

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
