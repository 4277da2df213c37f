"""The fake upstream's plumbing: routes, recorded requests, and just enough HTTP/1.1."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import struct
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from headroom.testing._fake_formats import Api, Rendered, bedrock_frame, render_events

__all__ = [
    "ROUTES",
    "Conn",
    "RecordedRequest",
    "path_model",
    "read_request",
    "reset",
    "route",
    "send_json",
    "send_stream",
]

ROUTES: dict[str, Api] = {
    "/v1/chat/completions": "openai-chat",
    "/chat/completions": "openai-chat",
    "/v1/messages": "anthropic-messages",
    "/v1/responses": "openai-responses",
    "/responses": "openai-responses",
}


def route(path: str) -> tuple[Api | None, str]:
    """(API, framing) for a path: plain HTTP/SSE, or Bedrock's event stream."""
    if path in ROUTES:
        return ROUTES[path], "plain"
    for suffix, api in ROUTES.items():  # behind a prefix, as Azure's /openai/v1/... or OpenRouter's /api/v1/...
        if suffix.startswith("/v1/") and path.endswith(suffix):
            return api, "plain"
    if path.startswith("/model/") and path.endswith("/invoke"):
        return "anthropic-messages", "plain"  # Bedrock InvokeModel
    if path.startswith("/model/") and path.endswith("/invoke-with-response-stream"):
        return "anthropic-messages", "eventstream"
    if path.endswith((":rawPredict", ":streamRawPredict")):
        return "anthropic-messages", "plain"  # Vertex AI
    return None, "plain"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake upstream received it.

    Attributes:
        method: ``"POST"``, ``"GET"``...
        path: the path without the query string.
        query: the query string (``""`` when none).
        headers: header names lower-cased (repeated headers joined with ``", "``).
        body: the raw body.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, RecursionError):
            return None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    keep_alive: bool = True
    sent: bytearray | None = None


async def read_request(conn: Conn) -> RecordedRequest | None:
    try:
        head = await conn.reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
        conn.keep_alive = False
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(conn.reader)
    else:
        body = await conn.reader.readexactly(int(headers.get("content-length", "0") or 0))
    path, _, query = target.partition("?")
    return RecordedRequest(method=method, path=path, query=query, headers=headers, body=body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send_json(
    conn: Conn,
    status: int,
    data: Any,
    extra: Iterable[tuple[str, str]] = (),
    *,
    gzipped: bool = False,
    head_only: bool = False,
) -> None:
    """A JSON response (gzip-encoded when asked; headers only when it answers a ``HEAD``)."""
    payload = json.dumps(data).encode()
    headers = [("content-type", "application/json"), ("x-request-id", "req_fake")]
    if gzipped:
        payload = gzip.compress(payload, mtime=0)
        headers.append(("content-encoding", "gzip"))
    headers.append(("content-length", str(len(payload))))
    if not conn.keep_alive:
        headers.append(("connection", "close"))
    if head_only:
        payload = b""
    if conn.sent is not None:
        conn.sent += payload
    conn.writer.write(_head(status, [*headers, *extra]) + payload)
    await conn.writer.drain()


def path_model(path: str) -> str:
    if path.startswith("/model/"):
        return urllib.parse.unquote(path.split("/")[2])
    if "/models/" in path:
        return path.rsplit("/models/", 1)[1].split(":")[0]
    return "fake-model"


async def send_stream(
    conn: Conn,
    rendered: Rendered,
    *,
    headers: Iterable[tuple[str, str]] = (),
    reset_after: int | None = None,
    delay: float = 0.0,
    eventstream: bool = False,
) -> None:
    """Stream the reply's SSE events (or Bedrock event-stream frames), chunked; optionally reset midway."""
    ctype = "application/vnd.amazon.eventstream" if eventstream else "text/event-stream; charset=utf-8"
    base = [
        ("content-type", ctype),
        ("transfer-encoding", "chunked"),
        ("cache-control", "no-cache"),
    ]
    conn.writer.write(_head(200, [*base, *headers]))
    for n, event in enumerate(render_events(rendered)):
        if reset_after is not None and n >= reset_after:
            await reset(conn)
            return
        if delay and n:
            await asyncio.sleep(delay)
        if eventstream:
            event = bedrock_frame(event)
        if conn.sent is not None:
            conn.sent += event
        conn.writer.write(b"%x\r\n%s\r\n" % (len(event), event))
        await conn.writer.drain()
    conn.writer.write(b"0\r\n\r\n")
    await conn.writer.drain()


async def reset(conn: Conn) -> None:
    """Close with a TCP RST (SO_LINGER 0) after what was written had time to arrive."""
    await conn.writer.drain()
    await asyncio.sleep(0.05)
    sock = conn.writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.keep_alive = False
    conn.writer.transport.abort()
