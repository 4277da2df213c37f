"""A scripted Agno model that records what it was sent (Agno ships no test model)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse
from headroom import find_refs

Turn = str | dict[str, Any] | Callable[[list[tuple[str, Any]]], "str | dict[str, Any]"]


@dataclass
class Call:
    """One model call as the provider would send it: (role, content) pairs and the tool names offered."""

    messages: list[tuple[str, Any]]
    tools: list[str]

    def tool_contents(self) -> list[Any]:
        return [content for role, content in self.messages if role == "tool"]


@dataclass
class ScriptedModel(Model):
    """Answers each call with the next turn: text, ``{"tool", "args", "id"?}``, or a function of the messages."""

    id: str = "gpt-4o"
    name: str = "ScriptedModel"
    provider: str = "scripted"
    turns: list[Turn] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def _answer(self, messages: list[Message], tools: Any, compress_tool_results: bool) -> Turn:
        sent = [(m.role, m.get_content(use_compressed_content=compress_tool_results)) for m in messages]
        names = [(t.get("function") or t).get("name") for t in tools or []]
        self.calls.append(Call(sent, names))
        turn = self.turns.pop(0) if self.turns else "done"
        return turn(sent) if callable(turn) else turn

    @staticmethod
    def _tool_call(turn: dict[str, Any]) -> ModelResponse:
        call = {"id": turn.get("id", "call-1"), "type": "function"}
        call["function"] = {"name": turn["tool"], "arguments": json.dumps(turn["args"])}
        return ModelResponse(role="assistant", tool_calls=[call])

    def invoke(  # type: ignore[override]
        self, messages: list[Message], assistant_message: Message, tools: Any = None, **kw: Any
    ) -> ModelResponse:
        turn = self._answer(messages, tools, kw.get("compress_tool_results", False))
        return ModelResponse(role="assistant", content=turn) if isinstance(turn, str) else self._tool_call(turn)

    async def ainvoke(self, *args: Any, **kw: Any) -> ModelResponse:  # type: ignore[override]
        return self.invoke(*args, **kw)

    def invoke_stream(  # type: ignore[override]
        self, messages: list[Message], assistant_message: Message, tools: Any = None, **kw: Any
    ) -> Iterator[ModelResponse]:
        turn = self._answer(messages, tools, kw.get("compress_tool_results", False))
        if not isinstance(turn, str):
            yield self._tool_call(turn)
            return
        for word in turn.split(" "):  # several chunks, as a real stream
            yield ModelResponse(role="assistant", content=word + " ")

    async def ainvoke_stream(self, *args: Any, **kw: Any) -> AsyncIterator[ModelResponse]:  # type: ignore[override]
        for response in self.invoke_stream(*args, **kw):
            yield response

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response  # type: ignore[no-any-return]

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response  # type: ignore[no-any-return]


def retrieve_first_ref(sent: list[tuple[str, Any]]) -> dict[str, Any]:
    """A turn calling ``headroom_retrieve`` for the first ref named in the latest message."""
    refs = find_refs(json.dumps(sent[-1][1]))
    assert refs, "the model was sent no marker to retrieve"
    return {"tool": "headroom_retrieve", "args": {"ref": refs[0]}, "id": "call-2"}
