"""Images through the real proxy with the real SDKs: the upstream gets fewer image tokens, and a
model that asks for the original gets the image itself, byte for byte."""

from __future__ import annotations

import base64

from headroom import find_refs
from headroom.models import image_tokens
from headroom.testing import FakeToolCall, RecordedRequest, Reply

from tests.core.image_samples import anthropic_image, data_url, decode, encode, text_screenshot
from tests.core.proxy_support import Rig, refs_in

TEXT = text_screenshot()
PNG = encode(TEXT)


def _fetch_original(req: RecordedRequest) -> Reply:
    (ref,) = refs_in(req)
    return Reply(text="Let me see the original.", tool_calls=(FakeToolCall("headroom_retrieve", {"ref": ref}),))


def test_anthropic_tool_result_image_shrinks_and_the_original_comes_back_as_an_image(env: Rig) -> None:
    env.up.script(_fetch_original, Reply.say("The payment gateway timed out."))
    messages = [
        {"role": "user", "content": "What does the screenshot say failed?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "screenshot", "input": {}}]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": [anthropic_image(PNG)]}],
        },
    ]
    msg = env.anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=messages)  # type: ignore[arg-type]
    assert msg.content[-1].text == "The payment gateway timed out."  # type: ignore[union-attr]
    first, second = env.up.model_requests
    image, marker = first.json["messages"][2]["content"][0]["content"]
    sent = decode(image["source"]["data"])
    assert image_tokens("claude-sonnet-4-6", *sent.size) < 0.7 * image_tokens("claude-sonnet-4-6", *TEXT.size)
    assert find_refs(marker["text"]) and "headroom_retrieve" in [t["name"] for t in first.json["tools"]]
    (answer,) = second.json["messages"][-1]["content"]
    assert answer["type"] == "tool_result" and answer["content"][1]["type"] == "image"
    assert base64.b64decode(answer["content"][1]["source"]["data"]) == PNG


def test_openai_chat_and_responses_images_arrive_smaller(env: Rig) -> None:
    env.up.script(Reply.say("ok"), Reply.say("ok"))
    part = {"type": "image_url", "image_url": {"url": data_url(PNG)}}
    client = env.openai()
    client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Read this."}, part]}],  # type: ignore[list-item]
    )
    client.responses.create(
        model="gpt-4o",
        input=[  # type: ignore[arg-type]
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Read this."},
                    {"type": "input_image", "image_url": data_url(PNG), "detail": "auto"},
                ],
            }
        ],
    )
    chat, responses = env.up.model_requests
    _, sent, marker = chat.json["messages"][0]["content"]
    assert decode(sent["image_url"]["url"].split(",", 1)[1]).width < TEXT.width and find_refs(marker["text"])
    _, item, note = responses.json["input"][0]["content"]
    assert decode(item["image_url"].split(",", 1)[1]).width < TEXT.width and note["type"] == "input_text"
    assert item["detail"] == "auto"
