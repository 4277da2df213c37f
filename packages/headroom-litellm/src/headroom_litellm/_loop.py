"""The retrieval round trip: find ``headroom_retrieve`` calls in a model response and build the follow-up turn.

Responses come as LiteLLM objects (``ModelResponse`` for chat completions, ``ResponsesAPIResponse``)
or as plain dicts (Anthropic ``/v1/messages``). Only the retrieve calls are echoed back with their
answers: other tool calls of the same turn are dropped, so the model re-plans them with the
retrieved content in view (echoing them would leave calls without results, which providers reject).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from headroom import Store, retrieve_tool_result
from headroom.formats import FormatName
from headroom.markers import RETRIEVE_TOOL_NAME

from headroom_litellm._api import Api

__all__ = ["RetrieveCalls", "follow_up_messages", "retrieve_calls"]

RetrieveCalls = tuple[Api, list[dict[str, Any]]]
"""The API a response speaks and its ``headroom_retrieve`` calls, as that API writes tool calls."""


def _plain(value: Any) -> Any:
    """A LiteLLM/pydantic object as plain data (dicts and lists pass through)."""
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", warnings=False) if callable(dump) else value


def _chat_message(response: Any) -> Mapping[str, Any] | None:
    choices = getattr(response, "choices", None)
    if choices is None and isinstance(response, Mapping):
        choices = response.get("choices")
    if not choices:
        return None
    message = _plain(choices[0]).get("message")
    return message if isinstance(message, Mapping) else None


def _chat_call(call: Mapping[str, Any]) -> dict[str, Any]:
    fn = call.get("function") or {}
    arguments = fn.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {})
    return {"id": str(call.get("id")), "type": "function", "function": {"name": fn.get("name"), "arguments": arguments}}


def _items(response: Any, key: str) -> list[dict[str, Any]]:
    """The ``content`` blocks (Anthropic) or ``output`` items (Responses) of a response, as dicts."""
    plain = _plain(response)
    found = plain.get(key) if isinstance(plain, Mapping) else None
    return [dict(_plain(i)) for i in found if isinstance(_plain(i), Mapping)] if isinstance(found, list) else []


def _is_retrieve(item: Mapping[str, Any]) -> bool:
    return item.get("type") in ("tool_use", "function_call") and item.get("name") == RETRIEVE_TOOL_NAME


def retrieve_calls(response: Any) -> RetrieveCalls | None:
    """The ``headroom_retrieve`` calls a non-streamed response makes, or None when it makes none."""
    message = _chat_message(response)
    if message is not None:
        calls = [_chat_call(c) for c in message.get("tool_calls") or [] if isinstance(c, Mapping)]
        found = [c for c in calls if c["function"]["name"] == RETRIEVE_TOOL_NAME]
        return ("openai-chat", found) if found else None
    blocks = [i for i in _items(response, "content") if _is_retrieve(i)]
    if blocks:
        return "anthropic-messages", blocks
    items = [i for i in _items(response, "output") if _is_retrieve(i)]
    return ("openai-responses", items) if items else None


def follow_up_messages(
    messages: list[Any], response: Any, found: RetrieveCalls, *, store: Store | None
) -> list[dict[str, Any]]:
    """``messages`` plus the model's retrieve turn and the originals it asked for."""
    api, calls = found
    if api == "openai-chat":
        message = _chat_message(response) or {}
        assistant: dict[str, Any] = {"role": "assistant", "content": message.get("content"), "tool_calls": calls}
        answers = [retrieve_tool_result(c, format="openai", store=store) for c in calls]
        return [*messages, assistant, *answers]
    key = "content" if api == "anthropic-messages" else "output"
    fmt: FormatName = "anthropic" if api == "anthropic-messages" else "responses"
    # Reasoning/thinking, text and the retrieve calls, in the order the model wrote them (thinking leads).
    kept = [i for i in _items(response, key) if i.get("type") not in ("tool_use", "function_call") or _is_retrieve(i)]
    results = [retrieve_tool_result(c, format=fmt, store=store) for c in calls]
    if api == "anthropic-messages":
        return [*messages, {"role": "assistant", "content": kept}, {"role": "user", "content": results}]
    return [*messages, *kept, *results]
