"""Which programming language a block of source code is written in.

Each language has a few weighted patterns that are characteristic of it; the sample's lines are
scored against all of them and the best-scoring language wins. Names follow the tree-sitter grammars
the code compressor loads: python, javascript, typescript, tsx, go, rust, java, c, cpp, csharp, ruby,
php, bash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A file's first lines often settle it: Go's and Java's package clauses, PHP's open tag.
_HEADERS = (
    (re.compile(r"^package [a-z]\w*\s*$"), "go"),
    (re.compile(r"^package [\w.]+;\s*$"), "java"),
    (re.compile(r"^<\?php\b"), "php"),
)
_HEADER_LINES = 40
_SHEBANG = (
    (re.compile(r"^#!.*\bpython"), "python"),
    (re.compile(r"^#!.*\b(?:node|deno|bun)\b"), "javascript"),
    (re.compile(r"^#!.*\b(?:bash|sh|zsh|ksh|dash)\b"), "bash"),
    (re.compile(r"^#!.*\bruby"), "ruby"),
    (re.compile(r"^#!.*\bphp"), "php"),
)

_LANGUAGE_LINES = 150  # the language shows in a file's first lines
_LANGUAGE_CHARS = 12288


def _P(pattern: str) -> re.Pattern[str]:  # short alias for the table below
    return re.compile(pattern, re.MULTILINE)


_RULES: dict[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    "python": (
        (_P(r"^\s*def \w+\(.*\)?\s*(?:->\s*[^:]+)?:\s*(?:#.*)?$"), 3),
        (_P(r"^\s*def \w+\($"), 2),
        (_P(r"^\s*class \w+(?:\(.*\))?:\s*$"), 3),
        (_P(r"^\s*from [\w.]+ import [\w*(]"), 3),
        (_P(r"^import [\w.]+(?: as \w+)?\s*$"), 1),
        (_P(r"^\s*(?:elif .*|else|try|finally|except(?: [\w., ()]+)?(?: as \w+)?|with .*)\s*:\s*$"), 2),
        (_P(r"^\s*(?:if|for|while) .*:\s*$"), 1),
        (_P(r"self\.\w+"), 1),
        (_P(r"^\s*@[\w.]+(?:\(.*\))?\s*$"), 0.5),
        (_P(r'^\s*(?:"""|\'\'\')'), 1),
        (_P(r"(?:None|True|False)\b"), 0.5),
        (_P(r"^\s*raise \w+"), 1),
    ),
    "javascript": (
        (_P(r"^\s*(?:const|let|var) \w+\s*=\s*require\("), 3),
        (_P(r"module\.exports\b|exports\.\w+\s*="), 3),
        (_P(r"^\s*(?:export )?(?:async )?function\*? ?\w*\s*\([\w\s,={}.\[\]]*\)\s*\{"), 2),
        (_P(r"^\s*(?:const|let|var) [\w{}\[\], ]+\s*=\s*"), 1),
        (_P(r"=>\s*[{(]?"), 0.5),
        (_P(r"(?:console\.\w+|document\.|window\.|JSON\.(?:parse|stringify))"), 1),
        (_P(r"[\w)\]] (?:===|!==) "), 1),
        (_P(r"undefined\b|this\.\w+"), 0.5),
        (_P(r"^\s*import .* from ['\"]|^\s*import ['\"]"), 1),
        (_P(r"^\s*export (?:default|const|function|class|\{)"), 1),
    ),
    "typescript": (
        (_P(r"^\s*(?:export )?(?:declare )?interface \w+(?:<.*>)?(?: extends .*)? ?\{"), 3),
        (_P(r"^\s*(?:export )?(?:declare )?type \w+(?:<.*>)? = "), 3),
        (_P(r"\w\??: (?:string|number|boolean|any|unknown|void|never)\b"), 2),
        (_P(r"^\s*import type |^\s*export type "), 3),
        (_P(r"(?:private|public|protected) (?:readonly |static )?#?\w+\??[:(]"), 2),
        (_P(r"as (?:const|any|unknown|string|number)\b"), 2),
        (_P(r"\):\s*(?:Promise<|void|string|number|boolean)"), 2),
        (_P(r"<\w+(?:\[\])?>\("), 1),
        (_P(r"^\s*(?:export )?enum \w+ \{"), 2),
        (_P(r"^\s*(?:const|let) \w+: "), 2),
    ),
    "go": (
        (_P(r"^package \w+\s*$"), 4),
        (_P(r"^func (?:\(\w+ \*?[\w.\[\]]+\) )?\w+(?:\[.*\])?\("), 4),
        (_P(r" := "), 2),
        (_P(r"err != nil\b"), 3),
        (_P(r"^type \w+ (?:struct|interface) \{"), 3),
        (_P(r"^import \($|^import \"[\w/.]+\"$"), 3),
        (_P(r"fmt\.\w+\("), 2),
        (_P(r"^\s*(?:defer|go) \w"), 1),
        (_P(r"chan\b|map\[\w+\]"), 1),
    ),
    "rust": (
        (_P(r"^\s*(?:pub(?:\([\w:]+\))? )?(?:async )?(?:const )?(?:unsafe )?fn \w+"), 4),
        (_P(r"let mut \w+"), 3),
        (_P(r"^\s*use (?:std|crate|super|self|core)?::|^\s*use \w+::"), 3),
        (_P(r"^\s*impl(?:<.*>)? [\w:<>]+(?: for [\w:<>]+)? \{"), 3),
        (_P(r"&(?:mut )?self\b|&'\w+|'static\b"), 2),
        (_P(r"^\s*#!?\[(?:derive|cfg|test|allow|inline|doc)\b"), 3),
        (_P(r"(?:Option|Result|Vec|Box|Arc|Rc)<"), 1),
        (
            _P(r"(?:println|print|eprintln|format|write|writeln|vec|panic|assert|assert_eq|matches|unreachable|todo)!"),
            1,
        ),
        (_P(r"^\s*(?:pub )?(?:struct|enum|trait|mod) \w+"), 1),
        (_P(r"^\s*//[/!] "), 1),
    ),
    "java": (
        (_P(r"^package [\w.]+;\s*$"), 4),
        (_P(r"^import (?:static )?[\w.]+(?:\.\*)?;\s*$"), 3),
        (_P(r"^\s*(?:public |private |protected )?(?:abstract |final )*(?:class|interface|enum|record) \w+"), 1),
        (_P(r"^\s*(?:public|private|protected) (?:static )?(?:final )?(?:synchronized )?[\w<>\[\], ?]+ \w+\("), 2),
        (_P(r"^\s*@(?:Override|Test|Nullable|SuppressWarnings|Deprecated|FunctionalInterface)\b"), 3),
        (_P(r"System\.(?:out|err)\.|String\[\]|throws \w+"), 2),
        (_P(r"new \w+(?:<.*>)?\(|final \w+(?:<.*>)? \w+ ="), 1),
        (_P(r"^\s*\* @(?:param|return|throws|since|see)\b"), 1),
    ),
    "csharp": (
        (_P(r"^using (?:static )?[\w.]+;\s*$"), 3),
        (_P(r"^\s*namespace [\w.]+\s*[{;]?\s*$"), 3),
        (_P(r"\{ ?get; ?(?:private |init; ?|set; ?)?\}"), 4),
        (
            _P(
                r"^\s*(?:public|private|internal|protected) (?:static |async |override |virtual |sealed )*"
                r"(?:Task|void|string|int|bool|var|IEnumerable)\b"
            ),
            2,
        ),
        (_P(r"Console\.Write|string\.(?:Empty|Format|IsNullOrEmpty)"), 3),
        (_P(r"^\s*\[\w+(?:\(.*\))?\]\s*$"), 1),
        (_P(r"^\s*///\s*<\w+>"), 3),
    ),
    "c": (
        (_P(r"^#include <[\w/]+\.h>"), 3),
        (_P(r"^#include \"[\w/]+\.h\""), 1),
        (_P(r"^#(?:define|ifdef|ifndef|endif|if|pragma)\b"), 1),
        (_P(r"(?:printf|fprintf|malloc|free|memcpy|strlen|sizeof)\("), 2),
        (
            _P(
                r"^(?:static |extern |inline )*(?:unsigned |const )?(?:int|void|char|long|size_t|\w+_t|struct \w+)"
                r"\s*\**\s*\w+\(.*\)\s*\{?$"
            ),
            2,
        ),
        (_P(r"NULL\b|->\w+"), 1),
    ),
    "cpp": (
        (
            _P(
                r"^#include <(?:iostream|vector|string|map|memory|algorithm|unordered_map|set|utility|"
                r"functional|thread|mutex|sstream|fstream|cstdint|cstdio|cstdlib|optional|array)>"
            ),
            4,
        ),
        (_P(r"std::"), 3),
        (_P(r"^\s*template ?<"), 3),
        (_P(r"^\s*namespace \w+ \{|^using namespace "), 3),
        (_P(r"^\s*(?:public|private|protected):\s*$"), 3),
        (_P(r"(?:nullptr|constexpr|noexcept|static_cast|unique_ptr|shared_ptr)\b"), 2),
        (_P(r"^\s*class \w+(?: final)?(?: : (?:public|private) [\w:<>]+)? ?\{?$"), 2),
        (_P(r"::\w+\("), 1),
    ),
    "ruby": (
        (_P(r"^\s*def (?:self\.)?\w+[?!=]?(?:\(.*\))?\s*$"), 2),
        (_P(r"^\s*end\s*$"), 1.5),
        (_P(r"^\s*require(?:_relative)? ['\"]"), 3),
        (_P(r"do(?: \|[\w, ]+\|)?\s*$"), 2),
        (_P(r"^\s*(?:module|class) [A-Z][\w:]*(?: < [\w:]+)?\s*$"), 2),
        (_P(r"^\s*attr_(?:reader|writer|accessor) :"), 3),
        (_P(r"puts\b|elsif\b|nil\b|\.each\b|@\w+ = "), 1),
    ),
    "php": (
        (_P(r"<\?php"), 6),
        (_P(r"\$this->\w+"), 3),
        (_P(r"^\s*(?:public |private |protected )?(?:static )?function \w+\(.*\$"), 3),
        (_P(r"^\s*namespace [\w\\]+;|^use [\w\\]+(?: as \w+)?;"), 3),
        (_P(r"\$\w+\s*(?:=|->|\[)"), 1),
    ),
    # No grammar ships for these; naming them keeps their files from being parsed as Go or Java.
    "kotlin": (
        (_P(r"^\s*(?:(?:private|internal|override|suspend|inline|public) )*fun (?:<.*> )?[\w.]+\("), 3),
        (_P(r"^\s*(?:val|var) \w+(?:: [\w<>?, ]+)? = "), 2),
        (_P(r"^\s*(?:data |sealed |open |abstract )?class \w+\("), 2),
        (_P(r"^import [\w.]+(?:\.\*)?$"), 1),
        (_P(r"\?\.|!!\.| \?: |\bwhen \(|listOf\(|mapOf\("), 2),
    ),
    "swift": (
        (_P(r"^import (?:Foundation|UIKit|SwiftUI|Combine|XCTest)$"), 4),
        (
            _P(
                r"^\s*(?:(?:public|private|fileprivate|internal|static|override|@\w+) )*func \w+(?:<.*>)?\(.*\)"
                r"(?: (?:async )?(?:throws )?-> [\w\[\]?<>, ]+)? ?\{"
            ),
            3,
        ),
        (_P(r"^\s*(?:guard|if) let \w+ = "), 3),
        (_P(r"^\s*(?:struct|class|enum|protocol|extension) \w+(?:: [\w, ]+)? \{"), 1),
        (_P(r"^\s*(?:let|var) \w+: [\w\[\]?<>]+"), 1),
    ),
    "sql": (
        (
            _P(
                r"^\s*(?:CREATE|ALTER|DROP) (?:OR REPLACE )?(?:TABLE|INDEX|UNIQUE INDEX|VIEW|FUNCTION|TRIGGER|SCHEMA)\b"
            ),
            4,
        ),
        (_P(r"^\s*(?:SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH \w+ AS)\b"), 3),
        (_P(r"^\s*(?:FROM|WHERE|JOIN|LEFT JOIN|INNER JOIN|GROUP BY|ORDER BY|HAVING|LIMIT|VALUES|SET)\b"), 2),
        (_P(r"\b(?:NOT NULL|PRIMARY KEY|REFERENCES|DEFAULT)\b"), 1),
    ),
    "dockerfile": (
        (_P(r"^FROM [\w./:@-]+(?: (?:AS|as) \w+)?\s*$"), 4),
        (_P(r"^(?:RUN|COPY|ADD|CMD|ENTRYPOINT|ENV|ARG|WORKDIR|EXPOSE|USER|LABEL|VOLUME|HEALTHCHECK) \S"), 2),
    ),
    "bash": (
        (_P(r"^\s*(?:if \[\[? |elif \[|fi$|then$|do$|done$|esac$|case .* in$)"), 2),
        (_P(r"^\s*(?:export )?[A-Z_][A-Z0-9_]*=\S"), 1),
        (_P(r"^\s*(?:local|readonly|declare) \w+"), 2),
        (_P(r"^\s*set -[euxo]+"), 3),
        (_P(r"\$\{\w+[^}]*\}|\"\$\w+\"|\$\(\w"), 1),
        (_P(r"^\s*(?:function )?\w+\(\) \{|^\s*function \w+ \{"), 2),
        (_P(r"^\s*(?:echo|printf|exit|source|cd|mkdir|rm|cp|mv) "), 1),
        (_P(r"\|\| (?:exit|return|true)\b|2>&1|>/dev/null"), 2),
    ),
}

_JSX = re.compile(r"^\s*(?:return \(?\s*)?<(?:[A-Z]\w*|div|span|button|ul|li|p|a|img|section|form|input)[\s/>]")
_JSX_CLOSE = re.compile(r"</(?:[A-Z]\w*|div|span|button|ul|li|p|a|section|form)>|/>\s*$")


def guess_language(lines: Sequence[str]) -> str | None:
    """The most likely language of ``lines`` (a sample of non-blank source lines), or None."""
    return language_evidence(lines)[0]


def language_evidence(lines: Sequence[str]) -> tuple[str | None, float]:
    """(the most likely language or None, its score per sample line; decisive headers count as 9)."""
    if not lines:
        return None, 0.0
    for pattern, name in _SHEBANG:
        if pattern.match(lines[0]):
            return name, 9.0
    for pattern, name in _HEADERS:
        if any(pattern.match(ln) for ln in lines[:_HEADER_LINES]):
            return name, 9.0
    sample = lines[:_LANGUAGE_LINES]
    joined = "\n".join(sample)[:_LANGUAGE_CHARS]
    scores = {name: _score(joined, rules) for name, rules in _RULES.items()}
    _refine_families(scores)
    best = max(sorted(scores), key=lambda name: scores[name])
    density = scores[best] / len(sample)
    if scores[best] < max(2.0, 0.05 * len(sample)):
        return None, density
    if best == "typescript" and _jsx_lines(sample) >= 2:
        return "tsx", density
    return best, density


def _score(joined: str, rules: tuple[tuple[re.Pattern[str], float], ...]) -> float:
    """Weighted count of each rule's matches in the sample (rules are multi-line patterns)."""
    return sum(weight * len(pattern.findall(joined)) for pattern, weight in rules)


def _jsx_lines(lines: Sequence[str]) -> int:
    """Lines that close a JSX element (``</Button>``, ``/>``), if any line opens one."""
    if not any(_JSX.search(ln) for ln in lines):
        return 0
    return sum(1 for ln in lines if _JSX_CLOSE.search(ln))


def _refine_families(scores: dict[str, float]) -> None:
    """TypeScript is JavaScript plus types, C++ is C plus more: a superset's score includes its base."""
    if scores["typescript"] > 0:
        scores["typescript"] += scores["javascript"]
    if scores["cpp"] > 0:
        scores["cpp"] += scores["c"]
    # Java and C# share most syntax; C#'s own markers are decisive when present.
    if scores["csharp"] >= 6 and scores["java"] < 8:
        scores["csharp"] += scores["java"]
