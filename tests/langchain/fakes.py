"""A scripted chat model that records what it receives (none of langchain-core's fakes does)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

Turn = AIMessage | str | Callable[[list[BaseMessage]], AIMessage | str]


def call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    """A reply that calls one tool."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


def tool_names(kwargs: dict[str, Any]) -> list[str]:
    """Names of the tools a call was offered (OpenAI tool dicts, as bind_tools formats them)."""
    return [t["function"]["name"] for t in kwargs.get("tools") or []]


class ScriptedChatModel(BaseChatModel):
    """Answers each call with the next turn of ``script``; records every call's messages and kwargs.

    A turn is a reply, a text, or a function of the messages received (to react to what it saw).
    When the script runs out it answers "done". Streams text word by word and each tool call's
    arguments in two pieces, as providers do.
    """

    script: list[Any] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, int] = Field(default_factory=lambda: {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12})

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        self.calls.append(list(messages))
        self.call_kwargs.append(dict(kwargs))
        turn = self.script.pop(0) if self.script else "done"
        if callable(turn):
            turn = turn(list(messages))
        reply = AIMessage(content=turn) if isinstance(turn, str) else turn
        return reply.model_copy(
            update={
                "usage_metadata": dict(self.usage),
                "response_metadata": {"finish_reason": "stop" if not reply.tool_calls else "tool_calls"},
            }
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages, kwargs))])

    def _chunks(self, reply: AIMessage) -> Iterator[ChatGenerationChunk]:
        words = reply.content.split(" ") if isinstance(reply.content, str) and reply.content else []
        for i, word in enumerate(words):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word if i == 0 else " " + word))
        for index, tc in enumerate(reply.tool_calls):
            args = json.dumps(tc["args"])
            half = len(args) // 2
            first = tool_call_chunk(name=tc["name"], args=args[:half], id=tc["id"], index=index)
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[first]))
            rest = tool_call_chunk(args=args[half:], index=index)
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[rest]))
        last = AIMessageChunk(
            content="",
            usage_metadata=reply.usage_metadata,
            response_metadata=reply.response_metadata,
            chunk_position="last",
        )
        yield ChatGenerationChunk(message=last)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._chunks(self._reply(messages, kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages, kwargs))])

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._reply(messages, kwargs)):
            yield chunk
