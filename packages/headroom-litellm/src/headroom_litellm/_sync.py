"""`completion`: the sync path. LiteLLM's sync ``completion`` runs no pre-call or agentic-loop hooks."""

from __future__ import annotations

from typing import Any

import litellm

from headroom_litellm._api import has_retrieve_tool
from headroom_litellm._callback import HeadroomCallback
from headroom_litellm._compat import skip_unavailable_mcp
from headroom_litellm._loop import continue_with, follow_up_messages

__all__ = ["completion"]


def completion(*, callback: HeadroomCallback | None = None, retrieve_rounds: int | None = None, **kwargs: Any) -> Any:
    """``litellm.completion`` with the messages compressed and ``headroom_retrieve`` answered here.

    LiteLLM calls no async hooks on its sync path (and prompt-management hooks only when a
    ``prompt_id`` is given), so `HeadroomCallback` cannot act there; this wrapper does the same work
    in the caller's thread.

    Args:
        callback: the callback whose store and options to use; a default `HeadroomCallback` when None.
        retrieve_rounds: at most this many retrieval rounds (default: the callback's, 3); after them
            the model's answer is returned as is.
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
    rounds = cb.retrieve_rounds if retrieve_rounds is None else retrieve_rounds
    for done in range(rounds):
        found = continue_with(response, rounds_done=done, retrieve_rounds=rounds)
        if found is None or not has_retrieve_tool(request.get("tools")):
            break
        messages = follow_up_messages(request["messages"], response, found, store=cb.store)
        request = {k: v for k, v in request.items() if k != "tool_choice"} | {"messages": messages}
        response = litellm.completion(**request)
    return response
