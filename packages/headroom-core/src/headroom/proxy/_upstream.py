"""A lean HTTP/1.1 client for the proxy's hot path: pooled keep-alive connections, one write per request.

A general client (httpx) costs about a millisecond of CPU per request in this setting; this one
does only what a relay needs: send bytes it already has, read a response as it streams, reuse the
connection. It serves the URL-and-headers backends; signing backends, entry-point backends and
deployments behind an HTTP(S) proxy (``HTTPS_PROXY``...) use the shared httpx client instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

__all__ = ["LeanResponse", "UpstreamPool", "UpstreamTimeout"]

_NO_BODY = frozenset({204, 304})
_READ = 64 * 1024


class UpstreamTimeout(TimeoutError):
    """The upstream did not connect or send a byte within the timeout."""


class UpstreamClosed(ConnectionError):
    """The upstream closed the connection before a whole response arrived."""


def _ssl_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    with contextlib.suppress(ImportError, OSError):
        import certifi

        ctx.load_verify_locations(certifi.where())
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


class UpstreamPool:
    """Keep-alive connections per origin.

    Args:
        connect_timeout: seconds to open a connection (TLS included).
        read_timeout: seconds to wait for each piece of the response.
        max_idle: idle connections kept per origin.
        keepalive_expiry: seconds an idle connection is kept (shorter than upstreams' own idle timeouts,
            so a request never races a server closing the connection).
    """

    def __init__(
        self, *, connect_timeout: float, read_timeout: float, max_idle: int = 64, keepalive_expiry: float = 20.0
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self._idle: dict[tuple[str, str, int], deque[_Conn]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def _connect(self, scheme: str, host: str, port: int) -> _Conn:
        tls = None
        if scheme == "https":
            self._ssl = self._ssl or _ssl_context()
            tls = self._ssl
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=tls, limit=1 << 20), self.connect_timeout
            )
        except asyncio.TimeoutError as e:
            raise UpstreamTimeout(f"connecting to {host}:{port} took longer than {self.connect_timeout}s") from e
        return _Conn(reader, writer)

    def _take(self, key: tuple[str, str, int]) -> _Conn | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            fresh = now - conn.idle_since < self.keepalive_expiry
            if fresh and not conn.reader.at_eof() and not conn.writer.is_closing():
                return conn
            conn.close()
        return None

    def _give_back(self, key: tuple[str, str, int], conn: _Conn) -> None:
        idle = self._idle.setdefault(key, deque())
        if len(idle) >= self.max_idle:
            conn.close()
        else:
            conn.idle_since = time.monotonic()
            idle.append(conn)

    async def request(
        self, method: str, origin: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> LeanResponse:
        """Send ``target`` (path and query, sent as is) to ``origin``; returns once the headers are in."""
        parts = urlsplit(origin)
        scheme = parts.scheme
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = target or "/"
        default = (scheme, port) in (("http", 80), ("https", 443))
        host_header = host if default else f"{host}:{port}"
        if ":" in host and not default:
            host_header = f"[{host}]:{port}"
        lines = [f"{method} {target} HTTP/1.1", f"host: {host_header}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            lines.append(f"content-length: {len(body)}")
        wire = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        key = (scheme, host, port)
        conn = self._take(key) or await self._connect(scheme, host, port)
        try:
            conn.writer.write(wire)
            return await self._read_head(conn, key, method)
        except BaseException:
            conn.close()  # a request is never sent twice: what the upstream did with it is unknown
            raise

    async def _read_head(self, conn: _Conn, key: tuple[str, str, int], method: str) -> LeanResponse:
        while True:
            head = await _timed(conn.reader.readuntil(b"\r\n\r\n"), self.read_timeout, conn)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            if status >= 200 or status == 101:
                break
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
        return LeanResponse(self, key, conn, status, headers, method)

    async def aclose(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


async def _timed(aw: object, timeout: float, conn: _Conn) -> bytes:
    loop = asyncio.get_running_loop()
    fired = False

    def expire() -> None:
        nonlocal fired
        fired = True
        conn.close()

    timer = loop.call_later(timeout, expire)
    try:
        return await aw  # type: ignore[misc, no-any-return]
    except (asyncio.IncompleteReadError, ConnectionError, OSError) as e:
        if fired:
            raise UpstreamTimeout(f"the upstream sent nothing for {timeout}s") from e
        if isinstance(e, asyncio.IncompleteReadError):
            raise UpstreamClosed("the upstream closed the connection mid-response") from e
        raise
    except asyncio.LimitOverrunError as e:
        raise UpstreamClosed("the upstream sent an oversized header block") from e
    finally:
        timer.cancel()


class LeanResponse:
    """A response of `UpstreamPool`: read once, as raw (still content-encoded) or decoded bytes."""

    def __init__(
        self,
        pool: UpstreamPool,
        key: tuple[str, str, int],
        conn: _Conn,
        status: int,
        headers: list[tuple[str, str]],
        method: str,
    ) -> None:
        self._pool, self._key, self._conn = pool, key, conn
        self.status_code = status
        self._headers = headers
        low = {k.lower(): v for k, v in headers}
        self._chunked = "chunked" in low.get("transfer-encoding", "").lower()
        length = low.get("content-length", "")
        self._length = int(length) if length.isdigit() and not self._chunked else None
        self._empty = method == "HEAD" or status in _NO_BODY
        self._keep = "close" not in low.get("connection", "").lower() and (
            self._chunked or self._length is not None or self._empty
        )
        self._encoding = low.get("content-encoding", "").strip().lower()
        self._done = False
        self._closed = False

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """The response headers as received."""
        return self._headers

    async def _read(self, coro: object) -> bytes:
        return await _timed(coro, self._pool.read_timeout, self._conn)

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body without transfer framing, still content-encoded."""
        reader = self._conn.reader
        try:
            if self._empty:
                pass
            elif self._chunked:
                async for piece in self._chunks():
                    yield piece
            elif self._length is not None:
                left = self._length
                while left:
                    piece = await self._read(reader.read(min(left, _READ)))
                    if not piece:
                        raise UpstreamClosed("the upstream closed the connection mid-body")
                    left -= len(piece)
                    yield piece
            else:
                while piece := await self._read(reader.read(_READ)):
                    yield piece
            self._done = True
        finally:
            await self.aclose()

    async def _chunks(self) -> AsyncIterator[bytes]:
        reader = self._conn.reader
        while True:
            line = await self._read(reader.readuntil(b"\r\n"))
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await self._read(reader.readuntil(b"\r\n"))) != b"\r\n":
                    pass  # trailers
                return
            yield await self._read(reader.readexactly(size))
            await self._read(reader.readexactly(2))

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body decoded (gzip and deflate; other encodings are passed through)."""
        if self._encoding not in ("gzip", "x-gzip", "deflate"):
            async for piece in self.aiter_raw():
                yield piece
            return
        wbits = 16 + zlib.MAX_WBITS if "gzip" in self._encoding else zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        async for piece in self.aiter_raw():
            out = decoder.decompress(piece)
            if out:
                yield out
        tail = decoder.flush()
        if tail:
            yield tail

    async def aread(self) -> bytes:
        """The whole decoded body."""
        return b"".join([piece async for piece in self.aiter_bytes()])

    async def aclose(self) -> None:
        """Return the connection to the pool when the body was read to its end, else close it."""
        if self._closed:
            return
        self._closed = True
        if (self._done or self._empty) and self._keep:
            self._pool._give_back(self._key, self._conn)
        else:
            self._conn.close()
