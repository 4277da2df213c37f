"""`completion`: the sync path. LiteLLM's sync ``completion`` runs no pre-call or agentic-loop hooks."""

from __future__ import annotations

from typing import Any

import litellm

from headroom_litellm._api import has_retrieve_tool
from headroom_litellm._callback import HeadroomCallback
from headroom_litellm._compat import skip_unavailable_mcp
from headroom_litellm._loop import follow_up_messages, retrieve_calls

__all__ = ["completion"]


def completion(*, callback: HeadroomCallback | None = None, max_retrievals: int = 3, **kwargs: Any) -> Any:
    """``litellm.completion`` with the messages compressed and ``headroom_retrieve`` answered here.

    LiteLLM calls no async hooks on its sync path (and prompt-management hooks only when a
    ``prompt_id`` is given), so `HeadroomCallback` cannot act there; this wrapper does the same work
    in the caller's thread.

    Args:
        callback: the callback whose store and options to use; a default `HeadroomCallback` when None.
        max_retrievals: at most this many retrieval rounds; after them the model's answer is returned as is.
        **kwargs: everything ``litellm.completion`` takes (``model``, ``messages``, ``tools``, ...).

    Returns:
        The ``ModelResponse`` of the last round.

    Raises:
        ValueError: ``stream=True`` (a streamed answer cannot be given back to the model here; use
            ``litellm.acompletion`` with the callback registered).
    """
    if kwargs.get("stream"):
        raise ValueError("headroom_litellm.completion does not stream; use litellm.acompletion with HeadroomCallback")
    cb = callback or HeadroomCallback()
    request = skip_unavailable_mcp(cb.compress(dict(kwargs), "openai-chat"))
    response = litellm.completion(**request)
    for _ in range(max_retrievals):
        found = retrieve_calls(response) if has_retrieve_tool(request.get("tools")) else None
        if found is None:
            break
        messages = follow_up_messages(request["messages"], response, found, store=cb.store)
        request = {k: v for k, v in request.items() if k != "tool_choice"} | {"messages": messages}
        response = litellm.completion(**request)
    return response
