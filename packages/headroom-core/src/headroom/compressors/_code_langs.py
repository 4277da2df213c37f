"""Per-language tables for `CodeCompressor`: grammars, node types, comment syntax.

Grammars are the pinned per-language tree-sitter wheels (core dependencies). They are imported on
first use and their `Language` objects cached, so importing headroom costs nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Parser

# Parents whose children are whole statements or members: only there may a long statement be
# replaced by a marker. Type bodies (struct fields, interface members, enum variants) are absent
# on purpose: a type's shape is always kept.
CONTAINERS = frozenset(
    {
        "module",
        "program",
        "source_file",
        "translation_unit",
        "compilation_unit",
        "block",
        "class_body",
        "declaration_list",
        "enum_body_declarations",
        "body_statement",
        "statement_block",
        "object",
        "compound_statement",
    }
)

_JS_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
_JS_KEEP = frozenset({"import_statement", "hash_bang_line"})
_TS_TYPES = frozenset(
    {
        "class_declaration",
        "class",
        "abstract_class_declaration",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "module",
        "internal_module",
    }
)
_C_TYPES = frozenset({"struct_specifier", "union_specifier", "enum_specifier", "type_definition"})
_C_KEEP = frozenset({"preproc_include", "preproc_def", "preproc_function_def"})


@dataclass(frozen=True)
class LangSpec:
    """What `CodeCompressor` needs to know about one language.

    Attributes:
        name: canonical name (``"python"``, ``"tsx"``, ...).
        module: the grammar wheel's import name.
        factory: the function of ``module`` that returns the grammar.
        line_comment: how a line comment starts (markers are written as one).
        filler: a statement written before a marker that replaces a whole body, where the language
            needs a statement there (Python ``...``, shell ``:``).
        functions: node types with a ``body`` field that can be replaced by a marker.
        types: declarations always kept (classes, structs, interfaces, enums, namespaces); the
            walk goes into them to reach methods and long comments.
        keep: statements never replaced (imports, includes, package clauses).
    """

    name: str
    module: str
    factory: str = "language"
    line_comment: str = "//"
    filler: str = ""
    functions: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()

    @property
    def docstrings(self) -> bool:
        """Whether a body's first string statement is its documentation (Python)."""
        return self.name == "python"


_SPECS = (
    LangSpec(
        "python",
        "tree_sitter_python",
        line_comment="#",
        filler="...",
        functions=frozenset({"function_definition"}),
        types=frozenset({"class_definition"}),
        keep=frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
    ),
    LangSpec(
        "javascript",
        "tree_sitter_javascript",
        functions=_JS_FUNCTIONS,
        types=frozenset({"class_declaration", "class"}),
        keep=_JS_KEEP,
    ),
    LangSpec(
        "typescript",
        "tree_sitter_typescript",
        "language_typescript",
        functions=_JS_FUNCTIONS,
        types=_TS_TYPES,
        keep=_JS_KEEP,
    ),
    LangSpec(
        "tsx",
        "tree_sitter_typescript",
        "language_tsx",
        functions=_JS_FUNCTIONS,
        types=_TS_TYPES,
        keep=_JS_KEEP,
    ),
    LangSpec(
        "go",
        "tree_sitter_go",
        functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
        types=frozenset({"type_declaration"}),
        keep=frozenset({"package_clause", "import_declaration"}),
    ),
    LangSpec(
        "rust",
        "tree_sitter_rust",
        functions=frozenset({"function_item", "closure_expression"}),
        types=frozenset({"struct_item", "enum_item", "union_item", "trait_item", "impl_item", "mod_item", "type_item"}),
        keep=frozenset({"use_declaration", "extern_crate_declaration"}),
    ),
    LangSpec(
        "java",
        "tree_sitter_java",
        functions=frozenset(
            {"method_declaration", "constructor_declaration", "compact_constructor_declaration", "lambda_expression"}
        ),
        types=frozenset(
            {
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "annotation_type_declaration",
            }
        ),
        keep=frozenset({"package_declaration", "import_declaration"}),
    ),
    LangSpec(
        "c",
        "tree_sitter_c",
        functions=frozenset({"function_definition"}),
        types=_C_TYPES,
        keep=_C_KEEP,
    ),
    LangSpec(
        "cpp",
        "tree_sitter_cpp",
        functions=frozenset({"function_definition", "lambda_expression"}),
        types=_C_TYPES | {"class_specifier", "namespace_definition", "linkage_specification"},
        keep=_C_KEEP | {"using_declaration", "alias_declaration"},
    ),
    LangSpec(
        "csharp",
        "tree_sitter_c_sharp",
        functions=frozenset(
            {
                "method_declaration",
                "constructor_declaration",
                "destructor_declaration",
                "operator_declaration",
                "conversion_operator_declaration",
                "local_function_statement",
                "accessor_declaration",
                "lambda_expression",
                "anonymous_method_expression",
            }
        ),
        types=frozenset(
            {
                "class_declaration",
                "struct_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "namespace_declaration",
                "file_scoped_namespace_declaration",
            }
        ),
        keep=frozenset({"using_directive", "extern_alias_directive"}),
    ),
    LangSpec(
        "ruby",
        "tree_sitter_ruby",
        line_comment="#",
        functions=frozenset({"method", "singleton_method"}),
        types=frozenset({"class", "module", "singleton_class"}),
    ),
    LangSpec(
        "php",
        "tree_sitter_php",
        "language_php",
        functions=frozenset({"function_definition", "method_declaration", "anonymous_function", "arrow_function"}),
        types=frozenset(
            {
                "class_declaration",
                "interface_declaration",
                "trait_declaration",
                "enum_declaration",
                "namespace_definition",
            }
        ),
        keep=frozenset({"php_tag", "namespace_use_declaration"}),
    ),
    LangSpec(
        "bash",
        "tree_sitter_bash",
        line_comment="#",
        filler=":",
        functions=frozenset({"function_definition"}),
    ),
)

SPECS: dict[str, LangSpec] = {s.name: s for s in _SPECS}

ALIASES: dict[str, str] = {
    "py": "python",
    "python3": "python",
    "pyi": "python",
    "js": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "node": "javascript",
    "ts": "typescript",
    "mts": "typescript",
    "cts": "typescript",
    "golang": "go",
    "rs": "rust",
    "h": "c",
    "c++": "cpp",
    "cc": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "hh": "cpp",
    "hxx": "cpp",
    "cs": "csharp",
    "c#": "csharp",
    "c_sharp": "csharp",
    "rb": "ruby",
    "sh": "bash",
    "shell": "bash",
    "zsh": "bash",
}


def spec_for(name: str | None) -> LangSpec | None:
    """The spec for a language name or alias (case-insensitive), or None when unsupported."""
    if not name:
        return None
    key = name.strip().lower()
    return SPECS.get(ALIASES.get(key, key))


@cache
def language(name: str) -> Language:
    """The tree-sitter `Language` for a canonical name, imported on first use and cached.

    Raises:
        ImportError: the grammar wheel is missing (it names the install command).
    """
    from tree_sitter import Language

    spec = SPECS[name]
    try:
        module = importlib.import_module(spec.module)
    except ImportError as e:  # pragma: no cover - the grammars are core dependencies
        wheel = spec.module.replace("_", "-")
        raise ImportError(f"the {name} grammar is missing: pip install {wheel}") from e
    return Language(getattr(module, spec.factory)())


def parser(name: str) -> Parser:
    """A new parser for a canonical language name (parsers are cheap; languages are cached)."""
    from tree_sitter import Parser

    return Parser(language(name))
