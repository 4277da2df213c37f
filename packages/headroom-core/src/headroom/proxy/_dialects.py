"""Per-API knowledge the retrieval loop needs: where tool calls are, how a turn continues, how usage adds up.

A *turn* is the assistant's output of one upstream round in the shape it goes back into the
conversation: Anthropic content blocks, an OpenAI assistant message, or Responses output items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from headroom.formats import FormatName
from headroom.formats.responses import CALL_TYPES
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._usage import add_usage

__all__ = ["DIALECTS", "AnthropicDialect", "ChatDialect", "Dialect", "ResponsesDialect"]

Obj = dict[str, Any]


class Dialect(Protocol):
    """What the loop needs to know about one API."""

    api: str
    fmt: FormatName

    def calls(self, resp: Mapping[str, Any]) -> list[Obj]:
        """Tool calls in a non-streamed response."""
        ...

    def name(self, call: Mapping[str, Any]) -> str:
        """A call's tool name."""
        ...

    def call_id(self, call: Mapping[str, Any]) -> str:
        """A call's id (the one its result must name)."""
        ...

    def turn(self, resp: Mapping[str, Any]) -> Any:
        """The assistant turn of a non-streamed response."""
        ...

    def continue_body(self, body: Mapping[str, Any], turn: Any, results: list[Obj]) -> Obj:
        """The request that continues ``body`` after ``turn`` with our tool ``results``."""
        ...

    def strip(self, resp: Obj, ours: set[str]) -> Obj:
        """``resp`` without our calls; an empty tool turn becomes a normal end of turn."""
        ...

    def merge(self, earlier: list[Obj], final: Obj, usage: Mapping[str, Any] | None) -> Obj:
        """``final`` with what the client should see of ``earlier`` rounds first, usage summed."""
        ...


def is_ours(dialect: Dialect, call: Mapping[str, Any]) -> bool:
    """Whether ``call`` is a ``headroom_retrieve`` call."""
    return dialect.name(call) == RETRIEVE_TOOL_NAME


class AnthropicDialect:
    """Anthropic Messages."""

    api = "anthropic-messages"
    fmt: FormatName = "anthropic"

    def calls(self, resp: Mapping[str, Any]) -> list[Obj]:
        """``tool_use`` blocks."""
        return [b for b in resp.get("content") or [] if isinstance(b, dict) and b.get("type") == "tool_use"]

    def name(self, call: Mapping[str, Any]) -> str:
        """The block's ``name``."""
        return str(call.get("name", ""))

    def call_id(self, call: Mapping[str, Any]) -> str:
        """The block's ``id``."""
        return str(call.get("id", ""))

    def turn(self, resp: Mapping[str, Any]) -> Any:
        """The content blocks."""
        return list(resp.get("content") or [])

    def continue_body(self, body: Mapping[str, Any], turn: Any, results: list[Obj]) -> Obj:
        """An assistant message with the turn, then a user message with the tool results."""
        messages = [*body["messages"], {"role": "assistant", "content": turn}, {"role": "user", "content": results}]
        return {**body, "messages": messages}

    def strip(self, resp: Obj, ours: set[str]) -> Obj:
        """Our ``tool_use`` blocks removed; ``stop_reason`` becomes ``end_turn`` if no call is left."""
        content = [b for b in resp.get("content") or [] if not (b.get("type") == "tool_use" and b.get("id") in ours)]
        out = {**resp, "content": content}
        if resp.get("stop_reason") == "tool_use" and not any(b.get("type") == "tool_use" for b in content):
            out["stop_reason"] = "end_turn"
        return out

    def merge(self, earlier: list[Obj], final: Obj, usage: Mapping[str, Any] | None) -> Obj:
        """Earlier content blocks first."""
        content = [b for r in earlier for b in r.get("content") or []] + list(final.get("content") or [])
        return {**final, "content": content, "usage": usage if usage is not None else final.get("usage")}


class ChatDialect:
    """OpenAI Chat Completions."""

    api = "openai-chat"
    fmt: FormatName = "openai"

    @staticmethod
    def _message(resp: Mapping[str, Any]) -> Obj:
        choices = resp.get("choices") or [{}]
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        return message if isinstance(message, dict) else {}

    def calls(self, resp: Mapping[str, Any]) -> list[Obj]:
        """``message.tool_calls`` of the first choice."""
        return [c for c in self._message(resp).get("tool_calls") or [] if isinstance(c, dict)]

    def name(self, call: Mapping[str, Any]) -> str:
        """``function.name``."""
        fn = call.get("function")
        return str(fn.get("name", "")) if isinstance(fn, Mapping) else ""

    def call_id(self, call: Mapping[str, Any]) -> str:
        """The call's ``id``."""
        return str(call.get("id", ""))

    def turn(self, resp: Mapping[str, Any]) -> Any:
        """The assistant message (role, content, tool calls)."""
        message = self._message(resp)
        out: Obj = {"role": "assistant", "content": message.get("content")}
        if message.get("tool_calls"):
            out["tool_calls"] = message["tool_calls"]
        return out

    def continue_body(self, body: Mapping[str, Any], turn: Any, results: list[Obj]) -> Obj:
        """The assistant message, then one tool message per result."""
        return {**body, "messages": [*body["messages"], turn, *results]}

    def strip(self, resp: Obj, ours: set[str]) -> Obj:
        """Our calls removed from the first choice; ``finish_reason`` becomes ``stop`` if none is left."""
        choices = list(resp.get("choices") or [])
        if not choices:
            return resp
        choice = dict(choices[0])
        message = dict(choice.get("message") or {})
        kept = [c for c in message.get("tool_calls") or [] if c.get("id") not in ours]
        if kept:
            message["tool_calls"] = kept
        else:
            message.pop("tool_calls", None)
            if choice.get("finish_reason") == "tool_calls":
                choice["finish_reason"] = "stop"
        choice["message"] = message
        return {**resp, "choices": [choice, *choices[1:]]}

    def merge(self, earlier: list[Obj], final: Obj, usage: Mapping[str, Any] | None) -> Obj:
        """Earlier text joined before the final text."""
        texts = [self._message(r).get("content") for r in [*earlier, final]]
        joined = "\n\n".join(t for t in texts if isinstance(t, str) and t)
        out = dict(final)
        if earlier and out.get("choices"):
            choice = dict(out["choices"][0])
            choice["message"] = {**(choice.get("message") or {}), "content": joined or None}
            out["choices"] = [choice, *out["choices"][1:]]
        if usage is not None:
            out["usage"] = usage
        return out


class ResponsesDialect:
    """OpenAI Responses."""

    api = "openai-responses"
    fmt: FormatName = "responses"

    def calls(self, resp: Mapping[str, Any]) -> list[Obj]:
        """``function_call`` and ``custom_tool_call`` output items."""
        return [o for o in resp.get("output") or [] if isinstance(o, dict) and o.get("type") in CALL_TYPES]

    def name(self, call: Mapping[str, Any]) -> str:
        """The item's ``name``."""
        return str(call.get("name", ""))

    def call_id(self, call: Mapping[str, Any]) -> str:
        """The item's ``call_id``."""
        return str(call.get("call_id", ""))

    def turn(self, resp: Mapping[str, Any]) -> Any:
        """The output items."""
        return list(resp.get("output") or [])

    def continue_body(self, body: Mapping[str, Any], turn: Any, results: list[Obj]) -> Obj:
        """The input, the turn's items and our ``function_call_output`` items."""
        items = body.get("input")
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
        return {**body, "input": [*(items or []), *turn, *results]}

    def strip(self, resp: Obj, ours: set[str]) -> Obj:
        """Our ``function_call`` items removed."""
        output = [
            o for o in resp.get("output") or [] if not (o.get("type") == "function_call" and o.get("call_id") in ours)
        ]
        return {**resp, "output": output}

    def merge(self, earlier: list[Obj], final: Obj, usage: Mapping[str, Any] | None) -> Obj:
        """Earlier output items first."""
        output = [o for r in earlier for o in r.get("output") or []] + list(final.get("output") or [])
        return {**final, "output": output, "usage": usage if usage is not None else final.get("usage")}


DIALECTS: dict[str, Dialect] = {
    "anthropic-messages": AnthropicDialect(),
    "openai-chat": ChatDialect(),
    "openai-responses": ResponsesDialect(),
}


def sum_usage(usages: list[Mapping[str, Any] | None]) -> dict[str, Any] | None:
    """Usage objects of several rounds added up (None when no round reported any)."""
    present = [u for u in usages if isinstance(u, Mapping)]
    if not present:
        return None
    out: dict[str, Any] = {}
    for u in present:
        out = add_usage(out, u)
    return out
