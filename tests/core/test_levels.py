"""One knob, ``level``, moves every compressor's budgets together."""

from __future__ import annotations

import json

import headroom
import pytest
from headroom import MemoryStore

from .helpers import openai_conversation


def _varied_log(n: int = 1500) -> str:
    """A service log whose lines are many different events (so the budget, not repetition, decides)."""
    verbs = ["opened", "closed", "rotated", "flushed", "compacted", "evicted", "renewed", "synced", "paused"]
    things = ["session", "segment", "lease", "cursor", "snapshot", "index", "bucket", "channel", "ticket", "shard"]
    places = ["eu", "us", "ap", "sa", "af", "me", "ca"]
    return "\n".join(
        f"2026-11-23 10:{i // 60 % 60:02d}:{i % 60:02d} INFO {things[i % 10]} {verbs[i % 9]} in {places[i % 7]} "
        f"{'after retry ' * (i % 2)}{'with lag ' * (i % 3 == 0)}id={i}"
        for i in range(n)
    )


def _grep(n: int = 400) -> str:
    return "\n".join(
        f"src/pkg{i % 23}/module_{i % 41}.py:{10 + i}:    result = process_item(item_{i}, retries={i % 5})"
        for i in range(n)
    )


def _prose(n: int = 120) -> str:
    return " ".join(
        f"Sentence {i} describes how the payment service handled batch {i * 7} under load {i % 9}." for i in range(n)
    )


def _rows(n: int = 600) -> str:
    rows = [{"id": i, "status": "ok", "latency_ms": (i * 37) % 400, "region": f"eu-{i % 3}"} for i in range(n)]
    return json.dumps(rows)


def _diff(files: int = 30) -> str:
    out = []
    for k in range(files):
        out += [
            f"diff --git a/src/m{k}.py b/src/m{k}.py",
            f"--- a/src/m{k}.py",
            f"+++ b/src/m{k}.py",
            "@@ -1,40 +1,40 @@",
        ]
        out += [f" context line {j} of module {k} that did not change at all" for j in range(15)]
        out += [f"-value_{k}_{j} = {j}" for j in range(6)] + [f"+value_{k}_{j} = {j + 1}" for j in range(6)]
        out += [f" trailing line {j} of module {k} that did not change at all" for j in range(15)]
    return "\n".join(out)


@pytest.mark.parametrize(
    "content",
    [_varied_log(), _grep(), _prose(), _rows(), _diff()],
    ids=["log", "search", "text", "json", "diff"],
)
def test_safe_keeps_more_and_max_keeps_less_of_every_kind(content: str, store: MemoryStore) -> None:
    sizes = {}
    for level in ("safe", "balanced", "max"):
        result = headroom.compress(openai_conversation(content), model="gpt-4o", store=store, level=level)
        sizes[level] = result.tokens_after
    assert sizes["safe"] > sizes["balanced"] > sizes["max"], sizes


def test_an_unknown_level_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        headroom.compress(openai_conversation("x"), model="gpt-4o", level="extreme")
