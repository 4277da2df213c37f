"""LogCompressor: build, test and application logs, cut down to what an investigation needs.

Lines are kept verbatim or left out, never rewritten. What survives, in the log's own order:

* structured failure reports, always: pytest ``E`` lines and failing-test headers, tracebacks and
  stack frames, compiler diagnostics with their source excerpts, test-run summaries;
* the first and last lines;
* then, within a budget (a share of the log's size), lines by value. A line's value grows with its
  severity (declared level, or alert words where the log declares none), the rarity of its template
  (masked numbers, ids, paths ...) and the task terms it holds, each term weighted by its own rarity
  in the log (a term on most lines carries no signal). Every further instance of a template is worth
  less than the one before, more slowly for errors and warnings, so a repeated error keeps several
  verbatim instances spread over the log (they differ in the ids and values an agent needs) while
  routine chatter keeps one example.

Omitted runs become markers naming their line range (``headroom_retrieve(ref, lines="a-b")`` brings
them back); a summary marker at the top says how much was left out and which templates repeat most.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._enumeration import SetQuestion
from headroom.compressors._log_blocks import continuations, error_details, failure_lines
from headroom.compressors._log_levels import severities
from headroom.compressors._log_render import fill_small_gaps, render
from headroom.compressors._log_score import line_values, record_heads, relevance
from headroom.compressors._log_templates import Templates, spread_order
from headroom.compressors._terms import Mentions, pinpointed


@dataclass(frozen=True)
class LogCompressor:
    """Keep failures, first/last lines and the most valuable lines of a log within a budget.

    Attributes:
        name: the compressor's name in reports.
        keep_ratio: share of the log's characters the budgeted lines may fill.
        max_chars: the budget never exceeds this many characters (about 25k tokens): past that, an
            excerpt stops being readable, and the rest is one retrieval away.
        min_lines: logs with fewer lines are left alone.
        head: lines always kept at the start.
        tail: lines always kept at the end.
        set_best: a set question's lines that hold its rarest terms (within 90 % of the best line's
            relevance) are kept before the even spread, when there are at most this many.
        failure_instances: at most this many instances of one failure-line template are always
            kept (the rest compete in the budget like other lines).
        failure_share: when the failure lines are more than this share of the log (a compiler run
            where every line is an error), only those matching the task are always kept.
        gap_chars: an omitted run shorter than this is kept verbatim (a marker would cost more).
        alert_share: share of the budget reserved for errors and warnings (lines of severity 2+).
        min_value: lines below errors and warnings worth less than this are never kept for the
            budget's sake (the fourth instance of a routine line, say).
        big_gap: omitted runs of at least this many lines get a marker of their own; shorter ones
            between kept lines share one marker per stretch.
        set_max_chars: a question asking for a set ("which packages were installed", "list each
            warning") keeps every line of the templates it points at, up to this many characters...
        set_share: ...and this share of the log's, beyond the budget.
    """

    name: str = "logs"
    keep_ratio: float = 0.22
    max_chars: int = 100_000
    min_lines: int = 30
    head: int = 3
    tail: int = 3
    set_best: int = 40
    failure_instances: int = 25
    failure_share: float = 0.5
    gap_chars: int = 120
    alert_share: float = 0.85
    big_gap: int = 24
    min_value: float = 0.5
    set_max_chars: int = 24_000
    set_share: float = 0.2

    def scaled(self, factor: float) -> LogCompressor:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(
            self,
            keep_ratio=min(self.keep_ratio * factor, 0.9),
            max_chars=round(self.max_chars * factor),
            set_share=min(self.set_share * factor, 0.9),
            set_max_chars=round(self.set_max_chars * factor),
        )

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """Compressed log with line-range markers, or None when the log is short."""
        lines = text.split("\n")
        if sum(1 for line in lines if line.strip()) < self.min_lines:
            return None
        templates = Templates.mine(lines)
        asked = SetQuestion.of(task.query)
        keep, shown = self._select(text, lines, templates, task.terms, asked, pinpointed(lines, task.query))
        keep = fill_small_gaps(lines, keep, self.gap_chars)
        if len(keep) >= len(lines):
            return None
        mentions = Mentions(text, task.query)
        return render(lines, keep, templates, ref, big_gap=self.big_gap, mentions=mentions, note=shown)

    def _select(
        self,
        text: str,
        lines: list[str],
        templates: Templates,
        terms: frozenset[str],
        asked: SetQuestion | None,
        pinned: set[int],
    ) -> tuple[set[int], str]:
        """The lines to keep, and what the marker must say about a set question's lines.

        The ``pinned`` lines (holding a rare term the task names) are kept first and count against the budget.
        """
        n = len(lines)
        keep = set(range(min(self.head, n))) | set(range(max(n - self.tail, 0), n)) | pinned
        rel = relevance(text, terms)
        failures = self._failures(lines, templates)
        if sum(len(lines[i]) + 1 for i in failures) <= self.failure_share * len(text):
            keep |= failures
        else:  # a log made of failures: those the task names stay, the rest compete as alerts
            keep |= {i for i in failures if rel[i] > 0}
        heads = record_heads(continuations(lines))
        # Lines of one template share their level and alert words: judge one line per template.
        by_template = severities([lines[m[0]] for m in templates.members])
        own = [by_template[t] if t >= 0 else 0.0 for t in templates.of_line]
        sev = [max(own[i], own[h]) for i, h in enumerate(heads)]  # details share their record's level
        values = line_values(templates, sev, rel, heads)
        # Lines worth less than `min_value` only ever compete as alerts: leave the rest out of the sort.
        candidates = (i for i in range(n) if values[i] >= self.min_value or (sev[i] >= 2 and values[i] > 0))
        ranked = sorted(candidates, key=lambda i: (-values[i], i))
        budget = min(self.keep_ratio * len(text), self.max_chars)
        # Alerts first, within most of the budget: where they are few, every one of them fits.
        _fill(keep, [i for i in ranked if sev[i] >= 2], lines, self.alert_share * budget)
        if asked is not None:  # the set the question asks for, rather than other lines worth one
            rel = relevance(text, asked.terms)
            return keep, self._set_lines(keep, lines, templates, by_template, rel, asked, budget)
        # Then anything worth a line; routine repeats below `min_value` never are.
        _fill(keep, [i for i in ranked if sev[i] >= 2 or values[i] >= self.min_value], lines, budget)
        return keep, ""

    def _set_lines(
        self,
        keep: set[int],
        lines: list[str],
        templates: Templates,
        by_template: list[float],
        rel: list[float],
        asked: SetQuestion,
        budget: float,
    ) -> str:
        """Keep every line of the templates a set question points at, up to ``budget`` and the set's
        own room (past it, an even spread); returns the marker's note when some had to be left out."""
        wanted = {templates.of_line[i] for i, r in enumerate(rel) if r > 0 and templates.of_line[i] >= 0}
        if asked.min_severity is not None:
            severe = {t for t, sev in enumerate(by_template) if sev >= asked.min_severity}
            # "every attr-defined error": when the lines the terms point at are all of the named
            # severity, they are the set; otherwise the question means every line of that severity.
            wanted = wanted if wanted and wanted <= severe else wanted | severe
        members = sorted(i for t in wanted for i in templates.members[t])
        if not members:
            return ""
        order = [members[k] for k in spread_order(len(members))]  # past the room: evenly over the log
        top = max((rel[i] for i in members), default=0.0)
        best = [i for i in members if top > 0 and rel[i] >= 0.9 * top]
        if len(best) <= self.set_best:  # the few lines holding the question's rarest terms come first
            order = best + [i for i in order if i not in set(best)]
        before = len(keep)
        room = min(self.set_max_chars, self.set_share * sum(len(x) + 1 for x in lines))
        _fill(keep, order, lines, budget + room)
        shown = sum(1 for i in members if i in keep)
        if shown == len(members) or (len(keep) == before and shown == 0):
            return ""
        return f"the question asks for a set: {shown} of its {len(members)} lines kept"

    def _failures(self, lines: list[str], templates: Templates) -> set[int]:
        found = failure_lines(lines)
        details = error_details(lines, found)
        by_template: dict[int, list[int]] = {}
        for i in sorted(found):
            by_template.setdefault(templates.of_line[i], []).append(i)
        keep: set[int] = set()
        for members in by_template.values():
            order = spread_order(len(members))[: self.failure_instances]
            for k in order:
                i = members[k]
                keep.update(range(max(i - found[i], 0), i + 1 + details.get(i, 0)))
        return keep


def _fill(keep: set[int], order: list[int], lines: list[str], budget: float) -> None:
    used = sum(len(lines[i]) + 1 for i in keep)
    for i in order:
        if used >= budget:
            return
        if i not in keep:
            keep.add(i)
            used += len(lines[i]) + 1
