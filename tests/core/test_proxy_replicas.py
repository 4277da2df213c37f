"""Proxy replicas sharing one store: a marker written through one is redeemed through another, and
through a proxy restarted after ``kill -9``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.proxy_support import service_log
from tests.core.redis_server import RedisServer, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    server = RedisServer(tmp_path / "redis")
    (tmp_path / "redis").mkdir()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server.url
    server.stop()


def start_proxy(store: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "headroom", "proxy", "--port", str(port), "--store", store, "--no-log"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"proxy did not start: {proc.communicate()[1].decode()}") from None
            time.sleep(0.05)


def post(url: str, path: str, body: dict[str, object]) -> dict[str, object]:
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def test_a_marker_from_one_replica_redeems_on_another_and_after_kill_9(store_url: str) -> None:
    log = service_log()
    a, url_a = start_proxy(store_url)
    b, url_b = start_proxy(store_url)
    try:
        out = post(url_a, "/v1/compress", {"text": log, "query": "payment failure"})
        (ref,) = out["refs"]  # type: ignore[misc]
        assert post(url_b, "/v1/retrieve", {"ref": ref})["content"] == log
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        a, url_a = start_proxy(store_url)
        assert post(url_a, "/v1/retrieve", {"ref": ref, "lines": "1-3"})["content"] == "\n".join(log.split("\n")[:3])
    finally:
        for proc in (a, b):
            proc.kill()
            proc.wait(10)
