"""retrieve(): the whole original, lines matching a query, JSON rows matching a query, a line range."""

from __future__ import annotations

import json

import pytest
from headroom import MemoryStore, RefExpiredError, RefNotFoundError, retrieve
from headroom.refs import make_ref
from headroom.store import Entry
from headroom.testing import FakeClock


def put(store: MemoryStore, text: str, kind: str = "text") -> str:
    ref = make_ref(text)
    store.put(ref, Entry(text, kind=kind))
    return ref


def test_whole_original(store: MemoryStore) -> None:
    text = "line one\r\nline two\n\ttabbed ünïcode\n"
    assert retrieve(put(store, text), store=store) == text


def test_query_returns_numbered_matching_lines(store: MemoryStore) -> None:
    text = "\n".join(["start", "GET /a 200", "GET /b 500 timeout", "POST /c 500", "end"])
    ref = put(store, text)
    assert retrieve(ref, query="500 timeout", store=store) == "3: GET /b 500 timeout"
    assert retrieve(ref, query="POST or timeout", store=store) == "3: GET /b 500 timeout\n4: POST /c 500"
    assert "No lines" in retrieve(ref, query="zebra", store=store)


def test_line_range(store: MemoryStore) -> None:
    text = "\n".join(f"line {i}" for i in range(1, 301))
    ref = put(store, text)
    assert retrieve(ref, lines="120-122", store=store) == "line 120\nline 121\nline 122"
    assert retrieve(ref, lines="300", store=store) == "line 300"
    assert retrieve(ref, lines="298-400", store=store) == "line 298\nline 299\nline 300"
    assert retrieve(ref, lines="10-20", query="line 15", store=store) == "15: line 15"
    for bad in ("abc", "0-3", "9-2"):
        with pytest.raises(ValueError, match="line"):
            retrieve(ref, lines=bad, store=store)
    with pytest.raises(ValueError, match="300 lines"):
        retrieve(ref, lines="301-302", store=store)


def test_query_on_json_returns_matching_rows_as_json(store: MemoryStore) -> None:
    rows = [{"id": i, "status": "failed" if i in (7, 31) else "ok", "name": f"job-{i}"} for i in range(50)]
    ref = put(store, json.dumps(rows), kind="json")
    assert json.loads(retrieve(ref, query="failed", store=store)) == [rows[7], rows[31]]
    wrapped = put(store, json.dumps({"total_count": 50, "items": rows}), kind="json")
    assert json.loads(retrieve(wrapped, query="job-12", store=store)) == [rows[12]]
    graphql = {"data": {"repository": {"labels": ["ci", "ops"], "issues": {"totalCount": 50, "nodes": rows}}}}
    nested = put(store, json.dumps(graphql), kind="json")
    assert json.loads(retrieve(nested, query="failed", store=store)) == [rows[7], rows[31]]


def test_query_on_json_that_is_not_mostly_rows_filters_its_lines(store: MemoryStore) -> None:
    config = {"service": {"name": "billing", "timeout_s": 30}, "regions": ["eu-west-1", "us-east-1"]}
    config.update({f"flag_{i}": {"enabled": i % 2 == 0, "owner": f"team-{i}"} for i in range(40)})
    ref = put(store, json.dumps(config, indent=1), kind="json")
    out = retrieve(ref, query="team-12", store=store)
    assert out.splitlines() == [f"{n}: {line}" for n, line in _numbered(json.dumps(config, indent=1), "team-12")]


def _numbered(text: str, term: str) -> list[tuple[int, str]]:
    return [(i + 1, line) for i, line in enumerate(text.split("\n")) if term in line]


def test_missing_and_expired_refs_say_which_and_why() -> None:
    clock = FakeClock()
    store = MemoryStore(ttl_seconds=60, clock=clock)
    with pytest.raises(RefNotFoundError, match=r"0123456789abcdef.*not found"):
        retrieve("0123456789abcdef", store=store)
    ref = put(store, "kept for a minute")
    clock.advance(61)
    with pytest.raises(RefExpiredError, match=rf"{ref}.*expired"):
        retrieve(ref, store=store)
