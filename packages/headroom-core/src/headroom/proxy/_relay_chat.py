"""Relay an OpenAI Chat Completions stream, hiding ``headroom_retrieve`` calls and stitching rounds together.

Every chunk the client gets carries the first round's id; tool-call indices continue across rounds;
the finish chunk, the usage chunk (when the client asked for one, with all rounds summed) and
``[DONE]`` come once, at the very end.
"""

from __future__ import annotations

from typing import Any

from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._errors import error_event
from headroom.proxy._sse import SSEEvent, sse
from headroom.proxy._usage import add_usage

__all__ = ["ChatRelay"]

Obj = dict[str, Any]
DONE = b"data: [DONE]\n\n"


class ChatRelay:
    """State of one client stream across upstream rounds."""

    api = "openai-chat"

    def __init__(self, answered: frozenset[str] = frozenset({RETRIEVE_TOOL_NAME})) -> None:
        self.answered = answered  # the tool names the proxy answers itself
        self.round = -1
        self.offset = 0
        self.next = 0
        self.failed = False
        self.chunk_id: str | None = None
        self.usage_total: Obj = {}
        self.saw_usage = False

    def start_round(self) -> None:
        """Reset per-round state; client tool-call indices continue after the last round's."""
        if self.round >= 0:
            self.offset = self.next
        self.round += 1
        self.map: dict[int, int | None] = {}
        self.calls: dict[int, Obj] = {}
        self.text: list[str] = []
        self.next = self.offset
        self.usage: Obj | None = None
        self.tail: list[tuple[bytes, Obj | None]] = []

    def on_event(self, ev: SSEEvent) -> bytes:
        """Bytes for the client now (empty when held back)."""
        if ev.data == "[DONE]":
            self.tail.append((ev.raw, None))
            return b""
        data = ev.json()
        if not isinstance(data, dict):
            return ev.raw
        if "error" in data and not data.get("choices"):
            self.failed = True
            return ev.raw
        if self.chunk_id is None:
            self.chunk_id = data.get("id")
        changed = False
        if self.round > 0 and data.get("id") != self.chunk_id:
            data = {**data, "id": self.chunk_id}
            changed = True
        choices = data.get("choices") or []
        if choices:
            new_choices, touched = self._choices(choices)
            changed = changed or touched
            data = {**data, "choices": new_choices} if touched else data
        if isinstance(data.get("usage"), dict) or any(c.get("finish_reason") for c in data.get("choices") or []):
            if isinstance(data.get("usage"), dict):
                self.usage = data["usage"]
                self.saw_usage = True
            return self._hold(ev, data, changed)
        if choices and not data["choices"]:
            return b""
        return sse(data) if changed else ev.raw

    def _hold(self, ev: SSEEvent, data: Obj, changed: bool) -> bytes:
        """Hold the finish/usage chunk for the end; any content it carries goes out now."""
        emit = b""
        if any(c.get("delta") for c in data.get("choices") or []):
            now = {k: v for k, v in data.items() if k != "usage"}
            now["choices"] = [{**c, "finish_reason": None} for c in data["choices"]]
            emit = sse(now)
            data = {**data, "choices": [{**c, "delta": {}} for c in data["choices"]]}
            changed = True
        self.tail.append((b"" if changed else ev.raw, data))
        return emit

    def _choices(self, choices: list[Obj]) -> tuple[list[Obj], bool]:
        out, touched = [], False
        for choice in choices:
            delta = choice.get("delta")
            if choice.get("index", 0) != 0 or not isinstance(delta, dict):
                out.append(choice)
                continue
            new = self._delta(delta)
            if new is not delta:
                touched = True
                if not new and not choice.get("finish_reason"):
                    continue  # nothing left to say in this chunk
                choice = {**choice, "delta": new}
            out.append(choice)
        return out, touched

    def _delta(self, delta: Obj) -> Obj:
        if isinstance(delta.get("content"), str):
            self.text.append(delta["content"])
        new = delta
        if self.round > 0 and "role" in delta:
            new = {k: v for k, v in delta.items() if k != "role"}
        calls = delta.get("tool_calls")
        if isinstance(calls, list) and calls:
            kept, touched = self._tool_calls(calls)
            if touched:
                new = {k: v for k, v in new.items() if k != "tool_calls"}
                if kept:
                    new["tool_calls"] = kept
        return new

    def _tool_calls(self, calls: list[Obj]) -> tuple[list[Obj], bool]:
        kept, touched = [], False
        for tc in calls:
            idx = tc.get("index", 0)
            fn = tc.get("function") or {}
            if idx not in self.map:
                ours = fn.get("name") in self.answered
                self.map[idx] = None if ours else self.next
                self.next += 0 if ours else 1
                self.calls[idx] = {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
            call = self.calls[idx]
            call["id"] = tc.get("id") or call["id"]
            call["function"]["name"] = fn.get("name") or call["function"]["name"]
            call["function"]["arguments"] += fn.get("arguments") or ""
            client = self.map[idx]
            if client is None:
                touched = True
                continue
            if client != idx:
                tc = {**tc, "index": client}
                touched = True
            kept.append(tc)
        return kept, touched

    # ---- end of a round --------------------------------------------------------------------------

    def our_calls(self) -> list[Obj]:
        """This round's ``headroom_retrieve`` calls, complete."""
        return [self.calls[i] for i in sorted(self.map) if self.map[i] is None]

    def client_call_ids(self) -> list[str]:
        """Ids of this round's client tool calls."""
        return [str(self.calls[i]["id"]) for i in sorted(self.map) if self.map[i] is not None]

    def turn(self) -> Obj:
        """This round's assistant message, our calls included, for the continuation."""
        turn: Obj = {"role": "assistant", "content": "".join(self.text) or None}
        if self.calls:
            turn["tool_calls"] = [self.calls[i] for i in sorted(self.calls)]
        return turn

    def end_round(self) -> None:
        """Add this round's usage to the total."""
        if self.usage is not None:
            self.usage_total = add_usage(self.usage_total, self.usage)

    def finish(self, *, hid_calls: bool) -> bytes:
        """The held finish chunk, usage chunk and ``[DONE]``, rewritten when rounds were stitched or calls hidden."""
        if self.failed:
            return b""
        if not self.tail:
            return error_event(self.api, 502, "the upstream stream ended before the completion was finished")
        if self.round == 0 and not hid_calls:
            return b"".join(raw or sse(data) for raw, data in self.tail)
        out = []
        for _raw, data in self.tail:
            if data is None:
                out.append(DONE)
                continue
            chunk = dict(data)
            if isinstance(chunk.get("usage"), dict):
                chunk["usage"] = self.usage_total
            chunk["choices"] = [self._final_choice(c) for c in chunk.get("choices") or []]
            out.append(sse(chunk))
        return b"".join(out)

    def _final_choice(self, choice: Obj) -> Obj:
        if choice.get("finish_reason") == "tool_calls" and not self.client_call_ids():
            return {**choice, "finish_reason": "stop"}
        return choice
