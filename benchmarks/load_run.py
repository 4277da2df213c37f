"""Load run: many clients through a real proxy process; errors, latency, and every marker redeemed.

A `headroom proxy` process (SQLite store) in front of `headroom.testing.FakeUpstream`, driven by
real SDK clients (openai, anthropic) on threads: chat completions, Responses and Anthropic
Messages, each streamed and not, a share of them carrying a large tool result no other request
has. The fake model calls ``headroom_retrieve`` on a quarter of the first rounds that carry a
marker, so the proxy answers retrievals under load too. Afterwards every ref the upstream saw is
redeemed through ``/v1/retrieve`` and checked byte for byte (its content hashes to the ref, and
each large original comes back exactly as the client sent it). Nothing is asserted: it prints a table.

Usage, from the project root::

    uv run --package headroom-core --all-extras --group dev python benchmarks/load_run.py \
        [--requests 2000] [--clients 16] [--large-share 0.3] [--lines 600]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import openai
from headroom import find_refs
from headroom.refs import make_ref
from headroom.testing import FakeUpstream, RecordedRequest, Reply

KINDS = ["chat", "chat-stream", "responses", "responses-stream", "anthropic", "anthropic-stream"]
QUESTION = "Why did the payment for order {n} fail?"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique_log(n: int, lines: int) -> str:
    """A service log no other request carries (its own ids, timings and one failure)."""
    rnd = random.Random(n)
    out = []
    for i in range(lines):
        out.append(
            f"2026-12-07T10:{(i // 60) % 60:02d}:{i % 60:02d}.{rnd.randrange(1000):03d}Z INFO [worker-{i % 4}] "
            f"GET /api/orders/{n}-{rnd.randrange(10**6)} 200 {rnd.randrange(5, 95)}ms req={rnd.getrandbits(48):012x}"
        )
        if i == lines // 2:
            out.append(f"2026-12-07T10:12:30.500Z ERROR [worker-1] payment gateway timeout order={n} after 30000ms")
    return "\n".join(out)


def first_round(req: RecordedRequest) -> bool:
    body = req.json or {}
    items = body.get("messages") or body.get("input") or []
    return isinstance(items, list) and len(items) <= 3  # user, tool call, tool result: the client's own


def model(req: RecordedRequest) -> Reply:
    """The fake model: retrieves from a quarter of first rounds that carry a marker, else says ok."""
    refs = find_refs(req.text)
    if refs and first_round(req) and int(refs[0], 16) % 4 == 0:
        return Reply.retrieve(refs[0], query="timeout")
    return Reply.say("ok")


def conversation(kind: str, n: int, output: str) -> Any:
    api = kind.split("-")[0]
    q = QUESTION.format(n=n)
    if api == "chat":
        call = {"id": f"call_{n}", "type": "function", "function": {"name": "read_log", "arguments": "{}"}}
        return [
            {"role": "user", "content": q},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": f"call_{n}", "content": output},
        ]
    if api == "anthropic":
        return [
            {"role": "user", "content": q},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": f"toolu_{n}", "name": "read_log", "input": {}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": output}]},
        ]
    return [
        {"role": "user", "content": q},
        {"type": "function_call", "call_id": f"call_{n}", "name": "read_log", "arguments": "{}"},
        {"type": "function_call_output", "call_id": f"call_{n}", "output": output},
    ]


class Clients(threading.local):
    def __init__(self, url: str) -> None:
        key = f"sk-load-{threading.get_ident()}"
        self.openai = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=120)
        self.anthropic = anthropic.Anthropic(base_url=url, api_key=key, max_retries=0, timeout=120)


def one(clients: Clients, kind: str, n: int, output: str) -> str:
    """Send one request the way an app would; returns the text the client got."""
    history = conversation(kind, n, output)
    stream = kind.endswith("stream")
    if kind.startswith("chat"):
        chat = clients.openai.chat.completions
        if not stream:
            return chat.create(model="gpt-4o", messages=history).choices[0].message.content or ""
        chunks = chat.create(model="gpt-4o", messages=history, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    if kind.startswith("responses"):
        responses = clients.openai.responses
        if not stream:
            return responses.create(model="gpt-4o", input=history).output_text
        with responses.stream(model="gpt-4o", input=history) as s:
            return s.get_final_response().output_text
    messages = clients.anthropic.messages
    if not stream:
        m = messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=history)
    else:
        with messages.stream(model="claude-sonnet-4-6", max_tokens=100, messages=history) as s:
            m = s.get_final_message()
    return "".join(b.text for b in m.content if b.type == "text")


def start_proxy(up: FakeUpstream, store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "headroom", "proxy", "--port", str(port), "--store", f"sqlite:///{store}"]
    cmd += ["--no-log", "--anthropic-url", up.base_url, "--openai-url", up.base_url]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"proxy did not start: {proc.communicate()[1].decode()[-2000:]}")


def retrieve(url: str, ref: str) -> str | None:
    req = urllib.request.Request(
        url + "/v1/retrieve", json.dumps({"ref": ref}).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return str(json.loads(r.read())["content"])
    except OSError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--large-share", type=float, default=0.3)
    ap.add_argument("--lines", type=int, default=600, help="lines of each large tool result")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeUpstream(default=model) as up:  # type: ignore[arg-type]
        store = Path(tmp) / "load.sqlite3"
        proc, url = start_proxy(up, store)
        plan = []
        for n in range(args.requests):
            large = (n * 7919) % 1000 < args.large_share * 1000
            plan.append((KINDS[n % len(KINDS)], n, unique_log(n, args.lines) if large else f"db ok ({n})"))
        originals = {make_ref(out): out for kind, n, out in plan if len(out) > 100}
        latency: dict[str, list[float]] = defaultdict(list)
        errors: Counter[str] = Counter()
        examples: dict[str, str] = {}
        local = threading.local()

        def run(item: tuple[str, int, str]) -> None:
            kind, n, out = item
            clients = getattr(local, "clients", None) or Clients(url)
            local.clients = clients
            t = time.perf_counter()
            try:
                text = one(clients, kind, n, out)
                if not text.endswith("ok"):
                    raise AssertionError(f"unexpected answer {text!r}")
            except Exception as e:
                errors[kind] += 1
                examples.setdefault(kind, f"{type(e).__name__}: {str(e)[:200]}")
            latency[kind + (" large" if len(out) > 100 else "")].append(time.perf_counter() - t)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(run, plan))
        wall = time.perf_counter() - t0

        seen = Counter(r for req in up.model_requests for r in set(find_refs(req.text)))
        rounds = sum(1 for req in up.model_requests if not first_round(req))
        redeemed = exact = mismatched = 0
        for ref in seen:
            content = retrieve(url, ref)
            if content is None:
                continue
            redeemed += 1
            ok = make_ref(content) == ref and (ref not in originals or originals[ref] == content)
            exact += ok
            mismatched += not ok
        originals_seen = sum(1 for ref in originals if ref in seen)
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        db = sqlite3.connect(store)
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        entries = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        db.close()

    rows = [
        ("requests", f"{args.requests:,} at {args.clients} clients ({', '.join(KINDS)})"),
        ("with a large unique tool result", f"{len(originals):,} ({args.lines} lines each)"),
        ("wall time / throughput", f"{wall:.1f} s / {args.requests / wall:.1f} req/s"),
        ("errors", f"{sum(errors.values())} {dict(errors) if errors else ''}".strip()),
        ("upstream model requests", f"{len(up.model_requests):,} ({rounds} retrieval rounds answered by the proxy)"),
        ("distinct refs the upstream saw", f"{len(seen):,}"),
        ("redeemed via /v1/retrieve", f"{redeemed:,}"),
        ("byte-exact (hash = ref; originals equal)", f"{exact:,} ({mismatched} mismatched)"),
        ("large originals whose marker went upstream", f"{originals_seen:,} of {len(originals):,}"),
        ("SQLite integrity_check / entries", f"{integrity} / {entries:,}"),
        ("proxy tracebacks", str(err.count(b"Traceback"))),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print()
    print(f"{'latency (s)':<22}{'n':>6}{'p50':>8}{'p95':>8}")
    for name in sorted(latency):
        xs = sorted(latency[name])
        p95 = xs[min(len(xs) - 1, int(len(xs) * 0.95))]
        print(f"{name:<22}{len(xs):>6}{statistics.median(xs):>8.3f}{p95:>8.3f}")
    for kind, text in examples.items():
        print(f"first {kind} error: {text}")


if __name__ == "__main__":
    main()
