"""A lean HTTP/1.1 client for the proxy's hot path: pooled keep-alive connections, one write per request.

A general client (httpx) costs about a millisecond of CPU per request in this setting; this one
does only what a relay needs: send bytes it already has, read a response as it streams, reuse the
connection. The HTTP/1.1 framing is h11's (uvicorn's own parser), not hand-written. It serves the
URL-and-headers backends; signing backends, entry-point backends and deployments behind an HTTP(S)
proxy (``HTTPS_PROXY``...) use the shared httpx client instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

import h11

__all__ = ["LeanResponse", "UpstreamPool", "UpstreamTimeout"]

_READ = 64 * 1024
_MAX_HEAD = 1 << 20
_NOT_IN_TARGET = re.compile(rb"[^\x21-\x7e]")  # what h11 (and HTTP) allow in a request target


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
    """One connection and its HTTP/1.1 state (h11 does the framing: chunked, lengths, keep-alive)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        self.idle_since = 0.0

    def reusable(self) -> bool:
        """Whether the last exchange ended cleanly and both sides keep the connection open."""
        return self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


def _target(target: str) -> bytes:
    """The request target as sent: the client's bytes, with any byte HTTP does not allow there escaped."""
    raw = (target or "/").encode("latin-1")
    return _NOT_IN_TARGET.sub(lambda m: b"%%%02X" % m[0][0], raw)


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
                conn.h11.start_next_cycle()
                return conn
            conn.close()
        return None

    def _give_back(self, key: tuple[str, str, int], conn: _Conn) -> None:
        idle = self._idle.setdefault(key, deque())
        if len(idle) >= self.max_idle or not conn.reusable():
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
        name = f"[{host}]" if ":" in host else host
        default = (scheme, port) in (("http", 80), ("https", 443))
        fields = [("host", name if default else f"{name}:{port}"), *headers]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            fields.append(("content-length", str(len(body))))
        key = (scheme, host, port)
        conn = self._take(key) or await self._connect(scheme, host, port)
        try:
            head = h11.Request(
                method=method,
                target=_target(target),
                headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields],
            )
            wire = conn.h11.send(head) or b""
            if body:
                wire += conn.h11.send(h11.Data(data=body)) or b""
            wire += conn.h11.send(h11.EndOfMessage()) or b""
            conn.writer.write(wire)
            return await self._read_head(conn, key, method)
        except h11.LocalProtocolError as e:
            conn.close()
            raise UpstreamClosed(f"cannot send that request upstream: {e}") from e
        except BaseException:
            conn.close()  # a request is never sent twice: what the upstream did with it is unknown
            raise

    async def _read_head(self, conn: _Conn, key: tuple[str, str, int], method: str) -> LeanResponse:
        while True:
            event = await _next_event(conn, self.read_timeout)
            if isinstance(event, h11.Response):
                break
            if isinstance(event, h11.InformationalResponse) and event.status_code == 101:
                raise UpstreamClosed("the upstream switched protocols")
            if isinstance(event, h11.ConnectionClosed):
                raise UpstreamClosed("the upstream closed the connection before answering")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers.raw_items()]
        return LeanResponse(self, key, conn, event.status_code, headers, method)

    async def aclose(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


async def _next_event(conn: _Conn, timeout: float) -> object:
    """The next h11 event, reading from the socket as it needs (each read within ``timeout``)."""
    while True:
        try:
            event = conn.h11.next_event()
        except h11.RemoteProtocolError as e:
            raise UpstreamClosed(f"the upstream broke HTTP/1.1: {e}") from e
        if event is not h11.NEED_DATA:
            return event
        # b"" (the upstream closed) ends a close-delimited body; anywhere else h11 reports an error
        conn.h11.receive_data(await _timed(conn.reader.read(_READ), timeout, conn))


async def _timed(aw: object, timeout: float, conn: _Conn) -> bytes:
    loop = asyncio.get_running_loop()
    fired = False

    def expire() -> None:
        nonlocal fired
        fired = True
        conn.close()

    timer = loop.call_later(timeout, expire)
    try:
        data = await aw  # type: ignore[misc]
    except (ConnectionError, OSError) as e:
        if fired:
            raise UpstreamTimeout(f"the upstream sent nothing for {timeout}s") from e
        raise
    finally:
        timer.cancel()
    if fired:
        raise UpstreamTimeout(f"the upstream sent nothing for {timeout}s")
    return data  # type: ignore[no-any-return]


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
        self._encoding = low.get("content-encoding", "").strip().lower()
        self._closed = False

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """The response headers as received."""
        return self._headers

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body without transfer framing, still content-encoded."""
        try:
            while True:
                event = await _next_event(self._conn, self._pool.read_timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise UpstreamClosed("the upstream closed the connection mid-body")
        finally:
            await self.aclose()

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
        """Return the connection to the pool when the exchange ended cleanly, else close it."""
        if self._closed:
            return
        self._closed = True
        self._pool._give_back(self._key, self._conn)
