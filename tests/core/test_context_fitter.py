"""ContextFitter: fits the limit, never splits a tool pair, keeps what must stay, loses nothing."""

from __future__ import annotations

import json

import pytest
from headroom import MemoryStore, compress, find_refs, retrieve
from headroom.formats import get_format, pairs_intact

from tests.core.helpers import build_log


def openai_agent(n: int) -> list[dict]:
    messages: list[dict] = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Fix the failing payment retry logic in billing/retry.py."},
    ]
    for k in range(n):
        messages.append(
            {
                "role": "assistant",
                "content": f"Step {k}: inspect file {k}.",
                "tool_calls": [
                    {
                        "id": f"call_{k}",
                        "type": "function",
                        "function": {"name": "bash", "arguments": json.dumps({"command": f"cat src/module_{k}.py"})},
                    }
                ],
            }
        )
        body = "\n".join(f"def helper_{k}_{i}(x):\n    return x * {i}  # module {k} line {i}" for i in range(120))
        messages.append({"role": "tool", "tool_call_id": f"call_{k}", "content": body})
    messages.append({"role": "user", "content": "Now apply the fix and run the tests."})
    return messages


def size_of(messages: list[dict]) -> int:
    return compress(messages, model="gpt-4o", store=MemoryStore(), fit=False).tokens_before


@pytest.mark.parametrize("share", [0.5, 0.25, 0.1])
def test_fits_keeps_pairs_and_loses_nothing(share: float, store: MemoryStore) -> None:
    messages = openai_agent(20)
    limit = int(size_of(messages) * share)
    result = compress(messages, model="gpt-4o", store=store, context_limit=limit, output_reserve=0)
    assert result.fit is not None and result.fit.fits and result.tokens_after <= limit
    assert pairs_intact("openai", result.messages)
    assert result.messages[0] == messages[0], "system prompt kept"
    assert result.messages[1] == messages[1], "first user task kept"
    assert result.messages[-1] == messages[-1], "latest user turn kept"
    # Everything that was dropped comes back through the markers.
    recovered = "\n".join(retrieve(ref, store=store) for ref in find_refs(json.dumps(result.messages)))
    for m in messages:
        if m not in result.messages:
            assert json.dumps(m["content"])[1:-1] in recovered or m["content"] in recovered


def test_recent_and_referenced_turns_survive_longest(store: MemoryStore) -> None:
    messages = openai_agent(12)
    messages[-1]["content"] = "Use helper_3_7 from module 3 and apply the fix."
    limit = int(compress(messages, model="gpt-4o", store=MemoryStore(), fit=False).tokens_after * 0.5)
    out = compress(messages, model="gpt-4o", store=store, context_limit=limit, output_reserve=0).messages
    unfitted = compress(messages, model="gpt-4o", store=store, fit=False).messages
    kept = {m["tool_call_id"] for m in out if m.get("role") == "tool" and m in unfitted}
    assert "call_11" in kept, "the latest tool result is kept"
    assert "call_3" in kept, "the result a later message refers to is kept"
    assert "call_0" not in kept


def test_nothing_happens_when_it_fits_or_no_limit_is_known(store: MemoryStore) -> None:
    messages = openai_agent(3)
    big = compress(messages, model="gpt-4o", store=store, context_limit=1_000_000)
    assert big.fit is not None and big.fit.budget is not None and big.fit.collapsed_units == 0
    unknown = compress(messages, model="my-local-model", store=store)
    assert unknown.fit is not None and unknown.fit.budget is None


def test_anthropic_fitting_avoids_the_cached_prefix_when_it_can(store: MemoryStore) -> None:
    messages: list[dict] = [{"role": "user", "content": [{"type": "text", "text": "Audit the services."}]}]
    for k in range(10):
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": f"t{k}", "name": "bash", "input": {"command": f"journalctl -u svc{k}"}}
                ],
            }
        )
        log = build_log(200).replace("worker-", f"svc{k}-worker-")
        messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{k}", "content": log}]})
    messages[2]["content"][0]["cache_control"] = {"type": "ephemeral"}  # turn 1 was cached earlier, uncompressed
    size = compress(messages, model="claude-sonnet-4-5", store=MemoryStore(), fit=False).tokens_after
    result = compress(messages, model="claude-sonnet-4-5", store=store, context_limit=int(size * 0.7), output_reserve=0)
    assert result.fit is not None and result.fit.fits and not result.fit.touched_cached_prefix
    assert result.messages[:3] == messages[:3], "the cached prefix is untouched"
    assert pairs_intact("anthropic", result.messages)
    tight = compress(messages, model="claude-sonnet-4-5", store=store, context_limit=int(size * 0.1), output_reserve=0)
    assert tight.fit is not None and tight.fit.fits and tight.fit.touched_cached_prefix


def test_responses_items_keep_call_and_output_together(store: MemoryStore) -> None:
    items: list[dict] = [{"role": "user", "content": [{"type": "input_text", "text": "Summarise the logs."}]}]
    for k in range(8):
        items.append({"type": "function_call", "call_id": f"fc{k}", "name": "bash", "arguments": "{}"})
        items.append({"type": "function_call_output", "call_id": f"fc{k}", "output": build_log(150)})
    items.append({"role": "user", "content": [{"type": "input_text", "text": "Which worker failed?"}]})
    size = compress(items, model="gpt-5", format="responses", store=MemoryStore(), fit=False).tokens_before
    result = compress(
        items, model="gpt-5", format="responses", store=store, context_limit=int(size * 0.1), output_reserve=0
    )
    assert result.fit is not None and result.fit.fits
    assert pairs_intact("responses", result.messages)
    get_format("responses").validate(result.messages)


def test_an_item_of_a_role_the_adapter_does_not_know_survives_fitting_as_it_is(store: MemoryStore) -> None:
    messages = openai_agent(20)
    unknown = {"role": "critic", "content": "Score the plan before each step: " + "be brief. " * 300}
    messages.insert(9, unknown)
    result = compress(
        messages, model="gpt-4o", store=store, context_limit=int(size_of(messages) * 0.2), output_reserve=0
    )
    assert result.fit is not None and result.fit.collapsed_units + result.fit.removed_units > 0
    assert unknown in result.messages or unknown["content"] in "\n".join(
        retrieve(ref, store=store) for ref in find_refs(json.dumps(result.messages))
    )
    assert all(m == unknown for m in result.messages if m.get("role") == "critic")
