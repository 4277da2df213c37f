"""Where originals live while markers stand in for them: the `Store` protocol and its backends.

``store=None`` anywhere in Headroom means `default_store()`: a `SQLiteStore` at
``$HEADROOM_HOME/store.sqlite3`` (default ``~/.headroom``), opened on first use.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

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
from headroom.store.memory import MemoryStore
from headroom.store.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_TTL_SECONDS",
    "Entry",
    "MemoryStore",
    "RefConflictError",
    "RefError",
    "RefExpiredError",
    "RefNotFoundError",
    "SQLiteStore",
    "Store",
    "StoreError",
    "default_store",
    "open_store",
    "set_default_store",
]

HOME_ENV = "HEADROOM_HOME"
TTL_ENV = "HEADROOM_STORE_TTL"
STORE_FILENAME = "store.sqlite3"

# The process-wide default store: the one piece of module-level mutable state the core allows,
# created on the first default_store() call, never at import.
_default_lock = threading.Lock()
_default: Store | None = None


def default_store() -> Store:
    """Return the process-wide default store, creating it on the first call.

    The first call reads ``HEADROOM_HOME`` (default ``~/.headroom``) and ``HEADROOM_STORE_TTL``
    (seconds of idle time before an entry expires; default `DEFAULT_TTL_SECONDS`) and builds a
    `SQLiteStore` at ``$HEADROOM_HOME/store.sqlite3``. The file itself is created on first use.
    Later calls return the same object; concurrent first calls from several threads agree.

    Raises:
        StoreError: ``HEADROOM_STORE_TTL`` is not a positive number.
    """
    global _default
    store = _default
    if store is not None:
        return store
    with _default_lock:
        if _default is None:
            _default = _open_default_store()
        return _default


def set_default_store(store: Store | None) -> None:
    """Replace the process-wide default store.

    Pass ``None`` to forget the current one, so that the next `default_store()` call reads the
    environment again (tests use this). The replaced store is not closed: whoever still holds it
    may keep using it.
    """
    global _default
    with _default_lock:
        _default = store


def _open_default_store() -> SQLiteStore:
    home = os.environ.get(HOME_ENV) or "~/.headroom"
    path = Path(home).expanduser() / STORE_FILENAME
    return SQLiteStore(path, ttl_seconds=_ttl_from_env())


def _ttl_from_env() -> float:
    raw = os.environ.get(TTL_ENV, "").strip()
    if not raw:
        return DEFAULT_TTL_SECONDS
    try:
        ttl = float(raw)
    except ValueError:
        ttl = float("nan")
    if not ttl > 0:
        raise StoreError(f"{TTL_ENV} must be a positive number of seconds, got {raw!r}")
    return ttl


def open_store(url: str, *, ttl_seconds: float | None = None) -> Store:
    """Open a store from a URL.

    Args:
        url: ``memory://``; ``sqlite:///absolute/path.sqlite3`` or a plain file path; or
            ``redis://host:port/db`` (``rediss://`` for TLS), which needs ``headroom-core[redis]``.
        ttl_seconds: idle time before entries expire; the backend's default when None.

    Raises:
        ValueError: an unsupported URL scheme.
        ImportError: a Redis URL without the redis extra installed.
    """
    ttl = DEFAULT_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    scheme, sep, rest = url.partition("://")
    if not sep:
        return SQLiteStore(Path(url).expanduser(), ttl_seconds=ttl)
    if scheme == "memory":
        return MemoryStore(ttl_seconds=ttl)
    if scheme == "sqlite":
        return SQLiteStore(Path(rest).expanduser(), ttl_seconds=ttl)
    if scheme in ("redis", "rediss", "unix"):
        try:
            from headroom.store.redis import RedisStore
        except ImportError as e:
            raise ImportError(f'a {scheme}:// store needs redis-py: pip install "headroom-core[redis]" ({e})') from e
        return RedisStore(url, ttl_seconds=ttl)
    raise ValueError(f"unsupported store URL {url!r}: use memory://, sqlite:///path or redis://host:port/db")
