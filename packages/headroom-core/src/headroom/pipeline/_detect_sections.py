"""Where mixed content changes kind: the cut points behind `headroom.pipeline.detect.split_sections`.

Cuts are made only at strong structural cues, never at a mere substring:

* lines made only of harness wrapper tags (``<returncode>0</returncode>``, ``<output>``,
  ``</output_head>``; HTML element names and JSX components do not count);
* shell prompts (``$ cmd``, ``user@host:~/src$ cmd``, ``PS C:\\> cmd``), each starting a section;
* the end of an HTTP header block (``HTTP/1.1 200 OK`` … blank line);
* a multi-line JSON document that starts at the beginning of a line inside text.

Texts up to `SCAN_CHARS` are scanned whole; longer ones only in their head and tail samples, so the
cost stays bounded.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable

from headroom.pipeline._detect_lines import EDGE_CHARS, SAMPLE_CHARS, is_wrapper_line

SCAN_CHARS = 1 << 20
JSON_CANDIDATES = 8
_MIN_JSON_LINES = 3

_PROMPT = re.compile(r"^(?:\$|❯|➜ +\S+|PS [^>\n]{0,120}>|[\w.-]+@[\w.-]+(?::[^\s$#]*)?[$#]|\([\w.-]+\) ?\$) \S")
_CANDIDATE = re.compile(
    r"^(?=[ \t]*<[A-Za-z/]|\$ |❯ |➜ |PS |[\w.-]+@[\w.-]+|\([\w.-]+\) ?\$|HTTP/\d|"
    r"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) )",
    re.MULTILINE,
)
_HTTP_HEADER_CHARS = 16384
_HTTP_START = re.compile(r"^(?:HTTP/\d(?:\.\d)? \d{3}\b|(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ HTTP/\d)")


def _lines_with_offsets(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """(offset, line) for every whole line of ``text[start:end]`` (``start`` is a line start)."""
    out = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, text[pos:stop]))
        pos = stop + 1
    return out


def _scan_regions(text: str) -> list[tuple[int, int]]:
    if len(text) <= SCAN_CHARS:
        return [(0, len(text))]
    head_end = text.rfind("\n", 0, SAMPLE_CHARS) + 1
    tail_start = text.find("\n", len(text) - EDGE_CHARS) + 1
    return [(0, head_end), (tail_start, len(text))] if 0 < head_end < tail_start else [(0, 0)]


def _line_at(text: str, pos: int, end: int) -> str:
    nl = text.find("\n", pos, end)
    return text[pos : end if nl < 0 else nl]


def _structural_cuts(text: str) -> set[int]:
    cuts: set[int] = set()
    for start, end in _scan_regions(text):
        for m in _CANDIDATE.finditer(text, start, end):
            pos = m.start()
            line = _line_at(text, pos, end)
            if is_wrapper_line(line):
                cuts.update((pos, pos + len(line) + 1))
            elif _PROMPT.match(line):
                cuts.add(pos)
            elif _HTTP_START.match(line):
                cuts.add(pos)
                blank = text.find("\n\n", pos, min(end, pos + _HTTP_HEADER_CHARS))
                if blank >= 0:
                    cuts.add(blank + 2)
    return cuts


def _json_cuts(text: str, start: int, end: int, is_json: Callable[[str], bool]) -> list[int]:
    """Cut points around a multi-line JSON document inside ``text[start:end]`` (one at most)."""
    tried = 0
    limit = min(end, start + SAMPLE_CHARS)
    for off, line in _lines_with_offsets(text, start, limit):
        if not line.startswith(("{", "[")):
            continue
        tried += 1
        if tried > JSON_CANDIDATES:
            break
        stop = _json_end(text, off, end, is_json)
        if stop is not None and _substantial(text, start, end, off, stop):
            return [off, stop]
    return []


def _json_end(text: str, off: int, end: int, is_json: Callable[[str], bool]) -> int | None:
    if is_json(text[off:end]):
        return end
    if end - off > SCAN_CHARS:
        return None
    try:
        _, stop = json.JSONDecoder().raw_decode(text[off:end])
    except (ValueError, RecursionError):
        return None
    nl = text.find("\n", off + stop, end)
    tail = text[off + stop : end if nl < 0 else nl]
    if tail.strip():
        return None
    return end if nl < 0 else nl + 1


def _substantial(text: str, start: int, end: int, off: int, stop: int) -> bool:
    lines = text.count("\n", off, stop) + 1
    return lines >= _MIN_JSON_LINES or (stop - off) >= 0.4 * (end - start)


def section_bounds(text: str, is_json: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` character ranges covering ``text``, cut where its kind changes."""
    cuts = sorted(c for c in _structural_cuts(text) if 0 < c < len(text))
    bounds = list(itertools.pairwise([0, *cuts, len(text)]))
    out: list[tuple[int, int]] = []
    for start, end in bounds:
        inner = _json_cuts(text, start, end, is_json) if end - start > 1 else []
        points = [start, *inner, end]
        out.extend((a, b) for a, b in itertools.pairwise(points) if b > a)
    return out
