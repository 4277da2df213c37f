"""The fake upstream's WebSocket side: the Responses API as Codex opens it (``GET /v1/responses`` upgrade).

The HTTP side of `FakeUpstream` needs only the standard library; this side drives the sans-I/O
protocol of ``websockets`` (framing, masking, permessage-deflate) over the connection the HTTP side
already read the upgrade request from. ``websockets`` is imported only when an upgrade arrives.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from headroom.testing._fake_formats import error_body
from headroom.testing._fake_http import Conn, RecordedRequest, send_json

if TYPE_CHECKING:
    from websockets.server import ServerProtocol

__all__ = ["Socket", "is_upgrade", "serve_ws"]


def is_upgrade(request: RecordedRequest) -> bool:
    """Whether ``request`` asks to become a WebSocket."""
    return request.method == "GET" and "websocket" in request.headers.get("upgrade", "").lower()


class Socket:
    """One accepted WebSocket: text messages in, JSON messages out."""

    def __init__(self, conn: Conn, protocol: ServerProtocol) -> None:
        self.conn = conn
        self.protocol = protocol

    @classmethod
    async def accept(cls, conn: Conn, request: RecordedRequest) -> Socket | None:
        """Answer the upgrade in ``request`` (101, permessage-deflate when offered); None if refused."""
        try:
            from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
            from websockets.http11 import Request
            from websockets.server import ServerProtocol
        except ImportError:
            conn.keep_alive = False
            message = 'the fake upstream needs websockets for WebSockets: pip install "headroom-core[proxy]"'
            await send_json(conn, 501, error_body("openai-responses", 501, message))
            return None

        protocol = ServerProtocol(extensions=[ServerPerMessageDeflateFactory()], max_size=None)
        target = request.path + (f"?{request.query}" if request.query else "")
        head = "".join([f"GET {target} HTTP/1.1\r\n", *(f"{k}: {v}\r\n" for k, v in request.headers.items()), "\r\n"])
        protocol.receive_data(head.encode("latin-1"))
        [handshake] = protocol.events_received()
        assert isinstance(handshake, Request)
        response = protocol.accept(handshake)
        response.headers["x-request-id"] = "req_fake"  # as the HTTP side's answers carry
        protocol.send_response(response)
        socket = cls(conn, protocol)
        await socket.flush()
        if response.status_code != 101:
            conn.keep_alive = False
            return None
        return socket

    async def flush(self) -> None:
        """Write what the protocol has to send."""
        for data in self.protocol.data_to_send():
            if data:
                self.conn.writer.write(data)
            elif self.conn.writer.can_write_eof():  # the protocol half-closes the TCP connection
                self.conn.writer.write_eof()
        await self.conn.writer.drain()

    async def send(self, data: Any) -> bytes:
        """Send ``data`` as one JSON text message; returns the message."""
        text = json.dumps(data).encode()
        self.protocol.send_text(text)
        await self.flush()
        return text

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake."""
        self.protocol.send_close(code, reason)
        await self.flush()

    async def messages(self) -> AsyncIterator[str]:
        """Each text message the client sends, until it closes (pings are answered on the way)."""
        from websockets.frames import Frame, Opcode

        parts: list[bytes] = []
        while True:
            data = await self.conn.reader.read(1 << 16)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            for frame in self.protocol.events_received():
                if not isinstance(frame, Frame) or frame.opcode not in (Opcode.TEXT, Opcode.CONT):
                    continue
                if (frame.opcode is Opcode.CONT) == bool(parts):  # a fragment continues a text message
                    parts.append(bytes(frame.data))
                    if frame.fin:
                        yield b"".join(parts).decode("utf-8", "replace")
                        parts = []
            await self.flush()
            if not data or self.protocol.close_expected():
                return


async def serve_ws(conn: Conn, request: RecordedRequest, answer: Callable[[Socket, str], Awaitable[None]]) -> None:
    """Accept the upgrade and hand each text message to ``answer(socket, text)``."""
    socket = await Socket.accept(conn, request)
    if socket is None:
        return
    try:
        async for text in socket.messages():
            await answer(socket, text)
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    conn.keep_alive = False
