"""Dashboard page load with a full request history: how long ``/dashboard`` and an explain view take.

A history file is filled with N rows shaped like real ones (three models, two compressors, a few
clients, one changed block of ~120 KB text each 100th row), then a real proxy (``ProxyServer``)
serves ``/dashboard`` over it; each page is fetched once (first: cold caches), after the proxy's
warm-up, and then R times over HTTP, and the wall times printed.
Also the cost of one row written into the full history (the proxy pays it per request).
Nothing is asserted: it prints a table.

Usage, from the project root::

    uv run --package headroom-core --all-extras --group dev python benchmarks/dashboard_load.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from headroom.proxy import ProxySettings
from headroom.proxy._history import RequestHistory
from headroom.proxy.server import ProxyServer

MODELS = ("gpt-4o", "claude-sonnet-4-6", "gpt-4o-mini")


def fill(path: Path, rows: int) -> str:
    """Write ``rows`` history rows spread over the last day; returns one id with a changed block."""
    now = time.time()
    clock = [now - 86400.0]
    history = RequestHistory(path, max_rows=rows, clock=lambda: clock[0])
    text = "\n".join(f"2025-03-14T10:00:{i % 60:02d}Z INFO GET /api/orders/{i} 200" for i in range(2000))
    sample = ""
    for i in range(rows):
        clock[0] = now - 86400 + i * 86400 / rows
        before = 2000 + (i * 37) % 40000
        after = before // 10
        block: dict[str, object] = {
            "index": 2,
            "kind": "tool_result",
            "content_type": "log",
            "compressor": "logs",
            "status": "compressed",
            "tokens_before": before,
            "tokens_after": after,
            "ref": f"{i:016x}",
            "error": None,
        }
        if i % 100 == 0:
            block |= {"original": text, "sent": text[:2000] + "\n[headroom: 1900 lines omitted]"}
            sample = f"hr_{i:016x}"
        history.add(
            {
                "id": f"hr_{i:016x}",
                "api": "openai-chat",
                "model": MODELS[i % 3],
                "client": f"{i % 5:016x}",
                "action": "compressed",
                "shadow": 0,
                "status": 200,
                "tokens_before": before,
                "tokens_after": after,
                "cost_usd": 0.001,
                "saved_usd": 0.002,
                "cache_read": i % 700,
                "cache_write": i % 300,
                "retrieve_calls": int(i % 40 == 0),
                "proxy_ms": 3.0 + i % 17,
                "total_ms": 400.0,
                "error": None,
                "compressors": json.dumps({"logs" if i % 2 else "smart_crusher": [1, before, after]}),
                "blocks": json.dumps([block]),
            }
        )
    history.close()
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        t0 = time.perf_counter()
        sample = fill(path, args.rows)
        print(f"history: {args.rows:,} rows written in {time.perf_counter() - t0:.1f} s, {path.stat().st_size:,} bytes")
        history = RequestHistory(path, max_rows=args.rows)
        row = {**history.get(sample), "id": ""}  # type: ignore[dict-item]
        row |= {"compressors": json.dumps(row["compressors"]), "blocks": json.dumps(row["blocks"])}
        writes = []
        for i in range(200):  # what each proxied request pays: one row in, the oldest out
            t = time.perf_counter()
            history.add({**row, "id": f"hr_write_{i}"})
            writes.append((time.perf_counter() - t) * 1000)
        history.close()
        writes.sort()
        print(
            f"one row added to a full history (120 KB block text): p50 {statistics.median(writes):.2f} ms, "
            f"p95 {writes[189]:.2f} ms"
        )
        settings = ProxySettings(port=0, history_path=str(path), history_max_rows=args.rows)
        with ProxyServer(settings) as proxy, httpx.Client(base_url=proxy.base_url, timeout=60) as client:
            proxy.context.warm.wait(120)  # the warm-up thread (tokenizers, grammars) would compete for the GIL
            pages = {
                "/dashboard?scope=all (by model)": "/dashboard?scope=all",
                "/dashboard?scope=all&by=compressor": "/dashboard?scope=all&by=compressor",
                "/dashboard (this process: empty)": "/dashboard",
                "/dashboard/requests/<id> (120 KB block)": f"/dashboard/requests/{sample}",
            }
            print("\n| page | first ms | p50 ms | p95 ms | max ms | bytes |\n|---|---:|---:|---:|---:|---:|")
            for label, url in pages.items():
                t = time.perf_counter()
                client.get(url).raise_for_status()
                first = (time.perf_counter() - t) * 1000
                times, size = [], 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    r = client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                    size = len(r.content)
                times.sort()
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                figures = f"{first:.1f} | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f}"
                print(f"| {label} | {figures} | {size:,} |")


if __name__ == "__main__":
    main()
