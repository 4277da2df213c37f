"""HeadroomChatMessageHistory: memory stored as it was, read back compressed."""

from __future__ import annotations

import asyncio

import pytest
from headroom import MemoryStore, find_refs, retrieve
from headroom_langchain import HeadroomChatMessageHistory
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from tests.langchain.fakes import ScriptedChatModel

# langchain-core 1.6.4 deprecated chat message histories (removal in 2.0) in favour of LangGraph
# persistence; they are still what RunnableWithMessageHistory and many apps use.
pytestmark = pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")


def filled(log: str) -> InMemoryChatMessageHistory:
    inner = InMemoryChatMessageHistory()
    inner.add_messages(
        [
            HumanMessage("Read /var/log/auth.log and tell me who is attacking us."),
            AIMessage("", tool_calls=[{"name": "read_log", "args": {"path": "/var/log/auth.log"}, "id": "c1"}]),
            ToolMessage(log, tool_call_id="c1"),
            AIMessage("183.62.140.253 is brute-forcing root."),
        ]
    )
    return inner


def test_reads_are_compressed_and_the_stored_history_is_not(auth_log: str, store: MemoryStore) -> None:
    inner = filled(auth_log)
    history = HeadroomChatMessageHistory(inner, store=store)
    read = history.messages
    assert len(read) == 4 and read[0] is inner.messages[0]
    (ref,) = find_refs(str(read[2].content))
    assert retrieve(ref, store=store) == auth_log
    assert inner.messages[2].content == auth_log
    assert history.messages == read  # deterministic
    assert asyncio.run(history.aget_messages()) == read


def test_writes_and_clear_go_to_the_wrapped_history(store: MemoryStore) -> None:
    inner = InMemoryChatMessageHistory()
    history = HeadroomChatMessageHistory(inner, store=store)
    history.add_user_message("hello")
    asyncio.run(history.aadd_messages([AIMessage("hi")]))
    assert [m.content for m in inner.messages] == ["hello", "hi"]
    history.clear()
    assert inner.messages == []


def test_a_chain_with_memory_sends_the_compressed_history(auth_log: str, store: MemoryStore) -> None:
    inner = filled(auth_log)
    fake = ScriptedChatModel(script=["Block 183.62.140.253."])
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    chain = RunnableWithMessageHistory(
        prompt | fake,
        lambda session_id: HeadroomChatMessageHistory(inner, store=store),
        input_messages_key="question",
        history_messages_key="history",
    )
    reply = chain.invoke({"question": "What should I do?"}, config={"configurable": {"session_id": "s1"}})
    assert reply.content == "Block 183.62.140.253."
    sent = fake.calls[0]
    assert find_refs(str(sent[2].content)) and len(str(sent[2].content)) < len(auth_log) / 2
    assert sent[-1].content == "What should I do?"
    assert len(inner.messages) == 6 and inner.messages[2].content == auth_log  # stored in full
