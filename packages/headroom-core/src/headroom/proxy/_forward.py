"""Sending a call upstream and relaying the answer untouched: bytes, status and headers as they come."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import AsyncIterator, Sequence

import anyio
import httpx
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from headroom.proxy._context import ProxyContext
from headroom.proxy._errors import error_body, error_event
from headroom.proxy._sse import SSEParser
from headroom.proxy._stats import RequestRecord
from headroom.proxy._usage import max_usage, usage_object, usage_of
from headroom.proxy.backends import UpstreamCall, UpstreamResponse

__all__ = ["RawResponse", "UpstreamFailed", "error_response", "open_upstream", "relay", "response_headers"]

log = logging.getLogger("headroom.proxy")

Headers = list[tuple[bytes, bytes]]
_DROP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
TRANSPORT_ERRORS = (httpx.TransportError, OSError)
_USAGE_SNIFF_LIMIT = 8 * 1024 * 1024


class RawResponse:
    """A complete response with exactly the given headers (plus its content-length)."""

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status = status
        self.headers = [*headers, (b"content-length", str(len(body)).encode())]
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def error_response(api: str, status: int, message: str, extra: Headers = ()) -> RawResponse:  # type: ignore[assignment]
    """An error in the API's format."""
    return RawResponse(status, [(b"content-type", b"application/json"), *extra], error_body(api, status, message))


def response_headers(headers: Sequence[tuple[str, str]], *, decoded: bool, extra: Headers) -> Headers:
    """Upstream response headers for the client: hop-by-hop ones dropped (and the encoding when decoded)."""
    out = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in headers
        if k.lower() not in _DROP and not (decoded and k.lower() == "content-encoding")
    ]
    return [*out, *extra]


class UpstreamFailed(Exception):
    """The upstream could not be reached or did not answer in time."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def open_upstream(ctx: ProxyContext, call: UpstreamCall) -> UpstreamResponse:
    """Send ``call``; transport failures become `UpstreamFailed` with 504 (timeout) or 502."""
    try:
        return await ctx.send(call)
    except (httpx.TimeoutException, TimeoutError) as e:
        ctx.stats.error("upstream_timeout")
        raise UpstreamFailed(504, f"the upstream did not answer in time ({type(e).__name__})") from e
    except TRANSPORT_ERRORS as e:
        ctx.stats.error("upstream_unreachable")
        raise UpstreamFailed(502, f"cannot reach the upstream: {type(e).__name__}: {e}") from e


def _encoded(resp: UpstreamResponse) -> bool:
    return any(k.lower() == "content-encoding" and v.strip().lower() != "identity" for k, v in resp.headers)


def is_event_stream(resp: UpstreamResponse) -> bool:
    """Whether the upstream answered with server-sent events."""
    return any(k.lower() == "content-type" and "event-stream" in v for k, v in resp.headers)


async def relay(ctx: ProxyContext, rec: RequestRecord, call: UpstreamCall, extra: Headers) -> object:
    """Forward ``call`` and relay the answer byte for byte; usage is read on the side for the accounts."""
    try:
        resp = await open_upstream(ctx, call)
    except UpstreamFailed as e:
        rec.status, rec.error = e.status, str(e)
        ctx.stats.record(rec)
        return error_response(call.api, e.status, str(e), extra)
    rec.upstream_status = rec.status = resp.status_code
    headers = response_headers(resp.headers, decoded=False, extra=extra)
    if is_event_stream(resp):
        response = StreamingResponse(_relay_stream(ctx, rec, call, resp), status_code=resp.status_code)
        response.raw_headers = headers
        return response
    try:
        body = b"".join([chunk async for chunk in resp.aiter_raw()])
    except TRANSPORT_ERRORS as e:
        ctx.stats.error("upstream_reset")
        rec.status, rec.error = 502, f"upstream connection failed: {e}"
        ctx.stats.record(rec)
        return error_response(call.api, 502, rec.error, extra)
    finally:
        await resp.aclose()
    if resp.status_code == 200 and call.api != "passthrough" and len(body) < _USAGE_SNIFF_LIMIT:
        _usage_from_body(rec, call.api, _decoded(resp, body))
    ctx.stats.record(rec)
    return RawResponse(resp.status_code, headers, body)


def _decoded(resp: UpstreamResponse, body: bytes) -> bytes:
    """The body without gzip/deflate (for reading usage only; the client gets it as it came)."""
    encoding = next((v.strip().lower() for k, v in resp.headers if k.lower() == "content-encoding"), "")
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return b""
    try:
        return zlib.decompress(body, 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS)
    except zlib.error:
        return b""


def _usage_from_body(rec: RequestRecord, api: str, body: bytes) -> None:
    try:
        data = json.loads(body)
    except ValueError:
        return
    usage = usage_object(api, data)
    if usage is not None:
        rec.usage, rec.usage_known = usage_of(api, usage), True


class UsageSniffer:
    """Finds the usage in a relayed SSE stream while parsing only the events that can hold it."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.parser = SSEParser()
        self.tail = b""
        self.hot = False
        self.usage: dict[str, object] | None = None

    def feed(self, chunk: bytes) -> None:
        """Look at the next chunk of the stream."""
        if not self.hot and b"usage" not in chunk:
            cut = chunk.rfind(b"\n\n")
            self.tail = chunk[cut + 2 :] if cut >= 0 else self.tail + chunk
            return
        for ev in self.parser.feed(self.tail + chunk):
            if '"usage"' in ev.data:
                self.usage = max_usage(self.usage, usage_object(self.api, ev.json()))
        self.tail = b""
        self.hot = bool(self.parser.pending)


async def _relay_stream(
    ctx: ProxyContext, rec: RequestRecord, call: UpstreamCall, resp: UpstreamResponse
) -> AsyncIterator[bytes]:
    sniffer = UsageSniffer(call.api) if call.api != "passthrough" and not _encoded(resp) else None
    try:
        async for chunk in resp.aiter_raw():
            yield chunk
            if sniffer is not None:
                sniffer.feed(chunk)
    except TRANSPORT_ERRORS as e:
        ctx.stats.error("upstream_reset")
        rec.error = f"upstream stream broke: {type(e).__name__}: {e}"
        yield error_event(call.api, 502, rec.error)
    finally:
        with anyio.CancelScope(shield=True):
            await resp.aclose()
        if sniffer is not None and sniffer.usage:
            rec.usage, rec.usage_known = usage_of(call.api, sniffer.usage), True
        ctx.stats.record(rec)
