"""SearchCompressor: grep / ripgrep results, ranked by relevance to the task and grouped by file.

Lines are kept verbatim or left out, never rewritten, and stay in the tool's own order (grouped by
file, as grep and rg print them). Which matches survive is decided by rank:

1. definitions of the searched name (``def NAME``, ``class NAME``, ``func (r *T) NAME(``,
   ``fn NAME``, ``type NAME struct``, ``NAME = ...``, ``public Foo NAME(`` ...), always;
2. imports and exports of it;
3. the rest by the task terms they share (each weighted by its rarity among the matches), with path
   signals: the file named after the searched name, source over docs, tests, vendored or generated
   files — and the first match of each file, so the spread of usage stays visible.

The searched name comes from the grep/rg pattern in the tool arguments, or from `backticked`
names in the query. Each file that lost lines gets a marker saying how many of its matches were left
out; consecutive files left out entirely share one marker that lists them with their match counts.
Every marker carries the line range it stands for.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._search_defs import defines, language_of, signature_shaped
from headroom.compressors._search_parse import Hit, looks_like_search, parse, searched_names
from headroom.compressors._terms import Mentions, TermPattern, found_terms, term_pattern
from headroom.compressors.logs import LogCompressor
from headroom.markers import format_marker

_TEST_PATH = re.compile(r"(?:^|/)(?:tests?|__tests__|specs?|testing|testdata)/|_test\.|\.test\.|\.spec\.|(?:^|/)test_")
_VENDOR_PATH = re.compile(
    r"(?:^|/)(?:node_modules|vendor|third_party|dist|build|target|\.venv|site-packages)/|\.min\.\w+$|\.lock$|-lock\."
)
_DOC_PATH = re.compile(r"\.(?:md|rst|txt|adoc|html?)$|(?:^|/)docs?/|(?:^|/)(?:CHANGE|HISTORY|NEWS|README)", re.I)
_DEF_KEYWORDS = (
    r"def|class|func|function|fn|struct|enum|trait|interface|@interface|type|module|mod|impl|namespace|record"
    r"|object|typedef|union|protocol|extension|macro_rules!|define"
)
# A definition is judged around each occurrence of the name: what precedes it, what follows it.
_KEYWORD_BEFORE = re.compile(rf"(?<![\w$])(?:{_DEF_KEYWORDS})\s+(?:\*\s*)?\Z")  # def NAME, class NAME
_BINDING_BEFORE = re.compile(r"(?<![\w$])(?:let|var|val|const|static)\s+(?:mut\s+)?\Z")  # let mut NAME
_BINDING_AFTER = re.compile(r"\s*(?:[:=;,(<]|$)|\s+[\w.*\[\]]+\s*(?:=|$)")  # ... = / : T / Go's "var NAME T"
_GO_METHOD_BEFORE = re.compile(r"\bfunc\s*\([^)]*\)\s*\Z")  # func (c *Command) NAME(
_MODIFIER_BEFORE = re.compile(  # Java/C#/Kotlin methods and constructors: public Foo NAME(
    r"\b(?:public|private|protected|internal|override|virtual|abstract|final|static)\s+(?:[\w<>\[\],.?]+\s+)*\Z"
)
_MODIFIER_AFTER = re.compile(r"\s*[(<]")
_LINE_START_BEFORE = re.compile(r"\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:static\s+)?(?:[gs]et\s+)?\Z")
_LINE_START_AFTER = re.compile(  # NAME = ..., NAME: T = ..., NAME(args) {, NAME: function
    r"\s*(?::[^=\n]{0,80})?=(?![=>])|\s*\([^)]*\)\s*\{|\s*:\s*(?:function\b|\(|async\b)"
)
_IMPORT_START = re.compile(r"\s*(?:import|from|export|use|using|require|include|#\s*include|extern crate)\b")
_WINDOW = 160  # characters before a name occurrence that can hold its definition keywords


def _name_re(names: list[str]) -> re.Pattern[str]:
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w$])(?:{alt})(?![\w$])")


def _is_definition(text: str, name: re.Pattern[str]) -> bool:
    for m in name.finditer(text):
        start = m.start()
        before = text[max(0, start - _WINDOW) : start]
        if _KEYWORD_BEFORE.search(before) or _GO_METHOD_BEFORE.search(before):
            return True
        if _BINDING_BEFORE.search(before) and _BINDING_AFTER.match(text, m.end()):
            return True
        if _MODIFIER_BEFORE.search(before) and _MODIFIER_AFTER.match(text, m.end()):
            return True
        if _LINE_START_BEFORE.match(text, 0, start) and _LINE_START_AFTER.match(text, m.end()):
            return True
    return False


@dataclass(frozen=True)
class SearchCompressor:
    """Keep definitions and the most relevant matches of grep/rg output; say per file what was left out.

    Attributes:
        name: the compressor's name in reports.
        keep_ratio: share of the output's characters the ranked matches may fill, on top of the
            definitions.
        definition_ratio: share of the output's characters that definitions beyond the first of
            each file may fill.
        min_lines: outputs with fewer lines are left alone.
        max_definitions: one definition line per file is always kept, for at most this many files.
        list_files: a marker for files left out whole names at most this many of them, with their
            match counts; a longer run of such files gets several markers.
        context_lines: context lines (``-A``/``-B``/``-C``) kept on each side of a kept match, at
            most; they were asked for, so they come with their match.
        gap_chars: omitted lines of one file (or a run of files) shorter than this are kept verbatim,
            as a marker would cost more.
    """

    name: str = "search"
    keep_ratio: float = 0.15
    definition_ratio: float = 0.4
    min_lines: int = 25
    max_definitions: int = 40
    list_files: int = 16
    gap_chars: int = 100
    context_lines: int = 10

    def scaled(self, factor: float) -> SearchCompressor:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(
            self,
            keep_ratio=min(self.keep_ratio * factor, 0.9),
            definition_ratio=min(self.definition_ratio * factor, 0.9),
        )

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """Compressed search output with per-file markers, or None when it is short."""
        lines = text.split("\n")
        if len(lines) < self.min_lines:
            return None
        hits = parse(lines)
        if not looks_like_search(hits):
            # Not really search output (a log with timestamps, say): a line-based log cut does better.
            return LogCompressor().compress(text, ref=ref, task=task, detection=detection)
        names = searched_names(task.query, task.tool_args)
        also = [n for n in _CODE_NAME.findall(task.query) if n not in names]
        keep = self._select(lines, hits, names, task.terms, also)
        if len(keep) >= len(lines):
            return None
        return _render(lines, hits, keep, ref, self.list_files, Mentions(text, task.query))

    def _select(
        self, lines: list[str], hits: list[Hit], names: list[str], terms: frozenset[str], also: list[str]
    ) -> set[int]:
        matches = [i for i, h in enumerate(hits) if h.kind == "match"]
        named = _named_paths({hits[i].path for i in matches}, term_pattern(terms), {n.lower() for n in names})
        scores = _scores(hits, matches, names, terms, named)
        if also:  # a definition of another name the question asks about ("where is EWOULDBLOCK defined")
            other = _name_re(also)
            for i in matches:
                if _is_definition(hits[i].text, other):
                    scores[i] = max(scores[i], _DEFINITION * 0.6)
        ranked = sorted(matches, key=lambda i: (-scores[i], i))
        # One definition per file is always kept (so every defining file shows), best files first.
        keep: set[int] = set()
        files: set[str] = set()
        for i in ranked:
            if scores[i] < _DEFINITION / 2 or len(files) >= self.max_definitions:
                break
            if hits[i].path not in files:
                files.add(hits[i].path)
                keep.add(i)
        # So is the best match of each file the task names ("where does the README say ..."), and in
        # such a file the best match of each rare term of the task ("... document X_SKIP_CHECKSUM").
        for path in sorted(named):
            keep.add(next(i for i in ranked if hits[i].path == path))
        keep.update(_covering(ranked, hits, named, terms, names))
        size = len("\n".join(lines))
        defs = [i for i in ranked if scores[i] >= _DEFINITION / 2]
        used = _fill(keep, defs, lines, hits, self.definition_ratio * size, marker_chars=0)
        _fill(keep, ranked, lines, hits, self.keep_ratio * size + used, marker_chars=_MARKER_CHARS)
        keep.update(_context_of(hits, keep, self.context_lines))
        keep.update(_headers_of(hits, keep))
        return _fill_small_gaps(lines, hits, keep, self.gap_chars)


# Identifiers a question names beside the searched one: UPPER_CASE, snake_case, camelCase, dotted.
_CODE_NAME = re.compile(
    r"(?<![\w$.])(?:[A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z][A-Z0-9]{3,}|[a-z]+(?:_[a-z0-9]+)+|[a-z]+[A-Z]\w*)(?![\w$])"
)


def _covering(ranked: list[int], hits: list[Hit], named: set[str], terms: frozenset[str], names: list[str]) -> set[int]:
    """In each file the task names, the best-ranked match holding each task term that few matches hold."""
    if not named:
        return set()
    pattern = term_pattern(terms - {n.lower() for n in names})
    found = {i: found_terms(pattern, hits[i].text) for i in ranked}
    df: Counter[str] = Counter(t for ts in found.values() for t in ts)
    rare = {t for t, c in df.items() if c <= max(3, len(ranked) // 5)}
    out: set[int] = set()
    for path in named:
        seen: set[str] = set()
        for i in ranked:
            if hits[i].path == path and found[i] & rare - seen:
                out.add(i)
                seen |= found[i]
    return out


_DEFINITION = 100.0
_MARKER_CHARS = 90  # about what a per-file marker costs
_IMPORT = 1.0  # an import says a file uses the name; the markers name those files anyway


def _scores(
    hits: list[Hit], matches: list[int], names: list[str], terms: frozenset[str], named: set[str]
) -> dict[int, float]:
    """Relevance of every match line (definitions score over half of `_DEFINITION`, the rest under 10)."""
    name = _name_re(names) if names else None
    lowered = {n.lower() for n in names}
    pattern = term_pattern(terms)
    words = {i: found_terms(pattern, hits[i].text) for i in matches}
    df: Counter[str] = Counter(w for ws in words.values() for w in ws)
    total = max(len(matches), 2)
    weight = {
        t: (0.0 if t in lowered or c > total / 2 else math.log(total / c) / math.log(total)) for t, c in df.items()
    }
    path_scores: dict[str, float] = {}
    scores: dict[int, float] = {}
    for i in matches:
        hit = hits[i]
        if hit.path not in path_scores:
            path_scores[hit.path] = _path_score(hit.path, names) + _NAMED_PATH * (hit.path in named)
        score = path_scores[hit.path] + min(3.0, sum(weight[w] for w in sorted(words[i])))  # sorted: stable sum
        if name is not None and name.search(hit.text):
            if _is_definition(hit.text, name) or _parses_as_definition(hit, name):
                # a full signature tells more than a bare "def NAME(" continued on the next line
                score += _DEFINITION + min(1.0, len(hit.text.strip()) / 100)
            elif _IMPORT_START.match(hit.text):
                score += _IMPORT
        scores[i] = score
    return scores


_NAMED_PATH = 2.0  # a file the task names (its README, a directory) outweighs the doc/test discount


def _named_paths(paths: set[str], pattern: TermPattern | None, searched: set[str]) -> set[str]:
    """The paths holding a task term that few of the paths hold ("where does the README say")."""
    if pattern is None or len(paths) < 2:
        return set()
    found = {p: found_terms(pattern, p) - searched for p in paths}
    df: Counter[str] = Counter(t for terms in found.values() for t in terms)
    rare = {t for t, c in df.items() if c <= len(paths) / 2}
    return {p for p, terms in found.items() if terms & rare}


def _parses_as_definition(hit: Hit, name: re.Pattern[str]) -> bool:
    """A definition form the regular expressions do not know, judged by the file language's grammar."""
    lang = language_of(hit.path)
    if lang is None:
        return False
    names = {m[0] for m in name.finditer(hit.text)}
    return any(signature_shaped(hit.text, n) and defines(hit.text, n, lang) for n in sorted(names))


def _path_score(path: str, names: list[str]) -> float:
    if not path:
        return 0.0
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    score = 1.5 if stem in names else 0.0
    if _VENDOR_PATH.search(path):
        score -= 2.0
    elif _TEST_PATH.search(path) or _DOC_PATH.search(path):
        score -= 1.0
    else:
        score += 0.5
    return score


def _context_of(hits: list[Hit], keep: set[int], limit: int) -> set[int]:
    """The context lines next to each kept match (up to ``limit`` on each side)."""
    out: set[int] = set()
    for i in sorted(keep):
        if hits[i].kind != "match":
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(hits) and abs(j - i) <= limit and hits[j].kind == "context":
                if hits[j].path != hits[i].path:
                    break
                out.add(j)
                j += step
    return out


def _headers_of(hits: list[Hit], keep: set[int]) -> set[int]:
    """``--heading`` file lines of the files that keep any line, so kept lines stay attributable."""
    paths = {hits[i].path for i in keep}
    return {i for i, h in enumerate(hits) if h.kind == "header" and h.path in paths}


def _fill(
    keep: set[int], order: list[int], lines: list[str], hits: list[Hit], budget: float, *, marker_chars: int
) -> int:
    """Add lines of ``order`` to ``keep`` until the characters used reach ``budget``; the new total.

    The first line kept from a file also pays ``marker_chars`` for the marker its file will need.
    """
    opened = {hits[i].path for i in keep}
    used = sum(len(lines[i]) + 1 for i in keep) + marker_chars * len(opened)
    for i in order:
        if used >= budget:
            break
        if i not in keep:
            keep.add(i)
            used += len(lines[i]) + 1
            if hits[i].path not in opened:
                opened.add(hits[i].path)
                used += marker_chars
    return used


def _fill_small_gaps(lines: list[str], hits: list[Hit], keep: set[int], gap_chars: int) -> set[int]:
    """Keep what a marker would replace when the marker costs more than the lines themselves."""
    out = set(keep)
    dropped: list[int] = []
    for start, end, _ in [*_blocks(hits), (len(hits), len(hits), "")]:
        left = [i for i in range(start, end) if i not in keep]
        if len(left) == end - start:  # whole file left out: it may join a run of such files
            dropped += left
            continue
        if dropped and sum(len(lines[i]) + 1 for i in dropped) <= gap_chars:
            out.update(dropped)
        dropped = []
        if left and sum(len(lines[i]) + 1 for i in left) <= gap_chars:
            out.update(left)
    return out


def _blocks(hits: list[Hit]) -> list[tuple[int, int, str]]:
    """Runs of consecutive lines of one file: (start, end exclusive, path)."""
    out: list[tuple[int, int, str]] = []
    start = 0
    for i in range(1, len(hits) + 1):
        if i == len(hits) or (hits[i].kind in ("match", "context", "header") and hits[i].path != hits[start].path):
            out.append((start, i, hits[start].path))
            start = i
    return out


def _render(lines: list[str], hits: list[Hit], keep: set[int], ref: str, list_files: int, mentions: Mentions) -> str:
    out: list[str] = []
    dropped: list[tuple[int, int, str]] = []  # whole files left out, waiting for their shared marker
    for start, end, path in _blocks(hits):
        kept = [i for i in range(start, end) if i in keep]
        if not kept:
            dropped.append((start, end, path))
            continue
        out += _dropped_marker(dropped, hits, ref, list_files, mentions)
        dropped = []
        out += [lines[i] for i in kept]
        left = sum(1 for i in range(start, end) if i not in keep and hits[i].kind == "match")
        if left or any(hits[i].kind == "context" for i in range(start, end) if i not in keep):
            total = sum(1 for i in range(start, end) if hits[i].kind == "match")
            summary = f"{left} of {total} matches omitted"  # the file's kept lines above name it"
            note = mentions.note(*((i, i + 1) for i in range(start, end) if i not in keep))
            out.append(format_marker(ref, f"{summary} — {note}" if note else summary, lines=(start + 1, end)))
    out += _dropped_marker(dropped, hits, ref, list_files, mentions)
    return "\n".join(out)


def _dropped_marker(
    dropped: list[tuple[int, int, str]], hits: list[Hit], ref: str, list_files: int, mentions: Mentions
) -> list[str]:
    """Markers for a run of files left out whole, naming each file with its match count."""
    out = []
    for k in range(0, len(dropped), list_files):
        group = dropped[k : k + list_files]
        counts = [(path, sum(1 for i in range(s, e) if hits[i].kind == "match")) for s, e, path in group]
        total = sum(c for _, c in counts)
        files = [(p, c) for p, c in counts if p]
        named = ", ".join(f"{p} ({c})" for p, c in files)
        noun = "file" if len(files) == 1 else "files"
        if files:
            summary = f"{total} matches in {len(files)} {noun} omitted: {named}"
        else:  # lines around the results (a command's banner, a summary): no file to name
            summary = f"{group[-1][1] - group[0][0]} lines omitted"
        note = mentions.note(*((start, end) for start, end, _ in group))
        summary = f"{summary} — {note}" if note else summary
        out.append(format_marker(ref, summary, lines=(group[0][0] + 1, group[-1][1])))
    return out
