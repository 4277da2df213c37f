"""`RedisStore`: a `Store` in Redis, shared by every proxy replica and process that points at it.

Each entry is one Redis string under ``<prefix>entry:{<ref>}``: a small header (format tag, SHA-256
of the content, JSON with ``kind`` and ``meta``), a newline, then the content encoded as UTF-8 with
``surrogatepass`` so any Python string, lone surrogates included, comes back exactly. The key
carries Redis's own expiry, set to the store's TTL and renewed by every ``get`` and ``put``, so an
entry disappears after ``ttl_seconds`` of idle time with no sweeping on our side.

Redis forgets an expired key completely, so it cannot tell "expired" from "never stored". Beside
each entry the store therefore keeps a tiny last-access record, ``<prefix>seen:{<ref>}``, that
outlives the entry by ``remember_expired_seconds``: while it exists, a ``get`` of the vanished
entry raises `RefExpiredError` with the real idle time. After that, or for a ref never stored or
deleted, ``get`` raises `RefNotFoundError`, whose message says "not found or expired".

Every read and write is one Lua script, which Redis runs atomically: a ``put`` compares, writes
the value together with its expiry in one ``SET ... PX`` and cannot leave a half-written entry;
two writers racing on one ref cannot both win. Both keys of a ref share the ``{<ref>}`` hash tag,
so they live in the same slot should the Redis be a cluster behind a proxy.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from headroom.store._protocol import (
    DEFAULT_TTL_SECONDS,
    Entry,
    RefConflictError,
    RefExpiredError,
    RefNotFoundError,
    StoreError,
)

if TYPE_CHECKING:
    import redis

__all__ = ["DEFAULT_PREFIX", "RedisStore"]

DEFAULT_PREFIX = "headroom:"
"""Every key the store writes starts with this, so it can share a Redis with other data."""

_FORMAT = b"hr1 "
_DIGEST_START = len(_FORMAT)
_DIGEST_END = _DIGEST_START + 64  # hex SHA-256
_HEADER_START = _DIGEST_END + 1

_TOUCH_FIRST_BYTES = 64 * 1024
"""From this size on, ``put`` first tries to refresh an identical entry by digest alone, so that
re-storing a large original (every turn of a long conversation does) does not send it again."""

_EXPIRY_SLACK = 0.01
"""An entry gone after at least (1 - slack) x ttl of idle time counts as expired, not evicted:
Redis's expiry and the ``TIME`` stamps we record differ by a few milliseconds of rounding."""

# KEYS: entry, seen. ARGV: value ('' = refresh only), digest, ttl ms, seen-record ms.
# The value and its expiry are written by one SET ... PX, so no entry ever lacks a TTL.
# GETRANGE 4 67 reads the digest: bytes _DIGEST_START to _DIGEST_END - 1 of the value.
_PUT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '' then return 'missing' end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
elseif redis.call('GETRANGE', KEYS[1], 4, 67) ~= ARGV[2] then
  return 'conflict'
else
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local now = redis.call('TIME')
redis.call('SET', KEYS[2], now[1] .. '.' .. string.format('%06d', tonumber(now[2])), 'PX', ARGV[4])
return 'stored'
"""

# KEYS: entry, seen. ARGV: ttl ms, seen-record ms.
_GET_LUA = """
local now = redis.call('TIME')
local stamp = now[1] .. '.' .. string.format('%06d', tonumber(now[2]))
local value = redis.call('GET', KEYS[1])
if not value then
  local seen = redis.call('GET', KEYS[2])
  if not seen then return {'missing'} end
  return {'gone', seen, stamp}
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], stamp, 'PX', ARGV[2])
return {'found', value}
"""


def _connect(url: str, *, socket_timeout: float, retries: int) -> redis.Redis:
    """Return a redis-py client for ``url``; it connects on first use, not here."""
    try:
        import redis
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry
    except ImportError as exc:
        raise ImportError(f'RedisStore needs redis-py: pip install "headroom-core[redis]" ({exc})') from exc
    return redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(socket_timeout, 10.0),
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
    )


def _redis_error() -> type[Exception]:
    from redis.exceptions import RedisError  # imported by _connect already: no ImportError here

    return RedisError


def _milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _describe(url: str) -> str:
    """The URL without user name or password, for error messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _encode(ref: str, entry: Entry) -> tuple[bytes, bytes]:
    """Return (value, digest) for ``entry``; the digest is the hex SHA-256 of the content bytes."""
    content = entry.content.encode("utf-8", "surrogatepass")
    try:
        # ensure_ascii escapes lone surrogates, so any string kind and metadata round-trip.
        header = json.dumps({"kind": entry.kind, "meta": dict(entry.meta)}, ensure_ascii=True, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"cannot store ref {ref!r}: kind or meta is not JSON-serialisable: {exc}") from exc
    digest = hashlib.sha256(content).hexdigest().encode("ascii")
    return b"".join((_FORMAT, digest, b" ", header.encode("ascii"), b"\n", content)), digest


def _decode(ref: str, value: bytes) -> Entry:
    newline = value.find(b"\n", _HEADER_START)
    try:
        if not value.startswith(_FORMAT) or newline < 0:
            raise ValueError("no headroom header")
        header = json.loads(value[_HEADER_START:newline])
        kind, meta = header["kind"], header["meta"]
        content = value[newline + 1 :].decode("utf-8", "surrogatepass")
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"the Redis value of ref {ref!r} is not a headroom entry: {exc}") from exc
    return Entry(content=content, kind=str(kind), meta={str(k): str(v) for k, v in dict(meta).items()})


class RedisStore:
    """A `Store` in Redis, safe to share between threads, processes and machines.

    Nothing is contacted by the constructor; the connection pool (thread-safe, and re-created in a
    forked child by redis-py) connects on first use and reconnects after a server restart. Entries
    expire after ``ttl_seconds`` without a ``get`` or ``put``, counted by the Redis server's clock,
    so every process sharing the Redis agrees. Entries are only as durable as the Redis itself:
    configure persistence (AOF or RDB) there if originals must survive a Redis restart. Needs
    Redis 5 or later (its scripts read the server clock before writing).

    A ``get`` of a ref raises `RefExpiredError` when its entry expired less than
    ``remember_expired_seconds`` ago, and `RefNotFoundError` ("not found or expired") when it was
    never stored, was deleted, or expired longer ago than that.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` for TLS, or
            ``unix:///path/to/redis.sock?db=0``.
        ttl_seconds: idle time after which an entry expires. Must be positive.
        prefix: the start of every key the store writes.
        remember_expired_seconds: how long after expiry a ref is still reported as expired
            rather than not found (a last-access record of about 50 bytes per ref); the TTL when None.
        socket_timeout: seconds to wait on a Redis reply (large entries take a while to send).
        retries: how many times a command is retried after a connection error. Retrying is safe:
            every operation is idempotent.

    Raises:
        ImportError: redis-py is not installed (``pip install "headroom-core[redis]"``).
        ValueError: a non-positive TTL or a negative ``remember_expired_seconds``.

    Example:
        >>> from headroom.refs import make_ref
        >>> store = RedisStore("redis://127.0.0.1:6379/0")  # doctest: +SKIP
        >>> store.put(make_ref("original"), Entry("original"))  # doctest: +SKIP
        >>> store.get(make_ref("original")).content  # doctest: +SKIP
        'original'
    """

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        prefix: str = DEFAULT_PREFIX,
        remember_expired_seconds: float | None = None,
        socket_timeout: float = 30.0,
        retries: int = 3,
    ) -> None:
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
        remember = ttl_seconds if remember_expired_seconds is None else remember_expired_seconds
        if not remember >= 0:
            raise ValueError(f"remember_expired_seconds must not be negative, got {remember_expired_seconds!r}")
        self._client = _connect(url, socket_timeout=socket_timeout, retries=retries)
        self._url = url  # may hold a password: never shown, see _describe
        self.prefix = prefix
        self.ttl_seconds = float(ttl_seconds)
        self._where = f"Redis at {_describe(url)}"
        self._ttl_ms = str(_milliseconds(self.ttl_seconds)).encode()
        self._seen_ms = str(_milliseconds(self.ttl_seconds + remember)).encode()
        self._prefix = prefix.encode("utf-8", "surrogatepass")
        self._put_script = self._client.register_script(_PUT_LUA)
        self._get_script = self._client.register_script(_GET_LUA)
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisStore({_describe(self._url)!r}, ttl_seconds={self.ttl_seconds!r}, prefix={self.prefix!r})"

    def put(self, ref: str, entry: Entry) -> None:
        """Store ``entry`` under ``ref`` in one atomic step.

        Storing the same content again only renews the entry's expiry (and, for large content,
        sends just its digest).

        Raises:
            RefConflictError: ``ref`` holds different, unexpired content.
            StoreError: the entry cannot be stored (``meta`` not serialisable, Redis unreachable
                or refusing the write, e.g. out of memory); nothing was written.
        """
        value, digest = _encode(ref, entry)
        keys = self._keys(ref)
        with self._errors():
            outcome = b"missing"
            if len(value) >= _TOUCH_FIRST_BYTES:
                outcome = self._put_script(keys=keys, args=[b"", digest, self._ttl_ms, self._seen_ms])
            if outcome == b"missing":
                outcome = self._put_script(keys=keys, args=[value, digest, self._ttl_ms, self._seen_ms])
        if outcome == b"conflict":
            raise RefConflictError(ref)
        if outcome != b"stored":
            raise StoreError(f"{self._where}: unexpected reply {outcome!r} to a put of ref {ref!r}")

    def get(self, ref: str) -> Entry:
        """Return the entry under ``ref`` and renew its expiry.

        Raises:
            RefNotFoundError: nothing is stored under ``ref``: it was never stored, was deleted,
                or expired more than ``remember_expired_seconds`` ago.
            RefExpiredError: the entry sat unused for longer than ``ttl_seconds`` and Redis dropped it.
            StoreError: Redis cannot be reached, or the key holds something that is not an entry.
        """
        with self._errors():
            reply = self._get_script(keys=self._keys(ref), args=[self._ttl_ms, self._seen_ms])
        status = reply[0]
        if status == b"found":
            return _decode(ref, reply[1])
        if status == b"gone":
            idle = float(reply[2]) - float(reply[1])
            if idle >= self.ttl_seconds * (1 - _EXPIRY_SLACK):
                raise RefExpiredError(ref, idle, self.ttl_seconds)
            raise RefNotFoundError(
                ref, f"{self._where}: it was removed {idle:.1f}s after its last use, before its ttl (evicted?)"
            )
        raise RefNotFoundError(ref, f"{self._where} (not found or expired: never stored, deleted, or long expired)")

    def contains(self, ref: str) -> bool:
        """True when ``ref`` holds an unexpired entry. Does not renew the expiry."""
        with self._errors():
            return bool(self._client.exists(self._keys(ref)[0]))

    def delete(self, ref: str) -> None:
        """Remove ``ref`` (and its last-access record) if present; a missing ref is not an error."""
        with self._errors():
            self._client.delete(*self._keys(ref))

    def close(self) -> None:
        """Disconnect from Redis. Any later call raises `StoreError`; closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._client.close()

    def _keys(self, ref: str) -> list[bytes]:
        tag = b"{" + ref.encode("utf-8", "surrogatepass") + b"}"
        return [self._prefix + b"entry:" + tag, self._prefix + b"seen:" + tag]

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Refuse use after close; turn redis-py errors into `StoreError` naming the server."""
        if self._closed:
            raise StoreError(f"the store at {self._where} is closed")
        try:
            yield
        except _redis_error() as exc:
            raise StoreError(f"{self._where}: {exc}") from exc
