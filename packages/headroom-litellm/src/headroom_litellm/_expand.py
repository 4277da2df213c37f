"""Inline expansion: a ``headroom_retrieve`` call that reached the client is answered on its next request.

With live streams (``streaming="inline"``) the model's retrieve call goes to the client, which
cannot run it. When the client sends the conversation back, the result it gave that call (an error,
usually) is replaced by the original from the store, so the model reads what it asked for.
"""

from __future__ import annotations

from typing import Any

from headroom import Store
from headroom.integrations import RETRIEVE_TOOL_NAME, answer_retrieve, get_format

from headroom_litellm._api import Api, tool_name

__all__ = ["expand_retrievals"]


def expand_retrievals(items: list[Any], api: Api, store: Store | None) -> list[Any]:
    """``items`` with every answer to a ``headroom_retrieve`` call filled in from the store.

    Answers whose ref the store cannot redeem keep what the client sent. The list is new; the items
    that change are new dicts; nothing the caller passed is mutated.
    """
    calls: dict[str, dict[str, Any]] = {}
    out = list(items)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return items
        calls.update({_call_id(c): c for c in _retrieve_calls_in(item, api)})
        if calls:
            out[i] = _answered(item, api, calls, store)
    return out


def _call_id(call: dict[str, Any]) -> str:
    return str(call.get("call_id") or call.get("id"))


def _retrieve_calls_in(item: dict[str, Any], api: Api) -> list[dict[str, Any]]:
    if api == "openai-responses":
        return [item] if item.get("type") == "function_call" and item.get("name") == RETRIEVE_TOOL_NAME else []
    if item.get("role") != "assistant":
        return []
    if api == "openai-chat":
        found = item.get("tool_calls") or []
    else:
        content = item.get("content")
        found = (
            [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
            if isinstance(content, list)
            else []
        )
    return [c for c in found if isinstance(c, dict) and tool_name(c) == RETRIEVE_TOOL_NAME]


def _answer(call: dict[str, Any], api: Api, store: Store | None) -> dict[str, Any] | None:
    """The store's answer to a retrieve call, or None when the store cannot give it."""
    adapter = get_format(api)
    parsed = adapter.parse_tool_call(call)
    text, is_error = answer_retrieve(parsed.arguments, store)
    return None if is_error else adapter.tool_result(parsed.id, text, is_error=False)


def _answered(item: dict[str, Any], api: Api, calls: dict[str, dict[str, Any]], store: Store | None) -> dict[str, Any]:
    if api == "openai-chat" and item.get("role") == "tool" and str(item.get("tool_call_id")) in calls:
        answer = _answer(calls[str(item.get("tool_call_id"))], api, store)
        return item if answer is None else {**item, "content": answer["content"]}
    if api == "openai-responses" and item.get("type") == "function_call_output" and str(item.get("call_id")) in calls:
        answer = _answer(calls[str(item.get("call_id"))], api, store)
        return item if answer is None else {**item, "output": answer["output"]}
    content = item.get("content")
    if api != "anthropic-messages" or item.get("role") != "user" or not isinstance(content, list):
        return item
    blocks = []
    for block in content:
        call = calls.get(str(block.get("tool_use_id"))) if isinstance(block, dict) else None
        answer = _answer(call, api, store) if call is not None and block.get("type") == "tool_result" else None
        blocks.append(block if answer is None else {**block, "content": answer["content"], "is_error": False})
    return {**item, "content": blocks} if blocks != content else item
