// headroomMiddleware() inside real generateText/streamText (ai 6), with the OpenAI and Anthropic
// providers pointed at FakeUpstream.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText, tool, wrapLanguageModel } from "ai";
import { z } from "zod";

import { headroomMiddleware } from "../dist/esm/index.js";
import { FAILURE, QUESTION, serviceLog, startRig } from "./support.mjs";

const LOG = serviceLog();
const ANSWER = "The payment gateway timed out after 30 s.";
let rig, models;

before(async () => {
  rig = await startRig();
  const middleware = headroomMiddleware({ headroom: rig.headroom });
  const openai = createOpenAI({ baseURL: `${rig.up.url}/v1`, apiKey: "sk-test" });
  const anthropic = createAnthropic({ baseURL: `${rig.up.url}/v1`, apiKey: "sk-ant-test" });
  models = {
    "openai chat": {
      model: wrapLanguageModel({ model: openai.chat("gpt-4o"), middleware }),
      toolOutput: (body) => body.messages.find((m) => m.role === "tool").content,
      tools: (body) => (body.tools ?? []).map((t) => t.function.name),
      retrieved: (body) => body.messages.at(-1).content,
    },
    "openai responses": {
      model: wrapLanguageModel({ model: openai.responses("gpt-4o"), middleware }),
      toolOutput: (body) => body.input.find((i) => i.type === "function_call_output").output,
      tools: (body) => (body.tools ?? []).map((t) => t.name),
      retrieved: (body) => body.input.at(-1).output,
    },
    anthropic: {
      model: wrapLanguageModel({ model: anthropic("claude-sonnet-4-5-20250929"), middleware }),
      toolOutput: (body) => body.messages[2].content[0].content.map?.((c) => c.text).join("") ?? body.messages[2].content[0].content,
      tools: (body) => (body.tools ?? []).map((t) => t.name),
      retrieved: (body) => {
        const c = body.messages.at(-1).content[0].content;
        return typeof c === "string" ? c : c.map((x) => x.text).join("");
      },
    },
  };
});
after(async () => rig?.close());
beforeEach(async () => rig.up.clear());

const messages = [
  { role: "user", content: QUESTION },
  { role: "assistant", content: [{ type: "tool-call", toolCallId: "call_log", toolName: "read_log", input: { file: "app.log" } }] },
  { role: "tool", content: [{ type: "tool-result", toolCallId: "call_log", toolName: "read_log", output: { type: "text", value: LOG } }] },
];
const tools = { read_log: tool({ description: "Read a log file", inputSchema: z.object({ file: z.string() }) }) };

for (const name of ["openai chat", "openai responses", "anthropic"]) {
  describe(name, () => {
    for (const how of ["generateText", "streamText"]) {
      test(`${how}: compressed prompt, retrieval answered unseen`, async () => {
        const { model, toolOutput, tools: toolNames, retrieved } = models[name];
        await rig.up.script({ retrieve: true }, { say: ANSWER });
        let text, toolCalls, steps;
        if (how === "generateText") {
          ({ text, toolCalls, steps } = await generateText({ model, messages, tools }));
        } else {
          const result = streamText({ model, messages, tools, onError: ({ error }) => { throw error; } });
          text = await result.text;
          toolCalls = await result.toolCalls;
          steps = await result.steps;
        }
        assert.equal(text, ANSWER);
        assert.deepEqual(toolCalls, [], "the app sees no headroom_retrieve call");
        assert.equal(steps.length, 1);

        const [first, second, ...rest] = await rig.up.requests();
        assert.equal(rest.length, 0);
        const sent = toolOutput(first.body);
        assert.ok(sent.length < LOG.length / 4, `the model got ${sent.length} of ${LOG.length} chars`);
        assert.ok(sent.includes(FAILURE) && sent.includes("headroom_retrieve"));
        assert.deepEqual(toolNames(first.body), ["read_log", "headroom_retrieve"]);
        assert.equal(retrieved(second.body), LOG);
      });
    }
  });
}

test("a prompt without tool results goes as it was", async () => {
  await rig.up.script({ say: ANSWER });
  const { text } = await generateText({ model: models["openai chat"].model, prompt: QUESTION });
  assert.equal(text, ANSWER);
  const [first] = await rig.up.requests();
  assert.equal(first.body.tools, undefined);
  assert.deepEqual(first.body.messages, [{ role: "user", content: QUESTION }]);
});

test("the app's own tool call still reaches the app (streamText)", async () => {
  await rig.up.script({ call: "read_log", arguments: { file: "b.log" } });
  const result = streamText({ model: models["openai chat"].model, messages, tools });
  const calls = await result.toolCalls;
  assert.deepEqual(calls.map((c) => [c.toolName, c.input]), [["read_log", { file: "b.log" }]]);
});

test("a call with tools is offered headroom_retrieve from the first call on", async () => {
  await rig.up.script({ say: ANSWER });
  await generateText({ model: models["openai chat"].model, prompt: QUESTION, tools });
  const [first] = await rig.up.requests();
  assert.deepEqual(first.body.tools.map((t) => t.function.name), ["read_log", "headroom_retrieve"]);
});

for (const name of ["openai chat", "anthropic"]) {
  test(`${name} streamText: text, then a retrieval, continues in the same step`, async () => {
    await rig.up.script({ say: "Let me look at the log. ", retrieve: true }, { say: ANSWER });
    const result = streamText({ model: models[name].model, messages, tools, onError: ({ error }) => { throw error; } });
    assert.equal(await result.text, `Let me look at the log. ${ANSWER}`);
    assert.deepEqual(await result.toolCalls, []);
    assert.equal((await result.steps).length, 1);
    assert.equal(models[name].retrieved((await rig.up.requests())[1].body), LOG);
  });
}
