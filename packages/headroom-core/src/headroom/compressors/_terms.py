"""Terms: the one tokenizer of task text, and the one way a term is found in content.

Every compressor judges relevance by the task's terms, so they all take them from here; a line
that holds a term of the question is recognised the same way by the log, search, JSON, line and
text compressors.

A term is lower-cased and is either a word (``discount``, ``8812``, ``user_id``) or a code-like
term kept whole:

* a command-line flag: ``-f``, ``--quit``, ``--dry-run``;
* a version or dotted number: ``4.17``, ``1.2.3``;
* a dotted or punctuated identifier: ``os.path.join``, ``std::vec``, ``lodash@4.17``,
  ``src/app.py``, ``x-request-id``, ``host:8080``.

A compound term (code-like, or a hyphenated word) also gives its word parts (``os.path.join`` →
``os``, ``path``, ``join``), so a line naming only ``join`` still counts; number parts (the ``17``
of ``4.17``) do not. Words of one character and stopwords are not terms; compounds never are
stopwords. The text scorer also matches code-like terms (`is_code_like`) exactly, beside its stems.

A term is found in text as an exact, case-insensitive substring that no letter or digit touches on
either side (``4.17`` is in ``lodash 4.17.21`` but not in ``14.17``; ``-f`` is in ``rm -f x`` but
not in ``--force``; ``timeout`` is in ``connect_timeout``).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

_TERM = re.compile(r"(?<![\w-])--?[^\W\d_][\w-]*|\w+(?:(?:::|[.@/:]|-)\w+)*")
_PLAIN = re.compile(r"\w+")
_PART = re.compile(r"[^\W_]\w*")
STOPWORDS = frozenset(
    "a an and are as at be but by can did do does for from has have how i if in into is it its let me my not of on "  # noqa: SIM905 (a word list reads best as words)
    "or please should so that the their then there these this to us was we what when where which who why will "
    "with would you your".split()
)


def is_code_like(term: str) -> bool:
    """Whether ``term`` is a flag, a dotted number or a punctuated identifier.

    Plain words are not, and neither are hyphenated words (``long-lived``): prose has those.
    """
    if term.startswith("-"):
        return True
    punctuation = {c for c in term if not (c.isalnum() or c == "_")}
    return bool(punctuation - {"-"}) or (bool(punctuation) and any(c.isdigit() for c in term))


def terms_of(text: str, *, stopwords: frozenset[str] = STOPWORDS) -> set[str]:
    """The terms of ``text`` (see the module docstring), lower-cased."""
    out: set[str] = set()
    for m in _TERM.finditer(text):
        token = m[0].lower()
        if _PLAIN.fullmatch(token):
            if len(token) > 1 and token not in stopwords:
                out.add(token)
            continue
        out.add(token)
        out.update(p for p in _PART.findall(token) if len(p) > 1 and not p.isdigit() and p not in stopwords)
    return out


@dataclass(frozen=True)
class TermPattern:
    """Finds any of a set of terms in lower-cased text, where no letter or digit touches them.

    The alternation comes first in the regular expression (so the engine can skip ahead to a
    term's first characters) and the left boundary is checked on each candidate: a look-behind in
    front made every match attempt several times slower.
    """

    regex: re.Pattern[str]

    def finditer(self, low: str) -> Iterator[re.Match[str]]:
        """The terms' occurrences in ``low``, left to right."""
        pos = 0
        search = self.regex.search
        while (m := search(low, pos)) is not None:
            start = m.start()
            if start and low[start - 1].isalnum():  # a letter or digit touches it on the left
                pos = start + 1
                continue
            yield m
            pos = m.end()

    def findall(self, low: str) -> list[str]:
        """The terms found in ``low``, one per occurrence."""
        return [m[0] for m in self.finditer(low)]

    def search(self, low: str) -> bool:
        """Whether any of the terms is in ``low``."""
        return next(self.finditer(low), None) is not None


def term_pattern(terms: Iterable[str]) -> TermPattern | None:
    """One pattern that finds any of ``terms`` (lower-cased) in lower-cased text; None for no terms.

    Longer terms are tried first, so ``os.path.join`` is found as itself rather than as ``os``.
    """
    ordered = tuple(sorted(set(terms), key=lambda t: (-len(t), t)))
    return _compiled(ordered) if ordered else None


@functools.lru_cache(maxsize=256)  # a task's terms are matched against every block of a request
def _compiled(ordered: tuple[str, ...]) -> TermPattern:
    alternatives = "|".join(re.escape(t) for t in ordered)
    return TermPattern(re.compile(rf"(?:{alternatives})(?![^\W_])"))


def found_terms(pattern: TermPattern | None, text: str) -> set[str]:
    """The terms ``pattern`` (from `term_pattern`) finds in ``text``."""
    if pattern is None:
        return set()
    return set(pattern.findall(text.lower()))


# Words a question is phrased with rather than about: never named in a marker's note.
PHRASING = frozenset(
    "about after all also any before each every explain find give got identify know like look many more most "  # noqa: SIM905 (a word list reads best as words)
    "much need other our same see show some tell than them they those use used uses using want were while".split()
)


class Mentions:
    """Which lines of a block mention terms of the question: the note a marker carries.

    A marker that says ``3 mention "discount"`` tells the model that the lines it hides hold the
    question's words, so it can fetch them; a marker without a note hides none. Terms found on more
    than ``max_share`` of the block's lines tell no line from another and are left out, as are the
    words a question is phrased with (``explain``, ``all``).
    """

    def __init__(self, text: str, query: str, *, max_share: float = 0.5) -> None:
        """Find the question's terms in every line of ``text`` (one pass of one pattern)."""
        self._at: list[int] = []  # line numbers (0-based) holding a term, ascending
        self._terms: list[tuple[str, ...]] = []
        self._common: frozenset[str] = frozenset()
        low = text.lower()
        # Only terms the text holds make the pattern (a substring test each, at C speed).
        self._pattern = term_pattern(t for t in terms_of(query) - PHRASING if t in low)
        if self._pattern is None:
            return
        hits: dict[int, set[str]] = {}
        line = pos = 0
        for m in self._pattern.finditer(low):
            line += low.count("\n", pos, m.start())
            pos = m.start()
            hits.setdefault(line, set()).add(m[0])
        df: Counter[str] = Counter(t for found in hits.values() for t in found)
        lines = low.count("\n") + 1
        self._common = frozenset(t for t, c in df.items() if c > max_share * lines and c > 1)
        for i in sorted(hits):
            found = tuple(sorted(hits[i] - self._common))
            if found:
                self._at.append(i)
                self._terms.append(found)

    def note(self, *ranges: tuple[int, int]) -> str:
        """``'3 mention "discount"'`` for the lines of ``ranges`` (0-based, end exclusive), or ``""``."""
        found: list[tuple[str, ...]] = []
        for start, end in ranges:
            found += self._terms[bisect.bisect_left(self._at, start) : bisect.bisect_left(self._at, end)]
        return mention_note(found)


_JOINERS = ("-", "_")


def pinpointed(texts: Sequence[str], query: str, *, most: int = 3) -> set[int]:
    """The indices of ``texts`` that hold a term of ``query`` no more than ``most`` of them hold.

    When a task names exact things (``the versions of bash, cpp and gnupg``, ``commits ed375f8 and
    810ca09``), each is usually on a line or two of a listing, and only those lines answer; a budget
    that ranks lines by how many terms they hold keeps a few of them and drops the rest. These lines
    are kept beside the budget. A term on more lines than ``most`` says less about any one of them
    and competes in the budget as before; the words a question is phrased with never pin a line.
    """
    low = "\n".join(t.replace("\n", " ") for t in texts).lower()
    pattern = term_pattern(t for t in terms_of(query) - PHRASING if t in low)
    if pattern is None:
        return set()
    where: dict[str, set[int]] = {}
    line = pos = 0
    for m in pattern.finditer(low):
        line += low.count("\n", pos, m.start())
        pos = m.start()
        if low[m.start() - 1 : m.start()] in _JOINERS or low[m.end() : m.end() + 1] in _JOINERS:
            continue  # part of a longer name: ``gnupg`` in ``gnupg-utils`` is another thing
        where.setdefault(m[0], set()).add(line)
    return {i for at in where.values() if len(at) <= most for i in at}


def mention_note(found: list[tuple[str, ...]]) -> str:
    """``'3 mention "discount"'``: how many of some hidden items hold terms (``found``: each one's terms)."""
    if not found:
        return ""
    counts: Counter[str] = Counter(t for terms in found for t in terms)
    named = " or ".join(f'"{t}"' for t in sorted(counts, key=lambda t: (-counts[t], t))[:2])
    return f"{len(found)} mention{'s' if len(found) == 1 else ''} {named}"
