// withHeadroom() on the real OpenAI and Anthropic SDKs, the model being FakeUpstream: compressed bytes
// reach the model, headroom_retrieve is answered without the app seeing it, streamed or not.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

import { Headroom, HeadroomConnectionError, withHeadroom } from "../dist/esm/index.js";
import { FAILURE, anthropicMessages, chatMessages, responsesInput, serviceLog, startRig } from "./support.mjs";

const LOG = serviceLog();
const ANSWER = "The payment gateway timed out after 30 s.";
let rig, openai, anthropic;

before(async () => {
  rig = await startRig();
  openai = withHeadroom(new OpenAI({ baseURL: `${rig.up.url}/v1`, apiKey: "sk-test", maxRetries: 0 }), { headroom: rig.headroom });
  anthropic = withHeadroom(new Anthropic({ baseURL: rig.up.url, apiKey: "sk-ant-test", maxRetries: 0 }), { headroom: rig.headroom });
});
after(async () => rig?.close());
beforeEach(async () => rig.up.clear());

const chatTools = [{ type: "function", function: { name: "read_log", parameters: { type: "object", properties: {} } } }];
const responsesTools = [{ type: "function", name: "read_log", parameters: { type: "object", properties: {} } }];
const anthropicTools = [{ name: "read_log", input_schema: { type: "object", properties: {} } }];

const surfaces = {
  "chat.completions.create": {
    async call(stream) {
      const params = { model: "gpt-4o", messages: chatMessages(LOG), tools: chatTools, temperature: 0.2, user: "u-1", metadata: { app: "x" } };
      if (!stream) return (await openai.chat.completions.create(params)).choices[0].message.content;
      let text = "";
      for await (const chunk of await openai.chat.completions.create({ ...params, stream: true })) {
        assert.equal(chunk.choices[0]?.delta?.tool_calls, undefined, "the app sees no tool call");
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      return text;
    },
    toolOutput: (body) => body.messages[2].content,
    tools: (body) => body.tools.map((t) => t.function.name),
    kept: (body) => [body.temperature, body.user, body.metadata?.app],
    keptValues: [0.2, "u-1", "x"],
    retrieved: (body) => body.messages.at(-1).content,
  },
  "responses.create": {
    async call(stream) {
      const params = { model: "gpt-4o", input: responsesInput(LOG), tools: responsesTools, temperature: 0.2, user: "u-1", metadata: { app: "x" } };
      if (!stream) return (await openai.responses.create(params)).output_text;
      let text = "";
      for await (const event of await openai.responses.create({ ...params, stream: true })) {
        assert.ok(!(event.type === "response.output_item.added" && event.item.type === "function_call"), "no tool call");
        if (event.type === "response.output_text.delta") text += event.delta;
      }
      return text;
    },
    toolOutput: (body) => body.input[2].output,
    tools: (body) => body.tools.map((t) => t.name),
    kept: (body) => [body.temperature, body.user, body.metadata?.app],
    keptValues: [0.2, "u-1", "x"],
    retrieved: (body) => body.input.at(-1).output,
  },
  "messages.create": {
    async call(stream) {
      const params = { model: "claude-sonnet-4-5-20250929", max_tokens: 512, messages: anthropicMessages(LOG), tools: anthropicTools, system: "Be brief.", metadata: { user_id: "u-1" } };
      if (!stream) {
        const message = await anthropic.messages.create(params);
        assert.deepEqual(message.content.map((b) => b.type), ["text"]);
        return message.content[0].text;
      }
      let text = "";
      for await (const event of await anthropic.messages.create({ ...params, stream: true })) {
        assert.ok(!(event.type === "content_block_start" && event.content_block.type === "tool_use"), "no tool call");
        if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
      }
      return text;
    },
    toolOutput: (body) => body.messages[2].content[0].content,
    tools: (body) => body.tools.map((t) => t.name),
    kept: (body) => [body.system, body.metadata?.user_id, body.max_tokens],
    keptValues: ["Be brief.", "u-1", 512],
    retrieved: (body) => body.messages.at(-1).content[0].content,
  },
};

for (const [name, s] of Object.entries(surfaces)) {
  describe(name, () => {
    for (const stream of [false, true]) {
      const how = stream ? "streamed" : "plain";
      test(`${how}: the model reads the compressed log; its retrieval is answered unseen`, async () => {
        await rig.up.script({ retrieve: true }, { say: ANSWER });
        assert.equal(await s.call(stream), ANSWER);

        const [first, second, ...rest] = await rig.up.requests();
        assert.equal(rest.length, 0);
        const sent = s.toolOutput(first.body);
        assert.ok(sent.length < LOG.length / 4, `the model got ${sent.length} of ${LOG.length} chars`);
        assert.ok(sent.includes(FAILURE) && sent.includes("headroom_retrieve"));
        assert.deepEqual(s.tools(first.body), ["read_log", "headroom_retrieve"]);
        assert.deepEqual(s.kept(first.body), s.keptValues);
        assert.equal(first.body.stream ?? false, stream);
        assert.equal(s.retrieved(second.body), LOG, "the second request carries the original");
        assert.deepEqual(s.kept(second.body), s.keptValues);
      });
    }

    test("a plain answer: one request, as the model gave it", async () => {
      await rig.up.script({ say: ANSWER });
      assert.equal(await s.call(false), ANSWER);
      assert.equal((await rig.up.requests()).length, 1);
    });
  });
}

test("a query in the call gets only the matching lines", async () => {
  await rig.up.script({ retrieve: true, query: "TimeoutError" }, { say: ANSWER });
  await surfaces["chat.completions.create"].call(false);
  const got = (await rig.up.requests())[1].body.messages.at(-1).content;
  assert.ok(got.includes(FAILURE) && got.length < 500, got);
});

test("the app's own tool calls reach the app", async () => {
  await rig.up.script({ call: "read_log", arguments: { file: "b.log" } });
  const r = await openai.chat.completions.create({ model: "gpt-4o", messages: chatMessages(LOG), tools: chatTools });
  assert.equal(r.choices[0].message.tool_calls[0].function.name, "read_log");
  assert.equal((await rig.up.requests()).length, 1);
});

test("anthropic's messages.stream() helper: final message without the retrieval", async () => {
  await rig.up.script({ retrieve: true }, { say: ANSWER });
  const final = await anthropic.messages
    .stream({ model: "claude-sonnet-4-5-20250929", max_tokens: 256, messages: anthropicMessages(LOG) })
    .finalMessage();
  assert.equal(final.content[0].text, ANSWER);
  assert.equal((await rig.up.requests()).length, 2);
});

test("retrieval rounds are capped: past the cap the model's call reaches the app", async () => {
  const capped = withHeadroom(new OpenAI({ baseURL: `${rig.up.url}/v1`, apiKey: "sk-test", maxRetries: 0 }), {
    headroom: rig.headroom,
    retrieveRounds: 1,
  });
  await rig.up.script({ retrieve: true }, { retrieve: true });
  const r = await capped.chat.completions.create({ model: "gpt-4o", messages: chatMessages(LOG) });
  assert.equal(r.choices[0].message.tool_calls[0].function.name, "headroom_retrieve");
  assert.equal((await rig.up.requests()).length, 2);
});

test("an unknown ref: the model reads the proxy's error, the app gets the answer", async () => {
  await rig.up.script({ call: "headroom_retrieve", arguments: { ref: "00000000deadbeef" } }, { say: ANSWER });
  assert.equal(await surfaces["messages.create"].call(false), ANSWER);
  const result = (await rig.up.requests())[1].body.messages.at(-1).content[0];
  assert.equal(result.is_error, true);
  assert.match(result.content, /00000000deadbeef/);
});

test("the proxy unreachable: the SDK's call fails with a HeadroomConnectionError cause", async () => {
  const down = withHeadroom(new OpenAI({ baseURL: `${rig.up.url}/v1`, apiKey: "sk-test", maxRetries: 0 }), {
    headroom: new Headroom({ baseUrl: "http://127.0.0.1:9" }),
  });
  const e = await down.chat.completions.create({ model: "gpt-4o", messages: chatMessages(LOG) }).catch((e) => e);
  const chain = [e, e?.cause];
  assert.ok(chain.some((x) => x instanceof HeadroomConnectionError), String(e));
  assert.equal((await rig.up.requests()).length, 0, "nothing uncompressed went to the model");
});

test("an agent request is offered headroom_retrieve from its first request on; a plain chat is not", async () => {
  await rig.up.script({ say: "hi" }, { say: "hi" });
  const short = [{ role: "user", content: "hello" }];
  await openai.chat.completions.create({ model: "gpt-4o", messages: short, tools: chatTools });
  await openai.chat.completions.create({ model: "gpt-4o", messages: short });
  const [agent, chat] = await rig.up.requests();
  assert.deepEqual(agent.body.tools.map((t) => t.function.name), ["read_log", "headroom_retrieve"]);
  assert.deepEqual(agent.body.messages, short);
  assert.equal(chat.body.tools, undefined);
});

test("an app that defines headroom_retrieve itself gets the model's calls of it", async () => {
  const own = { type: "function", function: { name: "headroom_retrieve", parameters: { type: "object", properties: {} } } };
  await rig.up.script({ retrieve: true });
  const r = await openai.chat.completions.create({ model: "gpt-4o", messages: chatMessages(LOG), tools: [own] });
  assert.equal(r.choices[0].message.tool_calls[0].function.name, "headroom_retrieve");
  const [first, ...rest] = await rig.up.requests();
  assert.equal(rest.length, 0);
  assert.deepEqual(first.body.tools, [own]);
});

test("anthropic stream: text, then a retrieval mid-stream, goes on in the same message", async () => {
  await rig.up.script({ say: "Let me look at the log.", retrieve: true }, { say: ANSWER });
  const stream = anthropic.messages.stream({ model: "claude-sonnet-4-5-20250929", max_tokens: 256, messages: anthropicMessages(LOG) });
  let text = "";
  stream.on("text", (delta) => (text += delta));
  const final = await stream.finalMessage();
  assert.equal(text, `Let me look at the log.${ANSWER}`);
  assert.deepEqual(final.content.map((b) => [b.type, b.text]), [["text", "Let me look at the log."], ["text", ANSWER]]);
  assert.equal(final.stop_reason, "end_turn");
  const [, second, ...rest] = await rig.up.requests();
  assert.equal(rest.length, 0);
  const [turn, results] = second.body.messages.slice(-2);
  assert.deepEqual(turn.content.map((b) => b.type), ["text", "tool_use"]);
  assert.equal(results.content[0].content, LOG);
});
