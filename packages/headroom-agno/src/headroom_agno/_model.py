"""`wrap_model`: any Agno model, sending compressed copies of its messages."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar, cast

from agno.models.base import Model
from agno.models.response import ModelResponse
from headroom import Store
from headroom.markers import RETRIEVE_TOOL_NAME

from headroom_agno._engine import Engine

log = logging.getLogger("headroom_agno")

M = TypeVar("M", bound=Model)

Call = tuple[tuple[Any, ...], dict[str, Any]]


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return None
    fn = tool.get("function")
    return str(fn.get("name")) if isinstance(fn, dict) else tool.get("name")


class HeadroomModel:
    """Mixed into a copy of an Agno model by `wrap_model`: each provider call gets compressed messages.

    The run's own ``messages`` are never changed: the provider gets new `Message` copies where core
    replaced text. Each run's ``metrics.additional_metrics`` gets ``headroom_model_input_tokens_saved``
    (summed over the run's model calls), added to ``headroom_tokens_saved``, and ``headroom_seconds``.
    ``isinstance(model, HeadroomModel)`` tells a wrapped model.
    """

    _headroom_engine: Engine
    _headroom_warned: bool

    def _headroom_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        """The call's arguments with the messages compressed, and ``headroom_retrieve`` only where needed."""
        messages = kwargs["messages"] if "messages" in kwargs else args[0]
        tools = kwargs.get("tools") or []
        if not any(_tool_name(t) == RETRIEVE_TOOL_NAME for t in tools):
            if not self._headroom_warned:
                self._headroom_warned = True
                log.warning(
                    "headroom: a wrapped model left its messages uncompressed: the agent has no %s tool; "
                    "add headroom_retrieve_tool(store) to its tools",
                    RETRIEVE_TOOL_NAME,
                )
            return args, kwargs
        run = kwargs.get("run_response")
        sent, named = self._headroom_engine.messages(
            messages,
            model=str(getattr(self, "id", "") or ""),
            use_compressed=bool(kwargs.get("compress_tool_results")),
            metrics=getattr(run, "metrics", None),
        )
        kwargs = dict(kwargs)
        if not named:  # like core: the retrieve tool is offered once a marker is there to redeem
            kwargs["tools"] = [t for t in tools if _tool_name(t) != RETRIEVE_TOOL_NAME]
        if "messages" in kwargs:
            kwargs["messages"] = sent
            return args, kwargs
        return (sent, *args[1:]), kwargs

    def invoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        """The provider's ``invoke`` with compressed messages."""
        args, kwargs = self._headroom_call(args, kwargs)
        return cast(ModelResponse, cast(Any, super()).invoke(*args, **kwargs))

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        """The provider's ``ainvoke`` with compressed messages (compressed in a worker thread)."""
        args, kwargs = await asyncio.to_thread(self._headroom_call, args, kwargs)
        return cast(ModelResponse, await cast(Any, super()).ainvoke(*args, **kwargs))

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        """The provider's ``invoke_stream`` with compressed messages."""
        args, kwargs = self._headroom_call(args, kwargs)
        yield from cast(Any, super()).invoke_stream(*args, **kwargs)

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        """The provider's ``ainvoke_stream`` with compressed messages."""
        args, kwargs = await asyncio.to_thread(self._headroom_call, args, kwargs)
        async for response in cast(Any, super()).ainvoke_stream(*args, **kwargs):
            yield response


@functools.cache
def _wrapped_class(cls: type[Model]) -> type[Model]:
    return cast(type[Model], type(f"Headroom{cls.__name__}", (HeadroomModel, cls), {}))


def wrap_model(model: M, *, store: Store | None = None, model_name: str | None = None, **options: Any) -> M:
    """A copy of ``model`` (any Agno provider) whose every call sends compressed messages.

    Give the agent `headroom_retrieve_tool` with the same store: while it is missing, messages go
    out uncompressed (a marker would name an original the model could not fetch).

    Args:
        model: an Agno model (``OpenAIChat(...)``, ``Claude(...)``, ...); it is left as it was.
        store: where originals go; None means the process-wide default store.
        model_name: the model name for token counting; None takes ``model.id``.
        **options: fields of `headroom.CompressOptions`, except ``fit``.

    Returns:
        An instance of a subclass of ``type(model)`` (and of `HeadroomModel`) with the same settings.

    Raises:
        TypeError: an unknown option, or a model that is already wrapped.
        ValueError: ``fit`` was passed.
    """
    if isinstance(model, HeadroomModel):
        raise TypeError("this model is already wrapped by Headroom")
    engine = Engine(store=store, model=model_name, options=options)
    cls = _wrapped_class(type(model))
    clone = cls.__new__(cls)
    # Agno models are dataclasses; a copy of the instance dict keeps every setting and client.
    clone.__dict__.update(model.__dict__)
    clone.__dict__["_headroom_engine"] = engine
    clone.__dict__["_headroom_warned"] = False
    return cast(M, clone)
