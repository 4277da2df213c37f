"""SmartCrusher: JSON stays JSON, the rows that matter stay, the rest comes back through the store."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from typing import Any

import pytest
from headroom import MemoryStore, compress, find_refs, retrieve
from headroom.compressors import ContentType, Detection, SmartCrusher, TaskContext
from headroom.markers import parse_markers
from headroom.pipeline.router import ContentRouter
from headroom.refs import make_ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.helpers import openai_conversation

JSON = Detection(ContentType.JSON)


def crush(value: Any, query: str = "", *, indent: int | None = 2, **args: Any) -> tuple[str, str, str | None]:
    """(original text, its ref, SmartCrusher output) for ``value`` serialised with ``indent``."""
    text = value if isinstance(value, str) else json.dumps(value, indent=indent)
    ref = make_ref(text)
    out = SmartCrusher().compress(text, ref=ref, task=TaskContext(query=query, tool_args=args), detection=JSON)
    return text, ref, out


def request_log(n: int = 400) -> list[dict[str, Any]]:
    """An API access log as a tool returns it: mostly successes, one failure, one slow request."""
    rows = []
    for i in range(n):
        rows.append(
            {
                "ts": f"2026-03-02T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "request_id": f"req-{i:05d}",
                "service": ["checkout", "search", "accounts"][i % 3],
                "method": "GET",
                "path": f"/v1/items/{1000 + i}",
                "status": 200,
                "latency_ms": 20 + (i * 7) % 15,
                "error": None,
            }
        )
    rows[123].update(method="POST", path="/v1/payments", status=503, error="upstream timeout after 30s")
    rows[250]["latency_ms"] = 4800
    return rows


def kept_rows(out: str | Any) -> list[dict[str, Any]]:
    """The row objects of a crushed array (JSON text or parsed), from its table form or its list form."""
    doc = json.loads(out) if isinstance(out, str) else out
    if isinstance(doc, dict) and "columns" in doc:
        return [dict(zip(doc["columns"], r, strict=True)) for r in doc["rows"]]
    return [r for r in doc if isinstance(r, dict)]


def marker_of(out: str) -> str:
    (marker,) = parse_markers(out)
    return marker.summary


# -- lossless table form ----------------------------------------------------------------------


def test_same_keyed_rows_become_a_lossless_table_when_that_is_much_shorter() -> None:
    users = [{"id": i, "name": f"user{i}", "active": i % 2 == 0} for i in range(150)]
    _, _, out = crush(users, "list users")
    assert out is not None
    table = json.loads(out)
    assert table["columns"] == ["id", "name", "active"]
    assert [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]] == users
    assert not find_refs(out)  # nothing was left out, so no marker and nothing to fetch


def test_small_json_that_cannot_shrink_is_left_alone() -> None:
    text = json.dumps({"id": 7, "name": "a"}, separators=(",", ":"))
    assert SmartCrusher().compress(text, ref=make_ref(text), task=TaskContext(), detection=JSON) is None


# -- which rows survive -----------------------------------------------------------------------


def test_big_array_keeps_failures_outliers_task_rows_and_ends_and_says_what_it_left_out() -> None:
    rows = request_log()
    text, ref, out = crush(rows, "what happened to request req-00042?")
    assert out is not None and len(out) < len(text) / 5
    kept = json.loads(out)
    assert kept["_headroom"].startswith("[headroom: ") and find_refs(out) == [ref]
    found = [dict(zip(kept["columns"], r, strict=True)) for r in kept["rows"]]
    by_index = {r["_index"]: r for r in found}
    assert found[0]["request_id"] == "req-00042"  # ranked by relevance, not by position
    assert by_index[123]["error"] == "upstream timeout after 30s"
    assert by_index[250]["latency_ms"] == 4800
    assert {0, 399} <= set(by_index)
    for i, row in by_index.items():  # kept rows are the original rows, verbatim
        assert {k: v for k, v in row.items() if k != "_index"} == rows[i]
    summary = marker_of(out)
    assert f"{400 - len(found)} of 400 rows omitted" in summary
    assert "1 matching the task" in summary and "1 failing (status 503" in summary and "_index" in summary


def test_a_null_error_field_is_not_a_failure() -> None:
    rows = [{"job": f"job-{i}", "error": None, "ok": True, "detail": "x" * 40} for i in range(60)]
    rows[17]["error"] = {"code": "E_DISK", "message": "disk full on /var"}
    _, _, out = crush(rows)
    assert out is not None
    assert "1 failing (error: {…} ×1)" in marker_of(out)
    assert "disk full on /var" in out


@pytest.mark.parametrize(
    ("field", "bad"),
    [("status", "failed"), ("success", False), ("status_code", 500), ("state", "ERROR"), ("exit_code", 2)],
)
def test_non_success_rows_are_kept_by_their_field_values(field: str, bad: Any) -> None:
    good = {"status": "passed", "success": True, "status_code": 200, "state": "done", "exit_code": 0}[field]
    rows = [{"name": f"task-{i}", field: good, "log": f"step {i} " * 8} for i in range(80)]
    rows[41][field] = bad
    _, _, out = crush(rows)
    assert out is not None and '"task-41"' in out and "1 failing" in marker_of(out)


def test_a_query_word_found_in_most_rows_carries_no_signal() -> None:
    rows = [{"service": "api", "host": f"web-{i}", "note": "api gateway node " * 5} for i in range(100)]
    rows[64]["host"] = "web-canary"
    _, _, out = crush(rows, "is the api canary host healthy?")
    assert out is not None
    summary = marker_of(out)
    assert "1 matching the task ('canary')" in summary
    assert kept_rows(out)[0]["_index"] == 64


def test_tool_arguments_count_as_task_context() -> None:
    rows = [{"id": 5000 + i, "title": f"Issue number {i}", "body": "Lorem ipsum " * 20} for i in range(50)]
    _, _, out = crush(rows, "", issue_id=5031)
    assert out is not None and kept_rows(out)[0]["title"] == "Issue number 31"


def test_a_level_shift_in_a_numeric_field_is_kept() -> None:
    series = [
        {"minute": i, "host": "db-1", "region": "eu-west-1", "p99_ms": 40 + (i * 7) % 5 + (300 if i >= 370 else 0)}
        for i in range(600)
    ]
    _, _, out = crush(series)
    assert out is not None
    assert "shift in p99_ms" in marker_of(out)
    assert {369, 370} <= {r["_index"] for r in kept_rows(out)}


# -- inside kept rows -------------------------------------------------------------------------


def test_long_strings_keep_their_head_and_say_how_much_was_cut() -> None:
    readme = "Install with pip. " + "Configuration details follow here. " * 300
    _, _, out = crush({"name": "pkg", "version": "1.2.0", "readme": readme})
    assert out is not None
    cut = json.loads(out)["readme"]
    assert cut.startswith("Install with pip. Configuration") and cut.endswith(
        f"…[+{len(readme) - cut.index('…')} chars]"
    )
    assert "long strings cut" in marker_of(out)


def test_large_nested_values_of_a_kept_record_are_pruned_and_named_in_the_marker() -> None:
    links = [f"{a}{b}" for a in "abcdef" for b in "ghijklm"]
    owner = {"login": "octo", "id": 1} | {f"{k}_url": f"https://api.example.com/users/octo/{k}" for k in links}
    repos = [
        {"id": 900 + i, "name": f"repo-{i}", "owner": owner, "permissions": {"admin": True, "push": True}}
        | {f"{k}_url": f"https://api.example.com/repos/octo/repo-{i}/{k}" for k in links}
        for i in range(40)
    ]
    _, _, out = crush({"total_count": 40, "items": repos}, "which repo is called repo-17?")
    assert out is not None
    doc = json.loads(out)
    assert doc["total_count"] == 40
    first = kept_rows(doc["items"])[0]
    assert first["name"] == "repo-17" and first["id"] == 917 and "ag_url" not in first
    assert first["owner"]["login"] == "octo" and "ag_url" not in first["owner"]
    summary = marker_of(out)
    assert summary.startswith("36 of 40 rows omitted") and "*_url (42)" in summary and "owner.*_url" in summary


def test_github_style_wrapper_object_keeps_its_scalars_and_crushes_the_array() -> None:
    items = [{"number": i, "title": f"Flaky test {i}", "state": "open", "labels": ["ci"]} for i in range(300)]
    _, ref, out = crush({"total_count": 300, "incomplete_results": False, "items": items}, "flaky test 207")
    assert out is not None
    doc = json.loads(out)
    assert doc["total_count"] == 300 and doc["incomplete_results"] is False
    assert find_refs(json.dumps(doc)) == [ref]
    assert '"Flaky test 207"' in out


def test_an_object_of_records_keeps_the_entries_an_array_would() -> None:
    hosts = {f"host-{i:03d}": {"cpu": 20 + i % 7, "state": "up", "zone": "eu-1", "tags": ["prod"]} for i in range(200)}
    hosts["host-117"]["state"] = "failed"
    _, _, out = crush(hosts, "check the zone of host-042")
    assert out is not None
    kept = json.loads(out)
    assert {"host-042", "host-117", "host-000", "host-199"} <= set(kept)
    assert kept["host-117"] == hosts["host-117"] and len(kept) < 12
    assert "host-001" in kept["_headroom"] or "host-002" in kept["_headroom"]  # left-out keys are named


# -- shapes -----------------------------------------------------------------------------------


def test_arrays_of_strings_keep_matching_items_in_order_with_gaps_marked() -> None:
    files = [f"src/pkg_{i}/mod_{j}.py" for i in range(50) for j in range(8)]
    _, _, out = crush(files, "open the loader in pkg_31", indent=None)
    assert out is not None
    kept = json.loads(out)
    assert kept[0].startswith("[headroom: ") and "src/pkg_31/mod_0.py" in kept
    assert any(isinstance(x, str) and x.startswith("…[") and x.endswith("items omitted]") for x in kept)
    real = [x for x in kept[1:] if not x.startswith("…[")]
    assert real == sorted(real, key=files.index)


def test_json_lines_stay_json_lines() -> None:
    text = "\n".join(json.dumps(r) for r in request_log(300))
    _, _, out = crush(text, "payments timeout")
    assert out is not None
    lines = [json.loads(line) for line in out.split("\n")]
    assert lines[0]["_headroom"].startswith("[headroom: ")
    assert lines[1]["path"] == "/v1/payments" and lines[1]["_index"] == 123


def test_json_cut_off_at_the_end_keeps_whole_rows_and_says_so() -> None:
    rows = request_log(300)
    text = json.dumps({"total": 300, "items": rows}, indent=2)
    cut = text[: len(text) * 2 // 3]
    _, ref, out = crush(cut, "what happened to request req-00042?")
    assert out is not None and find_refs(out) == [ref]
    doc = json.loads(out)
    kept = kept_rows(doc["items"])
    assert kept[0]["request_id"] == "req-00042"
    for row in kept:  # rows are whole, never the half row where the text stops
        assert {k: v for k, v in row.items() if k != "_index"} == rows[row["_index"]]
    assert marker_of(out).startswith("input cut off: its last ")


@pytest.mark.parametrize(
    "text", ["[" * 10_000 + "]" * 10_000, '{"a":' * 5000 + "1" + "}" * 5000, '[{"a":' * 50_000 + "1"]
)
def test_very_deep_nesting_does_not_crash(text: str) -> None:
    assert SmartCrusher().compress(text, ref=make_ref(text), task=TaskContext(), detection=JSON) is None


def test_not_json_and_nan_are_left_alone() -> None:
    for text in ["not json at all", '{"a": NaN, "b": "' + "x" * 5000 + '"}', '"just a string"']:
        assert SmartCrusher().compress(text, ref=make_ref(text), task=TaskContext(), detection=JSON) is None


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(["obj", "arr", "rows", "str", "num", "lit"] if depth < 4 else ["str", "num", "lit"])
    if kind == "obj":
        return {
            f"k{rng.randint(0, 30)}_{'url' if rng.random() < 0.2 else 'v'}": random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 12))
        }
    if kind == "arr":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 30))]
    if kind == "rows":
        return [
            {"id": i, "status": rng.choice([200, 200, 200, 404]), "v": random_json(rng, depth + 2)}
            for i in range(rng.randint(5, 60))
        ]
    if kind == "str":
        return rng.choice(["", "ok", "error", "https://x.io/a", 'ünï ☃ "quoted" \\ back']) * rng.randint(1, 60)
    if kind == "num":
        return rng.choice([0, -3, 2**40, 1.5, 1e-9])
    return rng.choice([None, True, False])


@pytest.mark.slow  # over 5 s on the 2-core machine
def test_output_is_valid_json_and_names_only_its_own_ref() -> None:
    rng = random.Random(20260302)
    for _ in range(150):
        value = random_json(rng)
        text, ref, out = crush(value, "error status 404 k7_v", indent=rng.choice([None, 1, 2]))
        if out is None:
            continue
        assert len(out) < len(text)
        json.loads(out)
        assert set(find_refs(out)) <= {ref}


def test_every_marker_brings_the_original_back_through_compress(store: MemoryStore) -> None:
    rng = random.Random(7)
    crushed = 0
    for _ in range(40):
        original = json.dumps(random_json(rng), indent=2)
        result = compress(
            openai_conversation(original, question="which rows have status 404?"), model="gpt-4o", store=store
        )
        tool_text = result.messages[-1]["content"]
        json.loads(tool_text)
        for ref in find_refs(tool_text):
            crushed += 1
            assert retrieve(ref, store=store) == original
    assert crushed >= 5


scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=300)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=40) | st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=12),
    max_leaves=400,
)


@pytest.mark.slow  # over 5 s on the 2-core machine
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(value=json_values, query=st.sampled_from(["", "error 404", "which row has id 7?", "ünï ☃"]))
def test_property_valid_json_and_the_original_comes_back(value: Any, query: str) -> None:
    text, ref, out = crush(value, query)
    if out is None:
        return
    assert len(out) < len(text)
    json.loads(out)
    assert set(find_refs(out)) <= {ref}
    store = MemoryStore()
    result = compress(openai_conversation(text, question=query or "look"), model="gpt-4o", store=store)
    tool_text = result.messages[-1]["content"]
    json.loads(tool_text)
    for r in find_refs(tool_text):
        assert retrieve(r, store=store) == text


# -- end to end -------------------------------------------------------------------------------


def test_the_router_sends_json_to_smart_crusher() -> None:
    detection, compressor = ContentRouter().route(json.dumps(request_log(), indent=2))
    assert detection.type is ContentType.JSON and isinstance(compressor, SmartCrusher)


def test_through_compress_the_rows_come_back_from_the_store(store: MemoryStore) -> None:
    rows = request_log()
    original = json.dumps(rows, indent=2)
    result = compress(
        openai_conversation(original, question="Why did the payment POST fail?"), model="gpt-4o", store=store
    )
    tool_text = result.messages[-1]["content"]
    json.loads(tool_text)
    (ref,) = find_refs(tool_text)
    assert retrieve(ref, store=store) == original
    fetched = json.loads(retrieve(ref, query="req-00321", store=store))
    assert fetched == [rows[321]]


def test_same_input_same_bytes_in_another_process() -> None:
    text, ref, out = crush(request_log(), "slow checkout requests and failures")
    code = (
        "import json, sys\n"
        "from headroom.compressors import SmartCrusher, TaskContext, Detection, ContentType\n"
        "text = sys.stdin.read()\n"
        "out = SmartCrusher().compress(text, ref=sys.argv[1], task=TaskContext(query=sys.argv[2]),"
        " detection=Detection(ContentType.JSON))\n"
        "sys.stdout.write(out)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    args = [sys.executable, "-c", code, ref, "slow checkout requests and failures"]
    other = subprocess.run(args, input=text, capture_output=True, text=True, check=True, env=env)
    assert other.stdout == out
    assert crush(request_log(), "slow checkout requests and failures")[2] == out


@pytest.mark.slow
def test_a_large_array_is_handled() -> None:
    rows = request_log(40_000)
    text, _, out = crush(rows, "request req-31337", indent=None)
    assert out is not None and len(out) < len(text) / 50 and "req-31337" in out


# -- numbers keep the input's notation ------------------------------------------------------------


def priced_orders(n: int = 300) -> str:
    """Orders whose prices keep a trailing zero and whose weights use an exponent, as some APIs write them."""
    status = ["failed" if i == 7 else "ok" for i in range(n)]
    rows = [
        f'{{"id": {i}, "sku": "A-{i}.50", "price": {i}.{i % 10}0, "weight": 1e3, "status": "{status[i]}"}}'
        for i in range(n)
    ]
    return "[" + ", ".join(rows) + "]"


def test_numbers_are_written_as_the_input_wrote_them() -> None:
    _, _, lossy = crush(priced_orders(), "Which order failed?")
    assert lossy is not None and "[headroom:" in lossy
    assert "7.70" in lossy and "1e3" in lossy and "1000.0" not in lossy
    assert kept_rows(lossy)[0]["price"] == 7.7
    assert '"A-7.50"' in lossy  # digits inside strings are never touched
    _, _, lossless = crush(priced_orders(12), "list orders")
    assert lossless is not None and "[headroom:" not in lossless
    assert json.loads(lossless)["rows"][3][2:4] == [3.3, 1000.0]
    assert "3.30" in lossless and "1e3" in lossless


def test_a_shortest_form_two_literals_share_is_left_as_it_is() -> None:
    rows = [f'{{"id": {i}, "a": 1.50, "b": 1.500, "note": "{"x" * 40}"}}' for i in range(200)]
    _, _, out = crush("[" + ", ".join(rows) + "]", "list")
    assert out is not None
    assert "1.50," not in out and "1.500" not in out and "1.5," in out


def test_retrieving_rows_by_query_keeps_the_numbers_notation(store: MemoryStore) -> None:
    text = priced_orders()
    result = compress(openai_conversation(text, question="Which order failed?"), model="gpt-4o", store=store)
    (ref,) = result.refs
    rows = retrieve(ref, query="failed", store=store)
    assert "7.70" in rows and json.loads(rows)[0]["price"] == 7.7
