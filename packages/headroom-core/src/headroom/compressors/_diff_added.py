"""The body of a file a diff adds, outlined the way the code compressor outlines a file.

A new file arrives as one hunk of ``+`` lines: all of it is "changed", so the diff compressor alone
would keep every line. Its text (the lines without their ``+``) is code like any other, so the code
compressor decides what stays: signatures, the bodies the task names, doc heads. The lines it keeps
are the diff's own lines, verbatim; what it leaves out becomes omitted runs of the diff, each
described by the code compressor's summary (``body of parse omitted``).
"""

from __future__ import annotations

from dataclasses import dataclass

from headroom.compressors._base import ContentType, Detection, TaskContext
from headroom.compressors._diff_parse import FileDiff
from headroom.compressors._search_defs import language_of
from headroom.compressors.code import CodeCompressor
from headroom.markers import MARKER_RE


@dataclass(frozen=True)
class Outline:
    """Which lines of an added file's hunk to leave out, and what each omitted run is."""

    omitted: list[int]  # diff line indices
    summaries: dict[int, str]  # diff line index of a run's first line -> the code compressor's summary


def added_file(f: FileDiff, lines: list[str]) -> list[int] | None:
    """The body lines of a file the diff adds whole (one hunk, ``+`` lines only), else None."""
    if f.removed or len(f.hunks) != 1 or not f.path or language_of(f.path) is None:
        return None
    body = list(f.hunks[0].body)
    if not body or any(not lines[k].startswith("+") for k in body):
        return None
    return body


def outline(body: list[int], lines: list[str], path: str, code: CodeCompressor, task: TaskContext) -> Outline | None:
    """The code compressor's outline of an added file, as diff lines to leave out; None when it keeps all."""
    text = "\n".join(lines[k][1:] for k in body)
    out = code.compress(text, ref="0" * 16, task=task, detection=Detection(ContentType.CODE, language_of(path)))
    if out is None:
        return None
    source = text.split("\n")
    kept: set[int] = set()
    starts: dict[int, str] = {}
    j = 0
    for line in out.split("\n"):
        m = MARKER_RE.search(line)
        if m:
            if m["start"]:  # its summary, less its note on mentions: the diff's marker adds its own
                starts[int(m["start"]) - 1] = m["summary"].split(" — ", 1)[0]
            continue
        while j < len(source) and source[j] != line:
            j += 1
        if j == len(source):
            return None  # not the file's own lines in order: leave the hunk as it is
        kept.add(j)
        j += 1
    omitted = [body[i] for i in range(len(source)) if i not in kept]
    if not omitted:
        return None
    summaries = {body[i]: s for i, s in starts.items() if i < len(body) and i not in kept}
    return Outline(omitted, summaries)
