"""Splitting plain text and markdown into the units a text compressor keeps or leaves out.

A unit is a span of the original text: a sentence of a paragraph, a heading, a list item, a whole
code fence or a whole table. Spans index the original string, so whatever is kept is copied
verbatim. Sentence ends are found with punctuation rules that know abbreviations (``Dr.``, ``e.g.``,
``U.S.``), initials (``J. K. Rowling``), decimals (``3.14``) and CJK full stops. One pass over the
text; no backtracking regular expressions over unbounded input.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

UnitKind = Literal["heading", "sentence", "line", "item", "code", "table"]

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+\S")
_TABLE = re.compile(r"^\s*\|")
_RULE = re.compile(r"^ {0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
# A sentence ends at . ! ? (or … and CJK stops), then optional closing quotes/brackets; a Latin end
# needs whitespace after it.
_END = re.compile(r"(?:[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』”’)）]*)")
_NEXT_START = re.compile(r"\s*[\"'“‘«(\[]*[^\s\"'“‘«(\[]")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ft vs etc al fig figs no nos vol vols pp ed eds inc ltd co corp "  # noqa: SIM905 (a word list reads best as words)
    "dept est approx ca cf gen gov sen rep col lt sgt capt cmdr adm jan feb mar apr jun jul aug sep "
    "sept oct nov dec mon tue wed thu fri sat sun op viz resp ch sec art para eq eqs ref refs min "
    "max avg".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


_NOT_LETTER = re.compile(r"[^\w\s]|[\d_]")
_PROSE_END = re.compile(r"[.!?…:;。！？][\"'”’»)\]]*$")


@dataclass(frozen=True)
class Unit:
    """One span of the original text.

    Attributes:
        start: offset of its first character.
        end: offset just past its last character.
        kind: what it is.
        block: index of the paragraph, list, fence, table or heading it belongs to.
    """

    start: int
    end: int
    kind: UnitKind
    block: int


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period ending at ``end`` closes an abbreviation or an initial."""
    m = _WORD_BEFORE.search(text, max(0, end - 24), end)
    if m is None:
        return False
    word = m.group(1)
    if "." in word:  # e.g. i.e. U.S. a.m.
        return True
    return (len(word) == 1 and word.isupper()) or word.lower() in _ABBREVIATIONS


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """Offsets just past each sentence end inside ``text[start:end]`` (the last one excluded)."""
    ends = []
    for m in _END.finditer(text, start, end):
        stop = m.end()
        nxt = _NEXT_START.match(text, stop, end)
        if nxt is None:
            break  # only whitespace follows: the span's own end
        first = text[nxt.end() - 1]
        if first.islower():
            continue  # "e.g. this", "approx. five"
        if text[m.start()] == "." and m.group(0) == "." and _is_abbreviation(text, m.start() + 1):
            continue
        ends.append(stop)
    return ends


def _line_breaks(text: str, start: int, end: int) -> list[int]:
    """Line ends inside a paragraph that also end a unit: lines not wrapped mid-sentence."""
    out = []
    pos = text.find("\n", start, end)
    while pos != -1:
        line_start = text.rfind("\n", start, pos) + 1
        line = text[max(line_start, start) : pos].rstrip()
        if line and (len(line) < 40 or line[-1] in ".!?:;。！？"):
            out.append(pos)
        pos = text.find("\n", pos + 1, end)
    return out


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentences(text: str, start: int, end: int, block: int, by_line: bool) -> list[Unit]:
    if by_line:
        cuts = [m.start() for m in re.finditer("\n", text[start:end])]
        cuts = [start + c for c in cuts]
    else:
        cuts = sorted({*_sentence_ends(text, start, end), *_line_breaks(text, start, end)})
    units: list[Unit] = []
    prev, head = start, -1
    for cut in [*cuts, end]:
        s, e = _trimmed(text, prev, cut)
        if e > s:
            indent = s - (prev + 1 if by_line and prev > start else prev)
            if by_line and units and head >= 0 and indent > head + 1 and text[s] != "-":
                # a wrapped continuation (`--env-file=...   set environment variables from supplied`
                # / `                file`): one unit with the line it continues
                units[-1] = Unit(units[-1].start, e, "line", block)
            else:
                units.append(Unit(s, e, "line" if by_line else "sentence", block))
                head = indent
        prev = cut
    return units


class Lines:
    """The text's lines with their offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def __len__(self) -> int:
        return len(self.starts)

    def line(self, i: int) -> str:
        return self.text[self.starts[i] : self.end(i)]

    def end(self, i: int) -> int:
        """Offset of the line's ``\\n`` (or the text's end)."""
        return self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)

    def number(self, offset: int) -> int:
        """1-based number of the line holding ``offset``."""
        return bisect_right(self.starts, offset)


def _fence_end(lines: Lines, i: int, marker: str) -> int:
    """Index of the line closing the fence opened on line ``i`` (the last line when unclosed)."""
    for j in range(i + 1, len(lines)):
        if lines.line(j).lstrip().startswith(marker):
            return j
    return len(lines) - 1


def _block_end(lines: Lines, i: int) -> int:
    """Last line of the plain paragraph starting on line ``i``."""
    j = i
    while j + 1 < len(lines):
        nxt = lines.line(j + 1)
        if not nxt.strip() or _special(nxt) or _SETEXT.match(nxt):
            break
        j += 1
    return j


def _special(line: str) -> bool:
    return bool(_FENCE.match(line) or _HEADING.match(line) or _ITEM.match(line) or _TABLE.match(line))


def _span(lines: Lines, i: int, j: int) -> tuple[int, int]:
    return _trimmed(lines.text, lines.starts[i], lines.end(j))


def _kind(lines: Lines, i: int) -> tuple[UnitKind | None, int]:
    """What starts on line ``i`` (None: a plain paragraph) and its last line."""
    line, j = lines.line(i), i
    if fence := _FENCE.match(line):
        return "code", _fence_end(lines, i, fence.group(1))
    if _TABLE.match(line):
        while j + 1 < len(lines) and _TABLE.match(lines.line(j + 1)):
            j += 1
        return "table", j
    if _HEADING.match(line):
        return "heading", i
    if i + 1 < len(lines) and _SETEXT.match(lines.line(i + 1)) and not _ITEM.match(line):
        return "heading", i + 1
    if _ITEM.match(line):
        return "item", i
    return None, _block_end(lines, i)


def split_units(text: str, *, by_line: bool = False) -> tuple[list[Unit], Lines]:
    """The text's units in order, and its lines (to map offsets to line numbers).

    With ``by_line``, paragraphs are cut into lines instead of sentences (for text that is not
    prose: command output, listings).
    """
    lines, units = Lines(text), []
    block, i, in_list = -1, 0, False
    while i < len(lines):
        line = lines.line(i)
        if not line.strip() or _RULE.match(line):
            i += 1
            continue
        kind, j = _kind(lines, i)
        if not (kind == "item" and in_list):  # the items of one list share a block
            block += 1
        in_list = kind == "item"
        if kind is None:
            units.extend(_sentences(text, lines.starts[i], lines.end(j), block, by_line))
        else:
            s, e = _span(lines, i, j)
            units.append(Unit(s, e, kind, block))
        i = j + 1
    return units, lines


def prose_share(text: str, units: list[Unit], sample: int = 200_000) -> float:
    """Share of the sentence text that reads as prose: sentences of words, mostly letters, punctuated.

    Code listings and command output split into "sentences" too, but their lines are short, full of
    symbols and rarely end like a sentence. Looks at the first ``sample`` characters of sentences.
    """
    total = prose = 0
    for u in units:
        if total >= sample:
            break
        if u.kind != "sentence":
            continue
        span = text[u.start : u.end]
        total += len(span)
        symbols = len(_NOT_LETTER.findall(span))
        if symbols <= 0.15 * len(span) and len(span.split()) >= 5 and _PROSE_END.search(span):
            prose += len(span)
    return prose / total if total else 1.0
