"""SectionedCompressor: mixed content compressed section by section, each by its own type's compressor.

`headroom.pipeline.detect.split_sections` cuts a block such as an HTTP response (headers, then a JSON
body) or a shell transcript into sections; the router hands the block to this compressor, which
runs each section's compressor on that section alone and joins the results. Every section
compressor names the block's ``ref`` (the pipeline stores the whole block under it); line ranges in
their markers are shifted from section-relative to block-relative line numbers, so
``headroom_retrieve(ref, lines="a-b")`` brings back the right lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.compressors import Compressor, Detection, TaskContext
from headroom.markers import MARKER_RE, format_marker
from headroom.pipeline._embedded import CompressedOutput, originals_of
from headroom.pipeline.detect import Section


def shift_markers(text: str, ref: str, offset: int) -> str:
    """Add ``offset`` to the line ranges of the markers in ``text`` that name ``ref``."""
    if not offset:
        return text

    def shifted(m: re.Match[str]) -> str:
        if m["ref"] != ref or not m["start"]:
            return m[0]
        a, b = int(m["start"]), int(m["end"])
        summary = m["summary"].replace(f"{a}-{b}", f"{a + offset}-{b + offset}")
        return format_marker(ref, summary, lines=(a + offset, b + offset))

    return MARKER_RE.sub(shifted, text)


@dataclass(frozen=True)
class SectionedCompressor:
    """Compresses each section of a mixed block with the compressor registered for its type.

    Attributes:
        parts: the block's sections, each with its compressor (None: the section passes through).
        name: the compressor's name in reports.
        min_chars: sections shorter than this pass through unchanged (a marker would cost more).
    """

    parts: tuple[tuple[Section, Compressor | None], ...]
    name: str = "sections"
    min_chars: int = 400

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The block with each section compressed on its own, or None when no section shrank."""
        out: list[str] = []
        originals: dict[str, tuple[str, str]] = {}
        changed = False
        for (start, end, section_type), compressor in self.parts:
            piece = text[start:end]
            body = piece[:-1] if piece.endswith("\n") else piece
            new = None
            if compressor is not None and len(body) >= self.min_chars:
                new = compressor.compress(body, ref=ref, task=task, detection=section_type)
            if new is None or len(new) >= len(body):
                out.append(piece)
                continue
            changed = True
            originals.update(originals_of(new))
            out.append(shift_markers(new, ref, text.count("\n", 0, start)) + piece[len(body) :])
        if not changed:
            return None
        return CompressedOutput("".join(out), originals, self.name) if originals else "".join(out)
