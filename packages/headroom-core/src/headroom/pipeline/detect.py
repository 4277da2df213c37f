"""Content-type detection: what a block is (JSON, diff, search results, HTML, log, code, text).

Detection looks at a bounded sample (the first 64 KiB and 400 lines), so it costs the same for a
1 KB block and a 50 MB one.
"""

from __future__ import annotations

import json
import re

from headroom.compressors import ContentType, Detection

SAMPLE_CHARS = 65536
SAMPLE_LINES = 400

_DIFF = re.compile(r"^(?:diff --git |--- \S.*\n\+\+\+ \S|@@ -\d+(?:,\d+)? \+\d+)", re.MULTILINE)
_SEARCH_LINE = re.compile(r"^[^\s:]{1,300}[:-]\d+[:-]")
_HTML = re.compile(r"<!doctype html|<html[\s>]|<body[\s>]|<div[\s>]|<head[\s>]", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>")
_LOG_LINE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|\b(?:DEBUG|INFO|WARN|WARNING|ERROR|FATAL|TRACE)\b"
    r"|^\[\s*\d+\.\d+\]|^(?:PASSED|FAILED|ok|FAIL)\b|^\s*at [\w.$]+\("
)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |function |func |package |#include|public |private |"
    r"protected |static |const |let |var |fn |impl |struct |interface |type |export |return\b|if \(|for \()"
)


def _looks_json(text: str) -> bool:
    s = text.strip()
    if not s or s[0] not in "[{":
        return False
    try:
        json.loads(s)
    except (ValueError, RecursionError):
        return False
    return True


def _share(lines: list[str], pattern: re.Pattern[str]) -> float:
    nonblank = [ln for ln in lines if ln.strip()]
    if not nonblank:
        return 0.0
    return sum(1 for ln in nonblank if pattern.search(ln)) / len(nonblank)


def detect(text: str) -> Detection:
    """Classify ``text`` (JSON, diff, search results, HTML, log, code, or plain text)."""
    if _looks_json(text):
        return Detection(ContentType.JSON)
    sample = text[:SAMPLE_CHARS]
    lines = sample.split("\n", SAMPLE_LINES)[:SAMPLE_LINES]
    if _DIFF.search(sample):
        return Detection(ContentType.DIFF)
    if _share(lines, _SEARCH_LINE) >= 0.6:
        return Detection(ContentType.SEARCH)
    if _HTML.search(sample[:4096]) or len(_TAG.findall(sample)) > max(20, len(lines)):
        return Detection(ContentType.HTML)
    if _share(lines, _LOG_LINE) >= 0.3:
        return Detection(ContentType.LOG)
    if _share(lines, _CODE_LINE) >= 0.15:
        return Detection(ContentType.CODE)
    return Detection(ContentType.TEXT)
