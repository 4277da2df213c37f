"""The dashboard's HTML: server-rendered pages with inline SVG and the packaged stylesheet; no script."""

from __future__ import annotations

import functools
import html
import urllib.parse
from datetime import datetime, timezone
from importlib import resources
from typing import TYPE_CHECKING, Any

from headroom.proxy._charts import hbars, stacked_bars
from headroom.proxy._explain import diff_rows, marker_spans

if TYPE_CHECKING:
    from headroom.proxy._dashboard import Overview

__all__ = ["explain_page", "overview_page"]

_DIFF_CLASS = {" ": "ctx", "-": "del", "+": "add", "…": "fold"}


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return resources.files("headroom.proxy").joinpath("dashboard/dashboard.css").read_text("utf-8")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{_css()}</style></head><body>"
        '<header><h1>Headroom</h1><nav><a href="/dashboard">dashboard</a>'
        '<a href="/stats">/stats</a><a href="/metrics">/metrics</a></nav></header>'
        f"<main>{body}</main></body></html>"
    )


def _card(key: str, value: str, ident: str) -> str:
    return f'<div class="card"><div class="v" id="{ident}">{_esc(value)}</div><div class="k">{_esc(key)}</div></div>'


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%H:%M:%S")


def _table(head: list[str], rows: list[list[str]], ident: str, numeric: set[int]) -> str:
    if not rows:
        return f'<p class="empty" id="{ident}">nothing recorded yet</p>'
    th = "".join(f'<th class="{"n" if i in numeric else ""}">{_esc(h)}</th>' for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"n" if i in numeric else ""}">{c}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f'<table id="{ident}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _link(by: str, scope: str, label: str, current: bool) -> str:
    query = urllib.parse.urlencode({"by": by, "scope": scope})
    return f"<b>{_esc(label)}</b>" if current else f'<a href="/dashboard?{query}">{_esc(label)}</a>'


def _headline(o: Overview) -> str:
    s = o.stats
    mean_ms = o.overhead_sum / o.overhead_count * 1000 if o.overhead_count else 0.0
    word = "projected " if o.shadow else ""
    cards = [
        _card("requests (/stats)", f"{s['requests']:,}", "stat-requests"),
        _card(f"tokens {word}saved (/stats)", f"{s['tokens_saved']:,}", "stat-tokens-saved"),
        _card("tokens before → after", f"{s['tokens_before']:,} → {s['tokens_after']:,}", "stat-before-after"),
        _card(f"{word}saved, list price", f"${s['saved_usd']:.4f}", "stat-saved-usd"),
        _card("compression ratio", f"{s['compression_ratio']:.1%}", "stat-ratio"),
        _card("retrievals (headroom_retrieve)", f"{s['retrieve_calls']:,}", "stat-retrievals"),
        _card("errors and fail-opens", f"{sum(s['errors'].values()):,}", "stat-errors"),
        _card("latency added, mean (/metrics)", f"{mean_ms:.1f} ms", "stat-latency"),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _recent(o: Overview) -> str:
    rows = []
    for r in o.recent:
        tags = f'<span class="tag{" shadow" if r["shadow"] else ""}">{_esc(r["action"] or "-")}</span>'
        if r["error"]:
            tags += f' <span class="tag error" title="{_esc(r["error"])}">error</span>'
        rows.append(
            [
                _when(r["ts"]),
                f'<a href="/dashboard/requests/{_esc(r["id"])}">{_esc(r["id"])}</a>',
                _esc(r["model"] or r["api"]),
                tags,
                str(r["status"]),
                f"{r['tokens_before']:,}",
                f"{r['tokens_after']:,}",
                f"{r['tokens_before'] - r['tokens_after']:,}",
                f"{r['proxy_ms']:.1f}",
            ]
        )
    head = ["time (UTC)", "request", "model", "action", "status", "before", "after", "saved", "proxy ms"]
    return _table(head, rows, "recent", {4, 5, 6, 7, 8})


def _breakdowns(o: Overview) -> str:
    s = o.stats
    models = [
        [_esc(k), f"{v['requests']:,}", f"{v['tokens_before']:,}", f"{v['tokens_saved']:,}", f"${v['saved_usd']:.4f}"]
        for k, v in s["per_model"].items()
    ]
    comps = [
        [_esc(k), f"{v['blocks']:,}", f"{v['tokens_before']:,}", f"{v['tokens_saved']:,}"]
        for k, v in s["per_compressor"].items()
    ]
    errors = [[_esc(k), f"{v:,}"] for k, v in sorted(s["errors"].items())]
    actions = [[_esc(k), f"{v:,}"] for k, v in sorted(o.actions.items())]
    return (
        '<div class="row"><section><h2>Per model (/stats)</h2>'
        + _table(["model", "requests", "tokens before", "saved", "saved $"], models, "per-model", {1, 2, 3, 4})
        + hbars({k: v["tokens_saved"] for k, v in s["per_model"].items()}, unit="tokens saved", chart_id="model-bars")
        + "</section><section><h2>Per compressor (/stats)</h2>"
        + _table(["compressor", "blocks", "tokens before", "saved"], comps, "per-compressor", {1, 2, 3})
        + hbars(
            {k: v["tokens_saved"] for k, v in s["per_compressor"].items()},
            unit="tokens saved",
            chart_id="compressor-bars",
        )
        + "</section></div>"
        + '<div class="row"><section><h2>Per client (history; a hash of its credentials)</h2>'
        + hbars(o.per_client, unit="tokens saved", chart_id="client-bars")
        + "</section><section><h2>Errors and fail-opens (/stats)</h2>"
        + _table(["kind", "count"], errors, "errors", {1})
        + f'<p class="muted">requests with an error noted: <b id="hist-failed">{o.failed:,}</b></p>'
        + "<h2>What the proxy did (history)</h2>"
        + _table(["action", "requests"], actions, "actions", {1})
        + "</section></div>"
    )


def overview_page(o: Overview) -> str:
    """The ``/dashboard`` page."""
    banner = ""
    if o.shadow:
        banner = (
            '<div class="banner" id="shadow-banner">Shadow mode: every request goes upstream exactly as the client '
            "sent it; the savings shown are what compression <b>would</b> have saved.</div>"
        )
    if o.history_mode == "off":
        banner += (
            '<div class="banner">The request history is off (--history off): charts and explain views are empty.</div>'
        )
    group = " · ".join(_link(b, o.scope, b, b == o.by) for b in ("model", "compressor", "client"))
    scope = " · ".join(
        _link(o.by, sc, label, sc == o.scope) for sc, label in (("session", "since start"), ("all", "whole history"))
    )
    chart = stacked_bars(o.buckets, o.series, step=o.step, unit="tokens saved", chart_id="savings-chart")
    body = (
        banner
        + _headline(o)
        + f"<section><h2>Tokens saved over time, per {_esc(o.by)}</h2>"
        + f'<p class="muted">group by: {group} &nbsp; | &nbsp; {scope} &nbsp; | &nbsp; '
        f"{o.step:,} s per bar</p>"
        + chart
        + "</section>"
        + '<div class="cards">'
        + _card("cache reads (tokens, history)", f"{o.cache_read:,}", "hist-cache-read")
        + _card("cache writes (tokens, history)", f"{o.cache_write:,}", "hist-cache-write")
        + _card("retrievals (history)", f"{o.retrievals:,}", "hist-retrievals")
        + _card("latency added p50 / p95", f"{o.p50:.1f} / {o.p95:.1f} ms", "hist-latency")
        + _card("requests in view (history)", f"{o.count:,}", "hist-rows")
        + "</div>"
        + _breakdowns(o)
        + "<section><h2>Recent requests</h2>"
        + _recent(o)
        + "</section>"
    )
    return _page("Headroom dashboard", body)


def _diff_html(original: str, sent: str) -> str:
    lines = []
    for tag, line in diff_rows(original, sent):
        text = "".join(
            f'<mark class="marker">{_esc(piece)}</mark>' if is_marker else _esc(piece)
            for piece, is_marker in marker_spans(line)
        )
        lines.append(f'<span class="{_DIFF_CLASS[tag]}">{_esc(tag)} {text}</span>')
    return f'<pre class="diff">{"".join(lines)}</pre>'


def explain_page(row: dict[str, Any]) -> str:
    """The ``/dashboard/requests/<id>`` page: figures, the blocks, and each changed block's diff."""
    rid = row["id"]
    saved = row["tokens_before"] - row["tokens_after"]
    shadow = " (shadow: sent upstream unchanged)" if row["shadow"] else ""
    head = (
        f'<section><h2 id="request-id">{_esc(rid)}</h2><p>{_esc(row["api"])} · {_esc(row["model"] or "-")} · '
        f'action <b id="action">{_esc(row["action"] or "-")}</b>{_esc(shadow)} · status {row["status"]} · '
        f'tokens {row["tokens_before"]:,} → {row["tokens_after"]:,}, saved <b id="saved">{saved:,}</b> · '
        f"proxy {row['proxy_ms']:.1f} ms · retrievals {row['retrieve_calls']}</p>"
        + (f'<p class="tag error">{_esc(row["error"])}</p>' if row["error"] else "")
        + "</section>"
    )
    rows = []
    for n, b in enumerate(row["blocks"]):
        link = f"/dashboard/requests/{_esc(rid)}/blocks/{n}/original"
        original = f'<a class="original" href="{link}">original</a>' if "original" in b or b["ref"] else "-"
        rows.append(
            [
                str(b["index"]),
                _esc(b["kind"]),
                _esc(b["content_type"] or "-"),
                _esc(b["compressor"] or "-"),
                _esc(b["status"]),
                f"{b['tokens_before']:,}",
                f"{b['tokens_after']:,}",
                _esc(b["ref"] or "-"),
                original,
            ]
        )
    head_cols = ["message", "kind", "type", "compressor", "status", "before", "after", "ref", ""]
    blocks = "<section><h2>Blocks</h2>" + _table(head_cols, rows, "blocks", {0, 5, 6}) + "</section>"
    diffs = []
    for n, b in enumerate(row["blocks"]):
        if "original" not in b:
            continue
        diffs.append(
            f'<section class="block-diff" id="block-{n}"><h2>message {b["index"]}: {_esc(b["content_type"])} '
            f"via {_esc(b['compressor'])} — {b['tokens_before']:,} → {b['tokens_after']:,} tokens "
            f'<a href="/dashboard/requests/{_esc(rid)}/blocks/{n}/original">original</a></h2>'
            + _diff_html(b["original"], b["sent"])
            + "</section>"
        )
    if not diffs and any(b["status"] == "compressed" for b in row["blocks"]):
        diffs.append('<p class="muted">No texts kept (the proxy runs with --history figures).</p>')
    return _page(f"Headroom · {rid}", head + blocks + "".join(diffs))
