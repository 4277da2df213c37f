"""The one marker format, and `find_refs`, which parses exactly it.

A marker stands where content was left out and names the ref that brings it back::

    [headroom: 185 of 200 rows omitted — errors kept; headroom_retrieve ref=7f3a9c2e41d0b5a6]
    [headroom: body of parse_args (lines 120-180) omitted; headroom_retrieve ref=7f3a9c2e41d0b5a6 lines=120-180]

Grammar: ``[headroom: <summary>; headroom_retrieve ref=<16-64 hex>( lines=<a>-<b>)?]``. The summary
never contains ``]`` or a line break, so a marker is always one line and ends at the first ``]``.
The same regular expression finds markers in raw text and in JSON-escaped text (a marker inside
``json.dumps(messages)`` is unchanged apart from escaped quotes and non-ASCII characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.refs import is_ref

__all__ = ["MARKER_PREFIX", "MARKER_RE", "RETRIEVE_TOOL_NAME", "Marker", "find_refs", "format_marker", "parse_markers"]

MARKER_PREFIX = "[headroom: "
RETRIEVE_TOOL_NAME = "headroom_retrieve"

MARKER_RE = re.compile(
    r"\[headroom: (?P<summary>[^\]\n]*?); headroom_retrieve ref=(?P<ref>[0-9a-f]{16,64})"
    r"(?: lines=(?P<start>\d+)-(?P<end>\d+))?\]"
)


@dataclass(frozen=True)
class Marker:
    """A parsed marker: which ref, what its summary says, and the optional line range it covers."""

    ref: str
    summary: str
    lines: tuple[int, int] | None = None

    def render(self) -> str:
        """The marker's text, exactly as `format_marker` writes it."""
        return format_marker(self.ref, self.summary, lines=self.lines)


def _clean_summary(summary: str) -> str:
    # A summary is one line without ']' (that would end the marker early) and without ';'
    # directly before "headroom_retrieve" (it would read as the ref part).
    flat = " ".join(summary.replace("]", ")").replace("[", "(").split())
    return flat or "content omitted"


def format_marker(ref: str, summary: str, *, lines: tuple[int, int] | None = None) -> str:
    """Render a marker naming ``ref`` and saying what was left out.

    Args:
        ref: the ref of the stored original (see `headroom.refs.make_ref`).
        summary: what was omitted and what was kept, e.g. ``"185 of 200 rows omitted — errors kept"``.
        lines: the 1-based inclusive line range of the original that this marker stands for, so a
            model can fetch just that part with ``headroom_retrieve(ref, lines="a-b")``.

    Raises:
        ValueError: when ``ref`` is not a ref.
    """
    if not is_ref(ref):
        raise ValueError(f"not a headroom ref: {ref!r}")
    tail = f" lines={lines[0]}-{lines[1]}" if lines else ""
    return f"{MARKER_PREFIX}{_clean_summary(summary)}; {RETRIEVE_TOOL_NAME} ref={ref}{tail}]"


def parse_markers(text: str) -> list[Marker]:
    """Every marker in ``text``, in order of appearance (duplicates kept)."""
    out = []
    for m in MARKER_RE.finditer(text):
        lines = (int(m["start"]), int(m["end"])) if m["start"] else None
        out.append(Marker(ref=m["ref"], summary=m["summary"], lines=lines))
    return out


def find_refs(text: str) -> list[str]:
    """The refs named by markers in ``text``, unique, in order of first appearance.

    Works on raw text and on JSON-escaped text such as ``json.dumps(messages)``.
    """
    seen: dict[str, None] = {}
    for m in MARKER_RE.finditer(text):
        seen.setdefault(m["ref"], None)
    return list(seen)
