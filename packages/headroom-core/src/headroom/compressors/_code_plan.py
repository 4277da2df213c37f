"""The plan of a code compression: which line ranges may become markers, and the functions found.

One walk over the syntax tree, descending only into nodes that hold a function or a type (a
C-level query finds those up front, so a 10,000-line literal is never walked node by node):

- a function with a body is a `Unit`; its body's inner lines are a candidate ``body`` region;
- a long statement with no function or type inside, whose parent holds statements or members,
  is a candidate ``statement`` region (module-level code, long class-level initialisers);
- the first lines of long comments and docstrings are kept; the rest is a ``comment`` region.

Regions are whole lines; the caller decides which to apply once it knows which units are relevant.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal

from headroom.compressors._code_langs import CONTAINERS, LangSpec, language

if TYPE_CHECKING:
    from tree_sitter import Node, Query, Tree

RegionKind = Literal["body", "statement", "comment", "docstring"]

MAX_DEPTH = 120
_ALNUM = re.compile(rb"[A-Za-z0-9]")
_COST = re.compile(rb"\w+|[^\w\s]")
# Function-like nodes without a declared name: a body holding only these is still collapsed whole.
_ANONYMOUS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
        "func_literal",
        "closure_expression",
        "lambda_expression",
        "anonymous_function",
        "anonymous_method_expression",
    }
)
_NAME_FIELDS = ("name", "key", "left", "property", "declarator")


def cost(data: bytes) -> int:
    """A cheap, deterministic stand-in for a token count (words and punctuation marks)."""
    return len(_COST.findall(data))


@dataclass(frozen=True)
class Thresholds:
    """When a region is worth a marker."""

    body_rows: int = 3
    statement_rows: int = 8
    comment_rows: int = 3
    gain: float = 1.5


@dataclass(frozen=True)
class Region:
    """A run of whole lines (0-based, inclusive) that may be replaced by one marker line."""

    start: int
    end: int
    kind: RegionKind
    summary: str
    indent: str
    inside: bool = False  # the marker lands inside a block comment or a docstring
    unit: int | None = None
    silent: bool = False  # left out without a marker of its own: the next marker's range covers it
    marker_start: int | None = None  # first row of the range the marker names, when before ``start``
    weak: bool = False  # too short for a marker of its own; used only when it can share one
    head: int | None = None  # first row of the whole comment or docstring (its kept lines included)


@dataclass
class Unit:
    """A function or method with a body."""

    name: str
    start: int
    end: int
    body: tuple[int, int]
    owner: str | None
    region: int | None = None
    small: Region | None = None  # a body too short for a marker of its own
    descended: bool = False  # holds nested definitions: its statements were planned one by one


@dataclass
class Plan:
    """Everything the walk found."""

    units: list[Unit] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    types: list[str] = field(default_factory=list)


@cache
def _query(spec: LangSpec, kinds: tuple[str, ...]) -> Query | None:
    from tree_sitter import Query

    lang = language(spec.name)
    known = [k for k in kinds if lang.id_for_node_kind(k, True)]
    if not known:
        return None
    query: Query = Query(lang, "[" + " ".join(f"({k})" for k in known) + "] @n")
    return query


def _starts(tree: Tree, spec: LangSpec, kinds: frozenset[str]) -> list[Node]:
    from tree_sitter import QueryCursor

    q = _query(spec, tuple(sorted(kinds)))
    if q is None:
        return []
    nodes = QueryCursor(q).captures(tree.root_node).get("n", [])
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def last_row(node: Node) -> int:
    """The last row holding part of ``node`` (some grammars end a line comment after its newline)."""
    row, col = node.end_point
    return row - 1 if col == 0 and row > node.start_point.row else row


def _clean(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split()).replace("*/", "* /").replace('"""', "").replace("'''", "")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class Planner:
    """Builds a `Plan` for one parsed source."""

    def __init__(self, source: bytes, tree: Tree, spec: LangSpec, limits: Thresholds, marker_cost: int) -> None:
        self.src = source
        self.lines = source.split(b"\n")
        self.tree = tree
        self.spec = spec
        self.limits = limits
        self.marker_cost = marker_cost
        self.plan = Plan()
        defs = _starts(tree, spec, spec.functions | spec.types)
        self._def_starts = [n.start_byte for n in defs]
        self._decl_starts = [n.start_byte for n in defs if n.type not in _ANONYMOUS]

    def run(self) -> Plan:
        """Walk the tree, then add the comment regions."""
        self._children(self.tree.root_node, 0, None)
        self._comments()
        return self.plan

    # ---------------------------------------------------------------- helpers
    def _text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _has_def(self, node: Node, *, named: bool = False) -> bool:
        starts = self._decl_starts if named else self._def_starts
        i = bisect.bisect_left(starts, node.start_byte)
        return i < len(starts) and starts[i] < node.end_byte

    def _indent(self, start: int, end: int) -> str:
        for row in range(start, end + 1):
            line = self.lines[row]
            if line.strip():
                return line[: len(line) - len(line.lstrip())].decode("utf-8", "replace")
        return ""

    def _owns_rows(self, node: Node) -> bool:
        first, last = self.lines[node.start_point.row], self.lines[node.end_point.row]
        before = first[: node.start_point.column]
        after = last[node.end_point.column :].strip().lstrip(b",;").strip()
        return not before.strip() and (not after or after.startswith((b"//", b"#", b"/*")))

    def worth(self, spans: list[tuple[int, int]]) -> bool:
        """Whether leaving out these row spans saves enough to pay for one marker."""
        omitted = sum(cost(b"\n".join(self.lines[a : b + 1])) for a, b in spans)
        return omitted >= self.limits.gain * self.marker_cost

    def _worth(self, start: int, end: int, min_rows: int) -> bool:
        if end - start + 1 < min_rows:
            return False
        omitted = b"\n".join(self.lines[start : end + 1])
        return cost(omitted) >= self.limits.gain * self.marker_cost

    def name_of(self, node: Node, *, fallback: str | None = None) -> str | None:
        """The declared name of a function or type node, following C declarators."""
        for _ in range(6):
            child = node.child_by_field_name("name") or node.child_by_field_name("declarator")
            if child is None and fallback:
                child = node.child_by_field_name(fallback)  # Rust `impl Type`
            if child is None:
                return None
            if child.child_by_field_name("declarator") is None and child.child_by_field_name("name") is None:
                return _clean(self._text(child), 60)
            node, fallback = child, None
        return None

    def _context_name(self, node: Node) -> str:
        parent = node.parent
        for _ in range(3):
            if parent is None:
                break
            for fname in _NAME_FIELDS:
                child = parent.child_by_field_name(fname)
                if child is not None and child.id != node.id and child.end_byte <= node.start_byte:
                    return _clean(self._text(child), 60)
            parent = parent.parent
        return f"anonymous function at line {node.start_point.row + 1}"

    # ---------------------------------------------------------------- walk
    def _children(self, node: Node, depth: int, owner: str | None, runs_of: str | None = None) -> None:
        """Visit the children of ``node``; inside a function (``runs_of``) group plain statements."""
        if depth > MAX_DEPTH:
            return
        container = node.type in CONTAINERS
        first = True
        run: list[Node] = []
        for child in node.named_children:
            if "comment" in child.type:
                if run:
                    run.append(child)
                continue
            if first and container and self.spec.docstrings and self._docstring(child):
                if child.start_point.row != child.end_point.row:
                    self._docstring_region(child)
                first = False
                continue
            first = False
            if runs_of is not None and not self._has_def(child):
                run.append(child)
                continue
            self._run(run, runs_of)
            run = []
            self._visit(child, depth + 1, owner, container)
        self._run(run, runs_of)

    def _run(self, run: list[Node], owner: str | None) -> None:
        """One marker for a run of statements of a function that also holds nested definitions."""
        while run and "comment" in run[-1].type:
            run.pop()
        if not run or not self._owns_rows(run[0]) or not self._owns_rows(run[-1]):
            return
        start, end = run[0].start_point.row, run[-1].end_point.row
        if self._worth(start, end, self.limits.body_rows):
            summary = f"{end - start + 1} lines of {owner} omitted"
            self.plan.regions.append(Region(start, end, "statement", summary, self._indent(start, end)))

    def _visit(self, node: Node, depth: int, owner: str | None, in_container: bool) -> None:
        kind = node.type
        if kind in self.spec.functions and node.child_by_field_name("body") is not None:
            self._function(node, owner, depth)
        elif kind in self.spec.types:
            name = self.name_of(node, fallback="type")
            if name:
                self.plan.types.append(name)
            self._children(node, depth, name or owner)
        elif kind in self.spec.keep:
            return
        elif self._has_def(node) or (kind in CONTAINERS and self._in_type(node)):
            self._children(node, depth, owner)
        elif in_container:
            self._statement(node)

    def _in_type(self, node: Node) -> bool:
        return node.parent is not None and node.parent.type in self.spec.types

    def _statement(self, node: Node) -> None:
        start, end = node.start_point.row, node.end_point.row
        if not self._owns_rows(node) or not self._worth(start, end, self.limits.statement_rows):
            return
        label = None
        for fname in _NAME_FIELDS:
            child = node.child_by_field_name(fname)
            if child is not None and child.end_point.row == start:
                label = _clean(self._text(child), 50)
                break
        if label is None:
            label = _clean(self.lines[start].decode("utf-8", "replace"), 50)
        summary = f"{end - start + 1}-line statement `{label}` omitted"
        self.plan.regions.append(Region(start, end, "statement", summary, self._indent(start, end)))

    # ---------------------------------------------------------------- functions
    def _function(self, node: Node, owner: str | None, depth: int) -> None:
        body = node.child_by_field_name("body")
        assert body is not None
        name = self.name_of(node) or self._context_name(node)
        unit = Unit(name, node.start_point.row, node.end_point.row, (body.start_byte, body.end_byte), owner)
        if self._has_def(body, named=True) and body.type in CONTAINERS:
            # Nested named functions or classes (closures, decorators, module patterns): keep
            # their signatures, fold the statements around them.
            unit.descended = True
            self.plan.units.append(unit)
            self._children(body, depth + 1, owner, runs_of=name)
            return
        rows = self._body_rows(node, body)
        if rows is not None:
            start, end, doc = rows
            summary = f"body of {name} omitted" + (f" — doc: {doc}" if doc else "")
            region = Region(start, end, "body", summary, self._body_indent(body, start, end), unit=len(self.plan.units))
            if self._worth(start, end, self.limits.body_rows):
                unit.region = len(self.plan.regions)
                self.plan.regions.append(region)
            else:
                unit.small = region
        self.plan.units.append(unit)

    def _body_indent(self, body: Node, start: int, end: int) -> str:
        """Where the marker goes: the column of the body's first statement when the body is bare
        (Python, Ruby), so a comment at another indentation cannot end the block early."""
        if self.src[body.start_byte : body.start_byte + 1] == b"{" or not start <= body.start_point.row <= end:
            return self._indent(start, end)
        line = self.lines[body.start_point.row]
        return line[: body.start_point.column].decode("utf-8", "replace")

    def _body_rows(self, node: Node, body: Node) -> tuple[int, int, str] | None:
        """The inner rows of a body that can be omitted, and the first docstring line (Python)."""
        src = self.src
        if src[body.start_byte : body.start_byte + 1] == b"{" and src[body.end_byte - 1 : body.end_byte] == b"}":
            open_row, close_row = body.start_point.row, body.end_point.row
            rest = self.lines[open_row][body.start_point.column + 1 :].strip()
            if rest and not rest.startswith((b"//", b"#", b"/*")):
                return None
            if self.lines[close_row][: body.end_point.column - 1].strip():
                return None
            return (open_row + 1, close_row - 1, "") if close_row - open_row >= 2 else None
        prev = body.prev_sibling
        while prev is not None and "comment" in prev.type:
            prev = prev.prev_sibling
        if prev is None or prev.end_point.row >= body.start_point.row:
            return None
        start, end = prev.end_point.row + 1, body.end_point.row
        if body.end_point.column == 0:
            end -= 1
        tail = self.lines[end][body.end_point.column :] if end == body.end_point.row else b""
        if tail.strip() or end < start:
            return None
        doc = ""
        stmts = [c for c in body.named_children if "comment" not in c.type]
        if self.spec.docstrings and stmts and self._docstring(stmts[0]):
            first = stmts[0]
            if first.start_point.row == first.end_point.row:
                start = first.end_point.row + 1
            else:
                doc = self._doc_line(first)
        return (start, end, doc) if start <= end else None

    # ---------------------------------------------------------------- docstrings and comments
    @staticmethod
    def _docstring(node: Node) -> bool:
        return (
            node.type == "expression_statement"
            and node.named_child_count == 1
            and node.named_children[0].type in {"string", "concatenated_string"}
        )

    def _doc_line(self, node: Node) -> str:
        for row in range(node.start_point.row, node.end_point.row + 1):
            text = self.lines[row].decode("utf-8", "replace").strip().lstrip("rRuUbBfF").strip("\"' ")
            if _ALNUM.search(text.encode()):
                return _clean(text)
        return ""

    def _first_text_row(self, start: int, end: int) -> int:
        for row in range(start, end + 1):
            if _ALNUM.search(self.lines[row]):
                return row
        return start

    def _docstring_region(self, node: Node) -> None:
        if node.named_children[0].type != "string":
            return  # "a" "b" "c" over several lines: the middle lines are not inside one string
        start, end = node.start_point.row, node.end_point.row
        keep = self._first_text_row(start, end)
        if self._worth(keep + 1, end - 1, self.limits.comment_rows):
            indent = self._indent(keep + 1, end - 1)
            region = Region(keep + 1, end - 1, "docstring", "rest of docstring omitted", indent, True, head=start)
            self.plan.regions.append(region)

    def _comments(self) -> None:
        kinds = frozenset({"comment", "line_comment", "block_comment"})
        run: list[Node] = []
        for node in _starts(self.tree, self.spec, kinds):
            row = node.start_point.row
            if self.lines[row][: node.start_point.column].strip():
                self._comment_region(run)  # a comment trailing a line of code ends a run
                run = []
                continue
            single = row == last_row(node)
            prev = run[-1] if run else None
            if prev is not None and single and prev.start_point.row == last_row(prev) == row - 1:
                run.append(node)
                continue
            self._comment_region(run)
            run = [node]
        self._comment_region(run)

    def _comment_region(self, run: list[Node]) -> None:
        if not run:
            return
        start, end = run[0].start_point.row, last_row(run[-1])
        keep = self._first_text_row(start, end)
        block = len(run) == 1 and start != end
        last = end - 1 if block else end
        if last < keep + 1:
            return
        weak = not self._worth(keep + 1, last, self.limits.comment_rows)
        indent = self._indent(keep + 1, last) if block else self._indent(start, start)
        region = Region(keep + 1, last, "comment", "rest of comment omitted", indent, block, weak=weak, head=start)
        self.plan.regions.append(region)
