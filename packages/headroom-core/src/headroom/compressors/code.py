"""CodeCompressor: source code reduced to its outline, with the bodies the task needs kept verbatim.

Parsed with tree-sitter (pinned per-language grammar wheels). What stays: imports, signatures,
class/struct/interface/enum declarations and their fields, type annotations, decorators, the first
line of each docstring or long comment, short statements, and every body relevant to the task
(see `headroom.compressors._code_relevance`). Every other body becomes one marker line, written as
a comment of the language, that names the function and the original line range::

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        ...  # [headroom: body of parse_args omitted; headroom_retrieve ref=7f3a9c2e41d0b5a6 lines=120-180]

Lines are kept verbatim or left out, never rewritten, and the output is re-parsed: it must not
parse worse than the input. An unknown language, a file that does not parse, or an output that
would not parse falls back to the generic `LineCompressor`, never to an error.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._code_detect import candidates, parse_best
from headroom.compressors._code_langs import SPECS
from headroom.compressors._code_plan import Plan, Planner, Region, Thresholds, cost
from headroom.compressors._code_relevance import asked_identifiers, rare_identifiers, relevant_units, task_terms
from headroom.compressors._code_render import render, row_starts, still_parses
from headroom.compressors._terms import PHRASING, Mentions, found_terms, term_pattern, terms_of
from headroom.compressors.lines import LineCompressor
from headroom.markers import format_marker

if TYPE_CHECKING:
    from tree_sitter import Tree


@dataclass(frozen=True)
class CodeCompressor:
    """Outline of a source file: signatures and types kept, irrelevant bodies left out with markers.

    Attributes:
        name: the compressor's name in reports.
        min_lines: shorter code is left alone: an agent that reads a short file, or a window of
            one, asked for exactly those lines, and an outline of them saves little. (Text that
            does not parse goes to ``fallback`` whatever its length.)
        max_chars: longer texts go to ``fallback`` (parsing is linear but not free: ~3 MB/s).
        max_error_share: a parse whose ERROR nodes cover more of the text than this is a failure
            (the text goes to ``fallback``).
        relevance_budget: at most this fraction of the lines is spent on bodies kept because they
            are relevant to the task (the first relevant body is always kept).
        relevance_floor: ...but never fewer lines than this, so a few relevant functions always fit.
        limits: when a body, statement or comment is long enough to be worth a marker.
        fallback: the compressor for unknown languages and texts that do not parse.
    """

    name: str = "code"
    min_lines: int = 120  # measured on the dev agent trajectories: 120 loses no must_keep line, 80 gains little more
    max_chars: int = 4_000_000
    max_error_share: float = 0.02
    relevance_budget: float = 0.05  # only files over 1,600 lines reach it; the 80-line floor rules below
    relevance_floor: int = 80
    limits: Thresholds = field(default_factory=Thresholds)
    fallback: LineCompressor = field(default_factory=LineCompressor)

    def scaled(self, factor: float) -> CodeCompressor:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(
            self,
            relevance_budget=min(self.relevance_budget * factor, 0.9),
            relevance_floor=round(self.relevance_floor * factor),
            fallback=self.fallback.scaled(factor),
        )

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The outline of ``text`` with markers naming ``ref``, or None when nothing is worth leaving out."""
        if len(text) > self.max_chars:  # bundles and generated files: the line compressor is cheaper
            return self.fallback.compress(text, ref=ref, task=task, detection=detection)
        lines = text.split("\n")
        if len(lines) < min(self.min_lines, self.fallback.min_lines):
            return None  # too short for either path: no need to parse it
        source = text.encode("utf-8", "surrogatepass")
        names = candidates(text, hint=detection.language, tool_args=task.tool_args)
        parsed = parse_best(source, names, max_error_share=self.max_error_share)
        if parsed is None:  # not code after all, or not code we can parse
            return self.fallback.compress(text, ref=ref, task=task, detection=detection)
        if len(lines) < self.min_lines:
            return None
        lang, tree = parsed
        regions = self._regions(source, tree, lang, lines, ref, task)
        if not regions:
            return None
        starts = row_starts(source)
        mentions = Mentions(text, task.query)
        for chosen in (regions, [r for r in regions if r.kind == "body"]):
            outline = render(source, starts, chosen, ref, SPECS[lang], mentions)
            if chosen and still_parses(tree, source, starts, outline, lang):
                return outline.data.decode("utf-8", "surrogatepass")
        return self.fallback.compress(text, ref=ref, task=task, detection=detection)

    def _regions(
        self, source: bytes, tree: Tree, lang: str, lines: list[str], ref: str, task: TaskContext
    ) -> list[Region]:
        spec = SPECS[lang]
        sample = format_marker(ref, "body of a_function_name omitted", lines=(len(lines), len(lines)))
        marker_cost = cost(sample.encode()) + 8  # the hex ref is several tokens, not one word
        planner = Planner(source, tree, spec, self.limits, marker_cost)
        plan = planner.run()
        budget = max(int(self.relevance_budget * len(lines)), self.relevance_floor)
        rare = rare_identifiers(task.query, "\n".join(lines))
        keep = relevant_units(plan, source, task_terms(task.query, task.tool_args), budget, rare)
        regions = _resolve(plan, keep)
        if rare is not None:
            regions = [r for r in regions if not _mentions(r, lines, rare)]
        asked = asked_identifiers(task.query)
        if asked is not None:  # the doc comment of a declaration the question names stays whole
            regions = [r for r in regions if not _documents_asked(r, lines, asked, task.terms)]
        return _fold_docs(plan, regions, set(keep), lines, planner.worth)


def _mentions(region: Region, lines: list[str], rare: re.Pattern[str]) -> bool:
    """Whether a comment or docstring (its kept head included) names a rare identifier of the task."""
    if region.kind == "body":
        return False
    first = region.start if region.head is None else region.head
    last = region.end + (2 if region.inside else 1)
    return rare.search("\n".join(lines[first:last])) is not None


def _documents_asked(region: Region, lines: list[str], asked: re.Pattern[str], terms: frozenset[str]) -> bool:
    """Whether a comment is the doc of a declaration the question names and says more about what it
    asks: its first line and the declaration right below it name an identifier of the question
    (``// FieldsPerRecord is ...`` above ``FieldsPerRecord int``), and its hidden lines hold another
    term of the question ("negative")."""
    if region.kind not in ("comment", "docstring") or region.head is None or region.end + 1 >= len(lines):
        return False
    first = asked.search(lines[region.head])
    if first is None or not re.search(rf"(?<![\w$]){re.escape(first[0])}(?![\w$])", lines[region.end + 1]):
        return False
    other = term_pattern(terms - terms_of(first[0]) - PHRASING)
    return bool(found_terms(other, "\n".join(lines[region.start : region.end + 1])))


def _outer(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge nested or overlapping row spans."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _resolve(plan: Plan, keep: list[int]) -> list[Region]:
    """Regions to apply: nothing inside a kept unit; comments only outside functions' bodies."""
    whole = _outer([(u.start, u.end) for u in plan.units if not u.descended])
    kept = _outer([(plan.units[i].start, plan.units[i].end) for i in keep])
    chosen = []
    for region in plan.regions:
        if _inside(region, kept):
            continue
        if region.kind in ("comment", "docstring") and (_inside(region, whole) or _documents(region, plan, keep)):
            continue
        chosen.append(region)
    chosen.sort(key=lambda r: (r.start, -r.end))
    out: list[Region] = []
    for region in chosen:
        if out and region.start <= out[-1].end:
            continue  # nested in (or overlapping) a region already taken
        out.append(region)
    return out


_BETWEEN = re.compile(r"\s*(?:$|@|#\[|\*/|\[)")


def _documented(region: Region, lines: list[str], by_start: dict[int, int]) -> int | None:
    """The unit a comment documents: the next code below it (attributes and decorators between)."""
    for row in range(region.end + 1, min(region.end + 5, len(lines))):
        if row in by_start:
            return by_start[row]
        if not _BETWEEN.match(lines[row]):
            return None
    return None


def _documents(region: Region, plan: Plan, keep: list[int]) -> bool:
    """A comment right above a kept unit stays whole."""
    return any(0 < plan.units[i].start - region.end <= 4 for i in keep)


def _fold_docs(
    plan: Plan,
    regions: list[Region],
    keep: set[int],
    lines: list[str],
    worth: Callable[[list[tuple[int, int]]], bool],
) -> list[Region]:
    """One marker for a trimmed doc comment and the body of the function right below it.

    The rest of the comment is left out silently; the body's marker says so and its line range
    starts at the comment, so one retrieval brings both back. A comment or a body too short for
    a marker of its own is left out only when it can share one; other short comments stay.
    """
    by_start = {u.start: i for i, u in enumerate(plan.units) if not u.descended and i not in keep}
    out: list[Region] = []
    k = 0
    while k < len(regions):
        doc = regions[k]
        nxt = regions[k + 1] if k + 1 < len(regions) else None
        i = _documented(doc, lines, by_start) if doc.kind == "comment" else None
        body = None
        if i is not None:
            unit = plan.units[i]
            if nxt is not None and nxt.kind == "body" and nxt.unit == i:
                body, k = nxt, k + 1
            elif unit.small is not None and (nxt is None or nxt.start > unit.end):
                small = unit.small
                if worth([(doc.start, doc.end), (small.start, small.end)]):
                    body = small
        if body is not None:
            name = body.summary.removeprefix("body of ")
            out.append(replace(doc, silent=True))
            out.append(replace(body, summary=f"doc and body of {name}", marker_start=doc.start))
        elif not doc.weak:
            out.append(doc)
        k += 1
    return out


def _inside(region: Region, spans: list[tuple[int, int]]) -> bool:
    i = bisect.bisect_right(spans, (region.start, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= region.start and region.end <= spans[i][1]
