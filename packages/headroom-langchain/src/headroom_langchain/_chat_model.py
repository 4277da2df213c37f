"""`HeadroomChatModel`: a chat model that compresses what it is sent, then delegates to yours."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from headroom import RETRIEVE_ROUNDS, CompressOptions, Store, retrieval_turn
from headroom.integrations import RETRIEVE_TOOL_NAME
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableBinding, RunnableLambda
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from headroom_langchain._convert import compress_lc
from headroom_langchain._retrieve import (
    answer,
    retrieve_tool_definition,
    strip_message,
    tool_name,
    with_call_ids,
)
from headroom_langchain._stream import Relay, as_chunk

DEFAULT_MODEL = "gpt-4o"
_RETRIEVE_KWARGS = "headroom_retrieve_kwargs"
# Value of _RETRIEVE_KWARGS when the caller bound a headroom_retrieve tool of their own: the agent runs it.
_CALLER_RETRIEVES = "caller"


@dataclass(frozen=True)
class _Call:
    """One call to the inner model: the compressed messages, its kwargs, and whether to answer retrieval."""

    messages: list[BaseMessage]
    kwargs: dict[str, Any]
    answer: bool


def _binding_kwargs(bound: Runnable[Any, Any], model: BaseChatModel) -> dict[str, Any]:
    if isinstance(bound, RunnableBinding) and bound.bound is model:
        return dict(bound.kwargs)
    raise NotImplementedError(
        f"{type(model).__name__}.bind_tools returned {type(bound).__name__}, not a binding of the model itself; "
        "HeadroomChatModel cannot forward its tools"
    )


def _add_usage(total: UsageMetadata | None, message: BaseMessage) -> UsageMetadata | None:
    usage = message.usage_metadata if isinstance(message, AIMessage) else None
    if usage is None:
        return total
    return usage if total is None else add_usage(total, usage)


class HeadroomChatModel(BaseChatModel):
    """Wraps any LangChain chat model: messages are compressed with Headroom before they reach it.

    Tool outputs, logs, JSON and long pasted text shrink; what is left out is kept in ``store`` and
    named by markers. While markers are present the ``headroom_retrieve`` tool is bound to the inner
    model next to your own tools, and when the model calls it this wrapper answers the call with the
    original and calls the model again, so your agent never sees that tool (``answer_retrieve``).
    ``invoke``, ``ainvoke``, ``stream``, ``astream``, ``batch``, ``bind_tools``,
    ``with_structured_output`` and callbacks work as on the inner model; your messages and history
    are never changed.

    Example:
        >>> model = HeadroomChatModel(model=ChatOpenAI(model="gpt-4o"))  # doctest: +SKIP
        >>> agent_model = model.bind_tools([read_log])  # doctest: +SKIP

    Serializable with LangChain's ``dumpd``/``load`` (inner model and options; the store is a live
    object and is not serialized: a loaded wrapper uses the default store unless given one).

    Attributes:
        model: the chat model that answers.
        store: where originals are kept; None means the process-wide default store (SQLite under
            ``$HEADROOM_HOME``), so another process can redeem the refs.
        model_name: the model Headroom counts tokens and context limits for; by default the inner
            model's ``model_name`` / ``model`` / ``model_id``, else ``"gpt-4o"``.
        options: `headroom.CompressOptions` for every call.
        answer_retrieve: offer ``headroom_retrieve`` and answer it inside the wrapper. When False (or
            when your bound tools already include a ``headroom_retrieve`` tool, such as
            `headroom_retrieve_tool`), the calls are left to your agent.
        retrieve_rounds: how many times one call may answer ``headroom_retrieve`` before the
            model's reply is returned as it is (with the retrieval calls removed); the same option
            and default (`headroom.RETRIEVE_ROUNDS`) as the proxy's. A reply that also calls your
            tools goes to your agent at once (`headroom.retrieval_turn`), without the retrieval calls.
    """

    model: BaseChatModel
    store: Store | None = Field(default=None, exclude=True)
    model_name: str | None = None
    options: CompressOptions = Field(default_factory=CompressOptions)
    answer_retrieve: bool = True
    retrieve_rounds: int = Field(default=RETRIEVE_ROUNDS, ge=0)

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """True: ``dumpd``/``load`` round-trip the wrapper with its inner model and options."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["headroom_langchain"]``, where ``load`` finds the class."""
        return ["headroom_langchain"]

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """The options that differ from the defaults, as plain JSON values (so a serialized model
        does not change when core adds an option); the store, a live object, is not serialized."""
        defaults = CompressOptions()
        changed = {f.name: getattr(self.options, f.name) for f in dataclasses.fields(CompressOptions)}
        changed = {k: v for k, v in changed.items() if v != getattr(defaults, k)}
        return {"options": changed} if changed else {}

    @property
    def _llm_type(self) -> str:
        return f"headroom-{self.model._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"headroom_inner": self.model._llm_type, **self.model._identifying_params}

    def _resolve_model_profile(self) -> ModelProfile | None:
        return self.model.profile

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        kwargs.pop(_RETRIEVE_KWARGS, None)
        return self.model._get_ls_params(stop=stop, **kwargs)

    def count_model(self) -> str:
        """The model name Headroom counts tokens for (see ``model_name``)."""
        if self.model_name:
            return self.model_name
        for attr in ("model_name", "model", "model_id"):
            value = getattr(self.model, attr, None)
            if isinstance(value, str) and value:
                return value
        return DEFAULT_MODEL

    # --- tools and structured output -------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools through the inner model's own ``bind_tools`` (its provider formats them).

        The same tools plus ``headroom_retrieve`` are prepared too, and used on calls whose
        compressed messages carry markers.
        """
        tools = list(tools)
        plain = _binding_kwargs(self.model.bind_tools(tools, tool_choice=tool_choice, **kwargs), self.model)
        extra: dict[str, Any] | str
        if not self.answer_retrieve or any(tool_name(t) == RETRIEVE_TOOL_NAME for t in tools):
            extra = _CALLER_RETRIEVES
        else:
            with_retrieve = self.model.bind_tools(
                [*tools, retrieve_tool_definition()], tool_choice=tool_choice, **kwargs
            )
            extra = _binding_kwargs(with_retrieve, self.model)
        return self.bind(**plain, **{_RETRIEVE_KWARGS: extra})

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """The inner model's own structured output, fed compressed messages.

        The provider's native structured-output mode is kept, so ``headroom_retrieve`` is not offered
        on this path: markers stay in the input as they are.
        """
        structured = self.model.with_structured_output(schema, include_raw=include_raw, **kwargs)
        step: Runnable[LanguageModelInput, list[BaseMessage]] = RunnableLambda(
            self._compress_input, afunc=self._acompress_input, name="HeadroomCompress"
        )
        return step | structured

    def _compress_input(self, value: LanguageModelInput) -> list[BaseMessage]:
        messages = self._convert_input(value).to_messages()
        return compress_lc(messages, model=self.count_model(), store=self.store, options=self.options).messages

    async def _acompress_input(self, value: LanguageModelInput) -> list[BaseMessage]:
        return await asyncio.to_thread(self._compress_input, value)

    # --- one round -----------------------------------------------------------------------------

    def _retrieve_kwargs(self, kwargs: dict[str, Any], extra: Any) -> dict[str, Any]:
        if isinstance(extra, dict):
            return {**kwargs, **extra}
        if "tools" in kwargs:
            return kwargs  # tools bound without our bind_tools: nothing can be added safely
        try:
            return {**kwargs, **_binding_kwargs(self.model.bind_tools([retrieve_tool_definition()]), self.model)}
        except NotImplementedError:
            return kwargs  # the inner model takes no tools: markers stay, retrieval needs another path

    def _prepare(self, history: list[BaseMessage], kwargs: dict[str, Any], extra: Any) -> _Call:
        packed = compress_lc(history, model=self.count_model(), store=self.store, options=self.options)
        answer_calls = self.answer_retrieve and extra != _CALLER_RETRIEVES
        call_kwargs = self._retrieve_kwargs(kwargs, extra) if packed.refs and answer_calls else kwargs
        return _Call(packed.messages, call_kwargs, answer_calls)

    def _followup(self, reply: BaseMessage, call: _Call, at: int, rounds: int) -> list[BaseMessage] | None:
        """The reply and the answers to its retrieval calls, or None when the reply is final."""
        if not call.answer or not isinstance(reply, AIMessage) or not reply.tool_calls:
            return None
        names = [tc["name"] for tc in reply.tool_calls]
        if retrieval_turn(names, rounds_done=rounds, retrieve_rounds=self.retrieve_rounds).action != "continue":
            return None  # the agent gets the reply (its own calls kept, ours removed by _finish)
        reply = with_call_ids(reply, at)
        return [reply, *answer(reply.tool_calls, self.store)]

    def _finish(self, result: ChatResult, call: _Call, usage: UsageMetadata | None) -> ChatResult:
        first = result.generations[0]
        message = first.message
        if isinstance(message, AIMessage):
            if call.answer:
                message = strip_message(message)
            total = _add_usage(usage, message)
            if total is not message.usage_metadata:
                message = message.model_copy(update={"usage_metadata": total})
        if message is first.message:
            return result
        generation = ChatGeneration(message=message, generation_info=first.generation_info)
        return ChatResult(generations=[generation, *result.generations[1:]], llm_output=result.llm_output)

    # --- BaseChatModel ---------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        extra = kwargs.pop(_RETRIEVE_KWARGS, None)
        history, usage, rounds = list(messages), None, 0
        while True:
            call = self._prepare(history, kwargs, extra)
            # Our run manager goes in so the inner model's tokens belong to this one traced run.
            result = self.model._generate(call.messages, stop=stop, run_manager=run_manager, **call.kwargs)
            reply = result.generations[0].message
            follow = self._followup(reply, call, len(history), rounds)
            if follow is None:
                return self._finish(result, call, usage)
            usage, rounds = _add_usage(usage, reply), rounds + 1
            history.extend(follow)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        extra = kwargs.pop(_RETRIEVE_KWARGS, None)
        history, usage, rounds = list(messages), None, 0
        while True:
            call = await asyncio.to_thread(self._prepare, history, kwargs, extra)
            result = await self.model._agenerate(call.messages, stop=stop, run_manager=run_manager, **call.kwargs)
            reply = result.generations[0].message
            follow = await asyncio.to_thread(self._followup, reply, call, len(history), rounds)
            if follow is None:
                return self._finish(result, call, usage)
            usage, rounds = _add_usage(usage, reply), rounds + 1
            history.extend(follow)

    def _inner_chunks(self, call: _Call, stop: list[str] | None) -> Iterator[ChatGenerationChunk]:
        if self.model._should_stream(async_api=False, **{**call.kwargs, "stream": True}):
            # No run manager: BaseChatModel.stream reports the chunks we relay, and only those
            # (a hidden retrieval call must not reach the caller's callbacks either).
            yield from self.model._stream(call.messages, stop=stop, **call.kwargs)
        else:
            result = self.model._generate(call.messages, stop=stop, **call.kwargs)
            yield as_chunk(result.generations[0])

    async def _ainner_chunks(self, call: _Call, stop: list[str] | None) -> AsyncIterator[ChatGenerationChunk]:
        if self.model._should_stream(async_api=True, **{**call.kwargs, "stream": True}):
            async for chunk in self.model._astream(call.messages, stop=stop, **call.kwargs):
                yield chunk
        else:
            result = await self.model._agenerate(call.messages, stop=stop, **call.kwargs)
            yield as_chunk(result.generations[0])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        extra = kwargs.pop(_RETRIEVE_KWARGS, None)
        history, rounds = list(messages), 0
        while True:
            call = self._prepare(history, kwargs, extra)
            relay = Relay(hide=call.answer)
            for chunk in self._inner_chunks(call, stop):
                out = relay.feed(chunk)
                if out is not None:
                    yield out
            reply = relay.message()
            follow = self._followup(reply, call, len(history), rounds)
            if follow is None:
                yield relay.closing()
                return
            rounds += 1
            history.extend(follow)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        extra = kwargs.pop(_RETRIEVE_KWARGS, None)
        history, rounds = list(messages), 0
        while True:
            call = await asyncio.to_thread(self._prepare, history, kwargs, extra)
            relay = Relay(hide=call.answer)
            async for chunk in self._ainner_chunks(call, stop):
                out = relay.feed(chunk)
                if out is not None:
                    yield out
            reply = relay.message()
            follow = await asyncio.to_thread(self._followup, reply, call, len(history), rounds)
            if follow is None:
                yield relay.closing()
                return
            rounds += 1
            history.extend(follow)
