"""Parsing grep / ripgrep output, and finding the name that was searched for.

Understood forms, mixed freely:

* ``path:line:text`` matches and ``path-line-text`` context lines (``grep -rn -C``), ``--`` between
  context groups, and ``path:line:col:text`` (``rg --vimgrep``; the column stays in the text);
* ``path:text`` (``grep -r`` without line numbers);
* ``line:text`` / ``line-text`` (``grep -n`` on one file, and ``rg --heading``, where a line holding
  only a path names the file of the lines below it).
"""

from __future__ import annotations

import bisect
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["match", "context", "header", "sep", "blank", "other"]

_PATH_LINE_TEXT = re.compile(r"([^\s:][^\s:]{0,400}?):(\d+):")
_LINE_TEXT = re.compile(r"(\d+)([:-])")
_CONTEXT = re.compile(r"-(\d+)-")
_PATH_TEXT = re.compile(r"([^\s:][^\s:]{0,400}):")
_LOOKS_PATH = re.compile(r"^(?:\.{0,2}/)?[\w.@+~-]+(?:/[\w.@+~ -]+)*(?:\.\w+|/)?$")


@dataclass(frozen=True)
class Hit:
    """One parsed line of search output.

    Attributes:
        kind: ``match``, ``context``, ``header`` (a ``--heading`` file line), ``sep`` (``--``),
            ``blank``, or ``other`` (not search output).
        path: the file the line belongs to ("" when the output names no file).
        text: the matched or context source text (without the path and line-number prefix).
        line: the line number grep printed, if any.
        has_path: whether the line itself names its file (``path:line:text``).
    """

    kind: Kind
    path: str
    text: str
    line: int | None = None
    has_path: bool = False


def looks_like_search(hits: list[Hit]) -> bool:
    """Whether a parse describes real search output rather than, say, a log with timestamps.

    At least a quarter of the non-blank lines must be matches, and lines numbered without a path
    (``grep -n`` on one file, ``--heading`` groups) must count upwards as grep prints them — a log's
    ``2015-10-18 ...`` or ``12:30:45 ...`` prefixes do not.
    """
    nonblank = [h for h in hits if h.kind != "blank"]
    if not nonblank or sum(1 for h in nonblank if h.kind == "match") < 0.25 * len(nonblank):
        return False
    if sum(1 for h in nonblank if h.kind == "other") > 0.4 * len(nonblank):
        return False
    steps = ups = 0
    prev: tuple[str, int] | None = None
    for h in nonblank:
        if h.kind not in ("match", "context") or h.line is None or h.has_path:
            prev = None if h.kind in ("header", "sep") else prev
            continue
        if prev is not None and prev[0] == h.path:
            steps += 1
            ups += h.line > prev[1]
        prev = (h.path, h.line)
    return steps < 3 or ups >= 0.9 * steps


def _has_path_shape(s: str) -> bool:
    return ("/" in s or "." in s) and bool(_LOOKS_PATH.match(s))


def _first_pass(line: str, heading: str) -> Hit | None:
    if not line.strip():
        return Hit("blank", heading, "")
    if line == "--":
        return Hit("sep", heading, "")
    m = _PATH_LINE_TEXT.match(line)
    if m and not m[1].isdigit():
        return Hit("match", m[1], line[m.end() :], int(m[2]), has_path=True)
    m = _LINE_TEXT.match(line)
    if m:
        return Hit("match" if m[2] == ":" else "context", heading, line[m.end() :], int(m[1]))
    return None


def parse(lines: list[str]) -> list[Hit]:
    """One `Hit` per line, in order."""
    hits: list[Hit | None] = []
    heading = ""
    for i, line in enumerate(lines):
        hit = _first_pass(line, heading)
        if hit is None and _has_path_shape(line.strip()) and i + 1 < len(lines):
            nxt = _LINE_TEXT.match(lines[i + 1])
            if nxt:
                heading = line.strip()
                hit = Hit("header", heading, "")
        hits.append(hit)
    return _second_pass(lines, hits)


def _second_pass(lines: list[str], hits: list[Hit | None]) -> list[Hit]:
    """Context lines (``path-line-text``) and ``path:text`` matches, judged with the paths seen."""
    known = sorted({h.path for h in hits if h is not None and h.kind == "match" and h.path})
    out: list[Hit] = []
    prev = ""
    for line, hit in zip(lines, hits, strict=True):
        if hit is None:
            hit = _context_hit(line, prev, known) or _path_text_hit(line) or Hit("other", prev, line)
        elif hit.kind in ("sep", "blank") and not hit.path:
            hit = Hit(hit.kind, prev, "")
        if hit.path:
            prev = hit.path
        out.append(hit)
    return out


def _context_hit(line: str, prev: str, known: list[str]) -> Hit | None:
    candidates = [prev] if prev else []
    dash = line.find("-")
    while dash > 0 and len(candidates) < 4:
        head = line[:dash]
        if head != prev and _bisect_has(known, head):
            candidates.append(head)
        dash = line.find("-", dash + 1)
    for path in candidates:
        if line.startswith(path):
            m = _CONTEXT.match(line, len(path))
            if m:
                return Hit("context", path, line[m.end() :], int(m[1]), has_path=True)
    return None


def _bisect_has(sorted_items: list[str], item: str) -> bool:
    k = bisect.bisect_left(sorted_items, item)
    return k < len(sorted_items) and sorted_items[k] == item


def _path_text_hit(line: str) -> Hit | None:
    m = _PATH_TEXT.match(line)
    if m and _has_path_shape(m[1]) and not m[1].endswith("."):
        return Hit("match", m[1], line[m.end() :], has_path=True)
    return None


# --------------------------------------------------------------------------- the searched name

_SEARCH_TOOLS = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "git-grep"})
_VALUE_FLAGS = frozenset(
    "-e -f -m -A -B -C -g -t -T -M -j -d -D --regexp --file --max-count --context --after-context "  # noqa: SIM905 (a word list reads best as words)
    "--before-context --glob --iglob --type --type-not --max-columns --threads --include --exclude "
    "--exclude-dir --ignore-file".split()
)
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ESCAPE = re.compile(r"\\[A-Za-z]")
_BACKTICK = re.compile(r"`([A-Za-z_$][\w$]*)`")
_KEYWORDS = frozenset(
    "def class func function fn struct enum trait interface type module mod impl const let var val "  # noqa: SIM905 (a word list reads best as words)
    "static public private protected import from export default return new self this pub async await "
    "extends implements void int str string".split()
)


def _command_patterns(command: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = command.split()
    patterns: list[str] = []
    i = 0
    while i < len(argv):
        tool = argv[i].rsplit("/", 1)[-1]
        if tool == "git" and i + 1 < len(argv) and argv[i + 1] == "grep":
            tool, i = "git-grep", i + 1
        if tool in _SEARCH_TOOLS:
            i = _scan_args(argv, i + 1, patterns)
        i += 1
    return patterns


def _scan_args(argv: list[str], i: int, patterns: list[str]) -> int:
    explicit = False
    positional: list[str] = []
    while i < len(argv) and argv[i] not in {"|", "&&", "||", ";"}:
        arg = argv[i]
        if arg in {"-e", "--regexp"} and i + 1 < len(argv):
            patterns.append(argv[i + 1])
            explicit, i = True, i + 2
            continue
        if arg in _VALUE_FLAGS:
            i += 2
            continue
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
        i += 1
    if not explicit and positional:
        patterns.append(positional[0])
    return i


def searched_names(query: str, tool_args: Mapping[str, Any]) -> list[str]:
    """Identifiers the search was for: from a grep/rg pattern in the tool arguments, else from
    `backticked` names in the query. Longest first; keywords (``def``, ``class``) are dropped."""
    found: list[str] = []
    for value in tool_args.values():
        if isinstance(value, str):
            for pattern in _command_patterns(value):
                found += _IDENT.findall(_ESCAPE.sub(" ", pattern))
    given = tool_args.get("pattern") or tool_args.get("query") or tool_args.get("regex")
    if isinstance(given, str):
        found += _IDENT.findall(_ESCAPE.sub(" ", given))
    found += _BACKTICK.findall(query)
    names = {n for n in found if len(n) > 1 and n.lower() not in _KEYWORDS}
    return sorted(names, key=lambda n: (-len(n), n))
