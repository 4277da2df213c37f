"""Shared fixtures: one fake upstream per session, a clean default store, the callback installed per test.

LiteLLM is imported once per session (about 10 s here); ``LITELLM_LOCAL_MODEL_COST_MAP`` keeps that
import offline and is set before any test module imports it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

import litellm  # after the environment above: the import would otherwise go online
from headroom import MemoryStore, find_refs
from headroom.store import set_default_store
from headroom.testing import FakeUpstream, RecordedRequest, Reply
from headroom_litellm import HeadroomCallback

T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    # LiteLLM's typed dicts make pydantic warn at import; nothing a test here can act on.
    config.addinivalue_line("filterwarnings", "ignore:.*ReadOnly. qualifier:UserWarning")
    # LiteLLM's fake Responses stream serialises usage it holds as a dict.
    config.addinivalue_line("filterwarnings", "ignore:Pydantic serializer warnings:UserWarning")


@pytest.fixture(scope="session", autouse=True)
def headroom_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default store lives in a temporary HEADROOM_HOME, never in the user's ~/.headroom."""
    home = tmp_path_factory.mktemp("headroom-home")
    old = os.environ.get("HEADROOM_HOME")
    os.environ["HEADROOM_HOME"] = str(home)
    set_default_store(None)
    yield home
    set_default_store(None)
    if old is None:
        os.environ.pop("HEADROOM_HOME", None)
    else:
        os.environ["HEADROOM_HOME"] = old


@pytest.fixture(scope="session")
def session_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as up:
        yield up


@pytest.fixture
def up(session_upstream: FakeUpstream) -> Iterator[FakeUpstream]:
    """The session's fake upstream, with no recorded requests and nothing scripted."""
    session_upstream.clear()
    yield session_upstream
    session_upstream.clear()


@pytest.fixture(scope="session")
def run() -> Iterator[Callable[[Awaitable[T]], T]]:
    """``run(coro)`` on one event loop for the whole session.

    LiteLLM caches async HTTP clients per event loop and finishes its logging in background tasks;
    one loop for every test keeps both working.
    """
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.run_until_complete(asyncio.sleep(0.1))  # let LiteLLM's logging tasks finish
    pending = asyncio.all_tasks(loop)  # LiteLLM's logging worker waits forever on its queue
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def install() -> Iterator[Callable[..., HeadroomCallback]]:
    """``install(cb, *others)`` sets ``litellm.callbacks`` for one test and restores it afterwards."""
    saved = list(litellm.callbacks)

    def _install(cb: HeadroomCallback, *others: Any) -> HeadroomCallback:
        litellm.callbacks = [cb, *others]
        return cb

    yield _install
    litellm.callbacks = saved


# ---- what LiteLLM 1.106 can do without its proxy extra ----------------------------------------------

needs_fastapi = pytest.mark.skipif(
    importlib.util.find_spec("fastapi") is None,
    reason="LiteLLM 1.106 streams /v1/messages only with fastapi installed (litellm[proxy]): use --group proxy",
)
needs_mcp = pytest.mark.skipif(
    importlib.util.find_spec("mcp") is None,
    reason="LiteLLM 1.106's Responses API needs the mcp package (litellm[proxy]): use --group proxy",
)


# ---- realistic content ---------------------------------------------------------------------------

ROWS = [
    {
        "id": i,
        "path": f"/api/orders/{1000 + i}",
        "status": 500 if i % 61 == 0 else 200,
        "latency_ms": 40 + (i * 7) % 90,
        "region": ("eu-west-1", "us-east-1", "ap-south-1")[i % 3],
    }
    for i in range(400)
]
ORIGINAL = json.dumps(ROWS, indent=1)
"""A JSON tool output big enough to compress (about 11k tokens)."""

QUESTION = "Which order requests failed with a 500?"
TOOL = {"type": "function", "function": {"name": "get_requests", "parameters": {"type": "object", "properties": {}}}}


def openai_messages(content: str = ORIGINAL) -> list[dict[str, Any]]:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_requests", "arguments": "{}"}}
    return [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": content},
    ]


def anthropic_messages(content: str = ORIGINAL) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_requests", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": content}]},
    ]


def retrieve_first_ref(request: RecordedRequest) -> Reply:
    """The model asks for the original behind the first marker it was sent."""
    refs = find_refs(request.text)
    assert refs, "the upstream got no marker to retrieve"
    return Reply.retrieve(refs[0])


def tool_names(body: dict[str, Any]) -> list[str]:
    return [t.get("name") or t["function"]["name"] for t in body.get("tools") or []]
