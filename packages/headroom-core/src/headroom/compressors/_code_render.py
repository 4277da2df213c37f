"""Write the outline, and check that it still parses without parsing it all again.

Each applied region becomes one marker line (a comment of the language, after a filler statement
where a body may not be empty) or, when its range is named by the next marker, nothing. The same
pass records every replacement as a tree-sitter edit, so the check re-parses incrementally: only
the edited parts of the old tree are parsed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from headroom.compressors._code_detect import quality
from headroom.compressors._code_langs import LangSpec, parser
from headroom.compressors._code_plan import Region
from headroom.compressors._terms import Mentions
from headroom.markers import format_marker

if TYPE_CHECKING:
    from tree_sitter import Tree


@dataclass(frozen=True)
class Outline:
    """The rendered bytes and the edits that turn the source into them, in source order."""

    data: bytes
    edits: tuple[tuple[int, int, int, Region], ...]  # (start, old end, new length, region)


def row_starts(source: bytes) -> list[int]:
    """The byte offset where each row of ``source`` starts."""
    starts = [0]
    i = source.find(b"\n")
    while i >= 0:
        starts.append(i + 1)
        i = source.find(b"\n", i + 1)
    return starts


def marker_line(region: Region, ref: str, spec: LangSpec, mentions: Mentions | None = None) -> str | None:
    """The line that stands for ``region`` (None: the next marker names its range)."""
    if region.silent:
        return None
    first = region.start if region.marker_start is None else region.marker_start
    note = mentions.note((first, region.end + 1)) if mentions is not None else ""
    summary = f"{region.summary} — {note}" if note else region.summary
    marker = format_marker(ref, summary, lines=(first + 1, region.end + 1))
    if region.inside:  # within a block comment or a docstring: plain text is fine there
        return f"{region.indent}{marker}"
    filler = f"{spec.filler}  " if spec.filler else ""
    return f"{region.indent}{filler}{spec.line_comment} {marker}"


def render(
    source: bytes, starts: list[int], regions: list[Region], ref: str, spec: LangSpec, mentions: Mentions | None = None
) -> Outline:
    """Replace each region's rows (sorted, disjoint) with its marker line."""
    rows = len(starts)
    pieces: list[bytes] = []
    edits = []
    pos = 0
    for r in regions:
        a = starts[r.start]
        b = starts[r.end + 1] if r.end + 1 < rows else len(source)
        line = marker_line(r, ref, spec, mentions)
        new = b"" if line is None else (line + ("\n" if r.end + 1 < rows else "")).encode()
        pieces += [source[pos:a], new]
        edits.append((a, b, len(new), r))
        pos = b
    pieces.append(source[pos:])
    return Outline(b"".join(pieces), tuple(edits))


def still_parses(tree: Tree, source: bytes, starts: list[int], outline: Outline, lang: str) -> bool:
    """Whether the outline parses with no more ERROR/MISSING nodes than the source did."""
    before = quality(tree, lang, len(source)).errors
    edited = tree.copy()
    rows = len(starts)
    for a, b, new_len, r in reversed(outline.edits):  # back to front: earlier offsets stay valid
        old_end = (r.end + 1, 0) if r.end + 1 < rows else (r.end, b - starts[r.end])
        new_end = (r.start + 1, 0) if r.end + 1 < rows and new_len else (r.start, new_len)
        edited.edit(a, b, a + new_len, (r.start, 0), old_end, new_end)
    after = parser(lang).parse(outline.data, edited)
    return quality(after, lang, len(outline.data)).errors <= before
