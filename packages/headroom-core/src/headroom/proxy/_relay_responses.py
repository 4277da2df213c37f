"""Relay an OpenAI Responses stream, hiding ``headroom_retrieve`` items and stitching rounds together.

The client sees one response: the first round's ``response.created``, every round's visible output
items with ``output_index`` continuing across rounds, sequence numbers without gaps, and one final
``response.completed`` whose ``output`` lists every visible item and whose usage sums all rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headroom.formats.responses import CALL_TYPES
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._errors import error_event
from headroom.proxy._sse import SSEEvent, sse
from headroom.proxy._usage import add_usage

__all__ = ["ResponsesRelay"]

Obj = dict[str, Any]
_START = ("response.created", "response.in_progress", "response.queued")
_END = ("response.completed", "response.incomplete", "response.failed")


def _sse_frame(data: Obj) -> bytes:
    return sse(data, data.get("type"))


class ResponsesRelay:
    """State of one client stream across upstream rounds.

    Args:
        frame: how an event the relay rewrites goes out (an SSE event by default; the WebSocket
            route sends the JSON alone). Events it does not rewrite go out as received.
    """

    api = "openai-responses"

    def __init__(
        self, frame: Callable[[Obj], bytes] = _sse_frame, answered: frozenset[str] = frozenset({RETRIEVE_TOOL_NAME})
    ) -> None:
        self._frame = frame
        self.answered = answered  # the tool names the proxy answers itself
        self.round = -1
        self.offset = 0
        self.next = 0
        self.seq: int | None = None  # numbering continues from the upstream's first event
        self.failed = False
        self.response_id: str | None = None
        self.upstream_id: str | None = None
        self.visible: list[Obj] = []
        self.usage_total: Obj = {}

    def start_round(self) -> None:
        """Reset per-round state; output indices continue after the last round's visible items."""
        if self.round >= 0:
            self.visible += self._visible_items()
            self.offset = self.next
        self.round += 1
        self.map: dict[int, int | None] = {}
        self.items: dict[int, Obj] = {}
        self.next = self.offset
        self.end: Obj | None = None
        self.end_raw = b""

    def on_event(self, ev: SSEEvent) -> bytes:
        """Bytes for the client now (empty when held back)."""
        data = ev.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if kind is None:
            return ev.raw
        if kind in _START:
            if self.round > 0:
                return b""
            self.response_id = self.response_id or (data.get("response") or {}).get("id")
            return self._emit(ev, data)
        if kind in _END:
            self.end, self.end_raw = data, ev.raw
            self.upstream_id = (data.get("response") or {}).get("id") or self.upstream_id
            return b""
        if kind == "error":
            self.failed = True
            return self._emit(ev, data)
        idx = data.get("output_index")
        if not isinstance(idx, int):
            return self._emit(ev, data)
        if kind == "response.output_item.added":
            item = data.get("item") or {}
            ours = item.get("type") == "function_call" and item.get("name") in self.answered
            self.map[idx] = None if ours else self.next
            self.next += 0 if ours else 1
            self.items[idx] = dict(item)
        elif kind == "response.output_item.done":
            self.items[idx] = dict(data.get("item") or {})
        client = self.map.get(idx, idx)
        if client is None:
            return b""
        return self._emit(ev, data, client)

    def _emit(self, ev: SSEEvent, data: Obj, output_index: int | None = None) -> bytes:
        changes: Obj = {}
        numbered = isinstance(data.get("sequence_number"), int)
        if numbered:  # events without a number (Codex's codex.rate_limits) take none
            if self.seq is None:
                self.seq = data["sequence_number"]
            if data["sequence_number"] != self.seq:
                changes["sequence_number"] = self.seq
            self.seq += 1
        if output_index is not None and output_index != data.get("output_index"):
            changes["output_index"] = output_index
        if self.round > 0 and isinstance(data.get("response"), dict):
            changes["response"] = {**data["response"], "id": self.response_id}
        return self._frame({**data, **changes}) if changes else ev.raw

    def _visible_items(self) -> list[Obj]:
        return [self.items[i] for i in sorted(self.items) if self.map.get(i) is not None]

    # ---- end of a round --------------------------------------------------------------------------

    def our_calls(self) -> list[Obj]:
        """This round's ``headroom_retrieve`` items, complete."""
        return [self.items[i] for i in sorted(self.map) if self.map[i] is None]

    def client_call_ids(self) -> list[str]:
        """Call ids of this round's client tool calls (function and custom/freeform ones)."""
        return [str(o.get("call_id")) for o in self._visible_items() if o.get("type") in CALL_TYPES]

    def turn(self) -> list[Obj]:
        """This round's output items, ours included, for the continuation."""
        return [self.items[i] for i in sorted(self.items)]

    def end_round(self) -> None:
        """Add this round's usage to the total."""
        usage = (self.end or {}).get("response", {}).get("usage") if self.end else None
        if isinstance(usage, dict):
            self.usage_total = add_usage(self.usage_total, usage)

    def finish(self, *, hid_calls: bool) -> bytes:
        """The final ``response.completed`` (or ``incomplete``/``failed``), covering every round."""
        if self.failed:
            return b""
        if self.seq is None:
            self.seq = 0
        if self.end is None:
            return error_event(
                self.api, 502, "the upstream stream ended before the response was complete", sequence_number=self.seq
            )
        if self.round == 0 and not hid_calls and self.end.get("sequence_number") == self.seq:
            return self.end_raw
        response = dict(self.end.get("response") or {})
        response["id"] = self.response_id or response.get("id")
        response["output"] = self.visible + self._visible_items()
        if self.usage_total:
            response["usage"] = self.usage_total
        data = {**self.end, "response": response, "sequence_number": self.seq}
        self.seq += 1
        return self._frame(data)
