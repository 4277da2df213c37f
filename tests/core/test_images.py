"""Images through `compress` in all three formats: fewer tokens, still legible, the original one call away."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

import pytest
from headroom import MemoryStore, compress, find_refs, retrieve, retrieve_tool_result
from headroom.images import ImageCompressor, LinearRouter, RuleRouter, Skipped, default_router
from headroom.images._features import features
from headroom.models import image_tokens
from PIL import Image

from tests.core.image_samples import (
    anthropic_image,
    b64,
    data_url,
    decode,
    encode,
    ocr_recall,
    photo,
    text_screenshot,
)

TEXT = text_screenshot()
TEXT_PNG = encode(TEXT)
PHOTO_JPEG = encode(photo(), "JPEG", quality=90)


def test_token_rules_match_the_providers_published_examples() -> None:
    # OpenAI's worked examples: 1024x1024 high = 765; 2048x4096 high = 1105; low = 85;
    # patch models: 1024x1024 = 1024 patches x 1.62; 1800x2400 = 1452 patches x 1.62.
    assert image_tokens("gpt-4o", 1024, 1024) == 765
    assert image_tokens("gpt-4o-2024-08-06", 2048, 4096) == 1105
    assert image_tokens("gpt-4o", 4096, 4096, "low") == 85
    assert image_tokens("gpt-4.1-mini", 1024, 1024) == 1659
    assert image_tokens("gpt-4.1-mini", 1800, 2400) == 2353
    # Anthropic: w*h/750, after shrinking to 1568 px and 1.15 MP; a larger image costs no more.
    assert image_tokens("claude-sonnet-4-5", 1000, 1000) == 1334
    assert image_tokens("claude-sonnet-4-5", 4000, 3000) == image_tokens("claude-sonnet-4-5", 1238, 928) <= 1600
    assert image_tokens("claude-opus-4-7", 2940, 1912) > image_tokens("claude-opus-4-5", 2940, 1912)
    # Gemini: 258 up to 384 px a side, else 258 per 768 px tile.
    assert image_tokens("gemini-2.5-flash", 384, 384) == 258
    assert image_tokens("gemini-2.5-flash", 1600, 900) == 258 * 6


def _anthropic(image: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Read the error in the screenshot the tool returns."},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "screenshot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": [image]}]},
    ]


@pytest.mark.slow  # two real OCR passes
def test_anthropic_screenshot_in_a_tool_result_shrinks_stays_readable_and_redeems_exactly() -> None:
    store = MemoryStore()
    messages = _anthropic(anthropic_image(TEXT_PNG))
    snapshot = copy.deepcopy(messages)
    result = compress(messages, "claude-sonnet-4-5", store=store)
    assert messages == snapshot  # the caller's list is untouched
    image, marker = result.messages[2]["content"][0]["content"]
    sent = decode(image["source"]["data"])
    report = next(b for b in result.blocks if b.compressor == "image")
    assert report.status == "compressed" and report.content_type == "text"
    assert report.tokens_before == image_tokens("claude-sonnet-4-5", *TEXT.size)
    assert report.tokens_after < 0.7 * report.tokens_before
    assert sent.width < TEXT.width and image["source"]["media_type"] == "image/png"
    assert ocr_recall(TEXT, sent) >= 0.95  # what the model reads is still all there
    (ref,) = find_refs(marker["text"])
    assert marker["type"] == "text" and f"{TEXT.width}×{TEXT.height} → {sent.width}×{sent.height}" in marker["text"]
    assert base64.b64decode(retrieve(ref, store=store)) == TEXT_PNG
    assert result.refs == [ref] and result.tools and result.tokens_saved > 0


def test_openai_chat_image_url_keeps_its_keys_and_shrinks() -> None:
    store = MemoryStore()
    part = {"type": "image_url", "image_url": {"url": data_url(TEXT_PNG), "detail": "high"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "What failed?"}, part]}]
    result = compress(messages, "gpt-4o", store=store)
    _, new, marker = result.messages[0]["content"]
    assert new["image_url"]["detail"] == "high" and new["image_url"]["url"].startswith("data:image/png;base64,")
    sent = decode(new["image_url"]["url"].split(",", 1)[1])
    assert image_tokens("gpt-4o", *sent.size) < image_tokens("gpt-4o", *TEXT.size)
    assert marker == {"type": "text", "text": marker["text"]} and find_refs(marker["text"])


def test_responses_input_image_and_photo_goes_low_detail() -> None:
    store = MemoryStore()
    part = {"type": "input_image", "image_url": data_url(PHOTO_JPEG, "image/jpeg")}
    items = [{"role": "user", "content": [{"type": "input_text", "text": "Who is this?"}, part]}]
    result = compress(items, "gpt-4o", format="responses", store=store)
    _, new, marker = result.messages[0]["content"]
    assert marker["type"] == "input_text" and "(photo)" in marker["text"]
    assert new["detail"] == "low" and max(decode(new["image_url"].split(",", 1)[1]).size) <= 512
    report = next(b for b in result.blocks if b.compressor == "image")
    assert report.tokens_before == image_tokens("gpt-4o", 1024, 1024) == 765
    assert 85 < report.tokens_after < 85 + 80  # low detail's 85, plus the marker


def test_a_compressed_image_sent_back_is_left_exactly_as_it_was() -> None:
    store = MemoryStore()
    first = compress(_anthropic(anthropic_image(TEXT_PNG)), "claude-sonnet-4-5", store=store)
    again = compress(first.messages, "claude-sonnet-4-5", store=store)
    assert again.messages == first.messages


def _broken() -> dict[str, bytes]:
    big = Image.new("L", (7100, 7100), 255)  # 50.4 megapixels, compresses to a few kB
    return {
        "corrupt": b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20,
        "truncated": TEXT_PNG[: len(TEXT_PNG) // 2],
        "unsupported": encode(TEXT, "BMP"),
        "50 megapixels": encode(big, "PNG"),
    }


@pytest.mark.parametrize("case", ["corrupt", "truncated", "unsupported", "50 megapixels", "url"])
def test_images_it_cannot_use_pass_byte_identical_with_a_note(case: str) -> None:
    if case == "url":
        image: dict[str, Any] = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    else:
        image = anthropic_image(_broken()[case])
    messages = _anthropic(image)
    log = "\n".join(f"2025-01-01 INFO request {i} ok in {i % 97} ms" for i in range(800))
    messages[2]["content"].append({"type": "tool_result", "tool_use_id": "tu_2", "content": log})
    messages[1]["content"].append({"type": "tool_use", "id": "tu_2", "name": "read_log", "input": {}})
    result = compress(messages, "claude-sonnet-4-5", store=MemoryStore())
    assert json.dumps(result.messages[2]["content"][0]) == json.dumps(messages[2]["content"][0])
    report = next(b for b in result.blocks if b.compressor == "image")
    assert report.status == "skipped" and report.note
    assert len(result.messages[2]["content"][1]["content"]) < len(log) / 2  # the text beside it still shrank


def test_retrieve_gives_the_image_back_where_the_api_takes_images() -> None:
    store = MemoryStore()
    result = compress(_anthropic(anthropic_image(TEXT_PNG)), "claude-sonnet-4-5", store=store)
    (ref,) = result.refs
    block = retrieve_tool_result(
        {"type": "tool_use", "id": "t9", "name": "headroom_retrieve", "input": {"ref": ref}},
        format="anthropic",
        store=store,
    )
    assert block["tool_use_id"] == "t9" and base64.b64decode(block["content"][1]["source"]["data"]) == TEXT_PNG
    call = {
        "type": "function_call",
        "call_id": "c9",
        "name": "headroom_retrieve",
        "arguments": json.dumps({"ref": ref}),
    }
    item = retrieve_tool_result(call, format="responses", store=store)
    assert item["output"][1]["image_url"] == data_url(TEXT_PNG)
    chat_call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "headroom_retrieve", "arguments": call["arguments"]},
    }
    msg = retrieve_tool_result(chat_call, format="openai", store=store)
    assert msg["role"] == "tool" and "cannot carry images" in msg["content"] and b64(TEXT_PNG) not in msg["content"]


def test_router_weights_ship_and_classify_real_images() -> None:
    router = default_router()
    assert isinstance(router, LinearRouter)
    assert router.route(features(TEXT)).kind == "text"
    assert router.route(features(photo())).kind == "photo"
    assert RuleRouter().route(features(photo())).kind == "photo"


def test_compressor_never_raises_and_says_why() -> None:
    comp = ImageCompressor(router=RuleRouter())
    out = comp.compress(b"GIF89a" + b"\x00" * 10, model="gpt-4o")
    assert isinstance(out, Skipped) and "decode" in out.note
    small = encode(text_screenshot(size=12, width=400))
    out = comp.compress(small, model="claude-sonnet-4-5")
    assert isinstance(out, Skipped) and out.tokens == image_tokens(
        "claude-sonnet-4-5", *Image.open(io.BytesIO(small)).size
    )
