"""Property test of the fidelity rule on generated tool outputs (fixed seed, bounded examples).

Logs (CRLF, lone CR, trailing blanks, stack traces; form feeds and Unicode line separators inside
lines), grep output with context lines, unified diffs, Python code, prose, markdown, JSON documents
and JSON Lines with numbers in unusual notation, and near repeats of an earlier output (shown as a
delta): whatever the pipeline makes of them, at any level, every line it keeps is the tool's own
line, in the tool's order (`tests.core.fidelity`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from headroom import MemoryStore, compress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.fidelity import fidelity_problems, tool_results

pytestmark = pytest.mark.slow

# Words, versions and flags, and characters str.splitlines() would break a line at.
PLAIN = ["connect", "timeout", "retry", "payment", "cache", "disk", "v1.2.3", "--force", "-f", "naïve", "日本"]
WORDS = st.sampled_from([*PLAIN, "e.g.", "pay\x0cload", "a\u2028b", "c\x85d", "e\x1cf"])
LITERALS = st.sampled_from(["1.50", "2e3", "0.10", "-3.0", "19.90", "1E-7", "7"])
SETTINGS = settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def phrase(lo: int = 1, hi: int = 6) -> st.SearchStrategy[str]:
    return st.lists(WORDS, min_size=lo, max_size=hi).map(" ".join)


@st.composite
def log(draw: st.DrawFn) -> str:
    out = []
    for i in range(draw(st.integers(30, 250))):
        level = draw(st.sampled_from(["INFO", "DEBUG", "WARN", "ERROR"]))
        component = draw(st.sampled_from(["db", "api"]))
        out.append(f"2024-05-01 10:{i // 60:02d}:{i % 60:02d} {level} [{component}] {draw(phrase())}")
        if level == "ERROR" and draw(st.booleans()):
            out += ["Traceback (most recent call last):", f'  File "/app/m{i}.py", line {i}, in run', "ValueError: bad"]
        out[-1] += draw(st.sampled_from(["", "", " ", "\t"]))
    ends = [draw(st.sampled_from(["\n", "\n", "\r\n", "\r"])) for _ in out]
    return "".join(line + end for line, end in zip(out, ends, strict=True))


@st.composite
def grep(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(10, 80))):
        path, n = draw(st.sampled_from(["src/a.py", "lib/b.go", "t/test_a.py"])), draw(st.integers(2, 900))
        if draw(st.booleans()):
            out += [f"{path}-{n - 1}-    # {draw(phrase())}", f"{path}:{n}:def {draw(phrase(1, 1))}(x):", "--"]
        else:
            out.append(f"{path}:{n}:    {draw(phrase(1, 8))}")
    return "\n".join(out)


@st.composite
def diff(draw: st.DrawFn) -> str:
    out = []
    for k in range(draw(st.integers(1, 6))):
        out += [f"diff --git a/f{k}.py b/f{k}.py", "index 1234567..89abcde 100644", f"--- a/f{k}.py", f"+++ b/f{k}.py"]
        for h in range(draw(st.integers(1, 4))):
            out.append(f"@@ -{h * 20 + 1},6 +{h * 20 + 1},7 @@ def g{h}():")
            out += [draw(st.sampled_from(" +-")) + "    " + draw(phrase()) for _ in range(draw(st.integers(3, 12)))]
    return "\n".join(out)


@st.composite
def code(draw: st.DrawFn) -> str:
    parts = ["import os", ""]
    for i in range(draw(st.integers(8, 50))):
        body = [f"    x{j} = {draw(phrase(1, 2))!r}" for j in range(draw(st.integers(1, 10)))]
        parts.append(f'def func_{i}(a, b={i}):\n    """{draw(phrase())}."""\n' + "\n".join(body) + "\n    return a\n")
    return "\n".join(parts)


@st.composite
def prose(draw: st.DrawFn) -> str:
    paragraphs = []
    for s in range(draw(st.integers(3, 25))):
        if draw(st.booleans()):
            paragraphs.append(f"## Section {s}")
        sentences = [draw(phrase(3, 12)).capitalize() + "." for _ in range(draw(st.integers(1, 6)))]
        paragraphs.append(draw(st.sampled_from([" ", "  "])).join(sentences))
        if draw(st.booleans()):
            paragraphs.append("\n".join(f"- item {i} {draw(phrase(1, 3))}" for i in range(draw(st.integers(1, 6)))))
    return "\n\n".join(paragraphs)


@st.composite
def json_text(draw: st.DrawFn) -> str:
    rows = [
        f'{{"id": {i}, "price": {draw(LITERALS)}, "status": "{draw(st.sampled_from(["ok", "error"]))}", '
        f'"note": {json.dumps(draw(phrase()), ensure_ascii=draw(st.booleans()))}}}'
        for i in range(draw(st.integers(10, 150)))
    ]
    return "\n".join(rows) if draw(st.booleans()) else "[" + ",\n".join(rows) + "]"


OUTPUTS = st.one_of(log(), grep(), diff(), code(), prose(), json_text())


LEVELS = st.sampled_from(["safe", "balanced", "max"])


def _check(messages: list[dict[str, Any]], fmt: Literal["openai", "anthropic"], level: str) -> None:
    model = "gpt-4o" if fmt == "openai" else "claude-sonnet-4-5"
    result = compress(messages, model, format=fmt, store=MemoryStore(), level=level)
    before, after = tool_results(messages), tool_results(result.messages)
    problems = {ref: p for ref in before if (p := fidelity_problems(before[ref], after[ref]))}
    assert not problems, {ref: p[:3] for ref, p in problems.items()}


@SETTINGS
@given(text=OUTPUTS, term=WORDS, level=LEVELS)
def test_any_tool_output_keeps_its_lines_verbatim_and_in_order(text: str, term: str, level: str) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": f"what happened with {term}?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": text},
    ]
    _check(messages, "openai", level)


@st.composite
def near_repeat(draw: st.DrawFn) -> tuple[str, str]:
    first = draw(st.one_of(log(), grep(), code()))
    lines = first.split("\n")
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "insert", "change"]))
        if edit == "delete" and len(lines) > 2:
            del lines[i]
        elif edit == "insert":
            lines.insert(i, "inserted " + draw(phrase()))
        else:
            lines[i] += " changed"
    return first, "\n".join(lines)


@SETTINGS
@given(pair=near_repeat(), term=WORDS, level=LEVELS)
def test_a_near_repeat_keeps_its_lines_verbatim(pair: tuple[str, str], term: str, level: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": f"check {term}"}]}]
    for i, text in enumerate(pair):
        use = {"type": "tool_use", "id": f"toolu_{i}", "name": "bash", "input": {"command": "run"}}
        result = {"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": [{"type": "text", "text": text}]}
        messages += [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]
    _check(messages, "anthropic", level)
