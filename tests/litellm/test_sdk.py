"""The SDK: ``litellm.callbacks = [HeadroomCallback(...)]`` with ``acompletion``, against the fake upstream."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import litellm
import pytest
from headroom import MemoryStore, find_refs, retrieve
from headroom.testing import FakeToolCall, FakeUpstream, Reply
from headroom_litellm import HeadroomCallback
from litellm.integrations.custom_logger import CustomLogger

from .conftest import ORIGINAL, TOOL, openai_messages, retrieve_first_ref, tool_names

Install = Callable[..., HeadroomCallback]
Run = Callable[[Any], Any]


def acomplete(up: FakeUpstream, model: str = "openai/fake-model", **kw: Any) -> Any:
    """``litellm.acompletion`` against the fake upstream (a coroutine)."""
    base = up.base_url if model.startswith("anthropic/") else up.base_url + "/v1"
    kw.setdefault("messages", openai_messages())
    kw.setdefault("num_retries", 0)
    return litellm.acompletion(model=model, api_base=base, api_key="sk-fake", **kw)


def _retrieve_ids(body: dict[str, Any]) -> list[str]:
    """Ids of the ``headroom_retrieve`` calls in a request's history (OpenAI or Anthropic shape)."""
    ids = []
    for m in body["messages"]:
        calls = [c | c["function"] for c in m.get("tool_calls") or []]
        calls += [b for b in m.get("content") if isinstance(b, dict)] if isinstance(m.get("content"), list) else []
        ids += [c["id"] for c in calls if c.get("name") == "headroom_retrieve"]
    return ids


def _tool_message(body: dict[str, Any], call_id: str) -> str:
    """The text of the tool result answering ``call_id`` (OpenAI or Anthropic shape)."""
    for m in body["messages"]:
        if m.get("role") == "tool" and m.get("tool_call_id") == call_id:
            return str(m["content"])
        for block in m.get("content") if isinstance(m.get("content"), list) else []:
            if block.get("type") == "tool_result" and block.get("tool_use_id") == call_id:
                content = block["content"]
                return content if isinstance(content, str) else "".join(p["text"] for p in content)
    raise AssertionError(f"no tool result for {call_id}")


def test_the_provider_gets_the_compressed_request(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(Reply.say("Orders 1000, 1061 and 1122 failed."))
    reply = run(acomplete(up, tools=[TOOL]))
    assert reply.choices[0].message.content == "Orders 1000, 1061 and 1122 failed."
    (sent,) = up.model_requests
    content = sent.json["messages"][-1]["content"]
    assert len(content) < len(ORIGINAL) / 5
    json.loads(content)  # still JSON
    assert all(f'"/api/orders/{1000 + i}"' in content for i in (0, 61, 122, 183, 244, 305, 366))  # the 500s
    (ref,) = find_refs(content)
    assert retrieve(ref, store=store) == ORIGINAL
    assert tool_names(sent.json) == ["get_requests", "headroom_retrieve"]
    assert sent.json["messages"][0] == openai_messages()[0]
    assert sent.json["messages"][1]["tool_calls"] == openai_messages()[1]["tool_calls"]


def test_a_small_request_goes_out_untouched(up: FakeUpstream, store: MemoryStore, install: Install, run: Run) -> None:
    install(HeadroomCallback(store=store))
    messages = openai_messages('{"status": 500, "error": "db timeout"}')
    run(acomplete(up, messages=messages))
    (sent,) = up.model_requests
    assert sent.json["messages"][-1] == messages[-1]
    assert "tools" not in sent.json


@pytest.mark.parametrize(
    "model",
    [
        "openai/fake-model",  # OpenAI-SDK provider: async_run_chat_completion_agentic_loop
        "deepseek/deepseek-chat",  # HTTP provider: async_build_chat_completion_agentic_loop_plan
        "anthropic/claude-sonnet-4-5",  # any provider after the call: async_build_agentic_loop_plan
    ],
)
def test_retrieve_calls_are_answered_without_reaching_the_caller(
    model: str, up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(retrieve_first_ref, Reply.say("Orders 1000, 1061 and 1122 failed."))
    reply = run(acomplete(up, model=model, tools=[TOOL]))
    assert reply.choices[0].message.content == "Orders 1000, 1061 and 1122 failed."
    assert not reply.choices[0].message.tool_calls
    first, second = up.model_requests
    # The second request repeats the compressed first one, then the model's call and the original:
    # retrieved content is never compressed again.
    assert len(second.body) > len(ORIGINAL) > 5 * len(first.body)
    (call_id,) = _retrieve_ids(second.json)
    assert _tool_message(second.json, call_id) == ORIGINAL
    assert "headroom_retrieve" in tool_names(second.json)


def test_a_mixed_turn_goes_to_the_caller_and_our_call_is_answered_on_its_next_request(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    """The proxy's policy (headroom.retrieval_turn): a client call never waits behind our rounds."""
    install(HeadroomCallback(store=store))

    def mixed(request: Any) -> Reply:
        ref = find_refs(request.text)[0]
        calls = (FakeToolCall("get_requests", {}), FakeToolCall("headroom_retrieve", {"ref": ref, "query": "500"}))
        return Reply(text="Checking.", tool_calls=calls)

    up.script(mixed, Reply.say("Done."))
    reply = run(acomplete(up, tools=[TOOL]))
    assert len(up.model_requests) == 1
    calls = reply.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_requests", "headroom_retrieve"]
    # The caller runs its tool and answers ours as it can; the original replaces that answer.
    history = [
        *openai_messages(),
        {"role": "assistant", "content": "Checking.", "tool_calls": [c.model_dump() for c in calls]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "[]"},
        {"role": "tool", "tool_call_id": calls[1].id, "content": "error: unknown tool headroom_retrieve"},
    ]
    reply = run(acomplete(up, tools=[TOOL], messages=history))
    assert reply.choices[0].message.content == "Done."
    answer = _tool_message(up.model_requests[1].json, calls[1].id)
    # A query returns only the matching rows, with their line numbers.
    assert '"status": 500' in answer and '"status": 200' not in answer


def test_retrieve_rounds_is_one_option_with_the_proxys_default(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    assert HeadroomCallback(store=store).retrieve_rounds == 3
    install(HeadroomCallback(store=store, retrieve_rounds=1))
    up.script(retrieve_first_ref, retrieve_first_ref, retrieve_first_ref, Reply.say("Done."))
    reply = run(acomplete(up, tools=[TOOL]))
    assert len(up.model_requests) == 2  # the first call and one answered round
    assert not reply.choices[0].message.tool_calls  # the rounds are spent: our call comes off, the turn ends


class _Payloads(CustomLogger):
    """Records the StandardLoggingPayload LiteLLM hands every logger."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[dict[str, Any]] = []

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.payloads.append(kwargs["standard_logging_object"])


@pytest.fixture(scope="module")
def logger() -> _Payloads:
    # One instance for the module: LiteLLM keeps the first logger of a class it has seen and
    # sends success events to that one.
    return _Payloads()


def _payloads_of(logger: _Payloads, team: str, count: int, run: Run) -> list[dict[str, Any]]:
    # Success logging runs in background tasks after the call returns (an earlier test's may land too).
    ours: list[dict[str, Any]] = []
    for _ in range(100):
        ours = [p for p in logger.payloads if (p["metadata"]["spend_logs_metadata"] or {}).get("team") == team]
        if len(ours) >= count:
            break
        run(asyncio.sleep(0.05))
    return ours


def test_savings_reach_the_standard_logging_payload(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run, logger: _Payloads
) -> None:
    install(HeadroomCallback(store=store), logger)
    up.script(Reply.say("ok"))
    run(acomplete(up, metadata={"spend_logs_metadata": {"team": "search"}}))
    (payload,) = _payloads_of(logger, "search", 1, run)
    stats = payload["metadata"]["spend_logs_metadata"]["headroom"]
    assert stats["tokens_before"] > 5 * stats["tokens_after"] > 0
    assert stats["tokens_saved"] == stats["tokens_before"] - stats["tokens_after"]
    assert stats["refs"] == find_refs(up.model_requests[0].text)
    assert 0.8 < stats["compression_ratio"] < 1


@pytest.mark.parametrize("model", ["openai/fake-model", "anthropic/claude-sonnet-4-5"])
def test_a_retrieval_follow_up_is_logged_without_the_savings_again(
    model: str, up: FakeUpstream, store: MemoryStore, install: Install, run: Run, logger: _Payloads
) -> None:
    install(HeadroomCallback(store=store), logger)
    up.script(retrieve_first_ref, Reply.say("ok"))
    run(acomplete(up, model=model, metadata={"spend_logs_metadata": {"team": model}}))
    payloads = _payloads_of(logger, model, 2, run)
    stats = sorted(
        (p["metadata"]["spend_logs_metadata"]["headroom"] for p in payloads), key=lambda s: s["tokens_saved"]
    )
    assert len(stats) == 2
    assert stats[0]["tokens_saved"] == 0
    assert stats[0]["retrievals"] == 1
    assert stats[1]["tokens_saved"] > 5 * stats[1]["tokens_after"]


def test_a_retried_attempt_sends_the_same_bytes(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(Reply.fail(500), Reply.say("ok"))
    messages = openai_messages()
    reply = run(acomplete(up, messages=messages, num_retries=1))
    assert reply.choices[0].message.content == "ok"
    first, second = up.model_requests
    assert first.json["messages"] == second.json["messages"]
    assert len(find_refs(second.text)) == 1  # compressed once, not a marker around a marker
    assert messages == openai_messages()  # the caller's messages are not changed


def test_a_broken_store_fails_open(up: FakeUpstream, install: Install, run: Run) -> None:
    class BrokenStore(MemoryStore):
        def put(self, *args: Any, **kwargs: Any) -> Any:
            raise OSError("disk full")

    install(HeadroomCallback(store=BrokenStore()))
    up.script(Reply.say("ok"))
    reply = run(acomplete(up))
    assert reply.choices[0].message.content == "ok"
    (sent,) = up.model_requests
    assert sent.json["messages"][-1]["content"] == ORIGINAL  # no marker without a stored original
    assert not find_refs(sent.text)


def test_positional_messages_are_named_in_one_warning(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    install(HeadroomCallback(store=store))
    up.script(Reply.say("ok"), Reply.say("ok"))
    base = up.base_url + "/v1"
    with caplog.at_level(logging.WARNING, logger="headroom_litellm"):
        for _ in range(2):  # LiteLLM's hook cannot see positional messages: said once, not per call
            run(litellm.acompletion("openai/fake-model", openai_messages(), api_base=base, api_key="sk-fake"))
    warnings = [r.getMessage() for r in caplog.records if "positionally" in r.getMessage()]
    assert warnings == [
        "headroom: a LiteLLM openai-chat call passed its messages positionally, where LiteLLM's hooks cannot "
        "see them, so they went out uncompressed; pass them by keyword (messages=...)"
    ]
    assert [r.json["messages"][-1]["content"] for r in up.model_requests] == [ORIGINAL, ORIGINAL]


def test_options_are_checked_up_front() -> None:
    with pytest.raises(TypeError, match="min_tokenz"):
        HeadroomCallback(min_tokenz=10)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"CompressOptions\.min_tokens must be an int >= 0"):
        HeadroomCallback(min_tokens=-5)
    with pytest.raises(ValueError, match="streaming"):
        HeadroomCallback(streaming="later")  # type: ignore[arg-type]
