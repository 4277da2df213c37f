"""A scripted Strands model that records exactly what it was sent (Strands ships no test model)."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncGenerator, Callable
from typing import Any

from headroom import find_refs
from strands.models import Model

Turn = str | dict[str, Any] | Callable[[list[dict[str, Any]]], "str | dict[str, Any]"]


class ScriptedModel(Model):
    """Answers each call with the next turn: text, ``{"tool", "input", "id"?}``, or a function of the messages.

    ``calls`` holds, per call, a deep copy of the messages and the names of the tools offered.
    """

    def __init__(self, turns: list[Turn], model_id: str = "claude-sonnet-4-5") -> None:
        self.turns = list(turns)
        self.calls: list[tuple[list[dict[str, Any]], list[str]]] = []
        self.config: dict[str, Any] = {"model_id": model_id}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return self.config

    async def structured_output(self, output_model: Any, prompt: Any, system_prompt: Any = None, **kw: Any) -> Any:
        yield {"output": output_model(**self.turns.pop(0))}  # type: ignore[arg-type]

    async def stream(  # type: ignore[override]
        self, messages: list[dict[str, Any]], tool_specs: Any = None, system_prompt: Any = None, **kw: Any
    ) -> AsyncGenerator[dict[str, Any], None]:
        self.calls.append((copy.deepcopy(messages), [s["name"] for s in tool_specs or []]))
        turn = self.turns.pop(0) if self.turns else "done"
        if callable(turn):
            turn = turn(messages)
        yield {"messageStart": {"role": "assistant"}}
        if isinstance(turn, str):
            yield {"contentBlockStart": {"start": {}}}
            for word in turn.split(" "):  # several deltas, as a real stream
                yield {"contentBlockDelta": {"delta": {"text": word + " "}}}
            yield {"contentBlockStop": {}}
            stop = "end_turn"
        else:
            start = {"toolUse": {"name": turn["tool"], "toolUseId": turn.get("id", "call-1")}}
            yield {"contentBlockStart": {"start": start}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(turn["input"])}}}}
            yield {"contentBlockStop": {}}
            stop = "tool_use"
        yield {"messageStop": {"stopReason": stop}}
        yield {
            "metadata": {
                "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
                "metrics": {"latencyMs": 1},
            }
        }


def retrieve_first_ref(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A turn calling ``headroom_retrieve`` for the first ref named in the latest message."""
    refs = find_refs(json.dumps(messages[-1]))
    assert refs, "the model was sent no marker to retrieve"
    return {"tool": "headroom_retrieve", "input": {"ref": refs[0]}, "id": "call-2"}


def tool_result_texts(message: dict[str, Any]) -> list[str]:
    """The text items of every tool result in one message."""
    return [
        item["text"]
        for block in message["content"]
        if "toolResult" in block
        for item in block["toolResult"]["content"]
        if "text" in item
    ]
