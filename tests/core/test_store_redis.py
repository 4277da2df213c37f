"""RedisStore against a real redis-server: the conformance suite, plus sharing, failures and restarts.

The server is started by these tests (see ``redis_server.py``); when ``redis-server`` is not
installed every test here fails saying so, none is skipped.
"""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from headroom.refs import make_ref
from headroom.store import Entry, RefConflictError, RefExpiredError, RefNotFoundError, StoreError, open_store
from headroom.store.redis import RedisStore
from headroom.testing import PersistentStoreConformance

from tests.core.redis_server import RedisServer, free_port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A plain client of the test server, emptied before each test."""
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def url(redis_server: RedisServer, raw: redis.Redis) -> str:
    return redis_server.url


class TestRedisStore(PersistentStoreConformance):
    # Redis keeps time itself, so the expiry tests really wait (about 6 x this in all); a second
    # leaves a wide margin against a busy machine delaying a read past the TTL.
    expiry_ttl_seconds = 1.0

    @pytest.fixture(autouse=True)
    def _server(self, url: str) -> None:
        self.url = url

    def store_url(self) -> str:
        return self.url


# -- what the store writes to Redis ------------------------------------------------------------


def test_keys_carry_the_prefix_and_always_an_expiry(url: str, raw: redis.Redis) -> None:
    raw.set("app:unrelated", "someone else's data")
    store = RedisStore(url, ttl_seconds=600)
    for i in range(20):
        content = f"original {i} ✓"
        store.put(make_ref(content), Entry(content, kind="log"))
    ours = sorted(k for k in raw.scan_iter() if k != b"app:unrelated")
    assert len(ours) == 40, f"expected an entry and a last-access record per ref: {ours[:4]}"
    assert all(k.startswith(b"headroom:") for k in ours), ours[:4]
    for key in ours:
        assert 0 < raw.pttl(key) <= 1_200_000, f"{key!r} has no expiry (it would never be freed)"
    assert raw.get("app:unrelated") == b"someone else's data"
    store.close()


def test_stores_with_different_prefixes_do_not_see_each_other(url: str) -> None:
    first, second = RedisStore(url), RedisStore(url, prefix="tenant-b:")
    ref = make_ref("only in the first")
    first.put(ref, Entry("only in the first"))
    assert first.contains(ref) and not second.contains(ref)
    with pytest.raises(RefNotFoundError):
        second.get(ref)
    second.put(ref, Entry("a different text under the same ref"))  # no conflict across prefixes
    assert first.get(ref).content == "only in the first"
    first.close()
    second.close()


def test_get_and_put_renew_the_expiry_in_redis(url: str, raw: redis.Redis) -> None:
    store = RedisStore(url, ttl_seconds=1000)
    ref = make_ref("renewed")
    store.put(ref, Entry("renewed"))
    (entry_key,) = [k for k in raw.scan_iter(b"headroom:entry:*")]
    raw.pexpire(entry_key, 5000)
    store.get(ref)
    assert raw.pttl(entry_key) > 900_000, "get() did not renew the entry's expiry"
    raw.pexpire(entry_key, 5000)
    store.put(ref, Entry("renewed"))
    assert raw.pttl(entry_key) > 900_000, "an idempotent put() did not renew the entry's expiry"
    raw.pexpire(entry_key, 5000)
    assert store.contains(ref)
    assert raw.pttl(entry_key) <= 5000, "contains() renewed the expiry"
    store.close()


def test_an_idempotent_put_of_large_content_sends_only_its_digest(url: str, raw: redis.Redis) -> None:
    content = "".join(f"{i:07d} a line of a long build log ✓\n" for i in range(60_000))  # ~2.4 MB
    store = RedisStore(url)

    def bytes_received() -> int:
        return int(raw.info("stats")["total_net_input_bytes"])

    before = bytes_received()
    store.put(make_ref(content), Entry(content, kind="log"))
    first = bytes_received() - before
    store.put(make_ref(content), Entry(content, kind="log"))
    second = bytes_received() - before - first
    assert first > len(content), f"the first put sent only {first} bytes"
    assert second < 10_000, f"re-storing the same {len(content):,} characters sent {second:,} bytes"
    with pytest.raises(RefConflictError):
        store.put(make_ref(content), Entry(content + "changed", kind="log"))
    assert store.get(make_ref(content)).content == content
    store.close()


# -- not found, expired, evicted ---------------------------------------------------------------


def test_an_entry_expired_long_ago_is_not_found_and_the_message_says_it_may_have_expired(url: str) -> None:
    store = RedisStore(url, ttl_seconds=0.2, remember_expired_seconds=0)
    ref = make_ref("forgotten")
    store.put(ref, Entry("forgotten"))
    time.sleep(0.5)
    with pytest.raises(RefNotFoundError) as raised:
        store.get(ref)
    err = raised.value
    assert ref in str(err) and "not found or expired" in str(err), str(err)
    store.close()


def test_an_expired_entry_is_reported_as_expired_with_its_idle_time(url: str) -> None:
    store = RedisStore(url, ttl_seconds=0.3, remember_expired_seconds=60)
    ref = make_ref("went idle")
    store.put(ref, Entry("went idle"))
    time.sleep(0.6)
    with pytest.raises(RefExpiredError) as raised:
        store.get(ref)
    err = raised.value
    assert "expired" in str(err) and "ttl of 0s" in str(err), str(err)
    # It stays reported as expired (not "not found") while Redis remembers the last access.
    with pytest.raises(RefExpiredError):
        store.get(ref)
    store.close()


def test_an_entry_removed_before_its_ttl_is_not_found_not_expired(url: str, raw: redis.Redis) -> None:
    store = RedisStore(url, ttl_seconds=600)
    ref = make_ref("evicted")
    store.put(ref, Entry("evicted"))
    raw.delete(*raw.scan_iter(b"headroom:entry:*"))  # as an eviction under maxmemory would
    with pytest.raises(RefNotFoundError, match="before its ttl"):
        store.get(ref)
    store.close()


def test_a_foreign_value_under_our_key_is_an_error_and_is_never_overwritten(url: str, raw: redis.Redis) -> None:
    store = RedisStore(url)
    ref = make_ref("mine")
    raw.set(b"headroom:entry:{" + ref.encode() + b"}", b"written by another program")
    with pytest.raises(StoreError, match="not a headroom entry"):
        store.get(ref)
    with pytest.raises(RefConflictError):
        store.put(ref, Entry("mine"))
    assert raw.get(b"headroom:entry:{" + ref.encode() + b"}") == b"written by another program"
    store.close()


# -- failures leave nothing behind -------------------------------------------------------------


class _CuttingProxy:
    """A TCP relay to Redis that drops every connection after ``limit`` bytes from the client.

    It stands for a network failing in the middle of a large write.
    """

    def __init__(self, target_port: int, limit: int) -> None:
        self._target, self._limit = target_port, limit
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, upstream, self._limit), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: limit - sent])
                    self.cuts += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):
            sock.close()


def test_a_put_cut_off_midway_by_the_network_stores_nothing(url: str, redis_server: RedisServer) -> None:
    content = "".join(f"{i:07d} payload line ✓\n" for i in range(100_000))  # ~2.6 MB
    ref = make_ref(content)
    proxy = _CuttingProxy(redis_server.port, limit=len(content) // 3)
    flaky = RedisStore(f"redis://127.0.0.1:{proxy.port}/0", retries=2)
    try:
        with pytest.raises(StoreError, match=re.escape(f"127.0.0.1:{proxy.port}")):
            flaky.put(ref, Entry(content, kind="log"))
    finally:
        flaky.close()
        proxy.close()
    assert proxy.cuts >= 1, "the relay never cut a connection: the test did not test anything"
    store = RedisStore(url)
    assert not store.contains(ref), "a put cut off midway left an entry"
    assert list(redis_server.client().scan_iter()) == [], "a put cut off midway left keys behind"
    store.put(ref, Entry(content, kind="log"))
    assert store.get(ref).content == content
    store.close()


def test_a_put_refused_by_redis_for_lack_of_memory_stores_nothing(url: str, raw: redis.Redis) -> None:
    store = RedisStore(url)
    ref = make_ref("no room")
    raw.config_set("maxmemory", "1")  # far below what Redis already uses: every write is refused
    try:
        with pytest.raises(StoreError, match="maxmemory"):
            store.put(ref, Entry("no room"))
    finally:
        raw.config_set("maxmemory", "0")
    assert list(raw.scan_iter()) == []
    store.put(ref, Entry("no room"))
    assert store.get(ref).content == "no room"
    store.close()


def test_an_unreachable_redis_is_a_store_error_that_hides_the_password() -> None:
    store = RedisStore(f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0", retries=0, socket_timeout=2)
    with pytest.raises(StoreError, match=r"127\.0\.0\.1") as raised:
        store.get(make_ref("anything"))
    assert "s3cret-pass" not in str(raised.value)
    assert "s3cret-pass" not in repr(store)
    store.close()


def test_bad_arguments_and_a_missing_redis_py_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        RedisStore("redis://127.0.0.1:1/0", ttl_seconds=0)
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the extra were not installed
    with pytest.raises(ImportError, match=r'pip install "headroom-core\[redis\]"'):
        open_store("redis://127.0.0.1:1/0")


# -- sharing: URLs, the public API, processes, restarts ----------------------------------------


def test_open_store_opens_redis_over_tcp_and_a_unix_socket(url: str, redis_server: RedisServer) -> None:
    over_tcp = open_store(url, ttl_seconds=60)
    over_socket = open_store(f"unix://{redis_server.unix_socket}?db=0", ttl_seconds=60)
    assert isinstance(over_tcp, RedisStore) and over_tcp.ttl_seconds == 60
    entry = Entry("shared by both connections \udcff", kind="text", meta={"compressor": "LogCompressor"})
    over_tcp.put(make_ref(entry.content), entry)
    assert over_socket.get(make_ref(entry.content)) == entry
    over_tcp.close()
    over_socket.close()


def test_entries_survive_a_redis_crash_and_restart_when_redis_persists(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "persistent-redis", persistent=True)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        store = RedisStore(server.url, ttl_seconds=3600)
        kept = Entry("an original that must outlive a crash \udcff\r\n", kind="code", meta={"symbol": "main"})
        store.put(make_ref(kept.content), kept)
        server.kill()  # SIGKILL: only what reached the fsynced append-only file survives
        with pytest.raises(StoreError):
            RedisStore(server.url, retries=0).get(make_ref(kept.content))
        server.start()
        # The same store object reconnects, and reloads its scripts into the fresh server.
        assert store.get(make_ref(kept.content)) == kept
        store.put(make_ref("after the restart"), Entry("after the restart"))
        assert store.get(make_ref("after the restart")).content == "after the restart"
        assert 0 < server.client().pttl(b"headroom:entry:{" + make_ref(kept.content).encode() + b"}") <= 3_600_000
        store.close()
    finally:
        server.stop()
