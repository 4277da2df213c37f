"""The proxy's lean upstream client against a raw socket server: framing, encodings, reuse, timeouts."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable

import pytest
from headroom.proxy._upstream import UpstreamPool, UpstreamTimeout

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve(handler: Handler) -> tuple[asyncio.Server, str, list[bytes]]:
    """A raw server; records each request head+body it reads, and each connection as b"<connection>"."""
    seen: list[bytes] = []

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(b"<connection>")
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0
                )
                seen.append(head + await reader.readexactly(length))
                await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}", seen


def test_chunked_gzip_body_decoded_and_connection_reused() -> None:
    payload = b'{"answer": "' + b"x" * 5000 + b'"}'
    packed = gzip.compress(payload)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n")
        for i in range(0, len(packed), 700):
            part = packed[i : i + 700]
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        server, url, seen = await serve(handler)
        pool = UpstreamPool(connect_timeout=5, read_timeout=5)
        first = await pool.request("POST", url, "/v1/x?a=1", [("authorization", "Bearer k")], b'{"q": 1}')
        assert first.status_code == 200 and await first.aread() == payload
        second = await pool.request("POST", url, "/v1/x", [], b"{}")
        raw = b"".join([p async for p in second.aiter_raw()])
        assert raw == packed  # raw stays encoded, for byte-for-byte relay
        await pool.aclose()
        server.close()
        connection, req1, req2 = seen  # both requests over one connection
        assert connection == b"<connection>" and req2.startswith(b"POST /v1/x HTTP/1.1")
        assert req1.startswith(b"POST /v1/x?a=1 HTTP/1.1\r\nhost: 127.0.0.1:")
        assert b"authorization: Bearer k\r\n" in req1 and req1.endswith(b'\r\n\r\n{"q": 1}')

    asyncio.run(main())


def test_silent_upstream_times_out_and_request_is_sent_once() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async def main() -> None:
        server, url, seen = await serve(handler)
        pool = UpstreamPool(connect_timeout=5, read_timeout=0.2)
        with pytest.raises(UpstreamTimeout):
            await pool.request("POST", url, "/v1/x", [], b"{}")
        await asyncio.sleep(0.05)
        assert len(seen) == 2  # one connection, one request: never sent twice
        server.close()

    asyncio.run(main())


def test_close_delimited_and_early_close() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    async def main() -> None:
        server, url, _ = await serve(handler)
        pool = UpstreamPool(connect_timeout=5, read_timeout=5)
        resp = await pool.request("GET", url, "/x", [], b"")
        with pytest.raises(ConnectionError):
            await resp.aread()
        server.close()

    asyncio.run(main())
