"""DiffCompressor: unified diffs, ``git show --stat -p`` and ``git log -p``, trimmed to what matters.

What survives, verbatim: commit headers and messages, the ``--stat`` block, every file header
(``diff --git``, mode and rename lines, ``---``/``+++``), every ``@@`` hunk header, and every changed
(``+``/``-``) line of the files that matter, with ``context`` unchanged lines around each change.

What is left out, each run behind one marker naming its original line range:

* longer runs of unchanged context lines;
* the hunks of low-value files — lock files, generated, vendored and minified files, binary patches,
  huge test fixtures — unless the task names the file;
* in a large diff where the task points at particular files (by path, file name, or a symbol that
  the hunks touch), the hunks of the other files that change more than a few lines;
* in a large diff where it points at none, the hunks of test files that change more than a few
  lines (the source changes stay in full);
* ``index <hash>..<hash>`` lines (announced once, in the marker at the top);
* in the body of a file the diff adds whole, what the code compressor leaves out of that file
  (function bodies the task does not name, the tails of long comments).

Lines are never rewritten, so every kept ``@@`` header still reads as it did in the original.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._diff_added import Outline, added_file, outline
from headroom.compressors._diff_parse import FileDiff, parse_diff
from headroom.compressors._terms import Mentions
from headroom.compressors.code import CodeCompressor
from headroom.compressors.search import _is_definition, _name_re
from headroom.markers import format_marker

_LOCK = re.compile(
    r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|"
    r"poetry\.lock|Pipfile\.lock|uv\.lock|pdm\.lock|Gemfile\.lock|composer\.lock|go\.sum|mix\.lock|"
    r"pubspec\.lock|Podfile\.lock|packages\.lock\.json|flake\.lock|gradle\.lockfile|[\w.-]+\.lock)$"
)
_GENERATED = re.compile(
    r"(?:\.min\.(?:js|mjs|css)|\.bundle\.js|\.js\.map|\.css\.map|_pb2(?:_grpc)?\.pyi?|\.pb\.(?:go|cc|h)|"
    r"\.g\.dart|\.generated\.\w+|\.designer\.cs|\.snap|\.pbxproj)$"
    r"|(?:^|/)(?:dist|__generated__|__snapshots__|generated)/"
)
_VENDORED = re.compile(r"(?:^|/)(?:vendor|vendored|third_party|third-party|node_modules|bower_components|Pods)/")
_FIXTURE = re.compile(r"(?:^|/)(?:fixtures?|testdata|test-data|__fixtures__|test-pages|golden|snapshots)/")
_SYMBOL = re.compile(r"`([^`\s]{3,})`|\b([A-Za-z_][\w.]*(?:_[\w.]*|[a-z][A-Z][\w.]*))\b|\b([A-Za-z_]\w{2,})\(")
_WORD = re.compile(r"[A-Za-z_][\w]*")
_TEST = re.compile(r"(?:^|/)(?:tests?|spec|__tests__)/|(?:^|/)test_[^/]*$|_test\.\w+$|\.(?:test|spec)\.\w+$")


@dataclass(frozen=True)
class DiffCompressor:
    """Keep headers and every changed line that matters; leave out context and low-value files.

    Attributes:
        name: the compressor's name in reports.
        context: unchanged lines kept on each side of a change.
        min_omit_chars: a run of unchanged lines is left out only if it is at least this long (a
            marker costs about as much as a line or two).
        large_diff: changed lines above which files unrelated to the task are collapsed.
        small_file: an unrelated file changing at most this many lines stays in full.
        fixture_lines: a test fixture changing more lines than this counts as low value.
        minified_width: a file whose changed lines average more characters than this is minified.
        min_saving: below this fraction of the input (and 2000 characters), the diff is left alone.
        budget: changed lines kept at most; beyond it, test files and then the largest files that
            the task does not point at collapse too.
        code: outlines the body of each file the diff adds whole (`_diff_added`).
    """

    name: str = "diff"
    context: int = 1
    min_omit_chars: int = 160
    large_diff: int = 150
    small_file: int = 8
    fixture_lines: int = 200
    minified_width: int = 300
    min_saving: float = 0.05
    budget: int = 2000
    code: CodeCompressor = field(default_factory=CodeCompressor)

    def scaled(self, factor: float) -> DiffCompressor:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(
            self,
            context=max(self.context + (factor > 1) - (factor < 1), 0),  # one line more or less
            large_diff=round(self.large_diff * factor),
            small_file=round(self.small_file * factor),
            budget=round(self.budget * factor),
            code=self.code.scaled(factor),
        )

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The trimmed diff with markers, or None when there is no diff structure or nothing to leave out."""
        lines = text.split("\n")
        files = parse_diff(lines)
        if not files:
            return None
        decisions = self._decide(lines, files, task)
        plan = _Plan(len(lines))
        named = _named_files(files, _task_text(task))  # "what exactly changed in x.go": all of it
        for k, f in enumerate(files):
            reason = decisions.get(f.start)
            if reason:
                plan.collapse(f, reason)
                continue
            plan.trim(lines, f, self.context, self.min_omit_chars)
            body = added_file(f, lines) if k not in named else None
            shape = outline(body, lines, f.path, self.code, task) if body else None
            if shape is not None:  # a new file's body, outlined like any source file
                plan.outline(shape)
        out = plan.render(lines, ref, files, Mentions(text, task.query))
        if out is None or len(text) - len(out) < min(self.min_saving * len(text), 2000):
            return None  # the markers would cost about what they save
        return out

    def _decide(self, lines: list[str], files: list[FileDiff], task: TaskContext) -> dict[int, str]:
        """For each file to collapse, its start line -> the reason; files not listed stay in full."""
        focus = _focus(lines, files, task)
        total = sum(f.added + f.removed for f in files)
        # A diff of vendored files only (two versions of an installed package) is what the task is about.
        vendored = not all(_VENDORED.search(f.path or f.old_path) for f in files if f.hunks)
        out: dict[int, str] = {}
        for k, f in enumerate(files):
            if k in focus:
                continue
            reason = self._low_value(lines, f, vendored=vendored)
            if not reason and focus and total > self.large_diff and f.added + f.removed > self.small_file:
                reason = "not named in the task"
            if reason and (f.hunks or f.binary_patch):
                out[f.start] = reason
        if not focus and total > self.large_diff:
            self._tests_after_source(files, out)
        self._fit_budget(files, focus, out)
        return out

    def _tests_after_source(self, files: list[FileDiff], out: dict[int, str]) -> None:
        """In a large diff the task points nowhere in, collapse the test files that change more than a few lines.

        The source changes say what the commit does; its tests stay one retrieve away. A diff of
        tests alone is left as it is.
        """
        kept = [f for f in files if f.start not in out and f.hunks]
        if not any(not _TEST.search(f.path or f.old_path) for f in kept):
            return
        for f in kept:
            if _TEST.search(f.path or f.old_path) and f.added + f.removed > self.small_file:
                out[f.start] = "test file (the task names no file; source changes kept)"

    def _fit_budget(self, files: list[FileDiff], focus: set[int], out: dict[int, str]) -> None:
        """In a huge diff, collapse more files (tests first, then the largest) until ``budget`` fits.

        Files the task points at are never collapsed.
        """
        kept = [(k, f) for k, f in enumerate(files) if f.start not in out]
        total = sum(f.added + f.removed for _, f in kept)
        if total <= self.budget:
            return
        order = sorted(
            (k for k, _ in kept if k not in focus),
            key=lambda k: (not _TEST.search(files[k].path), -(files[k].added + files[k].removed), k),
        )
        for k in order:
            if total <= self.budget:
                break
            f = files[k]
            out[f.start] = "over the diff budget" if not _TEST.search(f.path) else "test file, over the diff budget"
            total -= f.added + f.removed

    def _low_value(self, lines: list[str], f: FileDiff, *, vendored: bool = True) -> str | None:
        path = f.path or f.old_path
        if f.binary_patch:
            return "binary patch"
        if _LOCK.search(path):
            return "lock file"
        if vendored and _VENDORED.search(path):
            return "vendored file"
        if _GENERATED.search(path):
            return "generated file"
        changed = [k for h in f.hunks for k in h.changed]
        if changed and sum(len(lines[k]) for k in changed) > self.minified_width * len(changed):
            return "minified or generated content"
        if _FIXTURE.search(path) and len(changed) > self.fixture_lines:
            return "large test fixture"
        return None


def _task_text(task: TaskContext) -> str:
    args = json.dumps(task.tool_args, ensure_ascii=False, default=str) if task.tool_args else ""
    return f"{task.query} {args}"


def _named_files(files: list[FileDiff], raw: str) -> set[int]:
    """Indices of the files the task names: by path, else by file name."""
    low = raw.lower()
    by_path = {k for k, f in enumerate(files) if f.path and f.path.lower() in low}
    if by_path:
        return by_path
    words = {w.lower() for w in re.findall(r"[\w.-]+", raw)}
    return {k for k, f in enumerate(files) if len(name := f.path.rsplit("/", 1)[-1]) >= 4 and name.lower() in words}


def _focus(lines: list[str], files: list[FileDiff], task: TaskContext) -> set[int]:
    """Indices of the files the task points at: by path or file name (with the files that define a
    code-shaped name the question asks about), else by symbol."""
    raw = _task_text(task)
    named = _named_files(files, raw)
    if named:  # and the files that change a long code-shaped name the question asks about
        asked = sorted({m[2] for m in _SYMBOL.finditer(task.query) if m[2] and len(m[2]) >= 8})
        return named | ({k for k, f in enumerate(files) if _defines(lines, f, asked)} if asked else set())
    symbols = {s for m in _SYMBOL.finditer(raw) for s in m.groups() if s}
    symbols = {s.rsplit(".", 1)[-1] for s in symbols} | symbols
    if not symbols:
        return set()
    return {k for k, f in enumerate(files) if _touches(lines, f, symbols)}


def _defines(lines: list[str], f: FileDiff, names: list[str]) -> bool:
    """Whether an added line of ``f`` defines one of ``names`` (``+const findIndex = (...) =>``)."""
    pattern = _name_re(names)
    return any(lines[k].startswith("+") and _is_definition(lines[k][1:], pattern) for h in f.hunks for k in h.changed)


def _touches(lines: list[str], f: FileDiff, symbols: set[str]) -> bool:
    for h in f.hunks:
        if symbols & set(_WORD.findall(h.section)):
            return True
        for k in h.changed:
            if symbols & set(_WORD.findall(lines[k])):
                return True
    return False


class _Plan:
    """Which lines of the original are kept, and the summaries of the omitted runs."""

    def __init__(self, n: int) -> None:
        self.keep = [True] * n
        self.silent: set[int] = set()  # dropped without a marker of their own (index lines)
        self.summary: dict[int, str] = {}  # first line of an omitted run -> what the run is
        self.context_omitted = 0
        self.collapsed: list[str] = []
        self.outlined = 0  # added files whose bodies were outlined like code

    def outline(self, shape: Outline) -> None:
        """Leave out the lines of an added file that its code outline leaves out."""
        for k in shape.omitted:
            self.keep[k] = False
        self.summary.update(shape.summaries)
        self.outlined += 1

    def collapse(self, f: FileDiff, reason: str) -> None:
        """Keep the file's first header line; leave out the rest as one run."""
        first = f.start + 1
        if first >= f.end:
            return
        for k in range(first, f.end):
            self.keep[k] = False
        name = f.path or f.old_path or "file"
        hunks = f"{len(f.hunks)} hunk{'s' if len(f.hunks) != 1 else ''}"
        what = f"{hunks} (+{f.added} −{f.removed} lines) omitted" if f.hunks else "patch data omitted"
        self.summary[first] = f"{name}: {reason} — {what}"
        self.collapsed.append(name)

    def trim(self, lines: list[str], f: FileDiff, context: int, min_chars: int) -> None:
        """Drop index lines; keep changed lines with ``context`` lines around; omit longer context runs."""
        self.silent.update(f.index_lines)
        for k in f.index_lines:
            self.keep[k] = False
        for h in f.hunks:
            near: set[int] = set()
            for k in h.changed:
                near.update(range(max(k - context, h.header + 1), min(k + context + 1, h.end)))
            run: list[int] = []
            for k in h.body:
                if k in near or lines[k].startswith("\\"):
                    self._close_run(lines, run, min_chars)
                    run = []
                else:
                    run.append(k)
            self._close_run(lines, run, min_chars)

    def _close_run(self, lines: list[str], run: list[int], min_chars: int) -> None:
        if len(run) < 3 or sum(len(lines[k]) + 1 for k in run) < min_chars:
            return
        for k in run:
            self.keep[k] = False
        self.summary[run[0]] = f"{len(run)} unchanged lines omitted"
        self.context_omitted += len(run)

    def render(self, lines: list[str], ref: str, files: list[FileDiff], mentions: Mentions) -> str | None:
        """The kept lines with one marker per omitted run, behind a marker that sums it all up."""
        if all(self.keep):
            return None
        out = [format_marker(ref, self._headline(files))]
        i, n = 0, len(lines)
        while i < n:
            if self.keep[i] or i in self.silent:
                if self.keep[i]:
                    out.append(lines[i])
                i += 1
                continue
            j = i
            while j < n and not self.keep[j] and j not in self.silent:
                j += 1
            summary, note = self.summary.get(i, f"{j - i} lines omitted"), mentions.note((i, j))
            out.append(format_marker(ref, f"{summary}; {note}" if note else summary, lines=(i + 1, j)))
            i = j
        return "\n".join(out)

    def _headline(self, files: list[FileDiff]) -> str:
        parts = []
        if self.context_omitted:
            parts.append(f"{self.context_omitted} unchanged context lines")
        if self.collapsed:
            parts.append(f"the hunks of {len(self.collapsed)} of {len(files)} files")
        if self.outlined:
            parts.append(
                f"the bodies of {self.outlined} added file{'' if self.outlined == 1 else 's'} (outlined as code)"
            )
        if self.silent:
            parts.append("index lines")
        kept = len(files) - len(self.collapsed)
        return (
            f"diff trimmed — {', '.join(parts)} omitted; headers, @@ lines and every changed line "
            f"of {kept} file{'' if kept == 1 else 's'} kept"
        )
