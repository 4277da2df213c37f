"""Line evidence for the last three types: build/test/app logs, source code, and prose/markdown.

Each ``*_share`` takes non-blank sample lines and returns the fraction that carries evidence for
its type; `headroom.pipeline.detect` weighs them against each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# ---------------------------------------------------------------- logs

_TIMESTAMP = re.compile(
    r"\d{4}[-/.]\d{2}[-/.]\d{2}(?:[T _-]\d{2}[:.]\d{2})?"  # 2024-01-31 12:00, 2005.06.03
    r"|\b\d{1,2}:\d{2}:\d{2}\b"  # 12:00:00
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d\b"  # syslog
    r"|\b1[0-9]{9}(?:\d{3})?\b"  # epoch seconds / milliseconds
    r"|^\d{6} \d{6}\b"  # 081109 203615
)
_LEVEL = re.compile(
    r"(?<![\w.])(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL|CRIT|ALERT|EMERG|PANIC)"
    r"(?![\w(.=])"
    r"|\[(?:trace|debug|info|notice|warn|warning|error|crit|alert|emerg|fatal)\]"
    r"|\blevel=\w+"
    r"|^\S+ +\d+ +\d+ [VDIWEF] \S"  # android logcat
    r"|^\d\d-\d\d \d\d:\d\d"
)
# Matched at the start of a line (``match``): cheap, most lines fail on the first character.
_BUILD_START = re.compile(
    # test runners: pytest, unittest, go test, TAP, jest/mocha
    r"(?:FAILED|PASSED|ERROR|FAIL|PASS|SKIPPED|XFAIL|XPASS|ok|not ok)\b"
    r"|={3,} .* ={3,}$|_{3,} .* _{3,}$|-{3,} .*(?:[Cc]aptured|PASS|FAIL)"
    r"|(?:platform|rootdir|configfile|plugins|cachedir|collected|collecting) "
    r"|[.sFEx]{3,}$|Ran \d+ tests? in |(?:OK|FAILED)(?: \(.*\))?$"
    r"|--- (?:PASS|FAIL|SKIP):|=== (?:RUN|PAUSE|CONT)|\s*[✓✔✗✘×]\s|\s*\d+ (?:passed|failed|tests?)\b"
    # stack traces and diagnostics
    r"|Traceback \(most recent call last\)|\s+File \".*\", line \d+|\s+at [\w.$<>/]+\(.*\)$"
    r"|\S+\.py:\d+: in \S|\s*[\^~]{3,}\s*$"  # pytest's frame locations, Python 3.11+ caret lines
    r"|[\w.]*(?:Error|Exception|Warning)(?::|$)|E {2,}\S"
    r"|(?:error|warning|note|help)(?:\[\w+\])?: |\s*--> \S+:\d+:\d+"
    r"|\S+:\d+(?::\d+)?: (?:(?:fatal )?(?:error|warning|note)\b|\w*(?:Error|Warning)\b|[A-Z]{1,4}\d{3,4}\b)"
    r"|\S+\(\d+,\d+\): (?:error|warning) |\s+\d+:\d+\s+(?:error|warning)\s"  # tsc, eslint
    # build tools and package managers
    r"|npm (?:ERR!|WARN)|make(?:\[\d+\])?: |\s*(?:Compiling|Downloading|Downloaded|Installing|Collecting|"
    r"Building|Finished|Checking|Fetching|Resolving|Successfully|Requirement already|Uninstalling|Updating|"
    r"Running|Linking|Generating|Packaging|Preparing)\b"
    r"|#\d+ |Step \d+/\d+|> Task :|BUILD (?:SUCCESSFUL|FAILED|SUCCESS)|\[(?:INFO|WARNING|ERROR|DEBUG)\]"
    r"|[A-Za-z]+ing\b[^\n]*(?:\.\.\.|…)"
)
# Searched anywhere in a line: kept to a few literal-led alternatives.
_BUILD_ANY = re.compile(
    r"\[ *\d+%\]|\[(?:OK|FAIL|PASS|ERROR|SKIP)\]$|\btests? (?:finished|passed|failed)\b"
    r"|\b(?:passed|failed|errors?) in \d+(?:\.\d+)?s\b|(?:\.\.\.|…) ?(?:done|ok|OK|failed|skipped)\b"
)
# A test runner's session banner, or a test run's or a build's final summary: one is enough to call
# a block with some log lines a log, however many source excerpts its diagnostics quote.
_RUNNER = re.compile(
    r"^(?:=+ test session starts =+"  # pytest
    r"|Test Suites: \d|Tests: +\d"  # jest
    r"|test result: (?:ok|FAILED)\. |running \d+ tests?"  # cargo test
    r"|(?:--- (?:FAIL|PASS): |=== RUN +)\S"  # go test -v
    r"|Ran \d+ tests? in \d|\d+ (?:passing|failing) \(\d"  # unittest, mocha
    r"|\d+ (?:errors?|warnings?)$|Found \d+ errors?\b|error: could not compile "  # javac; ruff, mypy, tsc; cargo
    r"|make(?:\[\d+\])?: \*\*\* |BUILD (?:FAILED|SUCCESSFUL)\b|\[INFO\] BUILD (?:FAILURE|SUCCESS)"  # make, gradle, mvn
    r")"
)
_LS_LONG = re.compile(r"[-dlcbps][rwxsStT-]{9}[.+@]?\s+\d+\s|total \d+$")


def log_share(lines: Sequence[str]) -> float:
    """Share of lines with a log timestamp, a log level, or build/test-runner output.

    ``ls -l`` listings carry dates but are not logs; their lines never count.
    """
    if not lines:
        return 0.0
    return sum(1 for ln in lines if is_log_line(ln)) / len(lines)


def has_runner_banner(lines: Sequence[str]) -> bool:
    """Whether a test runner's session banner or summary line (pytest, jest, cargo, go, unittest) is there."""
    return any(_RUNNER.match(ln) for ln in lines)


def is_log_line(ln: str) -> bool:
    """Whether one line carries a log timestamp, a log level, or build/test-runner output."""
    head, line = ln[:60], ln[:300]
    if _LS_LONG.match(ln):
        return False
    return bool(_TIMESTAMP.search(head) or _LEVEL.search(head) or _BUILD_START.match(line) or _BUILD_ANY.search(line))


# ---------------------------------------------------------------- code

_CODE_START = re.compile(
    r"\s*(?:def |class |import |from [\w.]+ import |function\b|func |package |#include|#define|#if|#endif|"
    r"#pragma|public |private |protected |internal |static |const |let |var |fn |pub |impl\b|struct |enum |"
    r"interface |type \w|export |return\b|if ?\(|for ?\(|while ?\(|switch ?\(|else\b|elif |except\b|try\b|"
    r"catch\b|finally\b|throw |raise |async |await |use |mod |namespace |using |template ?<|module |require |"
    r"end$|unless |elsif |do$|then$|fi$|done$|esac$|case |local |echo |with |yield |assert |lambda |"
    r"@\w+|val |override |abstract |final |sealed |extends |implements |new |delete |goto |break;|continue;|"
    r"\w+ := |\$\w+ ?=|<\?php)"
    r"|\s*[})\]]+[;,)]*\s*$|\s*(?://|/\*|\*/|\* |\*$|--\s)|\s+#"
    r"|\s*[\w.]+(?:\[[^\]]*\])?(?:\s*,\s*[\w.]+)*\s*(?:[-+*/%|&^]|<<|>>|//|\*\*)?=\s*\S"  # assignment
    r"|\s*[\w.]+(?:,\s*[\w.]+)*,\s*$"  # a line of an identifier list
    r"|\s*(?:if|elif|while|for) .*:\s*$|\s*(?:break|continue|pass|return|else:|try:|finally:)\s*$"
)
_CODE_ANY = re.compile(r"=>|->|::|&&|\|\||!=|==|\+=|\w\(\)")
_CODE_END = re.compile(r"(?:\)\s*(?:->\s*[\w\[\], .|]+)?:|\w\([\w\s,.\"'*&=:\[\]]*\)[;,]?)$")
_CODE_ENDINGS = ("{", "}", ";")
_TRIPLE = re.compile(r"\"\"\"|'''")
_FENCE = re.compile(r"\s*(?:```|~~~)")


def is_code_line(line: str) -> bool:
    """Whether one line looks like source code (keywords, braces, operators, comments, assignments)."""
    tail = line.rstrip()
    if tail.endswith(_CODE_ENDINGS):
        return True
    return bool(_CODE_START.match(line) or _CODE_ANY.search(line) or _CODE_END.search(tail[-160:]))


def comment_mask(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is inside a docstring or a ``/* … */`` block comment."""
    mask: list[bool] = []
    doc: str | None = None
    block = False
    for ln in lines:
        if doc is not None or block:
            mask.append(True)
            if doc is not None and doc in ln:
                doc = None
            block = block and "*/" not in ln
            continue
        quotes = _TRIPLE.findall(ln)
        if quotes and quotes.count(quotes[0]) % 2 == 1:
            doc = quotes[0]
        block = "/*" in ln and "*/" not in ln[ln.find("/*") :]
        mask.append(doc is not None or block)
    return mask


def fence_mask(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is a markdown code fence or inside one."""
    mask: list[bool] = []
    inside = False
    for ln in lines:
        fence = _FENCE.match(ln) is not None
        mask.append(inside or fence)
        inside = inside != fence
    return mask


def code_share(lines: Sequence[str]) -> float:
    """Share of lines that look like source code: keywords, braces, operators, comments, docstrings.

    Lines inside markdown code fences do not count (a README with examples is still text).
    """
    if not lines:
        return 0.0
    comments, fences = comment_mask(lines), fence_mask(lines)
    # A test runner's "tests/test_x.py::test_y PASSED" is log output, whatever its "::" suggests.
    hits = sum(
        1
        for ln, c, f in zip(lines, comments, fences, strict=True)
        if not f and (c or (is_code_line(ln) and not is_log_line(ln)))
    )
    return hits / len(lines)


# ---------------------------------------------------------------- configuration (YAML)

_CONFIG_KEY = re.compile(r"\s*(?:- )?[\w.\-\"']+:(?:\s|$)")
_CONFIG_OTHER = re.compile(r"\s*(?:- \S|#|---\s*$)")


def config_share(lines: Sequence[str]) -> float:
    """Share of lines that read as YAML: ``key: value``, ``- item``, comments; 0 without enough keys."""
    if not lines:
        return 0.0
    keys = [ln for ln in lines if _CONFIG_KEY.match(ln) and not ln.rstrip().endswith((";", ",", "{", "("))]
    nested = any(ln.rstrip().endswith(":") for ln in keys) and any(ln[:1] in (" ", "-") for ln in keys)
    if len(keys) < 0.3 * len(lines) or not nested:
        return 0.0  # flat "label: value" lines are printed output, not configuration
    others = sum(1 for ln in lines if not _CONFIG_KEY.match(ln) and _CONFIG_OTHER.match(ln))
    return (len(keys) + others) / len(lines)


# ---------------------------------------------------------------- prose and markdown

_PROSE_WORD = re.compile(r"[A-Za-z][a-z'’-]+")
_MARKDOWN_START = re.compile(
    r"#{1,6} \S|\s*(?:[-*+]|\d{1,3}[.)]) \S|\s*(?:```|~~~)|\s*>\s|\|.*\|\s*$|(?:={3,}|-{3,})\s*$"
)
_MARKDOWN_ANY = re.compile(r"\]\([^)\s]+\)|\*\*\w")


def prose_share(lines: Sequence[str]) -> float:
    """Share of lines that read as sentences (mostly words, few symbols) or as markdown structure.

    Docstrings and block comments are code, not prose.
    """
    if not lines:
        return 0.0
    hits = 0
    for ln, in_comment in zip(lines, comment_mask(lines), strict=True):
        if in_comment:
            continue
        s = ln.strip()
        words = _PROSE_WORD.findall(s)
        sentence = len(words) >= 6 and sum(map(len, words)) >= 0.6 * len(s) and not is_code_line(s)
        if sentence or _MARKDOWN_START.match(s) or _MARKDOWN_ANY.search(s):
            hits += 1
    return hits / len(lines)
