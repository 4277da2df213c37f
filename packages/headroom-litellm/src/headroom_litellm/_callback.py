"""`HeadroomCallback`: LiteLLM's ``CustomLogger`` hooks wired to Headroom's compression and retrieval."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import litellm
from headroom import RETRIEVE_ROUNDS, CompressOptions, Store
from headroom.integrations import RETRIEVE_TOOL_NAME
from litellm.integrations.custom_logger import CustomLogger
from litellm.types.integrations.custom_logger import AgenticLoopPlan, AgenticLoopRequestPatch

from headroom_litellm._api import METADATA_KEYS, Api, api_for, has_retrieve_tool, items_key
from headroom_litellm._compat import skip_unavailable_mcp
from headroom_litellm._loop import RetrieveCalls, continue_with, follow_up_messages, rounds_in
from headroom_litellm._request import compress_call, follow_up_metadata

if TYPE_CHECKING:
    from headroom import CompressKwargs
    from typing_extensions import Unpack

__all__ = ["HeadroomCallback", "StreamingMode"]

log = logging.getLogger("headroom_litellm")

StreamingMode = Literal["buffer", "inline"]

# LiteLLM's own flag for "this stream was turned into a non-streamed call; hand the final answer back
# as a stream" (litellm.types.integrations.custom_logger.HEADROOM_CONVERTED_STREAM_KEY in 1.106).
CONVERTED_STREAM_KEY = "_headroom_interception_converted_stream"
_SURFACES: dict[str, Api] = {
    "chat_completions": "openai-chat",
    "anthropic_messages": "anthropic-messages",
    "responses": "openai-responses",
}
_FOLLOW_UP_DROP = frozenset({"stream", "stream_options", "tool_choice", "parallel_tool_calls"})
_FOLLOW_UP_KWARGS = ("api_base", "api_key", "api_version", "timeout", "extra_headers", "organization")


class HeadroomCallback(CustomLogger):
    """Compresses what LiteLLM sends to the model and answers the model's ``headroom_retrieve`` calls.

    SDK: ``litellm.callbacks = [HeadroomCallback(store=...)]``, then ``await litellm.acompletion(...)``
    (or ``litellm.anthropic.messages.acreate``, ``litellm.aresponses``). Proxy: ``litellm_settings:
    {callbacks: headroom_litellm.callback}`` in ``config.yaml`` covers ``/chat/completions``,
    ``/v1/messages`` and ``/v1/responses``. Sync ``litellm.completion`` runs none of these hooks: use
    `headroom_litellm.completion`.

    When compression leaves markers, ``headroom_retrieve`` is added to the request's tools; the model's
    calls to it are answered here, from the store, and the model is asked again, so the caller only
    ever sees the final answer, for at most ``retrieve_rounds`` rounds. A turn that also calls the
    caller's tools goes to the caller at once (`headroom.retrieval_turn`, the proxy's policy); the
    result it gives our call is replaced by the original on its next request.

    Args:
        store: where originals go; None means the process-wide default store (SQLite under
            ``$HEADROOM_HOME``), opened on first use.
        streaming: how streamed requests that carry markers are served. ``"buffer"`` (default): the
            call is made unstreamed, retrievals are answered, and the final answer is streamed back
            at once (Anthropic ``/v1/messages`` streams are held back the same way). ``"inline"``:
            the stream flows live; a ``headroom_retrieve`` call the model makes reaches the client,
            and on the next request its result is filled in from the store (inline expansion).
        retrieve_rounds: the most retrieval rounds per request (`headroom.RETRIEVE_ROUNDS`, the
            proxy's default); LiteLLM's own ``max_agentic_loops`` guard applies too.
        options: a `headroom.CompressOptions`; None means the defaults.
        **kwargs: fields of `headroom.CompressOptions` over ``options`` (checked here: an unknown name
            raises TypeError, a bad value ValueError).
    """

    server_fulfilled_tool_names: ClassVar[frozenset[str]] = frozenset({RETRIEVE_TOOL_NAME})

    def __init__(
        self,
        store: Store | None = None,
        *,
        streaming: StreamingMode = "buffer",
        retrieve_rounds: int = RETRIEVE_ROUNDS,
        options: CompressOptions | None = None,
        **kwargs: Unpack[CompressKwargs],
    ) -> None:
        super().__init__()
        self.retrieve_rounds = retrieve_rounds
        if streaming not in ("buffer", "inline"):
            raise ValueError(f"streaming must be 'buffer' or 'inline', not {streaming!r}")
        self.store = store
        self.streaming: StreamingMode = streaming
        self.options = CompressOptions.from_kwargs(kwargs, options)
        self._failures: set[str] = set()
        self._positional_warned: set[str] = set()
        if streaming == "inline":
            # Let LiteLLM stream /v1/messages answers live instead of holding them back.
            self.server_fulfilled_tool_names = frozenset()  # type: ignore[misc]  # instance override of a ClassVar

    # ---- request side ------------------------------------------------------------------------------

    def compress(self, request: dict[str, Any], api: Api) -> dict[str, Any]:
        """``request`` with its messages compressed (a new dict; fails open: errors leave it as it was)."""
        try:
            return compress_call(request, api, store=self.store, options=self.options)[0]
        except Exception as e:  # fail open: the request always goes through (DESIGN.md, principle 7)
            problem = f"{type(e).__name__}: {e}"
            if problem not in self._failures:  # each distinct failure is logged once, with its trace
                self._failures.add(problem)
                log.warning("headroom: compression failed; requests go out uncompressed", exc_info=True)
            return request

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any] | None:
        """Proxy only: compress ``/chat/completions``, ``/v1/messages`` and ``/v1/responses`` requests once.

        Runs before routing, once per client request.

        Defined on this class itself because the proxy only calls ``async_pre_call_hook`` when the
        callback's own class defines it.
        """
        api = api_for(call_type)
        if api is None:
            return None
        new = await asyncio.to_thread(self.compress, data, api)
        data.update(new)  # in place: the proxy keeps references to this dict
        return data

    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> dict[str, Any] | None:
        """SDK (``acompletion``, ``anthropic.messages.acreate``, ``aresponses``) and proxy: before each attempt.

        Runs once per attempt (retries, fallbacks); messages already compressed for this request are
        recognised and not compressed again.
        """
        api = api_for(call_type)
        if api is None:
            return None
        if items_key(api) not in kwargs:
            self._warn_positional(api)
        new = skip_unavailable_mcp(await asyncio.to_thread(self.compress, kwargs, api))
        if self._buffers(api, new):
            new = {**new, "stream": False, CONVERTED_STREAM_KEY: True}
        return new

    def _warn_positional(self, api: Api) -> None:
        # LiteLLM hands hooks only keyword arguments: acompletion("gpt-4o", messages) passes its
        # messages positionally, out of the hook's sight, and a hook cannot hand them back changed.
        if api in self._positional_warned:
            return
        self._positional_warned.add(api)
        log.warning(
            "headroom: a LiteLLM %s call passed its %s positionally, where LiteLLM's hooks cannot see them, "
            "so they went out uncompressed; pass them by keyword (%s=...)",
            api,
            items_key(api),
            items_key(api),
        )

    def _buffers(self, api: Api, request: Mapping[str, Any]) -> bool:
        # A streamed chat or Responses request that offers headroom_retrieve is made unstreamed, so
        # its retrievals can be answered here; LiteLLM streams the final answer back (/v1/messages
        # streams are held back by LiteLLM itself, see server_fulfilled_tool_names).
        return (
            api != "anthropic-messages"
            and self.streaming == "buffer"
            and request.get("stream") is True
            and has_retrieve_tool(request.get("tools"))
            and not request.get("_agentic_loop_depth")
        )

    # ---- retrieval loop: chat completions ----------------------------------------------------------

    def _found(
        self, response: Any, messages: Any, tools: Any, stream: bool, kwargs: Mapping[str, Any]
    ) -> RetrieveCalls | None:
        if stream and self.streaming == "inline":
            return None
        if not has_retrieve_tool(tools):
            return None
        # LiteLLM's depth is not seen by every gate (an outer loop sees depth 0); the follow-up's
        # history says how many rounds were answered.
        done = max(int(kwargs.get("_agentic_loop_depth") or 0), rounds_in(messages))
        return continue_with(response, rounds_done=done, retrieve_rounds=self.retrieve_rounds)

    async def async_should_run_chat_completion_agentic_loop(
        self,
        response: Any,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        stream: bool,
        custom_llm_provider: str,
        kwargs: dict[str, Any],
    ) -> tuple[bool, dict[str, Any]]:
        """Provider-level gate (OpenAI-SDK and HTTP providers): does the answer call ``headroom_retrieve``?"""
        found = self._found(response, messages, tools, stream, kwargs)
        return (True, {"api": found[0], "tool_calls": found[1]}) if found else (False, {})

    async def async_run_chat_completion_agentic_loop(
        self,
        tools: dict[str, Any],
        model: str,
        messages: list[dict[str, Any]],
        response: Any,
        optional_params: dict[str, Any],
        logging_obj: Any,
        stream: bool,
        kwargs: dict[str, Any],
    ) -> Any:
        """OpenAI-SDK providers: answer the retrieve calls and ask the model again.

        The follow-up goes through LiteLLM like any call (its own hooks included) with the loop depth
        LiteLLM tracks; past ``max_agentic_loops`` the model's answer is returned as is.
        """
        depth = int(kwargs.get("_agentic_loop_depth") or 0)
        limit = min(int(kwargs.get("max_agentic_loops") or self.retrieve_rounds), self.retrieve_rounds)
        if depth >= limit:
            log.warning("headroom: %d retrieval rounds reached; returning the model's answer as is", depth)
            return response
        found: RetrieveCalls = (tools["api"], tools["tool_calls"])
        follow_up = await asyncio.to_thread(follow_up_messages, messages, response, found, store=self.store)
        params = {k: v for k, v in optional_params.items() if k not in _FOLLOW_UP_DROP}
        extra = {k: kwargs[k] for k in _FOLLOW_UP_KWARGS if kwargs.get(k) is not None and k not in params}
        extra.update(_follow_up_kwargs(kwargs, found))
        provider = kwargs.get("custom_llm_provider") or "openai"
        return await litellm.acompletion(
            model=model if model.startswith(f"{provider}/") else f"{provider}/{model}",
            messages=follow_up,
            **params,
            **extra,
            _agentic_loop_depth=depth + 1,
            max_agentic_loops=limit,
        )

    async def async_build_chat_completion_agentic_loop_plan(
        self,
        tools: dict[str, Any],
        model: str,
        messages: list[dict[str, Any]],
        response: Any,
        optional_params: dict[str, Any],
        logging_obj: Any,
        stream: bool,
        kwargs: dict[str, Any],
    ) -> AgenticLoopPlan:
        """HTTP providers: the follow-up request, for LiteLLM to send."""
        return await self._plan(tools, messages, response, kwargs)

    # ---- retrieval loop: any surface (chat completions after the provider, messages, responses) ---

    async def async_should_run_agentic_loop(
        self,
        response: Any,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        stream: bool,
        custom_llm_provider: str,
        kwargs: dict[str, Any],
    ) -> tuple[bool, dict[str, Any]]:
        """LiteLLM's general gate: chat completions of every provider, ``/v1/messages``, ``/v1/responses``."""
        api = _SURFACES.get(str(kwargs.get("_agentic_loop_api_surface")))
        found = self._found(response, messages, tools, stream, kwargs) if api else None
        if not found or found[0] != api:
            return False, {}
        return True, {"api": found[0], "tool_calls": found[1]}

    async def async_build_agentic_loop_plan(
        self,
        tools: dict[str, Any],
        model: str,
        messages: list[dict[str, Any]],
        response: Any,
        anthropic_messages_provider_config: Any,
        anthropic_messages_optional_request_params: dict[str, Any],
        logging_obj: Any,
        stream: bool,
        kwargs: dict[str, Any],
    ) -> AgenticLoopPlan:
        """The follow-up request: the model's retrieve turn and the originals it asked for."""
        return await self._plan(tools, messages, response, kwargs)

    async def _plan(
        self, tools: Mapping[str, Any], messages: list[dict[str, Any]], response: Any, kwargs: Mapping[str, Any]
    ) -> AgenticLoopPlan:
        found: RetrieveCalls = (tools["api"], list(tools["tool_calls"]))
        follow_up = await asyncio.to_thread(follow_up_messages, messages, response, found, store=self.store)
        patch = AgenticLoopRequestPatch(messages=follow_up, kwargs=_follow_up_kwargs(kwargs, found))
        return AgenticLoopPlan(
            run_agentic_loop=True,
            request_patch=patch,
            metadata={"tool_type": RETRIEVE_TOOL_NAME, "retrievals": len(found[1])},
        )


def _follow_up_kwargs(kwargs: Mapping[str, Any], found: RetrieveCalls) -> dict[str, Any]:
    """Fresh metadata for a follow-up call, so its log entry does not repeat the request's savings."""
    api, calls = found
    keys = METADATA_KEYS[api]
    return {k: follow_up_metadata(kwargs[k], len(calls)) for k in keys if isinstance(kwargs.get(k), dict)}
