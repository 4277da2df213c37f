"""Relay an Anthropic Messages stream, hiding ``headroom_retrieve`` blocks and stitching rounds together.

The client sees one message: the first round's ``message_start``, every other round's content
blocks with indices continuing where the last round stopped, and one ``message_delta`` with the
usage of all rounds summed.
"""

from __future__ import annotations

import json
from typing import Any

from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._errors import error_event
from headroom.proxy._sse import SSEEvent, sse
from headroom.proxy._usage import add_usage, max_usage

__all__ = ["AnthropicRelay"]

Obj = dict[str, Any]


class AnthropicRelay:
    """State of one client stream across upstream rounds."""

    api = "anthropic-messages"

    def __init__(self, answered: frozenset[str] = frozenset({RETRIEVE_TOOL_NAME})) -> None:
        self.answered = answered  # the tool names the proxy answers itself
        self.round = -1
        self.offset = 0
        self.next = 0
        self.failed = False
        self.usage_total: Obj = {}
        self._raw_tail: list[bytes] = []

    def start_round(self) -> None:
        """Reset per-round state; client block indices continue after the last round's."""
        if self.round >= 0:
            self.offset = self.next
        self.round += 1
        self.map: dict[int, int | None] = {}
        self.blocks: dict[int, Obj] = {}
        self.parts: dict[int, list[str]] = {}
        self.next = self.offset
        self.usage: Obj = {}
        self.delta: Obj | None = None
        self._raw_tail = []

    def on_event(self, ev: SSEEvent) -> bytes:
        """Bytes for the client now (empty when held back)."""
        data = ev.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "message_start":
            message = data.get("message") or {}
            self.usage = max_usage(self.usage, message.get("usage"))
            return ev.raw if self.round == 0 else b""
        if kind == "content_block_start":
            return self._start(ev, data)
        if kind in ("content_block_delta", "content_block_stop"):
            return self._block(ev, data, kind)
        if kind == "message_delta":
            self.delta = data
            self.usage = max_usage(self.usage, data.get("usage"))
            self._raw_tail.append(ev.raw)
            return b""
        if kind == "message_stop":
            self._raw_tail.append(ev.raw)
            return b""
        if kind == "error":
            self.failed = True
        return ev.raw

    def _start(self, ev: SSEEvent, data: Obj) -> bytes:
        idx = data.get("index", 0)
        block = dict(data.get("content_block") or {})
        self.blocks[idx] = block
        if block.get("type") == "tool_use" and block.get("name") in self.answered:
            self.map[idx] = None
            return b""
        self.map[idx] = client = self.next
        self.next += 1
        return ev.raw if client == idx else sse({**data, "index": client}, "content_block_start")

    def _block(self, ev: SSEEvent, data: Obj, kind: str) -> bytes:
        idx = data.get("index", 0)
        if kind == "content_block_delta":
            self._accumulate(idx, data.get("delta") or {})
        elif idx in self.parts:
            self._finish_input(idx)
        client = self.map.get(idx, idx)
        if client is None:
            return b""
        return ev.raw if client == idx else sse({**data, "index": client}, kind)

    def _accumulate(self, idx: int, delta: Obj) -> None:
        block = self.blocks.setdefault(idx, {})
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta.get("text", "")
        elif kind == "input_json_delta":
            self.parts.setdefault(idx, []).append(delta.get("partial_json", ""))
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
        elif kind == "signature_delta":
            block["signature"] = delta.get("signature", "")
        elif kind == "citations_delta":
            block["citations"] = [*(block.get("citations") or []), delta.get("citation")]

    def _finish_input(self, idx: int) -> None:
        text = "".join(self.parts.pop(idx))
        try:
            value = json.loads(text) if text.strip() else {}
        except ValueError:
            value = {}
        self.blocks[idx]["input"] = value if isinstance(value, dict) else {}

    # ---- end of a round --------------------------------------------------------------------------

    def our_calls(self) -> list[Obj]:
        """This round's ``headroom_retrieve`` blocks, complete."""
        return [self.blocks[i] for i in sorted(self.map) if self.map[i] is None]

    def client_call_ids(self) -> list[str]:
        """Ids of this round's client tool calls."""
        return [
            str(b.get("id"))
            for i, b in sorted(self.blocks.items())
            if self.map.get(i) is not None and b.get("type") == "tool_use"
        ]

    def turn(self) -> list[Obj]:
        """This round's content blocks, ours included, for the continuation."""
        return [self.blocks[i] for i in sorted(self.blocks)]

    def end_round(self) -> None:
        """Add this round's usage to the total."""
        self.usage_total = add_usage(self.usage_total, self.usage)

    def finish(self, *, hid_calls: bool) -> bytes:
        """The held ``message_delta`` and ``message_stop``, rewritten when rounds were stitched or calls hidden."""
        if self.failed:
            return b""
        if self.delta is None:
            return error_event(self.api, 502, "the upstream stream ended before the message was complete")
        if self.round == 0 and not hid_calls:
            return b"".join(self._raw_tail)
        delta = dict(self.delta)
        inner = dict(delta.get("delta") or {})
        if inner.get("stop_reason") == "tool_use" and not self.client_call_ids():
            inner["stop_reason"] = "end_turn"
        delta["delta"] = inner
        delta["usage"] = {**(delta.get("usage") or {}), **self.usage_total}
        return sse(delta, "message_delta") + sse({"type": "message_stop"}, "message_stop")
