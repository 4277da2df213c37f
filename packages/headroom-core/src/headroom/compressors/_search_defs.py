"""Definitions in search hits, judged with the code compressor's grammars.

The search compressor's regular expressions know the common definition forms (``def``/``class``/
``func NAME``, modifiers, Go receivers). A hit they do not recognise — a C function with only a
return type (``int parse_args(...) {``), a Java method without modifiers, a TypeScript method with a
return type, a C++ ``Type::method`` — is parsed on its own with the grammar of its file's language
(the tree-sitter grammars `CodeCompressor` uses): the name is defined there when it names a function,
method or type node of the parse. Only lines shaped like a signature (type words, then the name,
then ``(``) are parsed, so a grep over a name's call sites costs no parse at all.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from headroom.compressors._code_langs import ALIASES, SPECS, parser

if TYPE_CHECKING:
    from tree_sitter import Node

# Parsed inside a class, where a method is valid on its own.
_WRAP = {
    "java": "class X {{ {} }}",
    "csharp": "class X {{ {} }}",
    "typescript": "class X {{ {} }}",
    "tsx": "class X {{ {} }}",
}
_EXTRA_KINDS = frozenset({"method_declaration", "function_declaration", "function_item", "method_definition"})
_NAME_TYPES = frozenset({"identifier", "field_identifier", "qualified_identifier", "property_identifier"})
_STATEMENT = re.compile(r"\s*(?:return|throw|yield|await|new|else|case|goto|delete|if|while|for|switch|do|echo)\b")


def language_of(path: str) -> str | None:
    """The code compressor's language for a file path, by its extension (None when unknown)."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    name = ALIASES.get(ext, ext)
    return name if name in SPECS else None


def signature_shaped(text: str, name: str) -> bool:
    """Whether ``text`` reads as type words, then ``name``, then ``(`` (a candidate for `defines`)."""
    if _STATEMENT.match(text):
        return False
    return re.match(rf"\s*(?:[\w:<>\[\]*&,.?]+\s+)*[*&]*(?:[\w]+::)*{re.escape(name)}\s*\(", text) is not None


def defines(text: str, name: str, lang: str) -> bool:
    """Whether the line ``text``, parsed alone in ``lang``, defines ``name``."""
    return name in _defined(text.strip(), lang)


@lru_cache(maxsize=4096)  # the same signature line often comes back (a file searched twice)
def _defined(line: str, lang: str) -> frozenset[str]:
    line += " }" * max(line.count("{") - line.count("}"), 0)  # close the body the hit opens
    source = _WRAP.get(lang, "{}").format(line).encode()
    spec = SPECS[lang]
    kinds = spec.functions | spec.types | _EXTRA_KINDS
    found: set[str] = set()
    stack = [parser(lang).parse(source).root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type not in kinds or node.has_error:
            continue
        named = _name_of(node)
        if named is not None and named.text is not None:
            found.add(named.text.decode("utf-8", "replace").rsplit("::", 1)[-1])
    return frozenset(found)


def _name_of(node: Node) -> Node | None:
    """A definition node's name: its ``name`` field, else the innermost name of its declarator."""
    named = node.child_by_field_name("name")
    declarator = node.child_by_field_name("declarator")
    while named is None and declarator is not None:
        if declarator.type in _NAME_TYPES:
            return declarator
        declarator = declarator.child_by_field_name("declarator")
    return named
