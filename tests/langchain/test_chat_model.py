"""HeadroomChatModel as a drop-in chat model: what the inner model receives, and what callers get back."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import headroom_langchain._convert
import pytest
from headroom import CompressOptions, MemoryStore, find_refs, retrieve
from headroom_langchain import HeadroomChatModel, compress_messages
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import LLMResult
from pydantic import BaseModel

from tests.langchain.fakes import ScriptedChatModel, call, tool_names

QUESTION = "Which IP addresses failed to log in as root?"


def conversation(log: str) -> list[BaseMessage]:
    return [
        SystemMessage("You investigate server incidents."),
        HumanMessage(QUESTION, id="u1"),
        AIMessage("", id="a1", tool_calls=[{"name": "read_log", "args": {"path": "/var/log/auth.log"}, "id": "c1"}]),
        ToolMessage(log, tool_call_id="c1", name="read_log", id="t1", artifact={"bytes": len(log)}),
    ]


def test_inner_model_gets_the_callers_messages_with_only_the_text_compressed(auth_log: str, store: MemoryStore) -> None:
    messages = conversation(auth_log)
    before = [m.model_dump() for m in messages]
    fake = ScriptedChatModel(script=["ok"])

    HeadroomChatModel(model=fake, store=store).invoke(messages)

    (sent,) = fake.calls
    assert sent[:3] == messages[:3]  # untouched messages go through as they are
    tool_msg = sent[3]
    assert isinstance(tool_msg, ToolMessage)
    assert (tool_msg.id, tool_msg.tool_call_id, tool_msg.name, tool_msg.artifact) == (
        "t1",
        "c1",
        "read_log",
        {"bytes": 45714},
    )
    (ref,) = find_refs(str(tool_msg.content))
    assert retrieve(ref, store=store) == auth_log
    assert [m.model_dump() for m in messages] == before  # the caller's messages are never changed


def test_content_blocks_keep_their_keys_and_non_text_blocks(auth_log: str, store: MemoryStore) -> None:
    image = {"type": "image", "url": "https://example.com/graph.png"}
    cached = {"type": "text", "text": auth_log, "cache_control": {"type": "ephemeral"}}
    messages = [
        HumanMessage(QUESTION),
        AIMessage("", tool_calls=[{"name": "read_log", "args": {}, "id": "c1"}]),
        ToolMessage([image, cached, "short note"], tool_call_id="c1"),
    ]
    fake = ScriptedChatModel(script=["ok"])
    HeadroomChatModel(model=fake, store=store).invoke(messages)
    content = fake.calls[0][2].content
    assert isinstance(content, list) and len(content) == 3
    assert content[0] == image and content[2] == "short note"
    assert content[1]["cache_control"] == {"type": "ephemeral"}
    assert find_refs(content[1]["text"]) and len(content[1]["text"]) < len(auth_log) / 2


def test_a_small_conversation_passes_through_untouched(store: MemoryStore) -> None:
    messages = [SystemMessage("Be brief."), HumanMessage("What is 2 + 2?")]
    fake = ScriptedChatModel(script=["4"])
    reply = HeadroomChatModel(model=fake, store=store).invoke(messages)
    assert reply.content == "4"
    assert all(a is b for a, b in zip(fake.calls[0], messages, strict=True))
    assert "tools" not in fake.call_kwargs[0]  # nothing to retrieve, so no tool is added


def test_compression_is_deterministic(auth_log: str) -> None:
    seen = []
    for _ in range(2):
        fake = ScriptedChatModel(script=["ok"])
        HeadroomChatModel(model=fake, store=MemoryStore()).invoke(conversation(auth_log))
        seen.append(fake.calls[0][3].content)
    assert seen[0] == seen[1]
    assert compress_messages(conversation(auth_log), store=MemoryStore())[3].content == seen[0]


def test_batch_compresses_each_conversation(auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(script=["first", "second"])
    replies = HeadroomChatModel(model=fake, store=store).batch(
        [conversation(auth_log), [HumanMessage("hi")]], config={"max_concurrency": 1}
    )
    assert [r.content for r in replies] == ["first", "second"]
    assert find_refs(str(fake.calls[0][3].content))
    assert fake.calls[1][0].content == "hi"


class Incident(BaseModel):
    attacker_ip: str
    failed_root_logins: int


def test_with_structured_output_feeds_compressed_messages(auth_log: str, store: MemoryStore) -> None:
    answer = call("Incident", {"attacker_ip": "183.62.140.253", "failed_root_logins": 100}, "s1")
    fake = ScriptedChatModel(script=[answer, answer])
    structured = HeadroomChatModel(model=fake, store=store).with_structured_output(Incident)
    result = structured.invoke(conversation(auth_log))
    assert result == Incident(attacker_ip="183.62.140.253", failed_root_logins=100)
    assert find_refs(str(fake.calls[0][3].content))
    assert tool_names(fake.call_kwargs[0]) == ["Incident"]
    assert asyncio.run(structured.ainvoke(conversation(auth_log))) == result
    assert fake.calls[1] == fake.calls[0]


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[list[list[BaseMessage]]] = []
        self.tokens: list[Any] = []
        self.ends: list[LLMResult] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self.starts.append(messages)

    def on_llm_new_token(self, token: str, *, chunk: Any = None, run_id: UUID, **kwargs: Any) -> None:
        self.tokens.append(chunk)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        self.ends.append(response)


def _fetch(messages: list[BaseMessage]) -> AIMessage:
    return call("headroom_retrieve", {"ref": find_refs(str(messages[-1].content))[0]}, "r1")


@pytest.mark.parametrize("stream", [False, True])
def test_callbacks_see_one_run_and_never_the_retrieval(stream: bool, auth_log: str, store: MemoryStore) -> None:
    fake = ScriptedChatModel(script=[_fetch, "the answer"])
    recorder = Recorder()
    model = HeadroomChatModel(model=fake, store=store)
    config = {"callbacks": [recorder]}
    if stream:
        chunks = list(model.stream(conversation(auth_log), config=config))
        assert "".join(str(c.content) for c in chunks) == "the answer"
    else:
        assert model.invoke(conversation(auth_log), config=config).content == "the answer"
    assert len(fake.calls) == 2  # the hidden retrieval round happened
    assert len(recorder.starts) == 1 and len(recorder.ends) == 1  # one traced run
    (generation,) = recorder.ends[0].generations[0]
    assert generation.text == "the answer"
    assert not generation.message.tool_calls  # type: ignore[attr-defined]
    for chunk in recorder.tokens:
        assert not any(c.get("name") == "headroom_retrieve" for c in chunk.message.tool_call_chunks)


def test_inner_model_without_tool_support_still_gets_compressed_input(auth_log: str, store: MemoryStore) -> None:
    seen = HeadroomChatModel(model=ParrotFakeChatModel(), store=store).invoke(conversation(auth_log))
    assert find_refs(str(seen.content)) and len(str(seen.content)) < len(auth_log) / 2


def test_compression_failure_sends_the_originals(
    auth_log: str, store: MemoryStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("store unavailable")

    monkeypatch.setattr(headroom_langchain._convert, "compress", broken)
    fake = ScriptedChatModel(script=["ok"])
    with caplog.at_level(logging.WARNING, logger="headroom_langchain"):
        assert HeadroomChatModel(model=fake, store=store).invoke(conversation(auth_log)).content == "ok"
    assert fake.calls[0][3].content == auth_log
    assert "compression failed" in caplog.text


def test_the_default_store_redeems_refs(auth_log: str) -> None:
    fake = ScriptedChatModel(script=["ok"])
    HeadroomChatModel(model=fake).invoke(conversation(auth_log))
    (ref,) = find_refs(str(fake.calls[0][3].content))
    assert retrieve(ref) == auth_log


def test_token_counting_model_comes_from_the_inner_model() -> None:
    class Named(ScriptedChatModel):
        model_name: str = "claude-sonnet-4-5"

    assert HeadroomChatModel(model=Named()).count_model() == "claude-sonnet-4-5"
    assert HeadroomChatModel(model=ScriptedChatModel()).count_model() == "gpt-4o"
    assert HeadroomChatModel(model=Named(), model_name="gpt-4.1").count_model() == "gpt-4.1"


def test_fitting_a_small_context_window_keeps_tool_pairs_and_notes_removed_turns(auth_log: str) -> None:
    store = MemoryStore()
    messages: list[BaseMessage] = [SystemMessage("sys"), HumanMessage("Investigate the incident on the auth server.")]
    for i in range(12):
        messages += [
            AIMessage(f"step {i}", tool_calls=[{"name": "read_log", "args": {"part": i}, "id": f"c{i}"}]),
            ToolMessage(auth_log[i * 3000 : (i + 1) * 3000] * 3, tool_call_id=f"c{i}"),
            AIMessage(f"Checked part {i}."),
            HumanMessage(f"Continue with part {i + 1} please."),
        ]
    out = compress_messages(messages, store=store, options=CompressOptions(context_limit=1200, output_reserve=100))

    assert len(out) < len(messages)
    assert out[:2] == messages[:2] and out[-1] is messages[-1]  # system prompt, task and latest turn kept
    notes = [m for m in out if isinstance(m, HumanMessage) and "removed to fit the context window" in str(m.content)]
    assert notes and all(find_refs(str(n.content)) for n in notes)
    calls = {tc["id"] for m in out if isinstance(m, AIMessage) for tc in m.tool_calls}
    assert all(m.tool_call_id in calls for m in out if isinstance(m, ToolMessage))
