"""What the fake upstream answers: replies rendered as OpenAI Chat, Anthropic Messages or Responses bodies and SSE."""

from __future__ import annotations

import base64
import json
import re
import struct
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["openai-chat", "anthropic-messages", "openai-responses"]

_PIECE = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class FakeToolCall:
    """One tool call a scripted reply makes.

    Attributes:
        name: the tool's name.
        arguments: the call's arguments (a JSON object).
        id: the call id; a fresh one is made when None.
        input: the raw input of a freeform (custom) tool, such as Codex's ``exec`` that takes
            JavaScript: the Responses API renders the call as a ``custom_tool_call`` with this input.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None
    input: str | None = None


@dataclass(frozen=True)
class Rendered:
    """A reply ready for one request: ids and token counts fixed."""

    api: Api
    model: str
    number: int
    text: str | None
    calls: tuple[FakeToolCall, ...]
    input_tokens: int
    output_tokens: int
    include_usage: bool = False

    @property
    def call_ids(self) -> list[str]:
        """Each call's id (given, or derived from the request number and position)."""
        prefix = {"openai-chat": "call", "anthropic-messages": "toolu", "openai-responses": "call"}[self.api]
        return [c.id or f"{prefix}_fake_{self.number}_{i}" for i, c in enumerate(self.calls)]

    @property
    def response_id(self) -> str:
        """The response/message id."""
        prefix = {"openai-chat": "chatcmpl", "anthropic-messages": "msg", "openai-responses": "resp"}[self.api]
        return f"{prefix}_fake_{self.number}"


def pieces(text: str) -> list[str]:
    """Split text the way a model streams it: words with their trailing spaces."""
    return _PIECE.findall(text) or [text]


def _halves(s: str) -> list[str]:
    mid = len(s) // 2
    return [p for p in (s[:mid], s[mid:]) if p] or [s]


def _args(call: FakeToolCall) -> str:
    return json.dumps(dict(call.arguments), separators=(",", ":"))


def error_body(api: Api, status: int, message: str) -> dict[str, Any]:
    """An error body in the provider's format for ``status``."""
    if api == "anthropic-messages":
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}.get(status)
        kind = kind or {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    kind = {429: "rate_limit_exceeded", 400: "invalid_request_error", 401: "invalid_api_key"}.get(
        status, "server_error"
    )
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


# ---- OpenAI Chat Completions -------------------------------------------------------------------


def _chat_usage(r: Rendered) -> dict[str, int]:
    return {
        "prompt_tokens": r.input_tokens,
        "completion_tokens": r.output_tokens,
        "total_tokens": r.input_tokens + r.output_tokens,
    }


def chat_body(r: Rendered) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": r.text, "refusal": None}
    if r.calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": c.name, "arguments": _args(c)}}
            for cid, c in zip(r.call_ids, r.calls, strict=True)
        ]
    return {
        "id": r.response_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": r.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if r.calls else "stop", "logprobs": None}
        ],
        "usage": _chat_usage(r),
    }


def chat_events(r: Rendered) -> Iterator[bytes]:
    """``data:`` lines of a streamed completion, ``[DONE]`` last."""
    base = {"id": r.response_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": r.model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return b"data: " + json.dumps({**base, "choices": [choice]}).encode() + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces(r.text) if r.text else []:
        yield chunk({"content": piece})
    for i, (cid, c) in enumerate(zip(r.call_ids, r.calls, strict=True)):
        head = {"index": i, "id": cid, "type": "function", "function": {"name": c.name, "arguments": ""}}
        yield chunk({"tool_calls": [head]})
        for part in _halves(_args(c)):
            yield chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
    yield chunk({}, "tool_calls" if r.calls else "stop")
    if r.include_usage:
        yield b"data: " + json.dumps({**base, "choices": [], "usage": _chat_usage(r)}).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


# ---- Anthropic Messages ----------------------------------------------------------------------------


def _sse(kind: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def messages_body(r: Rendered) -> dict[str, Any]:
    """A ``message`` object."""
    content: list[dict[str, Any]] = [{"type": "text", "text": r.text}] if r.text else []
    content += [
        {"type": "tool_use", "id": cid, "name": c.name, "input": dict(c.arguments)}
        for cid, c in zip(r.call_ids, r.calls, strict=True)
    ]
    return {
        "id": r.response_id,
        "type": "message",
        "role": "assistant",
        "model": r.model,
        "content": content,
        "stop_reason": "tool_use" if r.calls else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": r.input_tokens, "output_tokens": r.output_tokens},
    }


def messages_events(r: Rendered) -> Iterator[bytes]:
    """The event stream of a message: start, ping, content blocks, delta, stop."""
    start = {**messages_body(r), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": r.input_tokens, "output_tokens": 1}
    yield _sse("message_start", {"type": "message_start", "message": start})
    yield _sse("ping", {"type": "ping"})
    index = 0
    if r.text:
        yield _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        for piece in pieces(r.text):
            delta = {"type": "text_delta", "text": piece}
            yield _sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        index = 1
    for i, (cid, c) in enumerate(zip(r.call_ids, r.calls, strict=True), start=index):
        block = {"type": "tool_use", "id": cid, "name": c.name, "input": {}}
        yield _sse("content_block_start", {"type": "content_block_start", "index": i, "content_block": block})
        for part in _halves(_args(c)):
            delta = {"type": "input_json_delta", "partial_json": part}
            yield _sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": i})
    stop: dict[str, Any] = {"stop_reason": "tool_use" if r.calls else "end_turn", "stop_sequence": None}
    usage = {"output_tokens": r.output_tokens}
    yield _sse("message_delta", {"type": "message_delta", "delta": stop, "usage": usage})
    yield _sse("message_stop", {"type": "message_stop"})


# ---- OpenAI Responses --------------------------------------------------------------------------


def _responses_output(r: Rendered) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if r.text:
        part = {"type": "output_text", "text": r.text, "annotations": []}
        out.append(
            {
                "type": "message",
                "id": f"msg_fake_{r.number}",
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    for i, (cid, c) in enumerate(zip(r.call_ids, r.calls, strict=True)):
        if c.input is not None:
            item = {"type": "custom_tool_call", "id": f"ctc_fake_{r.number}_{i}", "call_id": cid, "name": c.name}
            out.append({**item, "input": c.input, "status": "completed"})
            continue
        out.append(
            {
                "type": "function_call",
                "id": f"fc_fake_{r.number}_{i}",
                "call_id": cid,
                "name": c.name,
                "arguments": _args(c),
                "status": "completed",
            }
        )
    return out


def responses_body(
    r: Rendered, *, status: str = "completed", output: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A ``response`` object."""
    return {
        "id": r.response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": r.model,
        "output": _responses_output(r) if output is None else output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": r.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": r.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": r.input_tokens + r.output_tokens,
        },
    }


def responses_events(r: Rendered) -> Iterator[bytes]:
    """The event stream of a response, with sequence numbers."""
    for data in responses_event_data(r):
        yield _sse(data["type"], data)


def responses_event_data(r: Rendered) -> Iterator[dict[str, Any]]:
    """The events of a response as JSON objects (SSE ``data``, or WebSocket messages), numbered."""
    seq = iter(range(1_000_000))

    def ev(kind: str, **data: Any) -> dict[str, Any]:
        return {"type": kind, "sequence_number": next(seq), **data}

    shell = responses_body(r, status="in_progress", output=[])
    yield ev("response.created", response=shell)
    yield ev("response.in_progress", response=shell)
    for index, item in enumerate(_responses_output(r)):
        if item["type"] == "message":
            yield from _message_item_events(ev, index, item)
        else:
            yield from _call_item_events(ev, index, item)
    yield ev("response.completed", response=responses_body(r))


def _message_item_events(ev: Any, index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text = item["content"][0]["text"]
    ids = {"item_id": item["id"], "output_index": index}
    yield ev("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []})
    empty = {"type": "output_text", "text": "", "annotations": []}
    yield ev("response.content_part.added", **ids, content_index=0, part=empty)
    for piece in pieces(text):
        yield ev("response.output_text.delta", **ids, content_index=0, delta=piece, logprobs=[])
    yield ev("response.output_text.done", **ids, content_index=0, text=text, logprobs=[])
    yield ev("response.content_part.done", **ids, content_index=0, part=item["content"][0])
    yield ev("response.output_item.done", output_index=index, item=item)


def _call_item_events(ev: Any, index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    ids = {"item_id": item["id"], "output_index": index}
    if item["type"] == "custom_tool_call":
        yield ev("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "input": ""})
        for part in _halves(item["input"]):
            yield ev("response.custom_tool_call_input.delta", **ids, delta=part)
        yield ev("response.custom_tool_call_input.done", **ids, input=item["input"])
        yield ev("response.output_item.done", output_index=index, item=item)
        return
    yield ev("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "arguments": ""})
    for part in _halves(item["arguments"]):
        yield ev("response.function_call_arguments.delta", **ids, delta=part)
    yield ev("response.function_call_arguments.done", **ids, arguments=item["arguments"], name=item["name"])
    yield ev("response.output_item.done", output_index=index, item=item)


def render_body(r: Rendered) -> dict[str, Any]:
    """The non-streaming body for the reply's API."""
    if r.api == "anthropic-messages":
        return messages_body(r)
    return responses_body(r) if r.api == "openai-responses" else chat_body(r)


def render_events(r: Rendered) -> Iterator[bytes]:
    """The SSE events for the reply's API, one ``bytes`` per event."""
    if r.api == "anthropic-messages":
        return messages_events(r)
    return responses_events(r) if r.api == "openai-responses" else chat_events(r)


def bedrock_frame(event: bytes) -> bytes:
    """One SSE event re-framed the way Bedrock streams it: an ``application/vnd.amazon.eventstream`` message."""
    data = next(line[6:] for line in event.split(b"\n") if line.startswith(b"data: "))
    payload = json.dumps({"bytes": base64.b64encode(data).decode()}).encode()
    headers = b"".join(
        bytes([len(k)]) + k + b"\x07" + struct.pack(">H", len(v)) + v
        for k, v in ((b":event-type", b"chunk"), (b":content-type", b"application/json"), (b":message-type", b"event"))
    )
    prelude = struct.pack(">II", 12 + len(headers) + len(payload) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))
