"""A LangChain tool loop reads a real 45 KB auth log; the model gets it compressed, fetches the original.

The loop is what agents built on langchain-core do: a model bound to tools is invoked, the tool
calls it makes are run and their ToolMessages appended, until it answers. The scripted model reads
the marker in the tool output and calls ``headroom_retrieve`` with its ref.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from headroom import MemoryStore, find_refs
from headroom_langchain import HeadroomChatModel, compress_tool, headroom_retrieve_tool
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, tool

from tests.langchain.fakes import ScriptedChatModel, call, tool_names

QUESTION = "Our OpenSSH server misbehaved. Read /var/log/auth.log: which IP addresses failed to log in as root?"
ANSWER = "183.62.140.253 kept failing to log in as root."
FIRST_FAILURE = "Dec 10 10:56:10 LabSZ sshd[24979]: Failed password for root from 183.62.140.253 port 52663 ssh2"


def make_read_log(log: str) -> BaseTool:
    @tool
    def read_log(path: str) -> str:
        """Read a log file from the server."""
        return log

    return read_log


def fetch_the_original(messages: list[BaseMessage]) -> AIMessage | str:
    """What a model does with a marker it needs: call headroom_retrieve with the marker's ref."""
    refs = find_refs(str(messages[-1].content))
    if not refs:
        return "no marker in the tool output"
    return call("headroom_retrieve", {"ref": refs[0]}, "call_fetch")


def script() -> list[Any]:
    return [call("read_log", {"path": "/var/log/auth.log"}, "call_read"), fetch_the_original, ANSWER]


def _merge(chunks: Sequence[AIMessageChunk]) -> AIMessageChunk:
    reply = chunks[0]
    for chunk in chunks[1:]:
        reply = reply + chunk
    return reply


def run_agent(
    model: Runnable[Any, Any], tools: list[BaseTool], *, stream: bool
) -> tuple[list[BaseMessage], list[AIMessageChunk]]:
    by_name = {t.name: t for t in tools}
    messages: list[BaseMessage] = [HumanMessage(QUESTION)]
    all_chunks: list[AIMessageChunk] = []
    for _ in range(6):
        if stream:
            chunks = list(model.stream(messages))
            all_chunks += chunks
            reply: AIMessage = _merge(chunks)
        else:
            reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        messages.extend(by_name[tc["name"]].invoke(tc) for tc in reply.tool_calls)
    return messages, all_chunks


async def arun_agent(
    model: Runnable[Any, Any], tools: list[BaseTool], *, stream: bool
) -> tuple[list[BaseMessage], list[AIMessageChunk]]:
    by_name = {t.name: t for t in tools}
    messages: list[BaseMessage] = [HumanMessage(QUESTION)]
    all_chunks: list[AIMessageChunk] = []
    for _ in range(6):
        if stream:
            chunks = [c async for c in model.astream(messages)]
            all_chunks += chunks
            reply: AIMessage = _merge(chunks)
        else:
            reply = await model.ainvoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        messages.extend([await by_name[tc["name"]].ainvoke(tc) for tc in reply.tool_calls])
    return messages, all_chunks


def _run(mode: str, model: Runnable[Any, Any], tools: list[BaseTool]) -> tuple[list[BaseMessage], list[AIMessageChunk]]:
    if mode.startswith("a"):
        return asyncio.run(arun_agent(model, tools, stream=mode == "astream"))
    return run_agent(model, tools, stream=mode == "stream")


def assert_model_got_compressed_then_original(fake: ScriptedChatModel, log: str) -> None:
    assert len(fake.calls) == 3
    # 1st call: the question only; nothing compressed yet, so no retrieval tool either.
    assert [type(m) for m in fake.calls[0]] == [HumanMessage]
    assert tool_names(fake.call_kwargs[0]) == ["read_log"]
    # 2nd call: the tool output, compressed, with a marker; headroom_retrieve is offered.
    seen = fake.calls[1][-1]
    assert isinstance(seen, ToolMessage) and seen.tool_call_id == "call_read"
    assert len(seen.content) < len(log) / 2
    assert find_refs(str(seen.content))
    assert FIRST_FAILURE in str(seen.content).splitlines()  # kept verbatim
    assert tool_names(fake.call_kwargs[1]) == ["read_log", "headroom_retrieve"]
    # 3rd call: the wrapper answered headroom_retrieve with the original, byte for byte.
    asked, fetched = fake.calls[2][-2:]
    assert isinstance(asked, AIMessage) and [tc["name"] for tc in asked.tool_calls] == ["headroom_retrieve"]
    assert isinstance(fetched, ToolMessage) and fetched.name == "headroom_retrieve"
    assert fetched.content == log and fetched.status == "success"


def assert_agent_never_saw_retrieval(messages: list[BaseMessage], log: str) -> None:
    assert [type(m).__name__.removesuffix("Chunk") for m in messages] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    assert [tc["name"] for tc in messages[1].tool_calls] == ["read_log"]  # type: ignore[attr-defined]
    assert messages[2].content == log  # the agent's own history keeps the original
    assert messages[3].content == ANSWER and not messages[3].tool_calls  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["invoke", "stream", "ainvoke", "astream"])
def test_agent_fetches_what_compression_left_out(mode: str, auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(script=script())
    read_log = make_read_log(auth_log)
    model = HeadroomChatModel(model=fake, store=store).bind_tools([read_log])

    messages, chunks = _run(mode, model, [read_log])

    assert_model_got_compressed_then_original(fake, auth_log)
    assert_agent_never_saw_retrieval(messages, auth_log)
    final = messages[3]
    assert isinstance(final, AIMessage)
    # Usage covers both model calls behind the answer (the hidden retrieval round included).
    assert final.usage_metadata is not None and final.usage_metadata["input_tokens"] == 20
    assert final.response_metadata["finish_reason"] == "stop"
    if mode.endswith("stream"):
        assert not any(c.get("name") == "headroom_retrieve" for ch in chunks for c in ch.tool_call_chunks)
        assert sum(ch.chunk_position == "last" for ch in chunks) == 2  # one per reply the agent got


class NonStreamingModel(ScriptedChatModel):
    """An inner model without streaming support (LangChain falls back to one chunk)."""

    _stream = ScriptedChatModel.__mro__[1]._stream  # type: ignore[assignment]  # BaseChatModel's own
    _astream = ScriptedChatModel.__mro__[1]._astream  # type: ignore[assignment]


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_streaming_over_an_inner_model_that_does_not_stream(mode: str, auth_log: str, store: MemoryStore) -> None:
    fake = NonStreamingModel(script=script())
    read_log = make_read_log(auth_log)
    messages, _ = _run(mode, HeadroomChatModel(model=fake, store=store).bind_tools([read_log]), [read_log])
    assert_model_got_compressed_then_original(fake, auth_log)
    assert_agent_never_saw_retrieval(messages, auth_log)


def test_a_bound_retrieve_tool_is_left_to_the_agent(auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(script=script())
    tools = [make_read_log(auth_log), headroom_retrieve_tool(store)]
    messages, _ = run_agent(HeadroomChatModel(model=fake, store=store).bind_tools(tools), tools, stream=False)

    assert tool_names(fake.call_kwargs[1]) == ["read_log", "headroom_retrieve"]  # offered once, not twice
    asked, fetched = messages[3], messages[4]
    assert [tc["name"] for tc in asked.tool_calls] == ["headroom_retrieve"]  # type: ignore[attr-defined]
    assert isinstance(fetched, ToolMessage) and fetched.content == auth_log  # the agent ran it
    assert fake.calls[2][-1].content == auth_log  # and the model read it uncompressed
    assert messages[-1].content == ANSWER


def test_compressed_tool_outputs_in_a_plain_agent(auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(script=script())
    tools = [compress_tool(make_read_log(auth_log), store=store), headroom_retrieve_tool(store)]
    messages, _ = run_agent(fake.bind_tools(tools), tools, stream=False)

    seen = fake.calls[1][-1]
    assert isinstance(seen, ToolMessage) and len(seen.content) < len(auth_log) / 2
    assert FIRST_FAILURE in str(seen.content)
    assert fake.calls[2][-1].content == auth_log
    assert messages[-1].content == ANSWER


def test_answer_retrieve_off_offers_nothing(auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(script=[call("read_log", {"path": "/var/log/auth.log"}, "call_read"), ANSWER])
    read_log = make_read_log(auth_log)
    model = HeadroomChatModel(model=fake, store=store, answer_retrieve=False).bind_tools([read_log])
    run_agent(model, [read_log], stream=False)
    assert find_refs(str(fake.calls[1][-1].content))
    assert tool_names(fake.call_kwargs[1]) == ["read_log"]


def test_retrieval_mixed_with_other_calls_is_dropped(auth_log: str, store: MemoryStore) -> None:
    def both(messages: list[BaseMessage]) -> AIMessage:
        (ref,) = find_refs(str(messages[-1].content))
        return AIMessage(
            content="",
            tool_calls=[
                {"name": "headroom_retrieve", "args": {"ref": ref}, "id": "c2"},
                {"name": "read_log", "args": {"path": "/var/log/syslog"}, "id": "c3"},
            ],
        )

    fake = ScriptedChatModel(script=[call("read_log", {"path": "/var/log/auth.log"}, "c1"), both, ANSWER])
    read_log = make_read_log(auth_log)
    messages, _ = run_agent(HeadroomChatModel(model=fake, store=store).bind_tools([read_log]), [read_log], stream=False)
    assert [tc["name"] for tc in messages[3].tool_calls] == ["read_log"]  # type: ignore[attr-defined]
    assert messages[-1].content == ANSWER


def test_unknown_ref_comes_back_as_an_error_the_model_reads(auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(
        script=[
            call("read_log", {"path": "/var/log/auth.log"}, "c1"),
            call("headroom_retrieve", {"ref": "0123456789abcdef"}, "c2"),
            ANSWER,
        ]
    )
    read_log = make_read_log(auth_log)
    messages, _ = run_agent(HeadroomChatModel(model=fake, store=store).bind_tools([read_log]), [read_log], stream=False)
    error = fake.calls[2][-1]
    assert isinstance(error, ToolMessage) and error.status == "error"
    assert "0123456789abcdef" in str(error.content)
    assert messages[-1].content == ANSWER


@pytest.mark.parametrize(("rounds", "calls"), [(2, 1 + 3), (None, 1 + 4)])
def test_retrieval_rounds_are_bounded(auth_log: str, store: MemoryStore, rounds: int | None, calls: int) -> None:
    """One option name and default with the proxy and headroom-litellm: retrieve_rounds=3."""
    fake = ScriptedChatModel(script=[call("read_log", {"path": "/var/log/auth.log"}, "c1")])
    fake.script.extend(call("headroom_retrieve", {"ref": "0123456789abcdef"}, f"r{i}") for i in range(10))
    read_log = make_read_log(auth_log)
    option = {} if rounds is None else {"retrieve_rounds": rounds}
    model = HeadroomChatModel(model=fake, store=store, **option).bind_tools([read_log])
    messages, _ = run_agent(model, [read_log], stream=False)
    assert len(fake.calls) == calls  # the read, then the first call and the answered rounds
    last = messages[-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
