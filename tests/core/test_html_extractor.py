"""HTMLExtractor: a page comes out as the markdown of its main content, the page stays retrievable."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from headroom import MemoryStore, compress_text, find_refs, retrieve
from headroom.compressors import ContentType, Detection, HTMLExtractor, TaskContext
from headroom.markers import parse_markers
from headroom.refs import make_ref

REF = "0123456789abcdef"
ARTICLE = [
    "The city council approved the new transit budget on Tuesday after a four-hour debate.",
    "Under the plan, bus frequency on the twelve busiest routes doubles by March 2027.",
    "Critics argued that the fare increase of 25 cents would hurt low-income riders the most.",
    "The mayor said the budget balances service expansion against the deficit left by the pandemic.",
]
LONG_URL = "https://tracker.example.com/click?" + "&".join(f"p{i}=v{i}" for i in range(40))


def _boilerplate(n: int) -> str:
    links = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(n))
    return f'<nav class="menu"><ul>{links}</ul></nav>'


def build_page() -> str:
    """A news page: scripts, styles, navigation, ads, a cookie banner and a footer around an article."""
    paragraphs = "".join(f"<p>{s} {s}</p>" for s in ARTICLE)
    script = "window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}" * 40
    style = ".menu{display:flex;margin:0 auto;padding:4px 8px}" * 60
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><title>Council approves transit budget | City News</title>
<meta name="description" content="Buses on busy routes will come twice as often from next spring.">
<style>{style}</style><script>{script}</script>
</head><body>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<header>{_boilerplate(25)}</header>
<main><article>
<h1>Council approves transit budget</h1>
{paragraphs}
<h2>What changes</h2>
<ul><li>Route 7 every 6 minutes</li><li>Route 12 every 8 minutes</li><li>Night buses on Fridays</li></ul>
<table><tr><th>Route</th><th>Today</th><th>2027</th></tr>
<tr><td>7</td><td>12 min</td><td>6 min</td></tr><tr><td>12</td><td>15 min</td><td>8 min</td></tr></table>
<p>The schedule file can be checked with <a href="https://transit.example.org/schedules">the schedule tool</a>
or the <a href="{LONG_URL}">tracking link</a>; see also <a href="#comments">the comments</a>.</p>
<pre><code>curl https://transit.example.org/api/routes/7
{{"route": 7, "headway_min": 6}}</code></pre>
<p>Transit officials expect [preliminary] ridership numbers * after * the first quarter.</p>
</article></main>
<aside class="ad">ADVERTISEMENT Buy one mattress get one free today only</aside>
<footer>Copyright 2026 City News Corp. All rights reserved. Terms | Privacy | Contact</footer>
<script>console.log("tracking pixel loaded")</script>
</body></html>"""


def _extract(html: str, query: str = "") -> str | None:
    return HTMLExtractor().compress(html, ref=REF, task=TaskContext(query=query), detection=Detection(ContentType.HTML))


def test_page_is_reduced_to_its_article_and_the_page_comes_back(store: MemoryStore) -> None:
    page = build_page()
    result = compress_text(page, query="What did the council decide about buses?", store=store)
    out = result.text
    for sentence in ARTICLE:
        assert sentence in out
    assert "# Council approves transit budget" in out
    assert "Route 7 every 6 minutes" in out and "- Route 12 every 8 minutes" in out
    assert "| 7 | 12 min | 6 min |" in out
    assert "```" in out and "curl https://transit.example.org/api/routes/7" in out
    assert "[the schedule tool](https://transit.example.org/schedules)" in out
    for boilerplate in ("dataLayer", "display:flex", "Section 17", "mattress", "All rights reserved", "cookies"):
        assert boilerplate not in out
    assert result.tokens_after < result.tokens_before / 3
    (ref,) = find_refs(out)
    assert retrieve(ref, store=store) == page


def test_marker_says_what_was_done_and_names_the_ref() -> None:
    out = _extract(build_page())
    assert out is not None
    markers = parse_markers(out)
    assert len(markers) == 1 and markers[0].ref == REF and markers[0].lines is None
    summary = markers[0].summary
    assert "main content" in summary and "1 table" in summary and "navigation" in summary
    assert out.startswith("[headroom: ")


def test_page_text_is_not_escaped_and_useless_link_targets_go() -> None:
    out = _extract(build_page())
    assert out is not None
    assert "[preliminary] ridership numbers * after * the first quarter" in out
    assert "tracking link" in out and LONG_URL not in out  # an over-long target is dropped, its text stays
    assert "the comments" in out and "(#comments)" not in out  # in-page anchors have no use


def test_title_and_description_lead_when_the_body_does_not_say_them() -> None:
    page = build_page().replace("<h1>Council approves transit budget</h1>", "")
    out = _extract(page)
    assert out is not None
    body = out.split("\n\n", 1)[1]
    assert body.startswith("# Council approves transit budget | City News")
    assert "Buses on busy routes will come twice as often from next spring." in body


def test_fragment_is_rendered_whole() -> None:
    fragment = (
        "<div class='release-notes'><h2>Version 4.2</h2>"
        + "".join(f"<p>Fixed issue {i}: the exporter dropped rows whose id exceeded 2^31 ({i}).</p>" for i in range(8))
        + "<ul><li>Faster CSV import</li><li>New <code>--dry-run</code> flag</li></ul>"
        + "<pre>headroom export --dry-run\nexported 0 rows</pre></div>"
    )
    out = _extract(fragment)
    assert out is not None
    assert "## Version 4.2" in out
    assert all(f"Fixed issue {i}: the exporter dropped rows" in out for i in range(8))
    assert "- Faster CSV import\n- New --dry-run flag" in out
    assert "```\nheadroom export --dry-run\nexported 0 rows\n```" in out
    assert "<div" not in out and "class=" not in out


def test_a_page_that_is_one_table_keeps_every_row() -> None:
    rows = "".join(f"<tr><td>host-{i:03d}</td><td>{(i % 3 and 'up') or 'down'}</td></tr>" for i in range(60))
    script = "var x = 1;" * 300
    page = f"<html><head><title>Fleet</title><script>{script}</script></head><body><table>{rows}</table></body></html>"
    out = _extract(page)
    assert out is not None
    assert all(f"| host-{i:03d} |" in out for i in range(60))
    assert "var x" not in out


@pytest.mark.parametrize(
    "extractor",
    [HTMLExtractor(min_text=10**9, min_share=1.0), HTMLExtractor(max_elements=50)],
    ids=["extraction-not-trusted", "page-too-big-to-search"],
)
def test_fallback_renders_the_visible_page_less_its_boilerplate(extractor: HTMLExtractor) -> None:
    out = extractor.compress(build_page(), ref=REF, task=TaskContext(), detection=Detection(ContentType.HTML))
    assert out is not None
    assert "visible content" in parse_markers(out)[0].summary
    assert all(sentence in out for sentence in ARTICLE)
    assert "## What changes" in out and "| 12 | 15 min | 8 min |" in out
    for boilerplate in ("dataLayer", "display:flex", "Section 17", "mattress", "All rights reserved"):
        assert boilerplate not in out


def test_empty_page_and_other_xml_are_left_alone() -> None:
    empty = f"<html><head><title>x</title><script>{'track();' * 200}</script></head><body></body></html>"
    assert _extract(empty) is None
    items = "".join(f"<item><title>Post {i}</title><link>https://e.org/{i}</link></item>" for i in range(40))
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>{items}</channel></rss>'
    assert _extract(feed) is None
    svg = '<svg xmlns="http://www.w3.org/2000/svg">' + '<rect x="1" y="2" width="3" height="4"/>' * 80 + "</svg>"
    assert _extract(svg) is None


def test_no_network_is_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the HTML extractor tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert _extract(build_page()) is not None


def test_output_is_identical_across_runs_and_processes() -> None:
    page = build_page()
    first = _extract(page)
    assert first is not None and first == _extract(page)
    code = (
        "import json, sys\n"
        "from headroom.compressors import ContentType, Detection, HTMLExtractor, TaskContext\n"
        "page = sys.stdin.read()\n"
        "task, html = TaskContext(), Detection(ContentType.HTML)\n"
        f"out = HTMLExtractor().compress(page, ref={REF!r}, task=task, detection=html)\n"
        "sys.stdout.write(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run([sys.executable, "-c", code], input=page, capture_output=True, text=True, env=env, check=True)
    assert json.loads(proc.stdout) == first


def test_a_page_that_is_mostly_an_index_keeps_its_main_element(store: MemoryStore) -> None:
    """Article extraction keeps the prose around a page of lists and tables and drops the index
    itself; when it holds few of the main element's words, the main element is rendered whole."""
    names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    rows = "".join(f"<tr><td><code>{w}_{p}()</code></td><td>{w} {p}</td></tr>" for p in range(8) for w in names)
    blurb = " ".join(f"This site hosts documentation for many projects and versions, number {i}." for i in range(12))
    page = (
        f"<!doctype html><html><head><title>Index</title></head><body><header><p>{blurb}</p></header>"
        f"<main><h1>Function index</h1><table>{rows}</table></main>"
        "<footer>Copyright 2026 Example Org. All rights reserved.</footer></body></html>"
    )
    out = HTMLExtractor().compress(page, ref=make_ref(page), task=TaskContext(), detection=Detection(ContentType.HTML))
    assert out is not None and len(out) < len(page)
    assert "theta_2()" in out and "kappa_7()" in out
    assert "main element" in parse_markers(out)[0].summary
