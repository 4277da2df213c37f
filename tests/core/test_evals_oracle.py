"""`headroom evals` end to end on the CI subsets, against `FakeUpstream` scripted as an oracle that
answers only from what it receives (tests/core/evals_oracle.py).

These need the data wheels (scripts/test.sh installs them into .venvs/evals-data and points
HEADROOM_EVALS_DATA there), so they carry the ``evals`` marker and run in that step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from headroom.cli import main
from headroom.evals import AnthropicEndpoint, Case, Harness, OpenAIEndpoint, summarize
from headroom.evals.data import DataSource
from headroom.evals.harness import Compressed
from headroom.evals.suites import SUITES, build
from headroom.markers import format_marker
from headroom.refs import make_ref
from headroom.store import Entry, Store
from headroom.testing import FakeUpstream
from headroom.turns import RETRIEVE_ROUNDS

from tests.core.evals_oracle import oracle

pytestmark = pytest.mark.evals

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data() -> DataSource:
    folder = os.environ.get("HEADROOM_EVALS_DATA")
    assert folder, (
        "set HEADROOM_EVALS_DATA to the folder the eval data wheels were installed into (see scripts/test.sh)"
    )
    return DataSource(
        packages=Path(folder),
        case_dirs=(ROOT / "benchmarks" / "cases",),
        own_cases=ROOT / "benchmarks/evals/toolqa.jsonl",
    )


@pytest.fixture(scope="module")
def cases(data: DataSource) -> list[Case]:
    return [c for suite in SUITES for c in build(suite, "ci", data)]


@pytest.fixture
def upstream(cases: list[Case]) -> Iterator[FakeUpstream]:
    with FakeUpstream() as up:
        up.script(*[oracle(cases)] * 400)
        yield up


def _run(harness: Harness, cases: Sequence[Case]) -> list[Any]:
    return [r for c in cases for r in harness.run_case(c)]


def test_every_suite_has_a_ci_subset_and_headroom_keeps_every_answer_reachable(
    upstream: FakeUpstream, cases: list[Case]
) -> None:
    records = _run(Harness(OpenAIEndpoint(upstream.base_url + "/v1", "oracle")), cases)
    assert {r.suite for r in records} == set(SUITES)
    assert all(r.original_ok for r in records), [r.probe for r in records if not r.original_ok]
    assert all(r.compressed_ok for r in records), [(r.case, r.compressed.text) for r in records if not r.compressed_ok]
    by_suite = {s: summarize(s, [r for r in records if r.suite == s]) for s in SUITES}
    assert by_suite["toolqa"].saved > 0.3 and by_suite["needle"].saved > 0.2
    assert by_suite["bfcl"].kept is None and by_suite["gsm8k"].kept is None  # judged by their own checkers
    # short prompts are left alone: the same bytes, so the same answers
    assert by_suite["bfcl"].saved == 0 and by_suite["gsm8k"].saved == 0


def _tool_lines(messages: Sequence[dict[str, Any]], keep: Any) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        if m.get("role") == "tool":
            m = {**m, "content": "\n".join(keep(line) for line in m["content"].split("\n") if keep(line) is not None)}
        out.append(m)
    return out


def _answers(case: Case) -> list[str]:
    return [p.expected[0] for p in case.probes]


def test_a_compressor_that_drops_the_answer_fails(upstream: FakeUpstream, cases: list[Case]) -> None:
    qa = [c for c in cases if c.suite in ("toolqa", "needle")]

    def dropping(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]], store: Store) -> Compressed:
        answers = [a for c in qa for a in _answers(c)]
        kept = _tool_lines(messages, lambda line: None if any(a in line for a in answers) else line)
        return Compressed(kept, [], 100, 50)

    records = _run(Harness(OpenAIEndpoint(upstream.base_url + "/v1", "oracle"), compressor=dropping), qa)
    assert all(r.original_ok for r in records)
    assert not any(r.compressed_ok for r in records)
    assert not any(r.answer_kept for r in records)
    verdict = summarize("qa", records)
    assert verdict.compressed == 0 and not verdict.non_inferior


def test_a_compressor_that_hides_the_answer_behind_a_marker_must_retrieve(
    upstream: FakeUpstream, cases: list[Case]
) -> None:
    qa = [c for c in cases if c.suite in ("toolqa", "needle")]
    answers = [a for c in qa for a in _answers(c)]

    def hiding(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]], store: Store) -> Compressed:
        def marker(line: str) -> str:
            if not any(a in line for a in answers):
                return line
            ref = make_ref(line)
            store.put(ref, Entry(line))
            return format_marker(ref, "1 line omitted")

        retrieve = {"type": "function", "function": {"name": "headroom_retrieve", "parameters": {"type": "object"}}}
        return Compressed(_tool_lines(messages, marker), [retrieve], 100, 60)

    records = _run(Harness(OpenAIEndpoint(upstream.base_url + "/v1", "oracle"), compressor=hiding), qa)
    assert all(r.compressed_ok for r in records)
    assert all(r.compressed.rounds >= 1 for r in records)
    assert not any(r.answer_kept for r in records)  # only behind the marker
    assert summarize("qa", records).inline == 0
    # without the tool offered, hidden answers stay hidden
    offline = Harness(OpenAIEndpoint(upstream.base_url + "/v1", "oracle"), compressor=hiding, offer_retrieve=False)
    assert not any(r.compressed_ok for r in _run(offline, qa))


def test_retrieval_rounds_are_capped_like_the_proxy(cases: list[Case]) -> None:
    needle = next(c for c in cases if c.suite == "needle")
    with FakeUpstream() as up:
        from headroom.testing import Reply

        up.script(*[Reply.retrieve("0123456789abcdef")] * 10)
        answer = Harness(OpenAIEndpoint(up.base_url + "/v1", "loop")).ask(needle.messages, [], needle.probes[0], 32)
        assert answer.rounds == RETRIEVE_ROUNDS
        assert len(up.model_requests) == RETRIEVE_ROUNDS + 1
        # the unknown ref got a readable error, not an exception
        assert "0123456789abcdef" in json.dumps(up.model_requests[1].json["messages"][-1])


def test_anthropic_endpoint_is_asked_in_its_own_format(upstream: FakeUpstream, cases: list[Case]) -> None:
    qa = [c for c in cases if c.suite == "toolqa"][:2]
    records = _run(Harness(AnthropicEndpoint(upstream.base_url, "claude-oracle")), qa)
    assert all(r.original_ok and r.compressed_ok for r in records)
    assert all(r.path.endswith("/v1/messages") for r in upstream.model_requests)
    assert any(isinstance(r.json.get("system"), str) for r in upstream.model_requests)


def test_cli_prints_the_table_writes_results_and_resumes(
    upstream: FakeUpstream, data: DataSource, tmp_path: Path
) -> None:
    args = [
        "evals", "--base-url", upstream.base_url + "/v1", "--model", "oracle", "--suite", "toolqa", "--suite", "gsm8k",
        "--data-dir", str(data.packages), "--cases", str(ROOT / "benchmarks" / "cases"),
        "--own-cases", str(ROOT / "benchmarks/evals/toolqa.jsonl"), "--out", str(tmp_path),
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "| toolqa |" in result.output and "| gsm8k |" in result.output
    rows = (tmp_path / "records.jsonl").read_text().splitlines()
    summary = json.loads((tmp_path / "summary.json").read_text())
    rows_by_name = {row["name"]: row for row in summary["rows"]}
    assert rows_by_name["toolqa"]["compressed"] == 1.0 and rows_by_name["gsm8k"]["tokens_before"] > 0
    asked = len(upstream.model_requests)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "| toolqa |" in again.output
    assert len(upstream.model_requests) == asked  # every case was already recorded
    assert (tmp_path / "records.jsonl").read_text().splitlines() == rows
