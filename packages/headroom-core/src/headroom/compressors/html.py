"""HTMLExtractor: a web page reduced to its readable main content, rendered as markdown.

Pages are mostly boilerplate: navigation, scripts, styles, ads, cookie banners, footers. The main
content (headings, paragraphs, lists, tables, code blocks, links) is found with trafilatura and
rendered as markdown, led by the page title and description. The whole page stays in the store and
one marker says what was done, so a model can fetch the raw HTML when it needs it.

This is the one compressor whose output is not verbatim lines of its input: it is a rendering of
the page. A fragment (a snippet without ``<html>``/``<body>``, e.g. an API field holding HTML) has no
boilerplate to find, so all of it is rendered; so is a page whose extraction finds next to nothing.
XML that is not HTML (feeds, SVG, build files) is left alone. trafilatura never touches the network
here: only its ``fetch_*`` functions do, and they are not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import Any

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._html_render import render_markdown, tidy_markdown
from headroom.markers import format_marker

_HTML_HINT = re.compile(
    r"<!doctype html|<html[\s>]|<body[\s>]|<head[\s>]|<(?:div|p|span|a|table|ul|ol|li|h[1-6]|br|img|section|"
    r"article|nav|main|header|footer|form|script|style|meta|link)[\s/>]",
    re.IGNORECASE,
)
_HTML_DOC = re.compile(r"<!doctype html|<html[\s>]|<body[\s>]", re.IGNORECASE)
_FIRST_TAG = re.compile(r"<([A-Za-z][\w:.-]*)")
_HTML_TAGS = frozenset(
    "a abbr article aside b blockquote body br button code dd details div dl dt em figure footer "  # noqa: SIM905 (a word list reads best as words)
    "form h1 h2 h3 h4 h5 h6 head header hr i iframe img input label li link main meta nav noscript "
    "ol p pre script section small span strong style sup table tbody td th thead title tr u ul".split()
)
_WORDS = re.compile(r"\w+")
_LINK = re.compile(r"(!?)\[([^\[\]\n]*)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
_TABLE_ROW = re.compile(r"^\|.*\|$")
_SPACES = re.compile(r"\s+")


def _looks_like_html(text: str) -> bool:
    """HTML (a page or a fragment), as opposed to other XML or to text that merely holds a tag."""
    head = text[:4096]
    if _HTML_DOC.search(head):
        return True
    first = _FIRST_TAG.search(head)
    # A document rooted in another XML vocabulary (rss, svg, project, ...) is not a page, even
    # when it embeds a few HTML-looking tags.
    if first is None or first.group(1).lower() not in _HTML_TAGS:
        return False
    return len(_HTML_HINT.findall(text[:65536])) >= 2


def _words(text: str) -> int:
    return len(_WORDS.findall(text))


def _text_chars(text: str) -> int:
    """Letters and digits: a size that counts CJK text fairly (it has no spaces between words)."""
    return sum(len(w) for w in _WORDS.findall(text))


def _main_element(tree: Any) -> Any:
    """The page's main element: ``<main>``, else ``role="main"``, else its only ``<article>``; or None."""
    for path in (".//main", ".//*[@role='main']"):
        found = tree.find(path)
        if found is not None:
            return found
    articles = tree.findall(".//article")
    return articles[0] if len(articles) == 1 else None


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _metas(tree: Any) -> dict[str, str]:
    """``<meta name|property=... content=...>`` values, first one per name (one pass over the page)."""
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = str(el.get("name") or el.get("property") or "").lower()
        value = _norm(str(el.get("content") or ""))
        if key and value:
            found.setdefault(key, value)
    return found


def _first(metas: dict[str, str], *names: str) -> str:
    return next((metas[n] for n in names if n in metas), "")


@dataclass(frozen=True)
class _Page:
    """What a page says about itself besides its content."""

    title: str
    headline: str
    description: str

    @classmethod
    def of(cls, tree: Any) -> _Page:
        title = next(tree.iter("title"), None)
        metas = _metas(tree)
        return cls(
            title=_norm(title.text_content()) if title is not None else "",
            headline=_first(metas, "og:title", "twitter:title"),
            description=_first(metas, "description", "og:description", "twitter:description"),
        )

    def head(self, body: str) -> list[str]:
        """The title lines and the description, unless the body already says them."""
        start, whole = _norm(body[:2000]).lower(), _norm(body).lower()
        title, headline = self.title.lower(), self.headline.lower()
        lines = []
        if headline and headline not in start:
            lines.append(f"# {self.headline}")
        if title and title not in start and title not in headline:
            lines.append(f"Page title: {self.title}" if lines else f"# {self.title}")
        if self.description and self.description.lower() not in whole:
            lines.append(self.description)
        return lines


@dataclass(frozen=True)
class _Rendering:
    """The markdown rendering of a page and what it holds (for the marker)."""

    body: str
    what: str
    links: int = 0
    dropped_targets: int = 0


def _tidy_links(markdown: str, max_url_chars: int) -> tuple[str, int, int]:
    """Keep every link's text; drop in-page anchors, script links, images and over-long targets.

    Returns the markdown, the number of links kept with their target, and the number of targets
    dropped for their length.
    """
    kept = dropped = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal kept, dropped
        bang, label, url = m.group(1), m.group(2), m.group(3)
        if bang or not url or url.startswith(("#", "javascript:")):
            return label  # an image's alt text, an anchor's text: the target is of no use
        if len(url) > max_url_chars:
            dropped += 1
            return label
        kept += 1
        return m.group(0)

    return _LINK.sub(repl, markdown), kept, dropped


def _count_tables(markdown: str) -> int:
    tables, inside = 0, False
    for line in markdown.split("\n"):
        row = bool(_TABLE_ROW.match(line))
        tables += row and not inside
        inside = row
    return tables


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def preload() -> None:
    """Import trafilatura now (about 0.3 s here), so the first page a server compresses does not wait.

    `HTMLExtractor` imports it lazily, keeping ``import headroom`` light; long-running servers call
    this in a background thread at start-up.
    """
    import trafilatura  # noqa: F401


@dataclass(frozen=True)
class HTMLExtractor:
    """Render a page's main content as markdown; keep the page in the store behind one marker.

    Attributes:
        min_chars: HTML shorter than this is left alone.
        max_url_chars: link targets longer than this are dropped (the link text stays); the page,
            with every URL, is one retrieval away.
        include_comments: keep the reader comments trafilatura finds under an article.
        min_text: an extraction with fewer letters and digits than this, and than ``min_share`` of
            the page's visible text, is not trusted: the page's visible content is rendered instead.
        min_share: see ``min_text``.
        max_elements: pages with more elements than this are rendered whole (less navigation,
            forms and scripts) instead of searched for an article: trafilatura's cost grows faster
            than the page, and a 50 MB page must still take seconds.
        fast: trafilatura's ``fast`` mode (no second-opinion extractors).
        main_share: when extraction holds less than this share of the words of the page's main
            element (``<main>``, ``role="main"``, a lone ``<article>``), that element is rendered
            whole instead.
    """

    name: str = "html"
    min_chars: int = 400
    max_url_chars: int = 160
    include_comments: bool = False
    min_text: int = 200
    min_share: float = 0.03
    max_elements: int = 10_000
    fast: bool = False
    main_share: float = 0.5

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The page's main content as markdown after a marker, or None when it is not HTML."""
        if len(text) < self.min_chars or not _looks_like_html(text):
            return None
        from trafilatura.utils import load_html  # lazy: lxml and trafilatura are heavy imports

        page = _HTML_DOC.search(text[:65536]) is not None
        tree = load_html(text if page else f"<html><body>{text}</body></html>")
        if tree is None:
            return None
        small = sum(1 for _ in islice(tree.iter(), self.max_elements + 1)) <= self.max_elements
        rendering = self._extract(tree) if page and small else None
        if rendering is not None:
            rendering = self._main_fallback(tree, rendering)
        if rendering is None:
            rendering = self._render_all(tree, "visible content")
        if not rendering.body.strip():
            return None
        head = _Page.of(tree).head(rendering.body) if page else []
        marker = format_marker(ref, self._summary(text, rendering, page))
        return "\n\n".join([marker, *head, rendering.body])

    def _extract(self, tree: Any) -> _Rendering | None:
        """trafilatura's main content, or None when it found next to nothing."""
        from trafilatura import extract, html2txt

        markdown = extract(
            tree,
            output_format="markdown",
            include_tables=True,
            include_links=True,
            include_formatting=True,
            include_images=False,
            include_comments=self.include_comments,
            fast=self.fast,
            favor_recall=True,
        )
        body, links, dropped = _tidy_links(markdown or "", self.max_url_chars)
        body = tidy_markdown(body, unescape=True)
        size = _text_chars(body)
        if size < self.min_text and size < self.min_share * _text_chars(html2txt(tree)):
            return None
        return _Rendering(body=body, what="main content", links=links, dropped_targets=dropped)

    def _main_fallback(self, tree: Any, extracted: _Rendering) -> _Rendering:
        """The page's main element, rendered whole, when extraction kept few of its words.

        Pages that are mostly lists, tables of contents or link indexes are where article
        extraction keeps almost nothing; their main element says what the page holds.
        """
        main = _main_element(tree)
        if main is None:
            return extracted
        rendered = render_markdown(main)
        wanted = {w.lower() for w in _WORDS.findall(rendered)}
        if not wanted:
            return extracted
        found = wanted & {w.lower() for w in _WORDS.findall(extracted.body)}
        if len(found) >= self.main_share * len(wanted):
            return extracted
        return self._render_all(main, "main element", rendered)

    def _render_all(self, tree: Any, what: str, markdown: str | None = None) -> _Rendering:
        body, links, dropped = _tidy_links(markdown or render_markdown(tree), self.max_url_chars)
        return _Rendering(body=tidy_markdown(body, unescape=False), what=what, links=links, dropped_targets=dropped)

    def _summary(self, text: str, r: _Rendering, page: bool) -> str:
        parts = [_plural(_words(r.body), "word")]
        tables = _count_tables(r.body)
        if tables:
            parts.append(_plural(tables, "table"))
        if r.links:
            parts.append(_plural(r.links, "link"))
        dropped = f"; {_plural(r.dropped_targets, 'over-long link target')} dropped" if r.dropped_targets else ""
        left_out = "navigation, scripts, styles, ads and footers" if page else "tags, attributes and scripts"
        return (
            f"HTML {'page' if page else 'fragment'} ({len(text):,} chars) rendered as markdown of its "
            f"{r.what} ({', '.join(parts)} kept){dropped}; {left_out} omitted — the full HTML is stored"
        )
