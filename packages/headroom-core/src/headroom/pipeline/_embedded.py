"""EmbeddedCompressor: JSON whose string fields hold a log, a file, a diff or another document.

Clients deliver tool output wrapped in JSON: Codex sends ``{"chunk_id": ..., "output": "<a pytest
log>"}``, MCP tools ``{"output": "...", "metadata": {"exit_code": 1}}``. Crushed as JSON, such a
string is one long value cut at its head, and the failures at the end of the log are lost. Here each
long string that holds most of the document is routed by its own content (`split_sections` on the
decoded value) and compressed by its type's compressor; the result goes back in its place, and
everything around it is carried byte-identical, so the output is still the same JSON document.

Each string's original is stored under its own ref (the markers inside it name that ref, and their
line ranges are lines of the string), returned to the pipeline as `CompressedOutput.originals`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from headroom.compressors import Compressor, Detection, TaskContext
from headroom.pipeline.detect import Section, looks_json, split_sections
from headroom.refs import make_ref

# A JSON string literal (keys too: every '"' outside a literal starts one), escapes included.
_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_KEY_AFTER = re.compile(r"\s*:")

Route = Callable[[str, list[Section]], tuple[Detection, Compressor | None]]


class CompressedOutput(str):
    """A compressed block that also carries originals stored under refs other than the block's own.

    Attributes:
        originals: ref → (original text, kind) for every further ref the output's markers name.
        compressor: the name reported for the block.
    """

    originals: Mapping[str, tuple[str, str]]
    compressor: str

    def __new__(cls, text: str, originals: Mapping[str, tuple[str, str]], compressor: str) -> CompressedOutput:
        """Wrap ``text``."""
        out = super().__new__(cls, text)
        out.originals, out.compressor = dict(originals), compressor
        return out


def originals_of(out: str | None) -> Mapping[str, tuple[str, str]]:
    """The further originals a compressor's output carries (none for a plain string)."""
    return getattr(out, "originals", {}) if out is not None else {}


@dataclass(frozen=True)
class Embedded:
    """A long string value of a JSON document: its literal's span and its decoded text."""

    start: int
    end: int
    value: str


def embedded_strings(
    text: str, *, min_chars: int = 1000, min_lines: int = 8, max_fields: int = 4, min_share: float = 0.5
) -> list[Embedded]:
    """The string values of JSON ``text`` that hold documents, when a few of them are most of it.

    A value counts when its literal has ``min_chars`` or more and it holds ``min_lines`` lines or a
    JSON document. Returns [] unless at most ``max_fields`` such values hold at least ``min_share``
    of the text (an array of many records with long fields is rows for the JSON crusher to pick).
    """
    if len(text) < min_chars or ("\\n" not in text and '\\"' not in text):
        return []
    found: list[Embedded] = []
    for m in _LITERAL.finditer(text):
        if m.end() - m.start() < min_chars or _KEY_AFTER.match(text, m.end()):
            continue
        try:
            value = json.loads(m[0])
        except ValueError:
            return []
        if value.count("\n") + 1 >= min_lines or looks_json(value):
            found.append(Embedded(m.start(), m.end(), value))
            if len(found) > max_fields:
                return []
    if sum(e.end - e.start for e in found) < min_share * len(text):
        return []
    return found


@dataclass(frozen=True)
class EmbeddedCompressor:
    """Compresses the document-holding strings of a JSON block, each by its own type's compressor.

    Attributes:
        fields: the strings to compress (see `embedded_strings`).
        route: the router's choice of detection and compressor for a string.
        name: the compressor's name in reports.
    """

    fields: tuple[Embedded, ...]
    route: Route
    name: str = "embedded"

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The JSON with its embedded documents compressed in place, or None when none shrank."""
        out: list[str] = []
        originals: dict[str, tuple[str, str]] = {}
        names: list[str] = []
        pos = 0
        for field in self.fields:
            inner, compressor = self.route(field.value, split_sections(field.value))
            if compressor is None:
                continue
            sub = make_ref(field.value)
            new = compressor.compress(field.value, ref=sub, task=task, detection=inner)
            if new is None:
                continue
            literal = json.dumps(str(new), ensure_ascii=False)
            if len(literal) >= field.end - field.start:
                continue
            out += [text[pos : field.start], literal]
            pos = field.end
            originals[sub] = (field.value, inner.type.value)
            originals.update(originals_of(new))
            names.append(str(getattr(new, "compressor", compressor.name)))
        if not names:
            return None
        out.append(text[pos:])
        return CompressedOutput("".join(out), originals, f"{self.name}:{'+'.join(dict.fromkeys(names))}")
