"""A plain HTML → markdown rendering of everything visible, for fragments and extraction misses.

trafilatura looks for an article and drops what looks like boilerplate; a fragment (a snippet an API
returned) has no boilerplate, and some pages have no article. This renders every visible block in
document order: headings, paragraphs, list items, preformatted blocks (fenced, verbatim), table rows
and links, skipping scripts, styles, forms and navigation. One iterative walk, so deep trees cannot
exhaust the stack and cost stays linear.
"""

from __future__ import annotations

import re
from typing import Any

_SKIP = frozenset(
    "script style noscript template svg math head iframe object embed canvas nav footer aside form "  # noqa: SIM905 (a word list reads best as words)
    "button select option textarea input dialog".split()
)
_BLOCK = frozenset(
    "address article blockquote body center dd details dialog div dl dt fieldset figcaption figure "  # noqa: SIM905 (a word list reads best as words)
    "header hgroup hr html li main ol p section summary ul br caption".split()
)
_HEADINGS = {f"h{i}": "#" * i for i in range(1, 7)}
_LISTS = frozenset({"ul", "ol"})
_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_ITEM = re.compile(r"\s*- ")
_BLANK_RUN = re.compile(r"\n{3,}")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def _tag(el: Any) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _cell(el: Any) -> str:
    return _WS.sub(" ", el.text_content()).strip().replace("|", "\\|")


def _table(el: Any) -> list[str]:
    rows = []
    for tr in el.iter("tr"):
        cells = [_cell(c) for c in tr if _tag(c) in ("td", "th")]
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    if rows:
        width = rows[0].count(" | ") + 1
        rows.insert(1, "|" + "---|" * width)
    return rows


class _Walk:
    """Accumulates blocks of markdown while an ``iterwalk`` visits the tree."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.line: list[str] = []
        self.prefix = ""
        self.depth = 0  # list nesting
        self.links: list[str] = []

    def text(self, s: str | None) -> None:
        if s:
            flat = " ".join(s.split())  # faster than a regular expression on millions of nodes
            if s[0].isspace() and flat:
                flat = " " + flat
            if s[-1].isspace():
                flat += " "
            self.line.append(flat)

    def flush(self) -> None:
        body = "".join(self.line).strip()
        if body:
            self.blocks.append(f"{self.prefix}{body}")
        self.line, self.prefix = [], ""

    def start(self, el: Any, tag: str) -> bool:
        """Handle an opening tag; True when its subtree was rendered whole (skip it)."""
        if tag in _HEADINGS:
            self.flush()
            self.prefix = _HEADINGS[tag] + " "
        elif tag == "pre":
            self.flush()
            self.blocks.append("```\n" + el.text_content().strip("\n") + "\n```")
            return True
        elif tag == "table":
            self.flush()
            self.blocks.append("\n".join(_table(el)))
            return True
        elif tag in _LISTS:
            self.flush()
            self.depth += 1
        elif tag == "li":
            self.flush()
            self.prefix = "  " * max(self.depth - 1, 0) + "- "
        elif tag in _BLOCK:
            self.flush()
        elif tag == "a":
            self.links.append(str(el.get("href") or "").strip())
            self.line.append("[")
        self.text(el.text)
        return False

    def end(self, tag: str) -> None:
        if tag == "a" and self.links:
            href = self.links.pop()
            self.line.append(f"]({href})" if href and " " not in href else "]()")
        elif tag in _LISTS:
            self.flush()
            self.depth -= 1
        elif tag in _HEADINGS or tag in _BLOCK:
            self.flush()


def render_markdown(tree: Any) -> str:
    """Markdown of every visible block under ``tree`` (an lxml element), in document order.

    Links come out as ``[text](href)`` (``[text]()`` without a usable target) for the caller to
    tidy; text inside ``<pre>`` is kept verbatim in a fence.
    """
    from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs; lazy: trafilatura's dependency

    body = tree.find(".//body")
    root = body if body is not None else tree
    walk = _Walk()
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = _tag(el)
        if event == "start":
            if not tag or tag in _SKIP or walk.start(el, tag):
                walker.skip_subtree()
        else:
            if tag and tag not in _SKIP:
                walk.end(tag)
            if el is not root:
                walk.text(el.tail)
    walk.flush()
    out: list[str] = []
    for i, block in enumerate(walk.blocks):
        tight = i and _ITEM.match(block) and _ITEM.match(walk.blocks[i - 1])
        out.append(("\n" if tight else "\n\n") + block if i else block)
    return "".join(out)


def tidy_markdown(markdown: str, *, unescape: bool) -> str:
    """Strip trailing blanks, collapse blank runs and, with ``unescape``, undo markdown escapes.

    trafilatura escapes markdown punctuation (``\\[``, ``\\*``), which makes the page's own text
    differ from what it says; the reader is a model, not a markdown renderer. Code fences are left
    as they are.
    """
    lines, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        plain = fenced or not unescape
        lines.append(line.rstrip() if plain else _ESCAPE.sub(r"\1", line.rstrip()))
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")
