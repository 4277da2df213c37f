"""`headroom bench proxy`: what the proxy costs — added latency, throughput, start-up time, memory.

The fake upstream (`headroom.testing.FakeUpstream`) and the proxy each run in their own process;
this process is the client. Every number compares the proxy with calling the same fake upstream
directly, so the upstream's own cost cancels out. Nothing is asserted: it prints a table.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click

__all__ = ["proxy"]

_FAKE = """
import sys
from headroom.testing import FakeUpstream
up = FakeUpstream(record=False).start()
print(up.port, flush=True)
sys.stdin.read()
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (Linux ``/proc``; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(f"the proxy exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.01)
    raise click.ClickException("the proxy did not become healthy in time")


def _start_proxy(upstream: int, extra: Sequence[str]) -> tuple[subprocess.Popen[bytes], int, float]:
    port = _free_port()
    fake = f"http://127.0.0.1:{upstream}"
    cmd = [sys.executable, "-m", "headroom", "proxy", "--port", str(port), "--no-log", "--store", "memory://"]
    cmd += ["--openai-url", fake, "--anthropic-url", fake, *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_healthy(f"http://127.0.0.1:{port}", proc)
    return proc, port, time.perf_counter() - started


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


class _Conn:
    """One keep-alive HTTP/1.1 connection posting one body (stdlib, to keep the client cheap)."""

    def __init__(self, port: int, body: bytes) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.body = body
        self.headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}

    def post(self) -> float:
        t = time.perf_counter()
        self.conn.request("POST", "/v1/chat/completions", body=self.body, headers=self.headers)
        r = self.conn.getresponse()
        r.read()
        if r.status != 200:
            raise click.ClickException(f"request failed with {r.status}")
        return time.perf_counter() - t


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Latency:
    """Latency of one request kind, direct and through the proxy (seconds)."""

    direct: list[float]
    proxied: list[float]

    def added(self, q: float) -> float:
        """Extra latency at quantile ``q``."""
        return _pct(self.proxied, q) - _pct(self.direct, q)


def latency(upstream: int, proxy_port: int, body: bytes, n: int) -> Latency:
    """Alternate direct and proxied requests so that drift hits both alike."""
    direct, proxied = _Conn(upstream, body), _Conn(proxy_port, body)
    for _ in range(max(3, n // 10)):
        direct.post(), proxied.post()
    d, p = [], []
    for _ in range(n):
        d.append(direct.post())
        p.append(proxied.post())
    return Latency(d, p)


def throughput(port: int, body: bytes, clients: int, seconds: float) -> float:
    """Requests per second with ``clients`` concurrent keep-alive connections."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        conn = _Conn(port, body)
        while time.perf_counter() < stop:
            conn.post()
            done[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def _tiny() -> bytes:
    return json.dumps({"model": "gpt-4o", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}).encode()


def _small() -> bytes:
    """A short conversation (about 600 tokens) with nothing worth compressing: the pipeline runs, finds nothing."""
    system = " ".join(f"Rule {i}: answer briefly, cite the file and line you relied on." for i in range(40))
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "Where is the retry policy configured?"},
        {"role": "assistant", "content": "In config/retry.yaml, lines 3-9."},
        {"role": "user", "content": "And the timeout?"},
    ]
    return json.dumps({"model": "gpt-4o", "max_tokens": 64, "messages": messages}).encode()


def _large(tokens: int) -> bytes:
    """A chat request whose tool result is a build log of about ``tokens`` tokens."""
    lines: list[str] = []
    i = 0
    while len(lines) * 22 < tokens:
        lines.append(
            f"2025-03-14T10:{i // 60 % 60:02d}:{i % 60:02d}Z INFO  [build] compiled src/module_{i}.rs in {i % 90}ms"
        )
        if i % 997 == 500:
            lines.append(f"2025-03-14T10:00:00Z ERROR [build] linker failed for module_{i}: undefined symbol foo_{i}")
        i += 1
    call = {"id": "c1", "type": "function", "function": {"name": "run", "arguments": '{"cmd": "cargo build"}'}}
    messages = [
        {"role": "user", "content": "Why does the build fail?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "\n".join(lines)},
    ]
    return json.dumps({"model": "gpt-4o", "max_tokens": 256, "messages": messages}).encode()


def _compress_seconds(body: bytes) -> tuple[float, float]:
    """(first, repeated) in-process compression time of the body, as the proxy would run it."""
    from headroom import MemoryStore, compress_request

    payload, store = json.loads(body), MemoryStore()
    t = time.perf_counter()
    compress_request(payload, api="openai-chat", store=store)
    first = time.perf_counter() - t
    t = time.perf_counter()
    compress_request(payload, api="openai-chat", store=store)
    return first, time.perf_counter() - t


def _ms(s: float) -> str:
    return f"{s * 1000:8.2f}"


def _report(rows: list[tuple[str, str, str]], echo: Callable[[str], None]) -> None:
    width = max(len(r[0]) for r in rows)
    echo(f"{'measure'.ljust(width)}  {'value':>12}  target")
    for name, value, target in rows:
        echo(f"{name.ljust(width)}  {value:>12}  {target}")


@click.command("proxy")
@click.option("--requests", "n", default=300, show_default=True, help="Requests per latency measurement.")
@click.option("--seconds", default=5.0, show_default=True, help="Duration of each throughput run.")
@click.option("--large-tokens", default=50_000, show_default=True, help="Size of the large request.")
def proxy(n: int, seconds: float, large_tokens: int) -> None:
    """Latency the proxy adds (p50/p95, tiny and large requests), req/s at 1 and 16 clients, start-up, memory."""
    echo = click.echo
    fake = subprocess.Popen([sys.executable, "-c", _FAKE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert fake.stdout is not None
    upstream = int(fake.stdout.readline())
    procs: list[subprocess.Popen[bytes]] = []
    try:
        proc, port, startup = _start_proxy(upstream, [])
        procs.append(proc)
        idle = rss_mb(proc.pid)
        tiny, large = _tiny(), _large(large_tokens)
        echo(f"proxy pid {proc.pid} on :{port}, fake upstream on :{upstream}; large request {len(large):,} bytes")
        t = latency(upstream, port, tiny, n)
        small = latency(upstream, port, _small(), n)
        big = latency(upstream, port, large, max(20, n // 10))
        first, repeated = _compress_seconds(large)
        rps1, rps16 = throughput(port, tiny, 1, seconds), throughput(port, tiny, 16, seconds)
        direct16 = throughput(upstream, tiny, 16, seconds)
        after = rss_mb(proc.pid)
        latency(upstream, port, large, max(20, n // 10))
        throughput(port, tiny, 16, seconds)
        after2 = rss_mb(proc.pid)
        raw_proc, raw_port, _ = _start_proxy(upstream, ["--no-compress"])
        procs.append(raw_proc)
        big_raw = latency(upstream, raw_port, large, max(20, n // 10))
    finally:
        for p in procs:
            _stop(p)
        fake.communicate(b"", timeout=10)
    mem = "n/a" if idle is None else f"{idle:.0f} MiB"
    grow = "n/a" if after is None or after2 is None else f"{after:.0f} → {after2:.0f} MiB"
    rows = [
        ("tiny request: direct p50 (ms)", _ms(statistics.median(t.direct)), ""),
        ("tiny request: added p50 (ms)", _ms(t.added(0.5)), "≤ 3 ms"),
        ("tiny request: added p95 (ms)", _ms(t.added(0.95)), ""),
        ("small request, nothing to compress: added p50 (ms)", _ms(small.added(0.5)), ""),
        (f"{large_tokens // 1000}k-token request: direct p50 (ms)", _ms(statistics.median(big.direct)), ""),
        (f"{large_tokens // 1000}k-token: added p50, compressing (ms)", _ms(big.added(0.5)), "≤ compression + 5 ms"),
        (f"{large_tokens // 1000}k-token: added p95, compressing (ms)", _ms(big.added(0.95)), ""),
        (
            f"{large_tokens // 1000}k-token: compression, first / memoised (ms)",
            f"{first * 1000:.1f} / {repeated * 1000:.1f}",
            "",
        ),
        (f"{large_tokens // 1000}k-token: added p50, --no-compress (ms)", _ms(big_raw.added(0.5)), ""),
        ("req/s through the proxy, 1 client", f"{rps1:8.0f}", ""),
        ("req/s through the proxy, 16 clients", f"{rps16:8.0f}", "≥ 1,000"),
        ("req/s direct to the fake, 16 clients", f"{direct16:8.0f}", ""),
        ("start-up to first /health (s)", f"{startup:8.2f}", "≤ 2 s"),
        ("memory idle (RSS)", mem, "≤ 150 MB"),
        ("memory after run 1 → after run 2", grow, "no growth"),
    ]
    echo("")
    _report(rows, echo)
    echo(f"\n(cpu count {os.cpu_count()}; client, proxy and fake upstream share these cores)")
