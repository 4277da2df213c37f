"""The ``headroom_retrieve`` tool on the LangChain side: its definition, a tool, and answering calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headroom import Store
from headroom.integrations import RETRIEVE_TOOL, RETRIEVE_TOOL_NAME, answer_retrieve
from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool, ToolException

from headroom_langchain._convert import call_id

# Content blocks that carry a tool call inside an AI message (Anthropic and OpenAI Responses
# style); their "index" matches the tool call chunk's index when streamed.
_CALL_BLOCKS = frozenset({"tool_use", "input_json_delta", "function_call", "tool_call", "tool_call_chunk"})


def retrieve_tool_definition() -> dict[str, Any]:
    """``headroom_retrieve`` as an OpenAI tool dict, which every LangChain chat model's ``bind_tools`` accepts."""
    return RETRIEVE_TOOL.openai()


def headroom_retrieve_tool(store: Store | None = None) -> BaseTool:
    """``headroom_retrieve`` as a LangChain tool, for agents that run it themselves.

    Bind it with your other tools when you want the agent to see and execute retrieval calls (for
    example next to `compress_tool` wrappers, or with ``HeadroomChatModel(answer_retrieve=False)``).
    A `HeadroomChatModel` whose bound tools already include it leaves those calls to the agent.

    Args:
        store: where the originals are; None means the process-wide default store.

    Returns:
        A tool taking ``ref`` and optional ``query`` / ``lines``. An unknown or expired ref comes
        back to the model as an error tool message, not an exception.
    """

    def _retrieve(ref: str, query: str | None = None, lines: str | None = None) -> str:
        text, is_error = answer_retrieve({"ref": ref, "query": query, "lines": lines}, store)
        if is_error:
            raise ToolException(text)
        return text

    return StructuredTool(
        name=RETRIEVE_TOOL.name,
        description=RETRIEVE_TOOL.description,
        args_schema=RETRIEVE_TOOL.schema(),
        func=_retrieve,
        handle_tool_error=True,
    )


def tool_name(tool: Any) -> str | None:
    """The name of a tool as ``bind_tools`` takes it (a BaseTool, an OpenAI or Anthropic dict)."""
    if isinstance(tool, BaseTool):
        return tool.name
    if isinstance(tool, dict):
        fn = tool.get("function")
        name = fn.get("name") if isinstance(fn, dict) else tool.get("name")
        return name if isinstance(name, str) else None
    name = getattr(tool, "__name__", None)
    return name if isinstance(name, str) else None


def is_retrieve_call(call: ToolCall) -> bool:
    """Whether a tool call is a ``headroom_retrieve`` call."""
    return call.get("name") == RETRIEVE_TOOL_NAME


def with_call_ids(message: AIMessage, index: int) -> AIMessage:
    """``message`` with an id on every tool call (needed to answer them), as `to_openai` names them."""
    if all(tc.get("id") for tc in message.tool_calls):
        return message
    calls = [{**tc, "id": tc.get("id") or call_id(index, j)} for j, tc in enumerate(message.tool_calls)]
    return message.model_copy(update={"tool_calls": calls})


def answer(calls: Sequence[ToolCall], store: Store | None) -> list[ToolMessage]:
    """Answer ``headroom_retrieve`` calls with the originals (errors as error tool messages)."""
    out = []
    for tc in calls:
        text, is_error = answer_retrieve(tc["args"], store)
        status = "error" if is_error else "success"
        out.append(ToolMessage(content=text, tool_call_id=tc.get("id") or "", name=RETRIEVE_TOOL_NAME, status=status))
    return out


def _keep_block(block: Any, hidden: set[int]) -> bool:
    if not isinstance(block, dict) or block.get("type") not in _CALL_BLOCKS:
        return True
    return block.get("name") != RETRIEVE_TOOL_NAME and block.get("index", -1) not in hidden


def hidden_indexes(chunks: Sequence[Any], hidden: set[int]) -> set[int]:
    """``hidden`` plus the stream indexes at which ``headroom_retrieve`` calls start in ``chunks``."""
    found = set(hidden)
    for c in chunks:
        if isinstance(c, dict) and c.get("name") == RETRIEVE_TOOL_NAME and isinstance(c.get("index"), int):
            found.add(c["index"])
    return found


def strip_content(content: str | list[Any], hidden: set[int]) -> str | list[Any]:
    """Content without the blocks of hidden ``headroom_retrieve`` calls."""
    if isinstance(content, str):
        return content
    return [b for b in content if _keep_block(b, hidden)]


def strip_kwargs(additional: dict[str, Any], hidden: set[int]) -> dict[str, Any]:
    """``additional_kwargs`` without raw ``headroom_retrieve`` calls (older OpenAI-style messages)."""
    raw = additional.get("tool_calls")
    if not isinstance(raw, list):
        return additional
    kept = [
        c
        for c in raw
        if not (
            isinstance(c, dict)
            and ((c.get("function") or {}).get("name") == RETRIEVE_TOOL_NAME or c.get("index", -1) in hidden)
        )
    ]
    if len(kept) == len(raw):
        return additional
    out = {k: v for k, v in additional.items() if k != "tool_calls"}
    if kept:
        out["tool_calls"] = kept
    return out


def strip_message(message: AIMessage) -> AIMessage:
    """``message`` without its ``headroom_retrieve`` calls, for a caller that must never see them."""
    if not any(is_retrieve_call(tc) for tc in message.tool_calls) and not any(
        c.get("name") == RETRIEVE_TOOL_NAME for c in message.invalid_tool_calls
    ):
        return message
    return message.model_copy(
        update={
            "tool_calls": [tc for tc in message.tool_calls if not is_retrieve_call(tc)],
            "invalid_tool_calls": [c for c in message.invalid_tool_calls if c.get("name") != RETRIEVE_TOOL_NAME],
            "content": strip_content(message.content, set()),
            "additional_kwargs": strip_kwargs(message.additional_kwargs, set()),
        }
    )
