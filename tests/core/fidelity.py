"""The fidelity rule every compressed tool result must keep (DESIGN.md, principle 5).

Lines are kept verbatim or left out with a marker: every line of a compressed text that carries no
marker is byte-identical to a line of the original, and those lines come in the original's order.
Text next to a marker on the same line (a sentence kept from a paragraph, the ``...  #`` a code
marker sits behind) must be a verbatim piece of the original. The exceptions are by design and
checked on their own terms:

* JSON stays JSON: a compressed JSON document must parse (its rows are re-rendered, not lines); in
  JSON Lines every kept line must parse and be one of the original rows (less the ``_index`` key that
  gives a re-ordered row's position), or that row with fields or list items left out as the pruner
  leaves them out of any JSON document: long strings cut to their head (``…[+N chars]``) or, when
  they hold a log or a file, compressed by the same rule as a tool result (what is kept is the
  original's, nothing is rewritten), with
  every number written as the input wrote it;
* HTML is converted to markdown of its main content, so its lines are not the page's lines;
* a near repeat of an earlier tool output is shown as a unified diff against it (the marker says so):
  its ``+`` and context lines are lines of the original, in order.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from headroom.markers import MARKER_RE
from headroom.pipeline.detect import detect

STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
CUT_STRING = re.compile(r"…\[\+(\d+) chars\]$")
CARRIER = " \t.#/*-<>!;"  # what a marker may sit behind or inside: `...  #`, `//`, `/* */`, `<!-- -->`


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _json_lines(text: str) -> list[Any] | None:
    """The rows of JSON Lines text, or None when some non-blank line is not JSON."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 2 or not all(_parses(line) for line in lines):
        return None
    return [json.loads(line) for line in lines]


def _numbers(text: str) -> set[str]:
    return set(NUMBER.findall(STRING.sub("", text)))


def _json_lines_problems(rows: list[Any], original: str, compressed: str) -> list[str]:
    problems = []
    for line in compressed.split("\n"):
        if MARKER_RE.search(line) or not line.strip():
            continue
        if not _parses(line):
            problems.append(f"a JSON Lines row no longer parses: {line[:120]!r}")
            continue
        row = json.loads(line)
        if isinstance(row, dict):
            row.pop("_index", None)
        if not any(_pruned_from(row, original_row) for original_row in rows):
            problems.append(f"not a row of the original: {line[:120]!r}")
    return problems + _number_problems(original, compressed)


def _pruned_from(kept: Any, original: Any) -> bool:
    """Whether ``kept`` is ``original`` with some fields or list items left out, and nothing else changed."""
    if isinstance(kept, dict) and isinstance(original, dict):
        return all(k in original and _pruned_from(v, original[k]) for k, v in kept.items())
    if isinstance(kept, list) and isinstance(original, list):
        rest = iter(original)  # kept items in the original's order
        return all(any(_pruned_from(item, o) for o in rest) for item in kept)
    if isinstance(kept, str) and isinstance(original, str) and kept != original:
        cut = CUT_STRING.search(kept)
        if cut:  # the head of a long string and how many characters were cut
            head = kept[: cut.start()]
            return original.startswith(head) and len(original) - len(head) == int(cut[1])
        if MARKER_RE.search(kept):  # a string holding a log or a file, compressed as one
            return not fidelity_problems(original, kept)
    return bool(kept == original)


def _number_problems(original: str, compressed: str) -> list[str]:
    """Non-integer numbers the original never wrote (integers are added: counts, ``_index``)."""
    unknown = sorted(n for n in _numbers(compressed) - _numbers(original) if not n.lstrip("-").isdigit())
    return [f"numbers not written as the input wrote them: {unknown[:5]}"] if unknown else []


class _Lines:
    """The original's lines, for in-order lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.where: dict[str, list[int]] = {}
        for i, line in enumerate(text.split("\n")):
            self.where.setdefault(line, []).append(i)
        self.last = -1

    def take(self, line: str) -> str | None:
        """Consume the next occurrence of ``line`` after the last one taken, or say what is wrong."""
        found = self.where.get(line)
        if found is None:
            return f"not a line of the original: {line[:120]!r}"
        j = bisect.bisect_right(found, self.last)
        if j == len(found):
            return f"out of the original's order: {line[:120]!r}"
        self.last = found[j]
        return None


def _marker_line(line: str, original: str) -> str | None:
    for piece in MARKER_RE.sub("\n", line).split("\n"):
        if piece.strip(CARRIER) and piece.strip() not in original:
            return f"text beside a marker is not in the original: {piece.strip()[:120]!r}"
    return None


def _delta_problems(lines: list[str], original: str) -> list[str]:
    source, problems = _Lines(original), []
    for line in lines[1:]:
        if HUNK.match(line) or line.startswith("-") or MARKER_RE.search(line):
            continue
        if line[:1] in (" ", "+"):
            problem = source.take(line[1:])
        else:
            problem = f"neither a diff line nor a marker in a delta: {line[:120]!r}"
        if problem:
            problems.append(problem)
    return problems


def fidelity_problems(original: str, compressed: str) -> list[str]:
    """What breaks the fidelity rule in ``compressed``, the compressor's output for ``original``."""
    if compressed == original:
        return []
    if _parses(original):
        if not _parses(compressed):
            return ["a JSON original no longer parses"]
        return _number_problems(original, compressed)
    rows = _json_lines(original)
    if rows is not None:
        return _json_lines_problems(rows, original, compressed)
    if detect(original).type.value == "html":
        return []
    lines = compressed.split("\n")
    head = MARKER_RE.search(lines[0])
    if head and "unified diff" in head["summary"]:
        return _delta_problems(lines, original)
    source, problems = _Lines(original), []
    for line in lines:
        problem = _marker_line(line, original) if MARKER_RE.search(line) else source.take(line)
        if problem:
            problems.append(problem)
    return problems


def tool_results(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Tool-call id → result text, for OpenAI Chat and Anthropic messages."""
    out: dict[str, str] = {}
    for m in messages:
        if m.get("role") == "tool":
            content = m.get("content")
            out[str(m.get("tool_call_id"))] = content if isinstance(content, str) else json.dumps(content)
        blocks = m.get("content")
        for b in blocks if isinstance(blocks, list) else []:
            if isinstance(b, dict) and b.get("type") == "tool_result":
                c = b.get("content")
                text = c if isinstance(c, str) else "\n".join(x.get("text", "") for x in c or [] if isinstance(x, dict))
                out[str(b.get("tool_use_id"))] = text
    return out
