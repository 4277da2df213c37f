"""Fidelity self-check over every bench case: kept lines are the tool's own lines, in its order.

Each case is compressed through the public API as the benchmark does (non-agent cases wrapped in a
one-tool-call conversation, agent conversations as they are), and every tool result is checked
against its original with `tests.core.fidelity.fidelity_problems`. Our own cases
(``benchmarks/cases``) always run; the shared dev split runs too where ``../shared`` exists.
The first tests show that the rule itself catches what it is meant to catch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from headroom import MemoryStore, compress
from headroom.bench.compression import MODELS, conversation, load_cases
from headroom.markers import format_marker

from tests.core.fidelity import fidelity_problems, tool_results

ROOT = Path(__file__).resolve().parents[2]
OWN = ROOT / "benchmarks" / "cases"
DEV = ROOT.parent / "shared" / "bench" / "cases"
REF = "0123456789abcdef"
LOG = "\n".join(f"2024-05-01 10:00:{i:02d} INFO worker {i} done" for i in range(20))


def marker(summary: str = "5 lines omitted") -> str:
    return format_marker(REF, summary)


# ---------------------------------------------------------------------------- the rule itself


def test_kept_lines_in_order_and_markers_pass() -> None:
    lines = LOG.split("\n")
    assert fidelity_problems(LOG, "\n".join([lines[0], marker(), lines[7], lines[19]])) == []


def test_a_rewritten_line_is_caught() -> None:
    lines = LOG.split("\n")
    (problem,) = fidelity_problems(LOG, "\n".join([lines[0], lines[3].replace("done", "finished")]))
    assert "not a line of the original" in problem


def test_lines_out_of_order_are_caught() -> None:
    lines = LOG.split("\n")
    (problem,) = fidelity_problems(LOG, "\n".join([lines[5], lines[2]]))
    assert "out of the original's order" in problem


def test_a_trailing_space_or_carriage_return_lost_is_caught() -> None:
    crlf = LOG.replace("\n", "\r\n")
    assert fidelity_problems(crlf, "\n".join(LOG.split("\n")[:3]))


def test_text_beside_a_marker_must_come_from_the_original() -> None:
    prose = "The cache is warm. The disk is full. The job failed at 3 am."
    assert fidelity_problems(prose, f"The cache is warm. {marker('1 sentence omitted')} The job failed at 3 am.") == []
    (problem,) = fidelity_problems(prose, f"The cache is cold. {marker('1 sentence omitted')}")
    assert "beside a marker" in problem
    code = "def f():\n    return 1\n"
    assert fidelity_problems(code, f"def f():\n    ...  # {marker('body of f omitted')}\n") == []


def test_json_must_parse_and_keep_its_numbers() -> None:
    doc = json.dumps([{"id": i, "price": 19.5} for i in range(30)]).replace("19.5", "19.50")
    assert fidelity_problems(doc, '[{"id": 0, "price": 19.50}]') == []
    assert fidelity_problems(doc, '[{"id": 0, "price": 19.50}') == ["a JSON original no longer parses"]
    (problem,) = fidelity_problems(doc, '[{"id": 0, "price": 19.5}]')
    assert "19.5" in problem


def test_json_lines_rows_must_be_original_rows() -> None:
    rows = "\n".join(json.dumps({"id": i, "level": "error" if i % 5 else "info"}) for i in range(20))
    kept = '{"_index": 3, "id": 3, "level": "error"}'
    assert fidelity_problems(rows, f"{json.dumps({'_headroom': marker()})}\n{kept}") == []
    (problem,) = fidelity_problems(rows, '{"_index": 3, "id": 3, "level": "warn"}')
    assert "not a row of the original" in problem


def test_json_lines_rows_may_be_pruned_like_json_but_not_rewritten() -> None:
    rows = "\n".join(json.dumps({"id": i, "tags": ["a", "b"], "log": "x" * 300}) for i in range(20))
    head = json.dumps({"_headroom": marker()})
    pruned = json.dumps({"_index": 3, "id": 3, "tags": ["b"], "log": "x" * 40 + "…[+260 chars]"})
    assert fidelity_problems(rows, f"{head}\n{pruned}") == []
    for bad in ({"id": 3, "tags": ["c"]}, {"id": 3, "log": "x" * 40 + "…[+200 chars]"}, {"id": 3, "extra": 1}):
        (problem,) = fidelity_problems(rows, f"{head}\n{json.dumps(bad)}")
        assert "not a row of the original" in problem


def test_a_near_repeat_delta_checks_its_added_and_context_lines() -> None:
    lines = LOG.split("\n")
    head = marker("same as the output of bash in message 2 except for the changes below (unified diff)")
    good = "\n".join([head, "@@ -3,2 +3,2 @@", " " + lines[2], "-old line", "+" + lines[3]])
    assert fidelity_problems(LOG, good) == []
    bad = "\n".join([head, "@@ -3,2 +3,2 @@", "+2024-05-01 10:00:03 INFO worker 3 crashed"])
    assert fidelity_problems(LOG, bad)


# ---------------------------------------------------------------------------- every bench case


def _cases(folder: Path) -> list[Any]:
    if not folder.is_dir():
        return []
    return [pytest.param(c, id=c["id"]) for c in load_cases(folder)]


def _check_case(case: dict[str, Any]) -> None:
    fmt = case.get("format", "openai")
    messages, system = conversation(case, fmt)
    result = compress(messages, MODELS[fmt], format=fmt, system=system, store=MemoryStore())
    before, after = tool_results(messages), tool_results(result.messages)
    assert before.keys() == after.keys()
    problems = {ref: p for ref in before if (p := fidelity_problems(before[ref], after[ref]))}
    assert not problems, {ref: p[:3] for ref, p in problems.items()}


@pytest.mark.parametrize("case", _cases(OWN))
def test_own_bench_case_keeps_lines_verbatim(case: dict[str, Any]) -> None:
    _check_case(case)


@pytest.mark.slow
@pytest.mark.skipif(not DEV.is_dir(), reason="the shared dev split (../shared/bench/cases) is not on this machine")
@pytest.mark.parametrize("case", _cases(DEV))
def test_dev_bench_case_keeps_lines_verbatim(case: dict[str, Any]) -> None:
    _check_case(case)
