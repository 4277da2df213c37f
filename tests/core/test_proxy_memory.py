"""`headroom proxy --memory`: the model saves a fact in one conversation and finds it in the next.

Real SDK clients, a real proxy and `FakeUpstream` scripted to call ``memory_save`` and then
``memory_search``. What is checked is what users notice: the client never sees the memory tools'
calls, the upstream gets their answers, the tools list is the same on every request, and memories
stay with the credentials and the project that saved them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from headroom.memory import set_default_memory_store
from headroom.testing import Reply

from tests.core.proxy_support import (
    CLIENT_TOOLS_ANTHROPIC,
    CLIENT_TOOLS_CHAT,
    CLIENT_TOOLS_RESPONSES,
    Rig,
    rig,
    tool_names,
)

FACT = "Deploys of the shop go through `make ship`, never a bare git push."


@pytest.fixture
def env(headroom_home: Path) -> Iterator[Rig]:
    set_default_memory_store(None)  # the memories go under this test's HEADROOM_HOME
    try:
        with rig(memory=True) as r:
            yield r
    finally:
        set_default_memory_store(None)


def ask(env: Rig, api: str, question: str, *, stream: bool, key: str = "", project: str | None = None) -> str:
    """One agent request (it declares a tool of its own); the text the client saw."""
    headers = {"x-headroom-project": project} if project else {}
    if api == "chat":
        client = env.openai(api_key=key or "sk-test-123", default_headers=headers).chat.completions
        msgs: Any = [{"role": "user", "content": question}]
        if not stream:
            out = client.create(model="gpt-4o", messages=msgs, tools=CLIENT_TOOLS_CHAT)  # type: ignore[arg-type]
            assert not out.choices[0].message.tool_calls
            return out.choices[0].message.content or ""
        chunks = list(client.create(model="gpt-4o", messages=msgs, tools=CLIENT_TOOLS_CHAT, stream=True))  # type: ignore[arg-type]
        assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    if api == "anthropic":
        msgs_a = env.anthropic(api_key=key or "sk-ant-test-456", default_headers=headers).messages
        kw: Any = {"model": "claude-sonnet-4-6", "max_tokens": 300, "tools": CLIENT_TOOLS_ANTHROPIC}
        kw["messages"] = [{"role": "user", "content": question}]
        if stream:
            with msgs_a.stream(**kw) as s:
                m = s.get_final_message()
        else:
            m = msgs_a.create(**kw)
        assert all(b.type != "tool_use" for b in m.content)
        return "".join(b.text for b in m.content if b.type == "text")
    responses = env.openai(api_key=key or "sk-test-123", default_headers=headers).responses
    if stream:
        with responses.stream(model="gpt-4o", input=question, tools=CLIENT_TOOLS_RESPONSES) as rs:  # type: ignore[arg-type]
            r = rs.get_final_response()
    else:
        r = responses.create(model="gpt-4o", input=question, tools=CLIENT_TOOLS_RESPONSES)  # type: ignore[arg-type]
    assert all(item.type != "function_call" for item in r.output)
    return r.output_text


def answered(env: Rig) -> str:
    """The memory tool's answer as the upstream got it in the latest request."""
    return env.up.model_requests[-1].text


@pytest.mark.parametrize(
    ("api", "stream"),
    [
        ("chat", False),
        ("chat", True),
        ("anthropic", False),
        ("anthropic", True),
        ("responses", False),
        ("responses", True),
    ],
)
def test_a_fact_saved_in_one_conversation_is_found_in_the_next(env: Rig, api: str, stream: bool) -> None:
    env.up.script(Reply.call("memory_save", {"text": FACT}), Reply.say("Noted."))
    assert ask(env, api, "Remember how we deploy.", stream=stream) == "Noted."
    assert "Saved (id" in answered(env)
    first_tools = {tuple(tool_names(r)) for r in env.up.model_requests}
    assert len(first_tools) == 1
    assert {"read_log", "headroom_retrieve", "memory_save", "memory_search"} <= set(first_tools.pop())

    env.up.script(Reply.call("memory_search", {"query": "how do we deploy the shop?"}), Reply.say("Use make ship."))
    assert ask(env, api, "How do I deploy?", stream=stream) == "Use make ship."
    assert FACT.replace("`", "") in answered(env).replace("\\u0060", "").replace("`", "")


def test_memories_stay_with_their_credentials_and_project(env: Rig) -> None:
    env.up.script(Reply.call("memory_save", {"text": FACT}), Reply.say("Noted."))
    ask(env, "chat", "Remember how we deploy.", stream=False, project="shop")
    search = Reply.call("memory_search", {"query": "how do we deploy the shop?"})
    for key, project, found in [("", "shop", True), ("sk-other-client", "shop", False), ("", "blog", False)]:
        env.up.script(search, Reply.say("ok"))
        ask(env, "chat", f"How do I deploy? ({key} {project})", stream=False, key=key, project=project)
        assert ("make ship" in answered(env)) is found, (key, project)
        assert found or "No saved memories match." in answered(env)


def test_bad_memory_calls_get_error_results_and_a_client_tool_of_the_same_name_stays_its_own(env: Rig) -> None:
    env.up.script(Reply.call("memory_save", {"text": "  "}), Reply.say("ok"))
    ask(env, "anthropic", "Remember nothing.", stream=False)
    last = env.up.model_requests[-1].json["messages"][-1]["content"][0]
    assert last["type"] == "tool_result" and last["is_error"] is True and "empty" in str(last["content"])
    own = [{"name": "memory_save", "input_schema": {"type": "object", "properties": {}}}]
    env.up.script(Reply.call("memory_save", {"text": "x"}))
    m = env.anthropic().messages.create(
        model="claude-sonnet-4-6", max_tokens=100, tools=own, messages=[{"role": "user", "content": "hi"}]
    )  # type: ignore[arg-type]
    assert [b.name for b in m.content if b.type == "tool_use"] == ["memory_save"]  # the client's own call
    assert tool_names(env.up.model_requests[-1]).count("memory_save") == 1


@pytest.mark.parametrize("api", ["anthropic", "chat"])
def test_relevant_memories_open_a_conversation_and_stay_the_same_on_every_request(env: Rig, api: str) -> None:
    env.up.script(Reply.call("memory_save", {"text": FACT}), Reply.say("Noted."))
    ask(env, api, "Remember how we deploy.", stream=False)
    before = len(env.up.model_requests)
    question = "How do I deploy the shop?"
    env.up.script(Reply.call("memory_save", {"text": "The blog is built with Hugo."}), Reply.say("Use make ship."))
    ask(env, api, question, stream=False)
    env.up.script(Reply.say("Yes."))
    history: Any = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "Use make ship."},
        {"role": "user", "content": "Sure?"},
    ]
    if api == "anthropic":
        env.anthropic().messages.create(
            model="claude-sonnet-4-6", max_tokens=50, tools=CLIENT_TOOLS_ANTHROPIC, messages=history
        )  # type: ignore[arg-type]
        tops = [r.json.get("system") for r in env.up.model_requests[before:]]
    else:
        env.openai().chat.completions.create(model="gpt-4o", tools=CLIENT_TOOLS_CHAT, messages=history)  # type: ignore[arg-type]
        tops = [r.json["messages"][0] for r in env.up.model_requests[before:]]
    assert len(tops) == 3 and tops[0] == tops[1] == tops[2], tops
    assert "make ship" in str(tops[0]) and "Hugo" not in str(tops[0])
    env.up.script(Reply.say("No idea."))
    ask(env, api, "What is the capital of Mongolia?", stream=False)
    assert "Memories saved" not in env.up.model_requests[-1].text
