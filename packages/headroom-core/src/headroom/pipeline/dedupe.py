"""Repeated content across a conversation: a file read twice, a test run re-run unchanged.

A block whose content already appeared earlier in the conversation becomes a marker naming the
earlier occurrence, plus a unified diff of what differs when it is not identical. The decision uses
only earlier messages, so once a block has been sent its bytes never change and the provider's
prompt cache keeps hitting. The block's own original is stored under its ref like any other.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field

from headroom.markers import format_marker

MIN_LINES = 8
"""Blocks shorter than this are not compared (a marker would cost about as much)."""

MAX_DIFF_LINES = 6000
"""difflib is quadratic in the worst case: larger blocks are only checked for exact repeats."""

MIN_SIMILARITY = 0.5
"""Share of distinct lines two blocks must have in common to be diffed."""

MAX_DIFF_SHARE = 0.5
"""A diff longer than this share of the block is not worth it; the block is compressed normally."""


def _line_hashes(lines: list[str]) -> frozenset[bytes]:
    return frozenset(hashlib.blake2b(ln.encode("utf-8", "surrogatepass"), digest_size=8).digest() for ln in lines)


@dataclass(frozen=True)
class _Seen:
    message: int
    ref: str
    lines: tuple[str, ...]
    hashes: frozenset[bytes]
    label: str


@dataclass
class Deduper:
    """Remembers the blocks of one conversation, in order, and spots repeats of them."""

    seen: list[_Seen] = field(default_factory=list)

    def add(self, message: int, ref: str, text: str, label: str) -> None:
        """Remember a block (call for every block, compressed or not, in message order)."""
        lines = text.split("\n")
        if len(lines) >= MIN_LINES:
            self.seen.append(_Seen(message, ref, tuple(lines), _line_hashes(lines), label))

    def render(self, ref: str, text: str) -> str | None:
        """The repeat of an earlier block as a marker (+ diff), or None when it repeats nothing."""
        lines = text.split("\n")
        if len(lines) < MIN_LINES or not self.seen:
            return None
        for earlier in reversed(self.seen):
            if earlier.ref == ref:
                summary = f"identical to the {earlier.label} in message {earlier.message + 1}; not repeated"
                return format_marker(ref, summary)
        if len(lines) > MAX_DIFF_LINES:
            return None
        return self._diff(ref, lines)

    def _diff(self, ref: str, lines: list[str]) -> str | None:
        hashes = _line_hashes(lines)
        best, best_sim = None, 0.0
        for earlier in reversed(self.seen):
            if len(earlier.lines) > MAX_DIFF_LINES:
                continue
            sim = len(hashes & earlier.hashes) / max(len(hashes | earlier.hashes), 1)
            if sim > best_sim:
                best, best_sim = earlier, sim
        if best is None or best_sim < MIN_SIMILARITY:
            return None
        diff = list(difflib.unified_diff(best.lines, lines, n=1, lineterm=""))[2:]  # drop the ---/+++ header
        if not diff or len(diff) > MAX_DIFF_SHARE * len(lines):
            return None
        summary = (
            f"same as the {best.label} in message {best.message + 1} except for the changes below "
            f"(unified diff, 1 line of context; the full {len(lines)} lines via retrieve)"
        )
        return "\n".join([format_marker(ref, summary), *diff])
