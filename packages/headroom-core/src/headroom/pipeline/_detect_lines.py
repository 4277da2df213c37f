"""Line-level evidence for content-type detection: samples, and per-type line shares.

Every function here looks at a bounded sample of lines (see `sample_lines`), so detection costs the
same for a 1 KB block and a 50 MB one. Each ``*_share`` returns the fraction of the sample's
non-blank lines that carry evidence for one content type; `detect` weighs them against each other.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

SAMPLE_CHARS = 65536
SAMPLE_LINES = 400
EDGE_CHARS = 8192  # extra samples from the middle and the end of a long block
EDGE_LINES = 60
MAX_LINE = 2000  # longer lines are cut before any regex sees them

# ---------------------------------------------------------------- sampling


def sample_lines(text: str) -> list[str]:
    """Lines from the head of ``text`` (and, for a long text, from its middle and end).

    Partial lines at a cut are dropped (unless the cut line is all there is), and every line is
    capped at `MAX_LINE` characters.
    """
    if len(text) <= SAMPLE_CHARS:
        lines = text.split("\n", SAMPLE_LINES)[:SAMPLE_LINES]
    else:
        lines = _cut(text[:SAMPLE_CHARS], head=True)[:SAMPLE_LINES]
        if len(text) > 2 * SAMPLE_CHARS:
            mid = len(text) // 2
            lines += _cut(text[mid : mid + EDGE_CHARS], head=False)[:EDGE_LINES]
            lines += _cut(text[-EDGE_CHARS:], head=False)[-EDGE_LINES:]
    return [ln[:MAX_LINE] for ln in lines]


def _cut(chunk: str, *, head: bool) -> list[str]:
    lines = chunk.split("\n")
    if len(lines) > 1:
        lines = lines[:-1] if head else lines[1:-1] if len(lines) > 2 else lines[1:]
    return lines


def nonblank(lines: Sequence[str]) -> list[str]:
    """The lines that are not blank."""
    return [ln for ln in lines if ln.strip()]


def share(lines: Sequence[str], pattern: re.Pattern[str]) -> float:
    """Fraction of ``lines`` (assumed non-blank) that ``pattern`` finds something in."""
    if not lines:
        return 0.0
    return sum(1 for ln in lines if pattern.search(ln)) / len(lines)


# ---------------------------------------------------------------- numbered listings (cat -n, Read tools)

_NUMBERED = re.compile(r"^\s*\d{1,7}(?:\t|→|│| \| |[:-](?=\s))")


def strip_numbering(lines: list[str]) -> list[str]:
    """Drop ``cat -n``-style line-number prefixes when most lines carry one."""
    body = nonblank(lines)
    if len(body) < 3 or share(body, _NUMBERED) < 0.8:
        return lines
    stripped = [_NUMBERED.sub("", ln, count=1) for ln in lines]
    # grep -n over a numbered listing carries two prefixes ("746:   746\t    def …")
    if share(nonblank(stripped), _NUMBERED) >= 0.8:
        stripped = [_NUMBERED.sub("", ln, count=1) for ln in stripped]
    return stripped


# ---------------------------------------------------------------- wrappers (<output> ... </output>)

_HTML_NAMES = frozenset(
    (
        "a",
        "abbr",
        "article",
        "aside",
        "b",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "code",
        "dd",
        "div",
        "dl",
        "dt",
        "em",
        "figure",
        "footer",
        "form",
        "g",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hr",
        "html",
        "i",
        "iframe",
        "img",
        "input",
        "label",
        "li",
        "link",
        "main",
        "meta",
        "nav",
        "noscript",
        "ol",
        "option",
        "p",
        "path",
        "picture",
        "pre",
        "rect",
        "script",
        "section",
        "select",
        "small",
        "source",
        "span",
        "strong",
        "style",
        "sub",
        "sup",
        "svg",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "u",
        "ul",
        "video",
    )
)
_WRAPPER_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)(?:\s[^<>]*)?/?>")


def is_wrapper_line(line: str) -> bool:
    """A line made only of non-HTML tags, with at most a short value between them."""
    s = line.strip()
    if not s.startswith("<") or not s.endswith(">") or len(s) > 300:
        return False
    names = [m[2] for m in _WRAPPER_TAG.finditer(s)]
    if not names or len(_WRAPPER_TAG.sub("", s).strip()) > 80:
        return False
    return all(n.lower() not in _HTML_NAMES and not n[0].isupper() for n in names)


def wrapper_span(lines: Sequence[str], limit: int = 4) -> tuple[int, int]:
    """(first, end) line indices of the content inside leading/trailing lone-tag lines.

    Agent harnesses wrap tool output in lines such as ``<returncode>0</returncode>`` and
    ``<output>`` … ``</output>``; the content between them decides the block's type.
    """
    first, end = 0, len(lines)
    while first < min(limit, end) and (not lines[first].strip() or is_wrapper_line(lines[first])):
        first += 1
    k = 0
    while end > first and k < limit and (not lines[end - 1].strip() or is_wrapper_line(lines[end - 1])):
        end -= 1
        k += 1
    return first, end


# ---------------------------------------------------------------- diffs

_HUNK = re.compile(r"^(@{2,3}) -\d+(?:,\d+)? (?:-\d+(?:,\d+)? )?\+\d+(?:,\d+)? \1")
_DIFF_HEADER = re.compile(
    r"^(?:diff --git |diff --cc |diff -\w|index [0-9a-f]{4,}\.\.|--- \S|\+\+\+ \S|new file mode |"
    r"deleted file mode |similarity index |rename (?:from|to) |old mode |new mode |Binary files |"
    r"commit [0-9a-f]{7,40}\b|Author: |AuthorDate: |Commit: |CommitDate: |Date: |Merge: |"
    r" \S.* \| +(?:\d+ ?[+-]*|Bin .*)$| \d+ files? changed)"
)


def diff_evidence(lines: Sequence[str]) -> tuple[int, float]:
    """(number of hunk headers, share of non-blank lines that are diff headers or hunk bodies)."""
    hunks = structured = total = 0
    in_hunk = in_commit = False
    for ln in lines:
        if _HUNK.match(ln):
            hunks += 1
            in_hunk, in_commit = True, False
            structured += 1
            total += 1
            continue
        if not ln.strip():
            continue
        total += 1
        if _DIFF_HEADER.match(ln):
            structured += 1
            in_commit = in_commit or ln.startswith("commit ")
            in_hunk = False
        elif (in_hunk and ln[0] in " +-\\") or in_commit:
            structured += 1
        else:
            in_hunk = False
    return hunks, structured / total if total else 0.0


# ---------------------------------------------------------------- search results (grep -rn, rg)

_PATH = r"(?:[A-Za-z]:\\)?[\w.@~+-]*(?:[/\\][\w.@~+ -]*)*[\w@~+-](?:\.[\w-]{1,10})?"
_SEARCH_HIT = re.compile(rf"^(?P<path>{_PATH}):(?P<ln>\d+)(?::\d+)?[:-]")
_SEARCH_CTX = re.compile(rf"^(?P<path>{_PATH})-(?P<ln>\d+)-")
# ``path::name`` is a test id (pytest's ``tests/test_x.py::test_y PASSED``), not ``dir/file:text``.
_SEARCH_FILE = re.compile(rf"^(?P<path>{_PATH}):(?!\d)(?!//)(?!:)")
_SEARCH_BARE = re.compile(r"^\d+[:-](?!\d)")
_HEADING = re.compile(rf"^(?P<path>{_PATH})$")
_LETTER = re.compile(r"[A-Za-z]")
_EXTENSION = re.compile(r"\.[A-Za-z][\w-]{0,9}$")
_TIME_AT = re.compile(r"\d:\d\d:\d\d")
_DIAGNOSTIC = re.compile(  # compilers, type checkers, and linters' rule codes (ruff/flake8 E501, pylint C0114)
    r"^\S+:\d+(?::\d+)?: (?:(?:fatal )?(?:error|warning|note|info)\b|\w*(?:Error|Warning|Exception)\b"
    r"|(?-i:[A-Z]{1,4}\d{3,4})\b)",
    re.IGNORECASE,
)


def _pathlike(path: str) -> bool:
    """A grep path: has a directory part or a file extension, and a letter somewhere."""
    if not _LETTER.search(path):
        return False
    return "/" in path or "\\" in path or _EXTENSION.search(path) is not None


def _search_line(line: str) -> str | None:
    """ "path": ``path:N:text``, ``path-N-text`` or ``dir/file:text``; "bare": ``N:text``; else None."""
    for pattern in (_SEARCH_HIT, _SEARCH_CTX):
        m = pattern.match(line)
        if m and _pathlike(m["path"]) and not _TIME_AT.search(line, max(m.start("ln") - 2, 0), m.end() + 3):
            return "path"
    m = _SEARCH_FILE.match(line)
    if m and ("/" in m["path"] or "\\" in m["path"]) and _pathlike(m["path"]):
        return "path"
    return "bare" if _SEARCH_BARE.match(line) and not _TIME_AT.match(line, 0, 10) else None


def _consecutive(numbers: Sequence[int]) -> bool:
    """Whether line numbers run 1, 2, 3, … (a numbered listing rather than search hits)."""
    if len(numbers) < 3:
        return False
    steps = sum(1 for a, b in itertools.pairwise(numbers) if b == a + 1)
    return steps >= 0.9 * (len(numbers) - 1)


def search_share(lines: Sequence[str]) -> float:
    """Share of non-blank lines that are grep/rg results.

    Counts ``path:N:text`` (grep -rn, rg), ``path-N-text`` context lines, ``dir/file:text`` (grep -r),
    ``--heading`` groups (a path line, then ``N:text`` lines), and bare ``N:text`` lines of a
    single-file search when their numbers jump (consecutive numbers are a numbered listing).
    Compiler diagnostics (``file.c:12:5: error: ...``) and linter findings (``x.py:3:1: E501 ...``) are
    build-log lines, not search results.
    """
    full = total = 0
    bare: list[int] = []
    heading = pending = False
    for ln in lines:
        if not ln.strip():
            heading = pending = False
            continue
        if ln == "--":
            continue
        total += 1
        kind = None if _DIAGNOSTIC.match(ln) else _search_line(ln)
        if kind == "bare" and (heading or pending):
            full += 1 + pending
            heading, pending = True, False
        elif kind == "bare":
            bare.append(int(ln[: len(ln) - len(ln.lstrip("0123456789"))]))
        elif kind == "path":
            full += 1
        else:
            pending = _HEADING.match(ln) is not None and _pathlike(ln)
            heading = False
    if not total:
        return 0.0
    if full >= 0.3 * total:
        return (full + len(bare)) / total
    if len(bare) >= 0.6 * total and not _consecutive(bare):
        return len(bare) / total
    return full / total


# ---------------------------------------------------------------- markup (HTML / XML)

_TAG = re.compile(r"<(?:/?[A-Za-z][\w:.-]*(?:\s[^<>]{0,2000})?/?|!--.*?--|![A-Za-z][^<>]*|\?xml[^<>]*\?)>")
_MARKUP_START = re.compile(r"^\s*(?:\ufeff)?\s*(?:<!doctype\s|<html\b|<\?xml\b|<svg\b|<rss\b|<feed\b)", re.I)
_CLOSING = re.compile(r"</[A-Za-z][\w:.-]*\s*>")


def markup_evidence(sample: str) -> tuple[bool, float, int]:
    """(starts like an HTML/XML document, share of characters inside tags, number of closing tags)."""
    body = sample.strip()
    if not body:
        return False, 0.0, 0
    tag_chars = sum(len(m) for m in _TAG.findall(body))
    return bool(_MARKUP_START.match(body)), tag_chars / len(body), len(_CLOSING.findall(body))
