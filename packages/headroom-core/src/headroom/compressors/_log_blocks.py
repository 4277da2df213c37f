"""Multi-line records and failure reports in build, test and application logs.

* ``continuations``: which lines continue the record above them — stack frames, indented details,
  ``Caused by:``, the exception line that ends a Python traceback, compiler source excerpts, and in
  timestamped logs any line without a timestamp — so a record's level carries over to its details.
* ``error_details``: how many lines below a compiler error are its report (kept with it).
* ``failure_lines``: lines that report a failure or a result in a structured way and are always
  kept: pytest ``E`` lines, failing-test headers and summaries, ``FAILED``/``--- FAIL`` lines,
  compiler diagnostics (gcc/clang/rustc/tsc/javac/go), ``make: ***``, ``npm ERR!``, test-run
  summary lines. Each comes with how many lines above it are its context (the failing source line
  pytest marks with ``>`` is worth the lines just above it).
"""

from __future__ import annotations

import re
from collections import Counter

_FRAME = re.compile(
    r"^(?:at |Caused by:|Suppressed:|\.\.\. \d+ (?:more|common frames omitted)|During handling of the above"
    r"|The above exception was the direct cause|\^|~|\||-->|= (?:note|help):)"
)
_STAMP = re.compile(r"\[?(?:\d|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b)")
_TRACEBACK = re.compile(r"^\s*Traceback \(most recent call last\):")
_EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Failure|Fault|Iteration)\b(?::|$)")

_FAILURES = re.compile(
    "|".join(
        (
            r"^\s*Traceback \(most recent call last\):|^Exception in thread |^Caused by: ",
            r"^[A-Za-z_][\w.]*(?:Error|Exception|Failure|Fault)(?::|$)",  # the exception a traceback ends with
            r"^E(?: {2,}| +\S)",  # pytest assertion detail
            r"^>\s",  # pytest: the failing source line
            r"^(?:FAILED|ERROR|XPASS)\s+(?:\S+::|\S+\.py(?: - |$))",  # pytest short summary (tests, collection)
            r"^\S+::\S+.*\s(?:FAILED|ERROR)\b",  # pytest verbose progress
            r"^_{3,} .+ _{3,}$",  # pytest failure section header
            r"^={3,} .* ={3,}$",  # pytest section rules and the final summary
            r"^\S+\.\w+:\d+: (?:in \S+|[A-Za-z_][\w.]*(?:Error|Exception|Warning)\b)",  # pytest location
            r"^\S+?(?::\d+(?::\d+)?|\(\d+(?:,\d+)?\)):? ?(?:fatal error|error|warning)\b",  # gcc/clang/tsc/javac
            r"^(?:error|warning)(?:\[\w+\])?: ",  # rustc, cargo, many CLIs
            r"^\s+--> \S+:\d+:\d+",  # rustc location
            r"^\S+\.go:\d+:\d+: ",  # go vet / build
            r"^make(?:\[\d+\])?: \*\*\*",
            r"^npm ERR!",
            r"^\[ERROR\]",  # maven
            r"^(?:BUILD|Build) (?:FAILED|FAILURE|failed)",
            r"^--- FAIL: |^FAIL\b|^not ok \d+|^\s*(?:✕|✗|×|✘) ",  # go test, TAP, jest/mocha
            r"^(?:Tests run:|Ran \d+ tests? in|FAILED \(|Test Suites:|Tests:\s+\d)",  # summaries
            r"^\d+ (?:passing|failing|pending)\b",
            r"^(?:\d+ )?errors? generated|^Found \d+ errors?|^error: could not compile",
        )
    )
)


def _base_indent(lines: list[str]) -> int:
    widths: Counter[int] = Counter()
    for line in lines[:2000]:
        stripped = line.lstrip()
        if stripped:
            widths[len(line) - len(stripped)] += 1
    if not widths:
        return 0
    return min(widths.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _stamped(lines: list[str]) -> bool:
    """Whether records start with a timestamp (or a bracketed one) in at least 80% of the lines."""
    sample = [line for line in lines[:2000] if line.strip()]
    return bool(sample) and sum(1 for line in sample if _STAMP.match(line)) >= 0.8 * len(sample)


def continuations(lines: list[str]) -> list[bool]:
    """Per line: True when it continues the record above (see the module docstring).

    In a log whose records start with a timestamp, a line without one (an exception message, a
    ``Caused by:``) continues the record above too.
    """
    base = _base_indent(lines)
    stamped = _stamped(lines)
    out: list[bool] = []
    in_traceback = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped:
            out.append(False)
            continue
        indent = len(line) - len(stripped)
        cont = i > 0 and (indent > base or bool(_FRAME.match(stripped)) or (stamped and not _STAMP.match(line)))
        if _TRACEBACK.match(line):
            in_traceback, cont = True, False
        elif in_traceback and not cont:
            cont = bool(_EXC_LINE.match(stripped))  # the exception line that ends the traceback
            in_traceback = False
        out.append(cont)
    return out


def failure_lines(lines: list[str]) -> dict[int, int]:
    """Line index → number of lines above it worth keeping as its context, for every failure line."""
    out: dict[int, int] = {}
    for i, line in enumerate(lines):
        if len(line) > 2000 or not _FAILURES.match(line):
            continue
        out[i] = 3 if line.startswith(">") else 0
    return out


# A compiler's error (not a warning, not the closing "could not compile"): its report runs on below it.
_ERROR_HEAD = re.compile(r"^(?:error(?:\[\w+\])?: (?!could not compile)|\S+?:\d+(?::\d+)?:? (?:fatal error|error)\b)")


_EXCERPT = re.compile(r"^\s*\d+\s*\|")  # a numbered source line under a diagnostic: `3 | let x = 1;`


def error_details(lines: list[str], found: dict[int, int], most: int = 12) -> dict[int, int]:
    """Failure line index → how many lines below it are its report (the source excerpt, ``= help:``
    and ``= note:`` lines of a rustc error), for the failure lines that are compiler errors."""
    heads = [i for i in found if _ERROR_HEAD.match(lines[i])]
    if not heads:
        return {}
    conts = continuations(lines)
    out: dict[int, int] = {}
    for i in heads:
        k = i + 1
        while k < len(lines) and k - i <= most and (conts[k] or _EXCERPT.match(lines[k])):
            k += 1
        if k > i + 1:
            out[i] = k - i - 1
    return out
