"""Content-type detection: what a block is (JSON, diff, search results, HTML, log, code, text).

`detect` classifies a whole block; `split_sections` cuts mixed content (an HTTP header block before
a JSON body, a shell transcript, a harness's ``<output>`` wrapper) into sections that are each
classified on their own.

Detection looks at bounded samples only (the first 64 KiB / 400 lines, plus small samples from
the middle and the end of a long block), so a 50 MB block is classified in about the time a 64 KiB
one is. Decisions rest on the share of lines that carry evidence for a type, never on a single
substring: a tag in prose, a marker-like string inside data, or one JSON line in a log does not
change a block's type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from headroom.compressors import ContentType, Detection
from headroom.pipeline._detect_language import language_evidence
from headroom.pipeline._detect_lines import (
    SAMPLE_CHARS,
    diff_evidence,
    markup_evidence,
    nonblank,
    sample_lines,
    search_share,
    strip_numbering,
    wrapper_span,
)
from headroom.pipeline._detect_prose import code_share, config_share, has_runner_banner, log_share, prose_share
from headroom.pipeline._detect_sections import section_bounds

__all__ = ["Evidence", "Section", "detect", "evidence", "split_sections"]

FULL_PARSE_CHARS = 1 << 20  # JSON up to this size is parsed outright; larger is checked by sampling
_JSON_TOKENS = re.compile(
    r"(?:\s*(?:[\[\]{}:,]|\"(?:[^\"\\\n]|\\.)*\"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null))*\s*"
)


@dataclass(frozen=True)
class Evidence:
    """What detection measured on a block's sample (shares are of non-blank sample lines)."""

    lines: int
    diff_hunks: int
    diff: float
    markup_start: bool
    tags: float
    closing_tags: int
    search: float
    log: float
    code: float
    prose: float
    language: str | None


class Section(NamedTuple):
    """One section of a block: ``text[start:end]`` (character offsets) and its own detection."""

    start: int
    end: int
    detection: Detection


def looks_json(text: str) -> bool:
    """Whether ``text`` is a JSON document or JSON Lines (possibly cut off at the end)."""
    head = text[:SAMPLE_CHARS].lstrip("\ufeff \t\r\n")
    if not head or head[0] not in "[{":
        return False
    if len(text) <= FULL_PARSE_CHARS:
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return True
    m = _JSON_TOKENS.match(head)
    end = m.end() if m else 0
    if end == len(head):
        return True
    # A sample (or a truncated tool output) may stop inside a string or a number.
    return len(head) - end <= 256 and (len(text) > SAMPLE_CHARS or end > 0.9 * len(head))


class _Sample:
    """A block's sample, measured lazily: detection stops at the first decisive measure."""

    def __init__(self, text: str) -> None:
        lines = sample_lines(text)
        first, end = wrapper_span(lines)
        self.lines = lines[first:end]
        self.body = nonblank(self.lines)

    @cached_property
    def diff(self) -> tuple[int, float]:
        return diff_evidence(self.lines)

    @cached_property
    def markup(self) -> tuple[bool, float, int]:
        return markup_evidence("\n".join(self.lines))

    @cached_property
    def plain(self) -> list[str]:
        return strip_numbering(self.body)

    @cached_property
    def search(self) -> float:
        return search_share(self.lines)

    @cached_property
    def log(self) -> float:
        return log_share(self.plain)

    @cached_property
    def runner(self) -> bool:
        return has_runner_banner(self.plain)

    @cached_property
    def code(self) -> float:
        return code_share(self.plain)

    @cached_property
    def prose(self) -> float:
        return prose_share(self.plain)

    @cached_property
    def config(self) -> float:
        return config_share(self.plain)

    @cached_property
    def language_evidence(self) -> tuple[str | None, float]:
        return language_evidence(self.plain)

    @property
    def language(self) -> str | None:
        return self.language_evidence[0]


def evidence(text: str) -> Evidence:
    """Measure ``text``'s sample for every content type (exposed for benchmarks and debugging)."""
    s = _Sample(text)
    return Evidence(
        lines=len(s.body),
        diff_hunks=s.diff[0],
        diff=s.diff[1],
        markup_start=s.markup[0],
        tags=s.markup[1],
        closing_tags=s.markup[2],
        search=s.search,
        log=s.log,
        code=s.code,
        prose=s.prose,
        language=s.language,
    )


def detect(text: str) -> Detection:
    """Classify ``text`` as JSON, diff, HTML, search results, log, code (with language), or text."""
    return _whole_document(text) or _line_kind(_Sample(text))


def _whole_document(text: str, sample: _Sample | None = None) -> Detection | None:
    """JSON, a diff or HTML: kinds that hold for a document as a whole; None for the others."""
    if looks_json(text):
        return Detection(ContentType.JSON)
    s = sample or _Sample(text)
    if not s.body:
        return None
    hunks, diff = s.diff
    if hunks and diff >= 0.6:
        return Detection(ContentType.DIFF)
    if _is_markup(s):
        return Detection(ContentType.HTML)
    return None


def _line_kind(s: _Sample) -> Detection:
    """Search results, log, code (with language) or text, judged line by line."""
    if not s.body:
        return Detection(ContentType.TEXT)
    if s.runner and s.log >= 0.15:  # a test run's or a build's output, whatever its paths and excerpts look like
        return Detection(ContentType.LOG)
    if s.search >= 0.6:
        return Detection(ContentType.SEARCH)
    return _log_code_or_text(s)


def _is_markup(s: _Sample) -> bool:
    start, tags, closing = s.markup
    if start:
        return tags >= 0.05 or closing >= 3
    return tags >= 0.3 and closing >= 3 and s.code < 0.5


def _log_code_or_text(s: _Sample) -> Detection:
    if s.log >= 0.4 and s.log >= s.code:
        return Detection(ContentType.LOG)
    if s.code >= 0.3 and s.code >= s.prose and (s.code >= 0.5 or s.language):
        return Detection(ContentType.CODE, s.language)
    if s.config >= 0.8 and s.prose < 0.3 and len(s.body) >= 4:
        return Detection(ContentType.CODE, "yaml")
    if s.prose < 0.3 and s.log < 0.3 and s.language and s.language_evidence[1] >= 1.0:
        return Detection(ContentType.CODE, s.language)  # SQL, Dockerfiles: few generic code marks
    if s.log >= 0.3 and s.log >= s.prose:
        return Detection(ContentType.LOG)
    return Detection(ContentType.TEXT)


def split_sections(text: str) -> list[Section]:
    """Cut mixed content into sections, each with its own detection.

    A block of one kind is one section. Mixed content — headers before a JSON body, a shell
    transcript of several commands, a harness's ``<output>`` wrapper around a tool's output — is cut
    where the kind changes; adjacent sections of the same type are merged. The sections cover
    ``text`` exactly, in order.
    """
    sample = _Sample(text)
    document = _whole_document(text, sample)
    if document is not None:
        return [Section(0, len(text), document)]
    bounds = section_bounds(text, looks_json)
    if len(bounds) <= 1:
        return [Section(0, len(text), _line_kind(sample))]
    sections: list[Section] = []
    for start, end in bounds:
        d = detect(text[start:end])
        if sections and sections[-1].detection == d:
            sections[-1] = Section(sections[-1].start, end, d)
        else:
            sections.append(Section(start, end, d))
    if len(sections) == 1:
        return [Section(0, len(text), _line_kind(sample))]
    return sections
