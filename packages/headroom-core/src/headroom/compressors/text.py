"""TextCompressor: query-aware extractive compression of prose and markdown.

The text is split into units (sentences, headings, list items, whole code fences, whole tables),
each scored by relevance to the task through a `SentenceScorer` (BM25 over the document by
default), by its neighbours' relevance (an answer often sits next to the sentence that names the
question's subject), by position (leading sentences) and by information density. The best units are
kept, up to a budget, verbatim and in their original order; headings always survive. Each run of
omitted units becomes one marker that says how much was left out and where, with a line range when
the run covers whole lines, so ``headroom_retrieve`` brings back exactly that part.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from headroom.compressors._base import STOPWORDS, Detection, TaskContext
from headroom.compressors._terms import Mentions, pinpointed, terms_of
from headroom.compressors._text_score import BM25Scorer, SentenceScorer, describe
from headroom.compressors._text_split import Lines, Unit, prose_share, split_units
from headroom.markers import format_marker

__all__ = ["BM25Scorer", "PrunerSkipped", "SentenceScorer", "TextCompressor", "TextOutput", "UnitPruner"]

_WORD = re.compile(r"\w+")
_NOUNS = {
    "heading": "heading",
    "sentence": "sentence",
    "line": "line",
    "item": "list item",
    "code": "code block",
    "table": "table",
}


def _density(texts: Sequence[str], sample: int = 2_000_000) -> list[float]:
    """How much of the document's recurring vocabulary each unit carries, per word, in [0, 1].

    The recurring vocabulary (words in more than one unit) is learnt from the first ``sample``
    characters, which bounds the work that is not a single pass.
    """
    df: Counter[str] = Counter()
    seen = 0
    for t in texts:
        if seen > sample:
            break
        df.update(set(_WORD.findall(t.lower())))
        seen += len(t)
    recurring = {w for w, n in df.items() if n > 1 and len(w) > 1} - STOPWORDS
    raw = []
    for t in texts:
        words = _WORD.findall(t.lower())
        raw.append(len(recurring.intersection(words)) / math.sqrt(max(1, len(words))))
    top = max(raw, default=0.0)
    return [r / top if top > 0 else 0.0 for r in raw]


def _named_sections(texts: Sequence[str], units: Sequence[Unit], task: TaskContext) -> list[float]:
    """How strongly the question names the heading each unit sits under: 1.0 for its prose
    (sentences, list items, unindented lines), 0.5 for its code and indented lines, 0.0 outside
    named sections.

    Terms most headings share (``pyenv`` in every ``## `pyenv ...` ``) do not tell headings apart and
    are left out. A heading is named when the question holds at least half of its other terms
    (``### `pyenv global` (advanced)`` for a question about ``pyenv global 2.7.6``), or a term that
    no other heading holds (``Security`` for "which versions does the security note apply to");
    its section runs to the next heading.
    """
    heads = [terms_of(t) for t, u in zip(texts, units, strict=True) if u.kind == "heading"]
    df = Counter(w for h in heads for w in h)
    common = {w for w, c in df.items() if c > 1 and c > len(heads) / 3} | _GENERIC
    out, inside = [], False
    for t, u in zip(texts, units, strict=True):
        if u.kind == "heading":
            words = terms_of(t) - common
            hit = words & task.terms
            inside = bool(hit) and (2 * len(hit) >= len(words) or any(df[w] == 1 for w in hit))
            out.append(0.0)
            continue
        prose = u.kind in ("sentence", "item") or (u.kind == "line" and not t[:1].isspace())
        out.append(0.0 if not inside else 1.0 if prose else 0.5)
    return out


_GENERIC = frozenset(("usage", "example", "examples", "options", "option", "advanced", "overview", "notes", "note"))


def _runs(keep: Sequence[bool]) -> list[tuple[int, int, bool]]:
    """Maximal runs ``(first, last, kept)`` of equal keep flags."""
    runs, start = [], 0
    for i in range(1, len(keep) + 1):
        if i == len(keep) or keep[i] != keep[start]:
            runs.append((start, i - 1, keep[start]))
            start = i
    return runs


# --- ML backend hook (headroom.ml implements `UnitPruner`; the default path needs none of it) ---


class PrunerSkipped(Exception):  # a verdict, not a failure: the default path takes over
    """Raised by a `UnitPruner` that cannot serve this text now; the message says why, in stable words."""


class UnitPruner(Protocol):
    """A learned judge of what to keep: one keep-probability per unit (e.g. `headroom.ml.MLPruner`)."""

    @property
    def name(self) -> str:
        """Short stable name of the model, shown in markers."""
        ...

    def keep_scores(self, text: str, spans: Sequence[tuple[int, int]]) -> list[float]:
        """Keep-probability in [0, 1] of each ``text[start:end]`` span, in order.

        Raises:
            PrunerSkipped: when the model cannot serve this text now (loading, failed, over budget).
        """
        ...


class TextOutput(str):
    """A compressed text that also says which path made it (``"text"`` or ``"text+ml"``) and why.

    Attributes:
        compressor: ``"text+ml"`` when the ML pruner weighed the units, else ``"text"``.
        note: why a configured ML pruner was not used, or None.
    """

    compressor: str
    note: str | None

    def __new__(cls, text: str, compressor: str, note: str | None = None) -> TextOutput:
        """Wrap ``text``."""
        out = super().__new__(cls, text)
        out.compressor, out.note = compressor, note
        return out


# --- end of the ML backend hook ---


@dataclass(frozen=True)
class TextCompressor:
    """Keep the units most relevant to the task, verbatim and in order; mark each omitted run.

    Attributes:
        scorer: relevance backend; BM25 over the document by default.
        keep_ratio: share of the text's characters kept (markers included).
        line_keep_ratio: the same for text that is not prose (command output, listings), which is
            cut into lines rather than sentences; its first and last lines count as leads.
        min_prose: share of sentence text that must read as prose for sentence units.
        min_keep_chars: the budget never goes below this many characters, nor ``max_keep`` of
            the text.
        max_keep: see ``min_keep_chars``.
        min_chars: shorter texts are left alone.
        min_units: texts with fewer units are left alone.
        context_weight: share of a neighbour's relevance (same paragraph) a unit inherits.
        lead_bonus: added to the text's first sentence (half of it to each paragraph's first).
        density_weight: weight of information density when the task gives terms (more without).
        marker_chars: what one marker costs, in characters, when weighing a kept unit against one.
        pruner: an ML backend (``headroom-core[ml]``) whose keep-probabilities replace information
            density; when it cannot serve a text, the default path runs and the marker says why.
        ml_weight: weight of the pruner's keep-probability when the task gives terms (1 without).
        section_weight: added to the relevance of each unit under a heading the question names.
    """

    name: str = "text"
    scorer: SentenceScorer = field(default_factory=BM25Scorer)
    keep_ratio: float = 0.30
    line_keep_ratio: float = 0.5
    min_prose: float = 0.7
    min_keep_chars: int = 1200
    max_keep: float = 0.6
    min_chars: int = 1500
    min_units: int = 8
    context_weight: float = 0.35
    lead_bonus: float = 0.15
    density_weight: float = 0.1
    marker_chars: int = 110
    pruner: UnitPruner | None = None
    ml_weight: float = 0.5
    section_weight: float = 0.5

    def scaled(self, factor: float) -> TextCompressor:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(
            self,
            keep_ratio=min(self.keep_ratio * factor, 0.9),
            line_keep_ratio=min(self.line_keep_ratio * factor, 0.9),
            min_keep_chars=round(self.min_keep_chars * factor),
        )

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The text with its least relevant units replaced by markers, or None when too short."""
        if len(text) < self.min_chars:
            return None
        by_line = self._by_line(text)
        units, lines = split_units(text, by_line=by_line)
        if len(units) < self.min_units:
            return None
        ml, note = self._ml_scores(text, units)
        scores, guided = self._scores(text, units, task, by_line, ml)
        # In a listing (one thing a line) the lines holding what the task names exactly are kept; prose competes.
        pinned = pinpointed([text[u.start : u.end] for u in units], task.query) if by_line else set()
        keep = self._select(units, scores, self.line_keep_ratio if by_line else self.keep_ratio, pinned)
        if all(keep):
            return None
        noun = "lines" if by_line else "sentences"
        rated = f"rated most informative by {self.pruner.name}" if ml is not None and self.pruner else ""
        if guided:
            criterion = f"headings and the {noun} most relevant to {describe(task)}{' and ' * bool(rated)}{rated} kept"
        else:
            criterion = f"headings, leading and {rated or 'most informative'} {noun} kept"
        if note:
            criterion += f" (ML pruner not used: {note})"
        out, pos = [], 0
        # One unit a line, so a term on most units is common (and not named) like a term on most lines.
        mentions = Mentions("\n".join(text[u.start : u.end].replace("\n", " ") for u in units), task.query)
        for first, last, kept in _runs(keep):
            out.append(text[pos : units[first].start])
            if kept:
                out.append(text[units[first].start : units[last].end])
            else:
                run = units[first : last + 1]
                mentioned = mentions.note((first, last + 1))  # not `note`: that one says why ML was not used
                out.append(self._marker(text, run, lines, ref, criterion, mentioned))
                criterion = ""
            pos = units[last].end
        out.append(text[pos:])
        if self.pruner is None:
            return "".join(out)
        return TextOutput("".join(out), "text+ml" if ml is not None else "text", note)

    def _ml_scores(self, text: str, units: list[Unit]) -> tuple[list[float] | None, str | None]:
        """The pruner's keep-probability per unit, or None and why the pruner was not used."""
        if self.pruner is None:
            return None, None
        try:
            return self.pruner.keep_scores(text, [(u.start, u.end) for u in units]), None
        except PrunerSkipped as e:
            return None, str(e) or "no reason given"

    def _by_line(self, text: str, sample: int = 200_000) -> bool:
        """Whether the text is not prose, judged on its first ``sample`` characters or so."""
        cut = text.find("\n\n", sample, 2 * sample)
        cut = text.find("\n", sample) if cut == -1 else cut
        head = text if cut == -1 else text[:cut]
        units, _ = split_units(head)
        return prose_share(head, units) < self.min_prose

    def _scores(
        self, text: str, units: list[Unit], task: TaskContext, by_line: bool, ml: list[float] | None = None
    ) -> tuple[list[float], bool]:
        """Final score per unit, and whether the task's terms guided it."""
        texts = [text[u.start : u.end] for u in units]
        rel = self.scorer.score(texts, task)
        top = max(rel, default=0.0)
        guided = top > 0
        rel = [r / top for r in rel] if guided else [0.0] * len(units)
        if ml is None:
            density = _density(texts)
            weight = self.density_weight if guided else 1.0
        else:  # the model's keep-probability stands for information density
            best = max(ml, default=0.0)
            density = [p / best if best > 0 else 0.0 for p in ml]
            weight = self.ml_weight if guided else 1.0
        if guided:  # units under a heading the question names ("what does `pyenv global` do")
            rel = [r + self.section_weight * s for r, s in zip(rel, _named_sections(texts, units, task), strict=True)]
        scores = []
        for i, u in enumerate(units):
            near = [rel[j] for j in (i - 1, i + 1) if 0 <= j < len(units) and units[j].block == u.block]
            lead = 1.0 if i == 0 or (by_line and i == len(units) - 1) else 0.0
            if not lead and units[i - 1].block != u.block:
                lead = 0.5
            scores.append(
                rel[i] + self.context_weight * max(near, default=0.0) + self.lead_bonus * lead + weight * density[i]
            )
        return scores, guided

    def _select(self, units: list[Unit], scores: list[float], ratio: float, pinned: set[int]) -> list[bool]:
        """Greedy by score under the budget, counting what each new omitted run's marker costs.

        Headings and the ``pinned`` units (those holding a rare term the task names) are kept beside it.
        """
        n = len(units)
        total = units[-1].end - units[0].start
        budget = max(min(self.min_keep_chars, self.max_keep * total), ratio * total)
        keep = [False] * n
        used = 2.0 * self.marker_chars  # everything omitted: one marker, the first saying why
        is_forced = [u.kind == "heading" or i in pinned for i, u in enumerate(units)]
        forced = [i for i in range(n) if is_forced[i]]
        ranked = sorted(range(n), key=lambda i: (-scores[i], i))
        for i in [*forced, *ranked]:
            if keep[i]:
                continue
            left = i > 0 and not keep[i - 1]
            right = i + 1 < n and not keep[i + 1]
            cost = units[i].end - units[i].start + self.marker_chars * (left + right - 1)
            if is_forced[i] or used + cost <= budget:
                keep[i] = True
                used += cost
        for first, last, kept in _runs(keep):  # a short run costs less kept than marked
            if not kept and units[last].end - units[first].start <= self.marker_chars:
                keep[first : last + 1] = [True] * (last - first + 1)
        return keep

    def _marker(self, text: str, run: Sequence[Unit], lines: Lines, ref: str, criterion: str, note: str) -> str:
        counts: Counter[str] = Counter()
        for u in run:  # a line unit may hold a wrapped continuation: count the lines themselves
            counts[u.kind] += text.count("\n", u.start, u.end) + 1 if u.kind == "line" else 1
        what = ", ".join(
            f"{n} {_NOUNS[k]}{'s' * (n != 1)}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        a, b = lines.number(run[0].start), lines.number(run[-1].end - 1)
        whole = (
            not text[lines.starts[a - 1] : run[0].start].strip() and not text[run[-1].end : lines.end(b - 1)].strip()
        )
        where = f"line {a}" if a == b else f"lines {a}-{b}"
        summary = f"{what} omitted" if whole else f"{what} omitted (part of {where})"  # whole: lines= says where
        if note:
            summary += f", {note}"
        if criterion:
            summary += f" — {criterion}"
        return format_marker(ref, summary, lines=(a, b) if whole else None)
