"""The retrieval round trip: find ``headroom_retrieve`` calls in a model response and build the follow-up turn.

Responses come as LiteLLM objects (``ModelResponse`` for chat completions, ``ResponsesAPIResponse``)
or as plain dicts (Anthropic ``/v1/messages``). What a turn leads to is `headroom.retrieval_turn`'s
decision, the proxy's policy: only a turn whose tool calls are all ``headroom_retrieve`` is answered
here and continued; a turn that also calls the caller's tools goes to the caller as it is, and the
result it gives our call is replaced by the original on its next request (`headroom_litellm._expand`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from headroom import RETRIEVE_ROUNDS, Store, retrieval_turn, retrieve_tool_result
from headroom.integrations import RETRIEVE_TOOL_NAME

from headroom_litellm._api import Api

__all__ = ["RetrieveCalls", "continue_with", "follow_up_messages", "retrieve_calls", "rounds_in"]

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


def _call_names(response: Any) -> list[str]:
    """The tool name of every call in a response (any API)."""
    message = _chat_message(response)
    if message is not None:
        return [
            str((c.get("function") or {}).get("name"))
            for c in message.get("tool_calls") or []
            if isinstance(c, Mapping)
        ]
    kinds = ("tool_use", "function_call", "custom_tool_call")
    items = _items(response, "content") + _items(response, "output")
    return [str(i.get("name")) for i in items if i.get("type") in kinds]


def rounds_in(messages: Any) -> int:
    """Retrieval rounds already answered in a follow-up: our turns since the caller's last message."""
    if not isinstance(messages, list):
        return 0
    rounds = 0
    for m in reversed(messages):
        m = _plain(m)
        if not isinstance(m, Mapping):
            break
        role, kind = m.get("role"), m.get("type")
        if role == "tool" or kind == "function_call_output" or _only_results(m):
            continue
        if kind == "function_call" and m.get("name") == RETRIEVE_TOOL_NAME:
            rounds += 1  # Responses: one item per call; a round of several calls counts as several
            continue
        if kind == "reasoning":
            continue
        if role == "assistant" and _retrieve_only(m):
            rounds += 1
            continue
        break
    return rounds


def _only_results(m: Mapping[str, Any]) -> bool:
    content = m.get("content")
    blocks = [_plain(b) for b in content] if isinstance(content, list) else []
    return (
        m.get("role") == "user"
        and bool(blocks)
        and all(isinstance(b, Mapping) and b.get("type") == "tool_result" for b in blocks)
    )


def _retrieve_only(m: Mapping[str, Any]) -> bool:
    calls = [_plain(c) for c in m.get("tool_calls") or []]
    names = [(c.get("function") or {}).get("name") for c in calls if isinstance(c, Mapping)]
    content = m.get("content")
    blocks = [_plain(b) for b in content] if isinstance(content, list) else []
    names += [b.get("name") for b in blocks if isinstance(b, Mapping) and b.get("type") == "tool_use"]
    return bool(names) and all(n == RETRIEVE_TOOL_NAME for n in names)


def continue_with(response: Any, *, rounds_done: int, retrieve_rounds: int = RETRIEVE_ROUNDS) -> RetrieveCalls | None:
    """The retrieve calls to answer before asking the model again, or None when the turn goes to the caller."""
    found = retrieve_calls(response)
    if found is None:
        return None
    turn = retrieval_turn(_call_names(response), rounds_done=rounds_done, retrieve_rounds=retrieve_rounds)
    if turn.action == "stop":
        _strip_retrieve_calls(response)
    return found if turn.action == "continue" else None


def _strip_retrieve_calls(response: Any) -> None:
    """Take our calls out of a response whose rounds are spent, so the turn ends as a plain answer.

    In place: LiteLLM hands the same object on to any outer loop and to the caller.
    """
    choices = response.get("choices") if isinstance(response, dict) else getattr(response, "choices", None)
    if choices:
        choice = choices[0]
        message = choice.get("message") if isinstance(choice, dict) else getattr(choice, "message", None)
        if message is None:
            return
        calls = message.get("tool_calls") if isinstance(message, dict) else getattr(message, "tool_calls", None)
        kept = [c for c in calls or [] if (_plain(c).get("function") or {}).get("name") != RETRIEVE_TOOL_NAME]
        _set(message, "tool_calls", kept or None)
        if not kept:
            _set(choice, "finish_reason", "stop")
        return
    for key, done in (("content", ("stop_reason", "end_turn")), ("output", None)):
        items = response.get(key) if isinstance(response, dict) else getattr(response, key, None)
        if isinstance(items, list) and any(_is_retrieve(_plain(i)) for i in items if isinstance(_plain(i), Mapping)):
            kept = [i for i in items if not (isinstance(_plain(i), Mapping) and _is_retrieve(_plain(i)))]
            _set(response, key, kept)
            if done and not any(_plain(i).get("type") == "tool_use" for i in kept if isinstance(_plain(i), Mapping)):
                _set(response, *done)


def _set(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


def follow_up_messages(
    messages: list[Any], response: Any, found: RetrieveCalls, *, store: Store | None
) -> list[dict[str, Any]]:
    """``messages`` plus the model's retrieve turn and the originals it asked for."""
    api, calls = found
    if api == "openai-chat":
        message = _chat_message(response) or {}
        assistant: dict[str, Any] = {"role": "assistant", "content": message.get("content"), "tool_calls": calls}
        answers = [retrieve_tool_result(c, format=api, store=store) for c in calls]
        return [*messages, assistant, *answers]
    key = "content" if api == "anthropic-messages" else "output"
    # Reasoning/thinking, text and the retrieve calls, in the order the model wrote them (thinking leads).
    kept = [i for i in _items(response, key) if i.get("type") not in ("tool_use", "function_call") or _is_retrieve(i)]
    results = [retrieve_tool_result(c, format=api, store=store) for c in calls]
    if api == "anthropic-messages":
        return [*messages, {"role": "assistant", "content": kept}, {"role": "user", "content": results}]
    return [*messages, *kept, *results]
