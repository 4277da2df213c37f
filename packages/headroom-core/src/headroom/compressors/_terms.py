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

import re
from collections.abc import Iterable

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


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern that finds any of ``terms`` (lower-cased) in lower-cased text; None for no terms.

    Longer terms are tried first, so ``os.path.join`` is found as itself rather than as ``os``.
    """
    alternatives = "|".join(re.escape(t) for t in sorted(set(terms), key=lambda t: (-len(t), t)))
    if not alternatives:
        return None
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")


def found_terms(pattern: re.Pattern[str] | None, text: str) -> set[str]:
    """The terms ``pattern`` (from `term_pattern`) finds in ``text``."""
    if pattern is None:
        return set()
    return set(pattern.findall(text.lower()))
