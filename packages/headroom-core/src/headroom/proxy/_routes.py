"""The model routes (read, check, compress, forward) and the pass-through for every other path."""

from __future__ import annotations

import functools
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.requests import ClientDisconnect, Request

from headroom.api import compress_request, with_retrieve_tool
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._context import ProxyContext
from headroom.proxy._dialects import DIALECTS
from headroom.proxy._forward import Headers, RawResponse, error_response, relay
from headroom.proxy._managed import managed
from headroom.proxy._memory import Answering, first_request, inject, memory_scope, question_of
from headroom.proxy._pending import Conversation, client_identity
from headroom.proxy._sse import dumpb
from headroom.proxy._stats import RequestRecord
from headroom.proxy._tasks import responses_task
from headroom.proxy.backends import HOP_HEADERS, CallApi, UpstreamCall
from headroom.result import CompressResult

__all__ = [
    "budget_refusal",
    "client_headers",
    "defines_retrieve",
    "model_route",
    "new_request_id",
    "passthrough",
    "prepare",
    "shadowed",
]

log = logging.getLogger("headroom.proxy")

# Compression of a large request runs in a worker thread so other streams keep flowing meanwhile.
OFFLOAD_BYTES = 64 * 1024
_UPSTREAM_PATH = {"/chat/completions": "/v1/chat/completions", "/responses": "/v1/responses"}
_COMPRESS_API: dict[str, Any] = {
    "anthropic-messages": "anthropic-messages",
    "anthropic-count-tokens": "anthropic-messages",
    "openai-chat": "openai-chat",
    "openai-responses": "openai-responses",
}


class BadRequest(Exception):
    """A request the proxy refuses before it goes anywhere (4xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def client_headers(scope: MutableMapping[str, Any], *, managed: bool = False) -> list[tuple[str, str]]:
    """The client's headers for the upstream: hop-by-hop ones and the proxy token removed, auth kept."""
    out = []
    for k, v in scope["headers"]:
        name = k.decode("latin-1")
        if name in HOP_HEADERS or (managed and name == "accept-encoding"):
            continue
        out.append((name, v.decode("latin-1")))
    if managed:
        out.append(("accept-encoding", "gzip, deflate"))
    return out


def raw_path(scope: MutableMapping[str, Any]) -> str:
    """The path exactly as the client sent it, percent-escapes kept (one character per byte).

    Decoding would change what the upstream sees: ``a%3Fb`` would become a query, ``..%2F..`` a
    parent directory, ``org%2Fname`` two segments.
    """
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):
        raw = urllib.parse.quote(str(scope["path"]), safe="/:@!$&'()*+,;=-._~").encode()
    return raw.decode("latin-1")


async def read_body(request: Request, limit: int, *, json_only: bool) -> bytes:
    """The request body, refusing oversized bodies and non-JSON content types."""
    ctype = request.headers.get("content-type", "")
    if json_only and ctype and "json" not in ctype.lower():
        raise BadRequest(415, f"expected a JSON body (content-type: application/json), got {ctype!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, f"request body of {int(declared):,} bytes is over the proxy's limit of {limit:,}")
    parts, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadRequest(413, f"request body is over the proxy's limit of {limit:,} bytes")
            parts.append(chunk)
    except ClientDisconnect:
        raise BadRequest(400, "the client went away while sending the body") from None
    return b"".join(parts)


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise BadRequest(400, f"request body is not valid JSON: {e}") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, f"request body must be a JSON object, not {type(payload).__name__}")
    return payload


@dataclass(frozen=True)
class Prepared:
    """What goes upstream."""

    body: bytes
    payload: dict[str, Any]
    result: CompressResult | None
    managed: bool
    conversation: Conversation
    answering: Answering = field(default_factory=Answering)


def defines_retrieve(payload: dict[str, Any]) -> bool:
    """Whether the client defines a tool named ``headroom_retrieve`` itself (its calls are then its own)."""
    for tool in payload.get("tools") or []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        name = fn.get("name") if isinstance(fn, dict) else tool.get("name") if isinstance(tool, dict) else None
        if name == RETRIEVE_TOOL_NAME:
            return True
    return False


def uses_tools(payload: dict[str, Any]) -> bool:
    """True for an agent's request: it declares tools (top level, or in an input item as Codex does).

    Such a request is offered ``headroom_retrieve`` from the conversation's first request on, so its
    tool list never changes mid-conversation (a change would miss the provider's prompt cache from
    the tools on). A request without tools gets the tool only once markers are written, so a plain
    chat request still goes upstream byte for byte.
    """
    if payload.get("tools"):
        return True
    items = payload.get("input")
    return isinstance(items, list) and any(isinstance(i, dict) and isinstance(i.get("tools"), list) for i in items)


def _account(rec: RequestRecord, result: CompressResult) -> None:
    rec.tokens_before, rec.tokens_after = result.tokens_before, result.tokens_after
    rec.stages, rec.result = dict(result.stages), result
    for block in result.blocks:
        if block.status == "compressed" and block.compressor:
            agg = rec.compressors.setdefault(block.compressor, [0, 0, 0])
            agg[0] += 1
            agg[1] += block.tokens_before
            agg[2] += block.tokens_after


async def _compress(
    ctx: ProxyContext, api: str, payload: dict[str, Any], size: int, rec: RequestRecord, query: str | None
) -> tuple[dict[str, Any], CompressResult | None]:
    api_name = _COMPRESS_API[api]
    run = functools.partial(compress_request, payload, api=api_name, store=ctx.store, query=query, **ctx.options)
    try:
        new, result = await anyio.to_thread.run_sync(run) if size > OFFLOAD_BYTES else run()
    except ValueError as e:  # the upstream judges bodies the pipeline cannot read; it goes as sent
        rec.error = f"not compressed: {e}"
        return payload, None
    except Exception as e:  # fail open: the request always goes through
        ctx.stats.error("compress")
        log.exception("compression failed; forwarding the request unchanged")
        rec.error = f"compression failed: {type(e).__name__}: {e}"
        return payload, None
    _account(rec, result)
    return new, result


async def prepare(
    ctx: ProxyContext,
    api: str,
    payload: dict[str, Any],
    body: bytes,
    rec: RequestRecord,
    *,
    client: str = "",
    query: str | None = None,
    task: str | None = None,
    headers: Iterable[tuple[bytes, bytes]] | None = None,
) -> Prepared:
    """Compress the request and put back hidden retrievals; the original bytes go when nothing changed.

    ``client`` is the `client_identity` of the caller: what the proxy holds for it reaches no one else.
    ``query`` is the task for every block when the request itself cannot say it (see `compress`);
    ``task`` is what the conversation is about, remembered for its continuations (Responses).
    ``headers`` (HTTP routes) let ``--memory`` add its tools and scope them to the caller and project.
    """
    new = payload
    conversation = Conversation(client, api, payload, task)
    previous = payload.get("previous_response_id")
    if api == "openai-responses" and isinstance(previous, str) and ctx.pending.resolve(client, previous) != previous:
        new = {**payload, "previous_response_id": ctx.pending.resolve(client, previous)}
    result = None
    n = payload.get("n")
    may_compress = ctx.settings.compress and not (isinstance(n, int) and n > 1)
    # A block needs options.min_tokens tokens to be compressed, and a token is at least one byte of
    # the body: a smaller body has nothing to compress, so it skips the pipeline altogether.
    if may_compress and len(body) >= ctx.settings.options.min_tokens:
        new, result = await _compress(ctx, api, new, len(body), rec, query)
    offered = bool(result and result.refs) or uses_tools(payload)
    is_managed = may_compress and offered and ctx.settings.options.retrieve_tool and not defines_retrieve(payload)
    answering = Answering()
    if is_managed and api in DIALECTS:
        new = with_retrieve_tool(new, api=_COMPRESS_API[api])
        if ctx.memory is not None and headers is not None:
            new, names = ctx.memory.with_tools(new, DIALECTS[api].fmt)
            scope = memory_scope(client, headers, payload)
            answering = Answering(names, ctx.memory, scope)
            preamble = ctx.memory.preamble(scope, question_of(payload), first=first_request(payload))
            new = inject(new, DIALECTS[api].fmt, preamble)
    if api in DIALECTS:
        again = ctx.pending.reinsert(new, conversation)
        if again is not None:
            new, is_managed = again, True
    out = body if new is payload else dumpb(new)
    return Prepared(out, new, result, is_managed and api in DIALECTS, conversation, answering)


def shadowed(prepared: Prepared, body: bytes, payload: dict[str, Any]) -> Prepared:
    """Shadow mode: the pipeline's result kept for the accounts, the client's original bytes sent."""
    return Prepared(body, payload, prepared.result, False, prepared.conversation)


def new_request_id() -> str:
    """A fresh id for one request (``x-headroom-request-id``, the log)."""
    return "hr_" + os.urandom(8).hex()


def budget_refusal(ctx: ProxyContext) -> str | None:
    """Why a model request is refused (the budget is spent), or None when it may go."""
    left = ctx.stats.budget_left()
    if left is None or left > 0:
        return None
    s = ctx.settings
    return (
        f"headroom budget of ${s.budget_usd:g} per {s.budget_period} is spent (${ctx.stats.spent:.4f}); "
        f"it resets with the next {s.budget_period} (UTC)"
    )


def _token_headers(result: CompressResult | None) -> Headers:
    if result is None:
        return []
    return [
        (b"x-headroom-tokens-before", str(result.tokens_before).encode()),
        (b"x-headroom-tokens-after", str(result.tokens_after).encode()),
        (b"x-headroom-tokens-saved", str(result.tokens_saved).encode()),
    ]


def bypassed(scope: MutableMapping[str, Any]) -> bool:
    """Whether the client asked for this request to go upstream untouched (``x-headroom-bypass: 1``)."""
    for name, value in scope["headers"]:
        if name == b"x-headroom-bypass":
            return value.strip().lower() in (b"1", b"true", b"yes", b"on")
    return False


def _action(prepared: Prepared, body: bytes) -> bytes:
    """What the proxy did to the request, for the ``x-headroom-action`` response header."""
    if prepared.body is body:
        return b"unchanged"
    if prepared.result is not None and prepared.result.tokens_saved > 0:
        return b"compressed"
    return b"rewritten"  # hidden retrievals put back, nothing compressed


async def model_route(ctx: ProxyContext, request: Request, api: CallApi) -> object:
    """``POST`` to a model API: read, check the budget, compress, forward, account."""
    rec = RequestRecord(request_id=new_request_id(), api=api)
    extra: Headers = [(b"x-headroom-request-id", rec.request_id.encode())]
    if bypassed(request.scope):
        return await _bypass(ctx, request, api, rec, extra)
    try:
        body = await read_body(request, ctx.settings.max_body_bytes, json_only=True)
        payload = parse_json(body)
    except BadRequest as e:
        ctx.stats.error("bad_request")
        rec.status, rec.error = e.status, str(e)
        ctx.stats.record(rec)
        return error_response(api, e.status, str(e), extra)
    rec.model, rec.stream = str(payload.get("model") or ""), payload.get("stream") is True
    msg = budget_refusal(ctx) if api != "anthropic-count-tokens" else None
    if msg is not None:
        rec.status, rec.error = 429, "budget spent"
        ctx.stats.record(rec)
        return error_response(api, 429, msg, [*extra, (b"retry-after", b"60")])
    client = client_identity(request.scope["headers"])
    query, task = responses_task(ctx.tasks, client, payload) if api == "openai-responses" else (None, None)
    headers = request.scope["headers"]
    rec.client = client
    prepared = await prepare(ctx, api, payload, body, rec, client=client, query=query, task=task, headers=headers)
    if ctx.settings.shadow:  # what would have gone is recorded; the client's own bytes go
        prepared, rec.shadow = shadowed(prepared, body, payload), True
    action = b"shadow" if rec.shadow else _action(prepared, body)
    rec.action = action.decode()
    extra += [(b"x-headroom-action", action), *_token_headers(prepared.result)]
    call = _model_call(request, api, prepared.body, prepared.payload, managed=prepared.managed, stream=rec.stream)
    rec.proxy_seconds = time.perf_counter() - rec.started
    if prepared.managed:
        return await managed(ctx, rec, call, extra, prepared.conversation, prepared.answering)
    return await relay(ctx, rec, call, extra)


def _model_call(
    request: Request, api: CallApi, body: bytes, payload: dict[str, Any] | None, *, managed: bool, stream: bool
) -> UpstreamCall:
    scope = request.scope
    return UpstreamCall(
        api=api,
        method="POST",
        path=_UPSTREAM_PATH.get(raw_path(scope), raw_path(scope)),
        query=scope["query_string"].decode("latin-1"),
        headers=client_headers(scope, managed=managed),
        body=body,
        payload=payload,
        stream=stream,
    )


async def _bypass(ctx: ProxyContext, request: Request, api: CallApi, rec: RequestRecord, extra: Headers) -> object:
    """A request the client asked to go untouched: its bytes, relayed; no compression, nothing put back."""
    extra.append((b"x-headroom-action", b"bypassed"))
    rec.action, rec.client = "bypassed", client_identity(request.scope["headers"])
    try:
        body = await read_body(request, ctx.settings.max_body_bytes, json_only=False)
    except BadRequest as e:
        rec.status, rec.error = e.status, str(e)
        ctx.stats.record(rec)
        return error_response(api, e.status, str(e), extra)
    try:
        payload = parse_json(body)
    except BadRequest:
        payload = None  # the upstream judges it
    rec.model = str(payload.get("model") or "") if payload else ""
    rec.stream = bool(payload and payload.get("stream") is True)
    call = _model_call(request, api, body, payload, managed=False, stream=rec.stream)
    return await relay(ctx, rec, call, extra)


async def passthrough(ctx: ProxyContext, request: Request) -> object:
    """Any other path: forwarded untouched, answered untouched."""
    rec = RequestRecord(request_id=new_request_id(), api="passthrough", action="passthrough")
    extra: Headers = [(b"x-headroom-request-id", rec.request_id.encode()), (b"x-headroom-action", b"passthrough")]
    try:
        body = await read_body(request, ctx.settings.max_body_bytes, json_only=False)
    except BadRequest as e:
        return RawResponse(e.status, [(b"content-type", b"text/plain")], str(e).encode())
    scope = request.scope
    call = UpstreamCall(
        api="passthrough",
        method=scope["method"],
        path=raw_path(scope),
        query=scope["query_string"].decode("latin-1"),
        headers=client_headers(scope),
        body=body,
    )
    return await relay(ctx, rec, call, extra)
