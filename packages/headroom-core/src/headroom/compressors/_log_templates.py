"""Template mining for log lines: mask the variable parts so repeated events share one key.

A line's template is the line with its variables — numbers, hex ids, UUIDs, IPs, timestamps, paths,
URLs, quoted values and any word containing a digit — replaced by ``<*>``, and runs of variables
folded into one. ``Templates`` then groups the lines by that key, in one pass: the cost is linear in
the size of the text, and the result does not depend on hashing (ids follow first appearance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WILDCARD = "<*>"

# Every pattern stays within a line ([^\n] or \S only), so masking the whole text at once keeps the
# line structure: masked line i is the template of original line i.
_URL = re.compile(r"\b[A-Za-z][\w+.-]{0,15}://\S+")
_DRIVE_PATH = re.compile(r"\b[A-Za-z]:\\[^\s,;'\"()\[\]{}<>|]*")
_MASKS: tuple[re.Pattern[str], ...] = (
    # paths; the look-behind sits after the first slash so the regex engine can skip to slashes
    re.compile(r"[\\/](?<![\w.][\\/])[^\s\\/:,;'\"()\[\]{}<>=|]+(?:[\\/][^\s\\/:,;'\"()\[\]{}<>=|]+)+[\\/]?"),
    re.compile(r"(?<![\w.@$+#~-])[\w.@$+#~-]*\d[\w.@$+#~-]*"),  # numbers, ids, IPs, times: words with a digit
)
# Quoted values: short ones (a name, an id, a value) only; a quoted phrase of several words is
# usually the message itself (``msg="connection refused by upstream"``) and must stay literal.
_QUOTED = re.compile(r"'[^'\n ]{1,60}(?: [^'\n ]{1,60}){0,2}'|\"[^\"\n ]{1,60}(?: [^\"\n ]{1,60}){0,2}\"")
_FOLD = re.compile(r"<\*>(?:[^\S\n]*[:,./@|=_-]*[^\S\n]*<\*>)+")
_SPACES = re.compile(r"\t[ \t]*| [ \t]+")  # starts with a literal: much faster than [ \t]{2,}


# An HTTP status is a number, but 200 and 500 are different events: keep its class in the template.
_HTTP_STATUS = re.compile(
    r"""(HTTP/\d(?:\.\d)?"?\s+|\bstatus(?:[_ ]?code)?["']?\s*[:=]\s*["']?)([1-5])\d\d\b""", re.IGNORECASE
)
_STATUS_CLASS = {"1": "<info>", "2": "<ok>", "3": "<redirect>", "4": "<client-error>", "5": "<server-error>"}


def _status_class(m: re.Match[str]) -> str:
    return m[1] + _STATUS_CLASS[m[2]]


def mask_text(text: str) -> list[str]:
    """The template of every line of ``text`` (split on ``\\n``), in order."""
    # The optional patterns are skipped when their anchor is absent: masking is most of the cost.
    if "://" in text:
        text = _URL.sub(WILDCARD, text)
    if ":\\" in text:
        text = _DRIVE_PATH.sub(WILDCARD, text)
    if "HTTP/" in text or "tatus" in text or "TATUS" in text:
        text = _HTTP_STATUS.sub(_status_class, text)
    if "'" in text or '"' in text:
        text = _QUOTED.sub(WILDCARD, text)
    for pattern in _MASKS:
        text = pattern.sub(WILDCARD, text)
    return _SPACES.sub(" ", _FOLD.sub(WILDCARD, text)).split("\n")


def mask_line(line: str) -> str:
    """The template of one line."""
    return mask_text(line.replace("\n", " "))[0]


@dataclass(frozen=True)
class Templates:
    """Lines grouped by template.

    Attributes:
        keys: the template text of each template, by template id (ids follow first appearance).
        of_line: the template id of each line (-1 for blank lines).
        members: the line indices of each template, in order.
    """

    keys: tuple[str, ...]
    of_line: tuple[int, ...]
    members: tuple[tuple[int, ...], ...]

    @classmethod
    def mine(cls, lines: list[str]) -> Templates:
        """Group ``lines`` by their masked template."""
        masked = mask_text("\n".join(lines))
        ids: dict[str, int] = {}
        of_line: list[int] = []
        members: list[list[int]] = []
        for i, key in enumerate(masked):
            key = key.strip()
            if not key:
                of_line.append(-1)
                continue
            tid = ids.setdefault(key, len(ids))
            if tid == len(members):
                members.append([])
            members[tid].append(i)
            of_line.append(tid)
        keys = tuple(k for k, _ in sorted(ids.items(), key=lambda kv: kv[1]))
        return cls(keys=keys, of_line=tuple(of_line), members=tuple(tuple(m) for m in members))

    def count(self, tid: int) -> int:
        """How many lines have template ``tid``."""
        return len(self.members[tid])


def spread_order(n: int, limit: int | None = None) -> list[int]:
    """0..n-1 ordered so that every prefix is spread evenly: first, last, middle, quarters, ...

    Used to pick which instances of a repeated template to keep: any prefix of this order covers the
    whole log instead of only its start. With ``limit``, only that long a prefix is returned.
    """
    cap = n if limit is None else min(n, limit)
    if n <= 2:
        return list(range(n))[:cap]
    order = [0, n - 1]
    intervals = [(0, n - 1)]
    while intervals and len(order) < cap:
        nxt: list[tuple[int, int]] = []
        for lo, hi in intervals:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            order.append(mid)
            nxt += [(lo, mid), (mid, hi)]
        intervals = nxt
    return order[:cap]
