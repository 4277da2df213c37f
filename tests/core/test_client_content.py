"""Content as real clients deliver it: tool output wrapped in JSON, verbose test-runner logs.

The pytest logs here are produced by running the real pytest on a small generated test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import headroom
import pytest
from headroom import MemoryStore
from headroom.compressors import ContentType
from headroom.markers import parse_markers
from headroom.pipeline.detect import detect

from .detect_samples import GIT_SHOW
from .helpers import openai_conversation

_SUITE = """
import warnings
import pytest

@pytest.mark.parametrize("a", range(300))
def test_add(a):
    assert a + a == 2 * a

def test_discount_applies():
    price, discount = 100, 0.15
    assert price * (1 - discount) == 80, "discount not applied"

def test_import_plugin():
    import nonexistent_plugin_xyz  # noqa: F401

def test_warns():
    warnings.warn("deprecated call to old_api()", DeprecationWarning)

class TestParser:
    @pytest.mark.parametrize("s", list("abcdefgh"))
    def test_parse(self, s):
        assert s.isalpha()
"""


def _pytest(tmp_path: Path, files: dict[str, str]) -> str:
    """What ``pytest -v`` prints for ``files`` (name → source), run for real in ``tmp_path``."""
    for name, source in files.items():
        (tmp_path / name).write_text(source)
    args = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", str(tmp_path)]
    run = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert run.returncode in (1, 2), run.stdout[-2000:]  # tests failed, or collection did
    return run.stdout


@pytest.fixture(scope="module")
def verbose_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _pytest(tmp_path_factory.mktemp("suite"), {"test_calc.py": _SUITE})


@pytest.fixture(scope="module")
def collection_errors_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    files = {f"test_mod{i}.py": f"import missing_pkg_{i}\n\ndef test_x():\n    pass\n" for i in range(1, 15)}
    passing = "import pytest\n\n@pytest.mark.parametrize('v', range(30))\ndef test_ok(v):\n    pass\n"
    files |= {f"test_ok{i}.py": passing for i in range(6)}
    return _pytest(tmp_path_factory.mktemp("broken"), files)


JEST_LOG = "\n".join(
    [
        *(
            line
            for s in range(8)
            for line in (
                f" PASS  src/module{s}.test.js",
                f"  module{s}",
                *(f"    ✓ handles case {t} of module {s} ({t % 4 + 1} ms)" for t in range(10)),
                "",
            )
        ),
        " FAIL  src/cart.test.js",
        "  Cart",
        "    ✓ adds an item (3 ms)",
        "    ✕ applies discount (5 ms)",
        "",
        "  ● Cart › applies discount",
        "",
        "    expect(received).toBe(expected) // Object.is equality",
        "",
        "    Expected: 80",
        "    Received: 85",
        "",
        "      13 |   cart.applyDiscount(0.15);",
        "    > 14 |   expect(cart.total()).toBe(80);",
        "         |                        ^",
        "",
        "      at Object.toBe (src/cart.test.js:14:24)",
        "",
        "Test Suites: 1 failed, 8 passed, 9 total",
        "Tests:       1 failed, 81 passed, 82 total",
        "Time:        1.234 s",
    ]
)

GO_TEST_V_LOG = "\n".join(
    [
        *(line for t in range(80) for line in (f"=== RUN   TestParse{t}", f"--- PASS: TestParse{t} (0.00s)")),
        "=== RUN   TestDiscount",
        "    cart_test.go:14: total = 85, want 80",
        "--- FAIL: TestDiscount (0.00s)",
        "FAIL",
        "FAIL\texample.com/cart\t0.003s",
    ]
)


def _compressed(content: str, question: str, store: MemoryStore) -> str:
    result = headroom.compress(openai_conversation(content, question=question), model="gpt-4o", store=store)
    out = result.messages[-1]["content"]
    assert isinstance(out, str)
    assert len(out) < len(content)
    return out


# ---------------------------------------------------------------- verbose test-runner logs


def test_verbose_test_runner_logs_are_logs_not_search_results(verbose_log: str, collection_errors_log: str) -> None:
    for text in (verbose_log, collection_errors_log, JEST_LOG, GO_TEST_V_LOG):
        assert detect(text).type is ContentType.LOG


def test_verbose_pytest_log_keeps_the_failing_traceback_error_line_and_summary(
    verbose_log: str, store: MemoryStore
) -> None:
    out = _compressed(verbose_log, "Why does the test suite fail?", store)
    for line in verbose_log.split("\n"):
        if line.startswith(("E ", ">", "FAILED ")) or "test session starts" in line or " failed, " in line:
            assert line in out.split("\n"), line
    assert "DeprecationWarning: deprecated call to old_api()" in out
    assert out.count("PASSED") < verbose_log.count("PASSED") / 10


def test_every_error_of_a_pytest_run_with_collection_errors_stays_inline(
    collection_errors_log: str, store: MemoryStore
) -> None:
    out = _compressed(collection_errors_log, "Which modules are missing?", store)
    for i in range(1, 15):
        assert f"E   ModuleNotFoundError: No module named 'missing_pkg_{i}'" in out
        assert f"ERROR test_mod{i}.py" in out or f"test_mod{i}.py" in out


@pytest.mark.parametrize("log", [JEST_LOG, GO_TEST_V_LOG], ids=["jest", "go-test-v"])
def test_other_runners_verbose_logs_keep_the_failure(log: str, store: MemoryStore) -> None:
    out = _compressed(log, "Why does the discount test fail?", store)
    assert "85" in out and "80" in out
    assert ("✕ applies discount" in out) or ("--- FAIL: TestDiscount (0.00s)" in out)


# ---------------------------------------------------------------- documents inside JSON string fields


@pytest.mark.parametrize(
    "envelope",
    [
        lambda s: {"chunk_id": "c7f2", "output": s},
        lambda s: {"output": s, "metadata": {"exit_code": 1, "duration_seconds": 1.2}},
        lambda s: [{"type": "text", "text": s}],
    ],
    ids=["codex-chunk", "output-metadata", "content-list"],
)
def test_log_in_a_json_string_field_is_compressed_as_a_log_inside_valid_json(
    envelope: Callable[[str], Any], verbose_log: str, store: MemoryStore
) -> None:
    wrapped = envelope(verbose_log)
    out = _compressed(json.dumps(wrapped), "Why does the test suite fail?", store)
    doc = json.loads(out)
    assert type(doc) is type(wrapped)
    log = doc["output"] if isinstance(doc, dict) else doc[0]["text"]
    for line in verbose_log.split("\n"):
        if line.startswith(("E ", "FAILED ")):
            assert line in log.split("\n"), line
    if isinstance(wrapped, dict):
        assert {k: v for k, v in doc.items() if k != "output"} == {k: v for k, v in wrapped.items() if k != "output"}
    # The marker inside the string names the string's own original; its line ranges are lines of the log.
    markers = parse_markers(log)
    assert markers
    original = headroom.retrieve(markers[0].ref, store=store)
    assert original == verbose_log
    ranged = next(m for m in markers if m.lines)
    assert ranged.lines is not None
    start, end = ranged.lines
    assert headroom.retrieve(ranged.ref, lines=f"{start}-{end}", store=store) == "\n".join(
        verbose_log.split("\n")[start - 1 : end]
    )


def test_diff_in_a_json_string_field_is_compressed_as_a_diff(store: MemoryStore) -> None:
    diff = "\n".join([GIT_SHOW] * 1) + "".join(
        f"\ndiff --git a/src/m{k}.py b/src/m{k}.py\n--- a/src/m{k}.py\n+++ b/src/m{k}.py\n@@ -1,30 +1,30 @@\n"
        + "\n".join(f" context line {j} of module {k}" for j in range(14))
        + f"\n-old_value_{k} = {k}\n+new_value_{k} = {k + 1}\n"
        + "\n".join(f" trailing line {j} of module {k}" for j in range(14))
        for k in range(12)
    )
    out = _compressed(json.dumps({"output": diff, "metadata": {"exit_code": 0}}), "What changed in m3?", store)
    doc = json.loads(out)
    assert "+new_value_3 = 4" in doc["output"] and "-old_value_3 = 3" in doc["output"]
    assert doc["metadata"] == {"exit_code": 0}


def test_json_document_in_a_string_field_is_crushed_as_json(store: MemoryStore) -> None:
    rows = [{"id": i, "status": "failed" if i == 137 else "ok", "latency_ms": (i * 37) % 400} for i in range(400)]
    out = _compressed(json.dumps({"output": json.dumps(rows)}), "Which request failed?", store)
    inner = json.loads(json.loads(out)["output"])
    assert '"failed"' in json.dumps(inner) and "137" in json.dumps(inner)


def test_json_array_of_many_records_with_long_fields_is_left_to_the_json_crusher(store: MemoryStore) -> None:
    body = "\n".join(f"Line {j} of the issue body describing the problem in some detail." for j in range(20))
    issues = [{"number": i, "title": f"Issue {i}", "body": body.replace("problem", f"problem {i}")} for i in range(40)]
    result = headroom.compress(openai_conversation(json.dumps(issues)), model="gpt-4o", store=store)
    assert [b.compressor for b in result.blocks if b.content_type == "json"] == ["smart_crusher"]


def test_a_cached_json_wrapped_log_keeps_the_bytes_sent_before(verbose_log: str, store: MemoryStore) -> None:
    wrapped = json.dumps({"output": verbose_log, "metadata": {"exit_code": 1}})
    turn = [
        {"role": "user", "content": [{"type": "text", "text": "Why does the test suite fail?"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "bash", "input": {"c": "pytest"}}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": wrapped, "cache_control": {"type": "ephemeral"}}
            ],
        },
    ]
    first = headroom.compress(turn, model="claude-sonnet-4-5", store=store).messages
    sent = first[2]["content"][0]["content"]
    assert sent != wrapped
    later = [
        *turn[:2],
        turn[2],
        {"role": "assistant", "content": [{"type": "text", "text": "The discount test fails."}]},
        {"role": "user", "content": [{"type": "text", "text": "Fix it."}]},
    ]
    second = headroom.compress(later, model="claude-sonnet-4-5", store=store)
    assert second.messages[2]["content"][0]["content"] == sent
    assert second.cache is not None and second.cache.reused_blocks == 1


# ---------------------------------------------------------------- linters and compilers


def test_linter_findings_are_a_log_not_search_results(tmp_path: Path, store: MemoryStore) -> None:
    """Real ``ruff check --output-format concise`` output: ``path:line:col: CODE message`` lines."""
    source = "".join(f"import os{i}\ndef f{i}(a,b):\n    return a==b\n" for i in range(60))
    (tmp_path / "mod.py").write_text(source)
    args = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "E,F,W", "mod.py"]
    run = subprocess.run(
        [*args, "--output-format", "concise"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    log = run.stdout
    assert "Found " in log and log.count("mod.py:") > 30
    assert detect(log).type is ContentType.LOG
    out = _compressed(log, "How many errors did ruff find, and what does F401 say about os37?", store)
    assert next(line for line in log.split("\n") if line.startswith("Found ")) in out
    assert next(line for line in log.split("\n") if "F401" in line and "os37" in line) in out


def test_a_compiler_run_quoting_source_excerpts_is_a_log() -> None:
    """javac-style diagnostics, each followed by the source line, a caret and symbol details."""
    lines = []
    for i in range(40):
        lines += [
            f"src/main/java/app/Service{i}.java:{10 + i}: error: cannot find symbol",
            f"        Helper{i}.run(config, {i});",
            "        ^",
            f"  symbol:   variable Helper{i}",
            f"  location: class Service{i}",
        ]
    lines += ["40 errors", "1 warning"]
    assert detect("\n".join(lines)).type is ContentType.LOG
