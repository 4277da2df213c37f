// Compile-time checks (npm run typecheck): the wrapped clients keep their exact types, the middleware
// fits wrapLanguageModel, and what is not a client is refused.
import Anthropic from "@anthropic-ai/sdk";
import { createOpenAI } from "@ai-sdk/openai";
import { wrapLanguageModel } from "ai";
import OpenAI from "openai";

import { compress, headroomMiddleware, withHeadroom, type CompressResult } from "../src/index.js";

export const openai: OpenAI = withHeadroom(new OpenAI({ apiKey: "sk-test" }));
export const anthropic: Anthropic = withHeadroom(new Anthropic({ apiKey: "sk-test" }));
export const model = wrapLanguageModel({ model: createOpenAI({ apiKey: "sk-test" }).chat("gpt-4o"), middleware: headroomMiddleware() });

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
export async function typed(messages: ChatMessage[]): Promise<ChatMessage[]> {
  const result: CompressResult<ChatMessage> = await compress(messages);
  await openai.chat.completions.create({ model: "gpt-4o", messages: result.messages });
  return result.messages;
}

// @ts-expect-error a plain object is not an SDK client
withHeadroom({ chat: {} });
