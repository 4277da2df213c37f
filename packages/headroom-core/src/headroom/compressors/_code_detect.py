"""Which language a block of code is in, and how well it parses.

The router's ``Detection.language`` is used when it names a supported language. Otherwise a file
extension in the tool call's arguments and cheap per-line signals pick a few candidate grammars;
the candidate whose parse has the fewest errors wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from headroom.compressors._code_langs import ALIASES, SPECS, language, parser, spec_for

if TYPE_CHECKING:
    from tree_sitter import Query, Tree

SAMPLE_LINES = 300
TRIAL_BYTES = 128 * 1024
MAX_CANDIDATES = 3

_EXT = re.compile(r"[\w./\\-]+\.([A-Za-z+#]{1,5})\b")

# Per-line signals; a language's score is the number of sampled lines its pattern finds.
_SIGNALS: dict[str, re.Pattern[str]] = {
    "python": re.compile(
        r"^\s*(?:def \w+\s*\(|class \w+.*:\s*$|from [\w.]+ import |import [\w.]+\s*$|elif |@\w+|if __name__)"
        r"|\bself\.\w+|\bNone\b"
    ),
    "javascript": re.compile(
        r"^\s*(?:function\b|const \w+ = |let \w+ = |var \w+ = |module\.exports|export (?:default|const|function)"
        r"|import .* from ['\"])|\brequire\(|=>|===|\bthis\."
    ),
    "typescript": re.compile(
        r"^\s*(?:export )?(?:interface \w+|type \w+(?:<.*>)? =|enum \w+|import type )"
        r"|\w\??:\s*(?:string|number|boolean|void|any|unknown|never)\b|\bas const\b|\breadonly \w+|<\w+(?:\[\])?>\("
    ),
    "go": re.compile(r"^(?:package \w+\s*$|func |import \(|type \w+ (?:struct|interface)\b)|:= |\berr != nil\b"),
    "rust": re.compile(
        r"^\s*(?:pub(?:\([\w:]+\))? )?(?:fn|struct|enum|impl|trait|mod|use) |\blet mut\b|&self\b|&mut \w"
        r"|^\s*#\[|\bSome\(|\bOk\("
    ),
    "java": re.compile(
        r"^\s*(?:package [\w.]+;|import (?:static )?[\w.*]+;|@Override"
        r"|(?:public|private|protected)\s+(?:static\s+)?(?:final\s+)?[\w<>\[\], ]+\s+\w+\s*\()"
        r"|\bnew \w+(?:<.*>)?\(|\bString\b|\bthrows\b"
    ),
    "csharp": re.compile(
        r"^\s*(?:using [\w.]+;|namespace [\w.]+)|\{ get; (?:private )?set; \}|\basync Task\b|\bvar \w+ = new\b"
        r"|\bstring\b \w+|\bpublic (?:override|virtual|sealed|partial) "
    ),
    "c": re.compile(
        r"^\s*#(?:include [<\"]|define |ifn?def )|\bprintf\(|\bmalloc\(|->\w|\bstruct \w+ \*"
        r"|^(?:static )?(?:int|void|char|unsigned|long|double|float|size_t)\s+\*?\w+\("
    ),
    "cpp": re.compile(
        r"(?<!use )\bstd::\w+(?:<|::)|^\s*template\s*<|^\s*namespace \w+|^\s*class \w+\s*(?::|\{|$)|\bnullptr\b"
        r"|\bauto\b|^#include <\w+>$"
        r"|^\s*(?:public|private|protected):\s*$"
    ),
    "ruby": re.compile(
        r"^\s*(?:def \w+[?!]?(?:\(.*\))?\s*$|end\s*$|require ['\"]|module \w+|class \w+(?: < [\w:]+)?\s*$"
        r"|attr_(?:reader|accessor|writer) )|\bdo \|\w+|\.each\b|\bputs\b"
    ),
    "php": re.compile(
        r"<\?php|\$\w+|^\s*(?:public |private |protected )?(?:static )?function \w+\(|namespace [\w\\]+;"
    ),
    "bash": re.compile(
        r"^#!.*\b(?:ba|z)?sh\b|^\s*(?:if \[|fi\s*$|then\s*$|done\s*$|esac\s*$|echo |export \w+=|local \w+)"
        r"|\$\{\w+|\$\(|^\s*\w+\(\)\s*\{"
    ),
}


# Lines that (nearly) settle the question: package clauses, includes, shebangs, file openers.
DECISIVE_WEIGHT = 25
_DECISIVE: dict[str, re.Pattern[str]] = {
    "go": re.compile(r"^package \w+\s*$", re.MULTILINE),
    "java": re.compile(r"^package [\w.]+;\s*$|^import (?:static )?[\w.]+(?:\.\*)?;\s*$", re.MULTILINE),
    "php": re.compile(r"\A\s*<\?php"),
    "bash": re.compile(r"\A#!\S*\b(?:env )?(?:ba|z)?sh\b"),
    "python": re.compile(r"\A#!\S*python|^from [\w.]+ import [\w*(]|^def \w+\(.*\)(?: -> .+)?:\s*$", re.MULTILINE),
    "rust": re.compile(r"^(?:pub )?use [\w:]+(?:::\{.*\})?;\s*$|^(?:pub )?fn \w+", re.MULTILINE),
    "csharp": re.compile(r"^using System[\w.]*;\s*$|^namespace [\w.]+;?\s*$", re.MULTILINE),
    "c": re.compile(r"^#include <\w+\.h>\s*$", re.MULTILINE),
    "cpp": re.compile(r"^#include <\w+>\s*$|^namespace \w+ \{|^template ?<", re.MULTILINE),
    "typescript": re.compile(r"^export (?:interface|type|enum) \w+|^import type ", re.MULTILINE),
    "ruby": re.compile(r"^require ['\"][\w/]+['\"]\s*$|^\s*end\s*$", re.MULTILINE),
}


@dataclass(frozen=True)
class ParseQuality:
    """How much of a parse is errors."""

    errors: int
    error_bytes: int
    size: int

    @property
    def share(self) -> float:
        """Fraction of the text covered by ERROR nodes (plus one byte per MISSING node)."""
        return self.error_bytes / max(self.size, 1)


@cache
def _error_query(name: str) -> Query:
    from tree_sitter import Query

    query: Query = Query(language(name), "(ERROR) @e (MISSING) @m")
    return query


def quality(tree: Tree, name: str, size: int) -> ParseQuality:
    """Count ERROR/MISSING nodes of ``tree`` and the bytes the outermost ERROR nodes cover."""
    if not tree.root_node.has_error:
        return ParseQuality(0, 0, size)
    from tree_sitter import QueryCursor

    caps = QueryCursor(_error_query(name)).captures(tree.root_node)
    spans = sorted((n.start_byte, n.end_byte) for n in caps.get("e", []))
    covered, end = 0, -1
    for a, b in spans:  # union of (possibly nested) ERROR ranges
        if b <= end:
            continue
        covered += b - max(a, end)
        end = b
    missing = len(caps.get("m", []))
    return ParseQuality(len(spans) + missing, covered + missing, size)


def _extension_hint(tool_args: Mapping[str, Any]) -> str | None:
    if not tool_args:
        return None
    text = json.dumps(tool_args, ensure_ascii=False, sort_keys=True, default=str)
    for ext in reversed(_EXT.findall(text)):
        key = ext.lower()
        if key in SPECS or key in ALIASES:
            spec = spec_for(key)
            return spec.name if spec else None
    return None


def _scores(text: str) -> list[tuple[int, str]]:
    lines = text.split("\n", SAMPLE_LINES)[:SAMPLE_LINES]
    sample = "\n".join(lines)
    out = []
    for name, pattern in _SIGNALS.items():
        score = sum(1 for ln in lines if pattern.search(ln))
        decisive = _DECISIVE.get(name)
        if decisive is not None and decisive.search(sample):
            score += DECISIVE_WEIGHT
        if score:
            out.append((score, name))
    out.sort(key=lambda sn: (-sn[0], sn[1]))
    return out


def candidates(text: str, *, hint: str | None, tool_args: Mapping[str, Any]) -> Iterator[str]:
    """Languages to try, most likely first: the router's hint, a file extension, then signals.

    Lazy: the per-line signals are computed only when the hints did not parse.
    """
    seen: list[str] = []
    for name in (hint, _extension_hint(tool_args)):
        spec = spec_for(name)
        if spec and spec.name not in seen:
            seen.append(spec.name)
            yield spec.name
    names = [n for _, n in _scores(text)]
    if "typescript" in names and "javascript" in names and re.search(r"</\w+>|/>", text):
        names.insert(names.index("typescript"), "tsx")
    for name in names:
        if len(seen) >= MAX_CANDIDATES:
            return
        if name == "php" and "<?" not in text:  # its grammar reads any text outside <?php as inline HTML
            continue
        if name not in seen:
            seen.append(name)
            yield name


def parse_best(source: bytes, names: Iterable[str], *, max_error_share: float) -> tuple[str, Tree] | None:
    """Parse with each candidate until one parses cleanly; the best acceptable parse, or None.

    A large source is judged on its first `TRIAL_BYTES` (cut at a line end), so choosing among
    several grammars costs one full parse, not one per candidate.
    """
    trial = source
    if len(source) > 2 * TRIAL_BYTES:
        cut = source.rfind(b"\n", 0, TRIAL_BYTES)
        trial = source[: cut if cut > 0 else TRIAL_BYTES]
    best: tuple[float, int, str, Tree] | None = None
    for rank, name in enumerate(names):
        tree = parser(name).parse(trial)
        q = quality(tree, name, len(trial))
        if q.errors == 0:
            best = (0.0, rank, name, tree)
            break
        if q.share <= max_error_share and (best is None or (q.share, rank) < (best[0], best[1])):
            best = (q.share, rank, name, tree)
    if best is None:
        return None
    name, tree = best[2], best[3]
    if trial is not source:
        tree = parser(name).parse(source)
        if quality(tree, name, len(source)).share > max_error_share:
            return None
    return name, tree
