"""LineCompressor: the generic, line-based fallback every content type can use.

Lines are kept verbatim or left out, never rewritten. It keeps the first and last lines, lines that
look like failures, and lines sharing words with the task; each run of omitted lines becomes one
marker that names the run's line range, so ``headroom_retrieve(ref, lines="a-b")`` brings it back.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._terms import Mentions, found_terms, pinpointed, term_pattern
from headroom.markers import format_marker

_ALERT = re.compile(
    r"error|exception|traceback|fail|fatal|panic|critical|warn|denied|refused|timeout|timed out|abort",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LineCompressor:
    """Keep head, tail, alert lines and task-relevant lines; mark omitted runs with their line range.

    Attributes:
        head: lines always kept at the start.
        tail: lines always kept at the end.
        keep_ratio: at most this fraction of the lines is kept (head and tail included).
        min_lines: texts with fewer lines are left alone.
        context: lines kept on each side of an alert or relevant line.
    """

    name: str = "lines"
    head: int = 12
    tail: int = 12
    keep_ratio: float = 0.25
    min_lines: int = 40
    context: int = 1

    def scaled(self, factor: float) -> LineCompressor:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(self, keep_ratio=min(self.keep_ratio * factor, 0.9))

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """Compressed text with line-range markers, or None for short texts."""
        lines = text.split("\n")
        n = len(lines)
        if n < self.min_lines:
            return None
        keep = self._select(lines, task.terms) | pinpointed(lines, task.query)
        if len(keep) >= n:
            return None
        return self._render(lines, keep, ref, Mentions(text, task.query))

    def _select(self, lines: list[str], terms: frozenset[str]) -> set[int]:
        n = len(lines)
        budget = max(int(n * self.keep_ratio), self.head + self.tail)
        keep = set(range(min(self.head, n))) | set(range(max(n - self.tail, 0), n))
        scored = []
        pattern = term_pattern(terms)
        for i, line in enumerate(lines):
            if i in keep or not line.strip():
                continue
            score = 0.0
            if _ALERT.search(line):
                score += 3.0
            score += 2.0 * len(found_terms(pattern, line))
            if score > 0:
                scored.append((-score, i))
        scored.sort()
        for _, i in scored:
            if len(keep) >= budget:
                break
            lo, hi = max(i - self.context, 0), min(i + self.context + 1, n)
            keep.update(range(lo, hi))
        return keep

    def _render(self, lines: list[str], keep: set[int], ref: str, mentions: Mentions) -> str:
        out: list[str] = []
        i, n = 0, len(lines)
        while i < n:
            if i in keep:
                out.append(lines[i])
                i += 1
                continue
            j = i
            while j < n and j not in keep:
                j += 1
            if j - i <= 2:  # a marker costs more than one or two short lines
                out.extend(lines[i:j])
            else:
                summary = f"{j - i} lines omitted"  # the range is in the marker's lines=
                note = mentions.note((i, j))
                summary = f"{summary} — {note}" if note else summary
                out.append(format_marker(ref, summary, lines=(i + 1, j)))
            i = j
        return "\n".join(out)
