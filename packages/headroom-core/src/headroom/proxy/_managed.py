"""Requests whose compression wrote markers: the proxy answers ``headroom_retrieve`` itself.

Non-streaming: call, answer our calls, call again, up to ``retrieve_rounds`` times, then return one
response. Streaming: relay each round's events as they arrive (our calls held back), and continue in
the same client stream. A turn where the model also calls a client tool ends there: our call is
answered and remembered (see `headroom.proxy._pending`), the client gets its own call.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.responses import StreamingResponse

from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._context import ProxyContext
from headroom.proxy._dialects import DIALECTS, Dialect, sum_usage
from headroom.proxy._errors import error_event
from headroom.proxy._forward import (
    TRANSPORT_ERRORS,
    Headers,
    RawResponse,
    UpstreamFailed,
    error_response,
    is_event_stream,
    open_upstream,
    response_headers,
)
from headroom.proxy._memory import Answering
from headroom.proxy._pending import Conversation
from headroom.proxy._relay_anthropic import AnthropicRelay
from headroom.proxy._relay_chat import ChatRelay
from headroom.proxy._relay_responses import ResponsesRelay
from headroom.proxy._sse import SSEParser, dumpb
from headroom.proxy._stats import RequestRecord
from headroom.proxy._usage import usage_object, usage_of
from headroom.proxy.backends import UpstreamCall, UpstreamResponse
from headroom.turns import RetrievalTurn, retrieval_turn

__all__ = ["managed"]

Obj = dict[str, Any]
Relay = AnthropicRelay | ChatRelay | ResponsesRelay
_RELAYS: dict[str, type[Relay]] = {
    "anthropic-messages": AnthropicRelay,
    "openai-chat": ChatRelay,
    "openai-responses": ResponsesRelay,
}


def _next_call(call: UpstreamCall, body: Obj) -> UpstreamCall:
    return dataclasses.replace(call, body=dumpb(body), payload=body)


def _turn(ctx: ProxyContext, names: list[str], rounds_done: int) -> RetrievalTurn:
    return retrieval_turn(names, rounds_done=rounds_done, retrieve_rounds=ctx.settings.retrieve_rounds)


def _answer(ctx: ProxyContext, dialect: Dialect, calls: list[Obj], answering: Answering) -> list[Obj]:
    return [answering.answer(c, dialect.fmt, ctx.store) for c in calls]


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:300]
    err = data.get("error") if isinstance(data, dict) else None
    return str(err.get("message", err)) if isinstance(err, dict) else str(data)[:300]


async def managed(
    ctx: ProxyContext,
    rec: RequestRecord,
    call: UpstreamCall,
    extra: Headers,
    conversation: Conversation,
    answering: Answering | None = None,
) -> object:
    """Serve a request whose ``headroom_retrieve`` calls the proxy answers.

    ``conversation`` (who asked, in which conversation) keys what is held back for the client's next turn;
    ``answering`` says which tool calls the proxy answers (``headroom_retrieve`` alone by default).
    """
    answering = answering or Answering()
    try:
        resp = await open_upstream(ctx, call)
    except UpstreamFailed as e:
        rec.status, rec.error = e.status, str(e)
        ctx.stats.record(rec)
        return error_response(call.api, e.status, str(e), extra)
    rec.upstream_status = rec.status = resp.status_code
    if resp.status_code != 200 or (call.stream and not is_event_stream(resp)):
        return await _whole(ctx, rec, call, resp, extra)
    if call.stream:
        relay = _RELAYS[call.api](answered=answering.names)
        stream = _stream(ctx, rec, call, conversation, relay, resp, answering)
        response = StreamingResponse(stream, status_code=200)
        response.raw_headers = response_headers(resp.headers, decoded=True, extra=extra)
        return response
    return await _loop(ctx, rec, call, conversation, resp, extra, answering)


async def _read(resp: UpstreamResponse) -> bytes:
    try:
        return await resp.aread()
    except TRANSPORT_ERRORS as e:
        raise UpstreamFailed(502, f"upstream connection failed: {type(e).__name__}: {e}") from e
    finally:
        with anyio.CancelScope(shield=True):
            await resp.aclose()


async def _whole(
    ctx: ProxyContext, rec: RequestRecord, call: UpstreamCall, resp: UpstreamResponse, extra: Headers
) -> object:
    """An answer relayed whole (an upstream error, most of the time)."""
    try:
        body = await _read(resp)
    except UpstreamFailed as e:
        rec.status, rec.error = e.status, str(e)
        ctx.stats.record(rec)
        return error_response(call.api, e.status, str(e), extra)
    ctx.stats.record(rec)
    return RawResponse(resp.status_code, response_headers(resp.headers, decoded=True, extra=extra), body)


async def _loop(
    ctx: ProxyContext,
    rec: RequestRecord,
    call: UpstreamCall,
    conversation: Conversation,
    resp: UpstreamResponse,
    extra: Headers,
    answering: Answering,
) -> object:
    dialect = DIALECTS[call.api]
    body: Obj = dict(call.payload or {})
    earlier: list[Obj] = []
    usages: list[Any] = []
    headers = resp.headers
    for round_no in range(ctx.settings.retrieve_rounds + 1):
        rec.rounds += 1
        try:
            raw = await _read(resp)
            data = json.loads(raw) if resp.status_code == 200 else None
        except (UpstreamFailed, ValueError) as e:
            status = e.status if isinstance(e, UpstreamFailed) else 502
            rec.status, rec.error = status, str(e)
            ctx.stats.record(rec)
            return error_response(call.api, status, str(e), extra)
        if not isinstance(data, dict):  # an error from a later round: the client gets it as it is
            rec.status = rec.upstream_status = resp.status_code
            ctx.stats.record(rec)
            return RawResponse(resp.status_code, response_headers(resp.headers, decoded=True, extra=extra), raw)
        usages.append(usage_object(call.api, data))
        calls = dialect.calls(data)
        turn = _turn(ctx, answering.turn_names(dialect.name(c) for c in calls), round_no)
        if turn.action == "final":
            break
        ours = [calls[i] for i in turn.ours]
        ours_ids = {dialect.call_id(c) for c in ours}
        if turn.action == "stop":
            data = dialect.strip(data, ours_ids)
            break
        results = _answer(ctx, dialect, ours, answering)
        rec.retrieve_calls += len(ours)
        if turn.action == "hand_over":
            theirs = [dialect.call_id(calls[i]) for i in turn.theirs]
            ctx.pending.remember(conversation, theirs, ours, results, response_id=str(data.get("id") or ""))
            data = dialect.strip(data, ours_ids)
            break
        earlier.append(dialect.strip(data, ours_ids))
        body = dialect.continue_body(body, dialect.turn(data), results)
        try:
            resp = await open_upstream(ctx, _next_call(call, body))
        except UpstreamFailed as e:
            rec.status, rec.error = e.status, str(e)
            ctx.stats.record(rec)
            return error_response(call.api, e.status, str(e), extra)
    usage = sum_usage(usages)
    assert isinstance(data, dict)
    final = dialect.merge(earlier, data, usage) if earlier else data
    if usage is not None:
        rec.usage, rec.usage_known = usage_of(call.api, usage), True
    rec.status = rec.upstream_status = 200
    ctx.stats.record(rec)
    if conversation.task and call.api == "openai-responses" and isinstance(final.get("id"), str):
        ctx.tasks.remember(conversation.client, final["id"], conversation.task)
    return RawResponse(200, response_headers(headers, decoded=True, extra=extra), dumpb(final))


async def _pump(resp: UpstreamResponse, relay: Relay) -> AsyncIterator[bytes]:
    parser = SSEParser()
    try:
        async for chunk in resp.aiter_bytes():
            out = b"".join([relay.on_event(ev) for ev in parser.feed(chunk)])
            if out:
                yield out
    finally:
        with anyio.CancelScope(shield=True):
            await resp.aclose()


async def _stream(
    ctx: ProxyContext,
    rec: RequestRecord,
    call: UpstreamCall,
    conversation: Conversation,
    relay: Relay,
    resp: UpstreamResponse,
    answering: Answering,
) -> AsyncIterator[bytes]:
    dialect = DIALECTS[call.api]
    body: Obj = dict(call.payload or {})
    hid = False
    try:
        for round_no in range(ctx.settings.retrieve_rounds + 1):
            relay.start_round()
            rec.rounds += 1
            try:
                async for out in _pump(resp, relay):
                    yield out
            except TRANSPORT_ERRORS as e:
                ctx.stats.error("upstream_reset")
                rec.error = f"upstream stream broke: {type(e).__name__}: {e}"
                yield error_event(call.api, 502, rec.error)
                return
            relay.end_round()
            ours, theirs = relay.our_calls(), relay.client_call_ids()
            turn = _turn(ctx, [RETRIEVE_TOOL_NAME] * len(ours) + ["client"] * len(theirs), round_no)
            if turn.action == "final" or relay.failed:
                break
            hid = True
            if turn.action == "stop":
                break  # our calls were held back from the client; the turn ends there
            results = _answer(ctx, dialect, ours, answering)
            rec.retrieve_calls += len(ours)
            if turn.action == "hand_over":
                shown = relay.response_id if isinstance(relay, ResponsesRelay) else None
                ctx.pending.remember(conversation, theirs, ours, results, response_id=shown)
                break
            body = dialect.continue_body(body, relay.turn(), results)
            failure = await _continue(ctx, call, body)
            if isinstance(failure, bytes):
                rec.error = "continuation failed"
                yield failure
                return
            resp = failure
        yield relay.finish(hid_calls=hid)
        if isinstance(relay, ResponsesRelay) and relay.response_id and relay.upstream_id:
            ctx.pending.alias(conversation.client, relay.response_id, relay.upstream_id)
        if isinstance(relay, ResponsesRelay) and relay.response_id and conversation.task:
            ctx.tasks.remember(conversation.client, relay.response_id, conversation.task)
    finally:
        if relay.usage_total:
            rec.usage, rec.usage_known = usage_of(call.api, relay.usage_total), True
        ctx.stats.record(rec)


async def _continue(ctx: ProxyContext, call: UpstreamCall, body: Obj) -> UpstreamResponse | bytes:
    """The next round's response, or the error event to end the client's stream with."""
    try:
        resp = await open_upstream(ctx, _next_call(call, body))
    except UpstreamFailed as e:
        return error_event(call.api, e.status, str(e))
    if resp.status_code != 200:
        try:
            raw = await _read(resp)
        except UpstreamFailed as e:
            return error_event(call.api, e.status, str(e))
        return error_event(call.api, resp.status_code, f"upstream error while continuing: {_message(raw)}")
    return resp
