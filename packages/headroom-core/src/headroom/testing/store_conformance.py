"""`StoreConformance`: the tests every `Store` backend must pass, to be subclassed in its test suite.

Example:
    A backend's test module::

        from headroom.store import MemoryStore, Store
        from headroom.testing import FakeClock, StoreConformance


        class TestMemoryStore(StoreConformance):
            def make_store(self, *, ttl_seconds: float) -> Store:
                self.clock = FakeClock()
                return MemoryStore(ttl_seconds=ttl_seconds, clock=self.clock)

            def advance(self, store: Store, seconds: float) -> None:
                self.clock.advance(seconds)

The base class is not named ``Test...`` so pytest does not collect it on its own. It needs no
pytest at import time: the checks are plain ``assert`` statements with messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar, TypeVar

from headroom.refs import make_ref
from headroom.store._protocol import (
    DEFAULT_TTL_SECONDS,
    Entry,
    RefConflictError,
    RefError,
    RefExpiredError,
    RefNotFoundError,
    Store,
    StoreError,
)

__all__ = ["FakeClock", "StoreConformance"]

_E = TypeVar("_E", bound=BaseException)

_SAMPLES: dict[str, str] = {
    "ascii": "hello, world",
    "empty": "",
    "unicode": "naïve café — 日本語テキスト — emoji 🎉👍🏽 — עברית",
    "crlf": "line one\r\nline two\r\n\rbare cr\nend\n",
    "nul": "before\x00after\x00\x00",
    "lone surrogates": "undecodable bytes \udcff\udc80, a high half \ud800, end",
    "split pair": "\ud83d\ude00",
    "whitespace": "  \t leading and trailing \t \n",
}
"""Contents that must come back exactly, named for failure messages."""


class FakeClock:
    """A clock that only moves when told to, for a store's ``clock=`` argument.

    Args:
        start: the initial time in seconds since the epoch.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


def _raises(expected: type[_E], call: Callable[[], object]) -> _E:
    """Return the ``expected`` exception raised by ``call``; fail if it raises nothing."""
    try:
        result = call()
    except expected as exc:
        return exc
    raise AssertionError(f"expected {expected.__name__}, but the call returned {result!r:.200}")


def _big_text(size: int) -> str:
    """Return about ``size`` characters of varied, log-like text (not one repeated character)."""
    parts: list[str] = []
    total = 0
    while total < size:
        line = f"row {len(parts):08d}: status=ok latency={len(parts) % 997}ms — ünïcode ✓\r\n"
        parts.append(line)
        total += len(line)
    return "".join(parts)


class StoreConformance:
    """The `Store` contract as tests. Subclass it as ``Test<Backend>Store`` and implement `make_store`.

    Override `advance` when the store takes an injectable clock, so the expiry tests run without
    sleeping. Stores made by the tests are closed after each test; a subclass that defines its
    own ``teardown_method`` must call ``super().teardown_method(method)``.
    """

    expiry_ttl_seconds: ClassVar[float] = 0.5
    """TTL used by the expiry tests. With the default real-time `advance` they sleep about 6x this."""

    large_content_chars: ClassVar[int] = 5 * 1024 * 1024
    """Size of the content in `test_large_content_round_trips`."""

    def make_store(self, *, ttl_seconds: float) -> Store:
        """Return a new, empty store whose entries expire after ``ttl_seconds`` idle."""
        raise NotImplementedError("subclasses of StoreConformance must implement make_store")

    def advance(self, store: Store, seconds: float) -> None:
        """Let ``seconds`` pass for ``store``. The default sleeps; override to move a fake clock."""
        time.sleep(seconds)

    def teardown_method(self, method: object) -> None:
        """Close every store this test made."""
        for store in self.__dict__.pop("_conformance_stores", []):
            store.close()

    def _store(self, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> Store:
        store = self.make_store(ttl_seconds=ttl_seconds)
        self.__dict__.setdefault("_conformance_stores", []).append(store)
        return store

    # -- the contract --------------------------------------------------------------------------

    def test_is_a_store(self) -> None:
        store = self._store(123.0)
        assert isinstance(store, Store), f"{type(store).__name__} does not implement the Store protocol"
        assert store.ttl_seconds == 123.0, f"ttl_seconds is {store.ttl_seconds!r}, expected 123.0"

    def test_round_trip_is_exact(self) -> None:
        store = self._store()
        for name, content in _SAMPLES.items():
            ref = make_ref(content)
            store.put(ref, Entry(content))
            got = store.get(ref).content
            assert got == content, f"{name!r} content changed in the store: {content!r} -> {got!r}"
            assert type(got) is str, f"{name!r} came back as {type(got).__name__}, not str"

    def test_large_content_round_trips(self) -> None:
        store = self._store()
        content = _big_text(self.large_content_chars)
        ref = make_ref(content)
        store.put(ref, Entry(content, kind="log"))
        got = store.get(ref)
        assert got.content == content, f"a {len(content):,}-character entry came back changed"
        assert got.kind == "log"

    def test_kind_and_meta_are_preserved(self) -> None:
        store = self._store()
        entry = Entry("[1, 2, 3]", kind="json", meta={"compressor": "SmartCrusher", "note": "ünïcode ✓"})
        store.put(make_ref(entry.content), entry)
        assert store.get(make_ref(entry.content)) == entry
        plain = Entry("plain")
        store.put(make_ref("plain"), plain)
        got = store.get(make_ref("plain"))
        assert (got.kind, got.meta) == ("text", {}), f"defaults changed: {got!r}"

    def test_stored_entry_is_isolated_from_caller_changes(self) -> None:
        store = self._store()
        meta = {"compressor": "LogCompressor"}
        store.put(make_ref("isolated"), Entry("isolated", meta=meta))
        meta["compressor"] = "changed after put"
        store.get(make_ref("isolated")).meta["compressor"] = "changed after get"
        got = store.get(make_ref("isolated")).meta
        assert got == {"compressor": "LogCompressor"}, f"stored meta was changed from outside: {got!r}"

    def test_put_is_idempotent(self) -> None:
        store = self._store()
        ref = make_ref("same")
        store.put(ref, Entry("same"))
        store.put(ref, Entry("same"))
        assert store.get(ref).content == "same"

    def test_conflicting_put_raises_and_keeps_the_original(self) -> None:
        store = self._store()
        ref = make_ref("first")
        store.put(ref, Entry("first"))
        err = _raises(RefConflictError, lambda: store.put(ref, Entry("second")))
        assert err.ref == ref and ref in str(err), f"the error does not name the ref: {err}"
        assert store.get(ref).content == "first", "a conflicting put overwrote the stored original"

    def test_missing_ref_raises_not_found_naming_the_ref(self) -> None:
        store = self._store()
        ref = make_ref("never stored")
        assert not store.contains(ref)
        err = _raises(RefNotFoundError, lambda: store.get(ref))
        assert isinstance(err, RefError) and isinstance(err, LookupError)
        assert err.ref == ref and ref in str(err), f"the error does not name the ref: {err}"

    def test_delete(self) -> None:
        store = self._store()
        ref = make_ref("to delete")
        store.put(ref, Entry("to delete"))
        store.delete(ref)
        assert not store.contains(ref), "contains() is still true after delete()"
        _raises(RefNotFoundError, lambda: store.get(ref))
        store.delete(ref)
        store.delete(make_ref("never stored"))
        store.put(ref, Entry("to delete"))
        assert store.get(ref).content == "to delete", "a deleted ref cannot be stored again"

    # -- expiry by idle time -------------------------------------------------------------------

    def test_entry_read_within_ttl_stays_alive(self) -> None:
        ttl = self.expiry_ttl_seconds
        store = self._store(ttl)
        ref = make_ref("kept alive")
        store.put(ref, Entry("kept alive"))
        for read in range(1, 5):
            self.advance(store, 0.6 * ttl)
            got = _get_or_fail(store, ref, f"read {read}, {0.6 * read:.1f} x ttl after put")
            assert got == "kept alive"
        assert store.contains(ref), "an entry read every 0.6 x ttl expired"

    def test_idle_entry_expires_and_can_be_replaced(self) -> None:
        ttl = self.expiry_ttl_seconds
        store = self._store(ttl)
        ref = make_ref("left idle")
        store.put(ref, Entry("left idle"))
        self.advance(store, 1.5 * ttl)
        assert not store.contains(ref), "contains() is true for an entry idle for 1.5 x ttl"
        err = _raises(RefExpiredError, lambda: store.get(ref))
        assert isinstance(err, RefError) and isinstance(err, LookupError)
        assert ref in str(err) and "expired" in str(err), f"unclear expiry message: {err}"
        store.put(ref, Entry("stored again"))
        assert store.get(ref).content == "stored again", "an expired entry could not be replaced"

    def test_idempotent_put_refreshes_access(self) -> None:
        ttl = self.expiry_ttl_seconds
        store = self._store(ttl)
        ref = make_ref("put twice")
        store.put(ref, Entry("put twice"))
        self.advance(store, 0.6 * ttl)
        store.put(ref, Entry("put twice"))
        self.advance(store, 0.6 * ttl)
        assert _get_or_fail(store, ref, "1.2 x ttl after the first put") == "put twice"

    def test_contains_does_not_refresh_access(self) -> None:
        ttl = self.expiry_ttl_seconds
        store = self._store(ttl)
        ref = make_ref("only checked")
        store.put(ref, Entry("only checked"))
        self.advance(store, 0.6 * ttl)
        assert store.contains(ref), "an entry expired after 0.6 x ttl"
        self.advance(store, 0.6 * ttl)
        assert not store.contains(ref), "contains() kept an entry alive"
        _raises(RefExpiredError, lambda: store.get(ref))

    # -- threads -------------------------------------------------------------------------------

    def test_use_after_close_is_a_store_error(self) -> None:
        store = self._store()
        store.put(make_ref("x"), Entry("x"))
        store.close()
        store.close()  # closing twice is harmless
        for call in (lambda: store.get(make_ref("x")), lambda: store.put(make_ref("y"), Entry("y"))):
            error = _raises(StoreError, call)
            assert "closed" in str(error), f"the error does not say the store is closed: {error}"

    def test_concurrent_puts_and_gets(self) -> None:
        store = self._store()
        workers, per_worker = 8, 25
        shared = "stored by every thread at once"
        start = threading.Barrier(workers)

        def work(worker: int) -> None:
            mine = [f"worker {worker} item {i} — ✓" for i in range(per_worker)]
            start.wait(timeout=30)
            for content in mine:
                store.put(make_ref(content), Entry(content, meta={"worker": str(worker)}))
                store.put(make_ref(shared), Entry(shared))
            for content in mine:
                got = store.get(make_ref(content))
                assert got.content == content, f"thread {worker} read {got.content!r}, wrote {content!r}"
                assert store.get(make_ref(shared)).content == shared

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(work, w) for w in range(workers)]:
                future.result(timeout=60)
        for worker in range(workers):
            for i in range(per_worker):
                content = f"worker {worker} item {i} — ✓"
                got = store.get(make_ref(content))
                assert got == Entry(content, meta={"worker": str(worker)}), f"lost or mixed up: {got!r}"


def _get_or_fail(store: Store, ref: str, when: str) -> str:
    try:
        return store.get(ref).content
    except RefError as exc:
        raise AssertionError(f"get() failed {when}: {exc}") from exc
