"""`wrap_model`: any Agno model, sending compressed copies of its messages."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from agno.metrics import RunMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse
from headroom import CompressOptions, Edit, Store, compress, find_refs
from headroom.integrations import RETRIEVE_TOOL_NAME

from headroom_agno._convert import apply_edits, message_texts, to_openai
from headroom_agno._metrics import MODEL_INPUT_TOKENS_SAVED, SECONDS, TOKENS_SAVED, agno_options, record

if TYPE_CHECKING:
    from headroom import CompressKwargs
    from typing_extensions import Unpack

log = logging.getLogger("headroom_agno")

M = TypeVar("M", bound=Model)

Call = tuple[tuple[Any, ...], dict[str, Any]]
_REMEMBER = 100_000


class _Settings:
    """A wrapped model's Headroom settings, and the blocks whose savings were already counted.

    Agno copies models for each run; the settings, the store and the counted blocks stay shared.
    """

    def __init__(self, store: Store | None, model: str | None, options: CompressOptions) -> None:
        self.store, self.model, self.options = store, model, options
        self._counted: dict[bytes, None] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Settings:
        return self

    def first_savings(self, edits: Sequence[Edit]) -> int:
        """Tokens saved by the blocks not counted before: each block's saving counts once, not per call."""
        total = 0
        with self._lock:
            for e in edits:
                key = hashlib.blake2b(f"{e.index}\0{e.old}".encode(), digest_size=16).digest()
                if key not in self._counted:
                    self._counted[key] = None
                    total += e.tokens_saved
            while len(self._counted) > _REMEMBER:
                del self._counted[next(iter(self._counted))]
        return total

    def messages(
        self, messages: Sequence[Message], *, model: str, use_compressed: bool, metrics: RunMetrics | None
    ) -> tuple[list[Message], bool]:
        """Compressed copies of the messages to send, and whether they name any ref (fails open)."""
        t0 = time.perf_counter()
        out, saved = list(messages), 0
        try:
            view = to_openai(messages, use_compressed=use_compressed)
            result = compress(view, self.model or model, format="openai", store=self.store, options=self.options)
            out = apply_edits(messages, result.edits, use_compressed=use_compressed)
            saved = self.first_savings(result.edits)
        except Exception as e:  # fail open: the model call goes out with the messages as they were
            log.warning("headroom: model input left uncompressed: %r", e)
        record(metrics, **{TOKENS_SAVED: saved, MODEL_INPUT_TOKENS_SAVED: saved, SECONDS: time.perf_counter() - t0})
        return out, any(find_refs(t) for m in out for t in message_texts(m, use_compressed))


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return None
    fn = tool.get("function")
    return str(fn.get("name")) if isinstance(fn, dict) else tool.get("name")


class HeadroomModel:
    """Mixed into a copy of an Agno model by `wrap_model`: each provider call gets compressed messages.

    The run's own ``messages`` are never changed: the provider gets new `Message` copies where core
    replaced text. Each run's ``metrics.additional_metrics`` gets ``headroom_model_input_tokens_saved``
    (each block's saving counted once, on the first call that sends it compressed, however many
    calls carry it), added to ``headroom_tokens_saved``, and ``headroom_seconds``.
    ``isinstance(model, HeadroomModel)`` tells a wrapped model.
    """

    _headroom: _Settings
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
        sent, named = self._headroom.messages(
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


def wrap_model(
    model: M,
    *,
    store: Store | None = None,
    model_name: str | None = None,
    options: CompressOptions | None = None,
    **kwargs: Unpack[CompressKwargs],
) -> M:
    """A copy of ``model`` (any Agno provider) whose every call sends compressed messages.

    Give the agent `headroom_retrieve_tool` with the same store: while it is missing, messages go
    out uncompressed (a marker would name an original the model could not fetch).

    Args:
        model: an Agno model (``OpenAIChat(...)``, ``Claude(...)``, ...); it is left as it was.
        store: where originals go; None means the process-wide default store.
        model_name: the model name for token counting; None takes ``model.id``.
        options: a `headroom.CompressOptions` (its ``fit`` is ignored).
        **kwargs: fields of `headroom.CompressOptions` over ``options``, except ``fit``.

    Returns:
        An instance of a subclass of ``type(model)`` (and of `HeadroomModel`) with the same settings.

    Raises:
        TypeError: an unknown option, or a model that is already wrapped.
        ValueError: ``fit`` was passed.
    """
    if isinstance(model, HeadroomModel):
        raise TypeError("this model is already wrapped by Headroom")
    settings = _Settings(store, model_name, agno_options(options, kwargs))
    cls = _wrapped_class(type(model))
    clone = cls.__new__(cls)
    # Agno models are dataclasses; a copy of the instance dict keeps every setting and client.
    clone.__dict__.update(model.__dict__)
    clone.__dict__["_headroom"] = settings
    clone.__dict__["_headroom_warned"] = False
    return cast(M, clone)
