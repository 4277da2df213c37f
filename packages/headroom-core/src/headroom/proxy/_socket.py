"""The OpenAI Responses API over a WebSocket (``GET /v1/responses`` upgrade), as Codex speaks it.

The proxy accepts the client's WebSocket only once the upstream accepted its own (with the client's
auth and end-to-end headers); an upstream that refuses gets the client refused with its status and
body (426 where the upstream has no WebSocket at all, so the client falls back to HTTPS at once).
Then each ``response.create`` the client sends is compressed exactly as a ``POST /v1/responses``
body (`headroom.proxy._routes.prepare`) before it goes upstream, and each upstream event is
relayed as it arrives. ``headroom_retrieve`` calls are
answered inside the session: their events are held back (`ResponsesRelay`), a follow-up
``response.create`` carries our tool output with ``previous_response_id``, and the client sees one
response under the first round's id (the id is mapped for its next ``previous_response_id``).
Every other message goes through untouched, both ways.

A ``response.create`` that continues an earlier response is compressed for the task of that
conversation (see `headroom.proxy._tasks`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from headroom.api import retrieve_tool_result
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.proxy._context import ProxyContext
from headroom.proxy._errors import error_dict
from headroom.proxy._pending import Conversation, client_identity
from headroom.proxy._relay_responses import ResponsesRelay
from headroom.proxy._routes import (
    budget_refusal,
    bypassed,
    client_headers,
    defines_retrieve,
    new_request_id,
    prepare,
    shadowed,
)
from headroom.proxy._sse import SSEEvent, dumps
from headroom.proxy._stats import RequestRecord
from headroom.proxy._tasks import responses_task
from headroom.proxy._usage import usage_of
from headroom.proxy.backends import CallApi, UpstreamCall, WebSocketBackend
from headroom.turns import retrieval_turn

__all__ = ["responses_socket"]

log = logging.getLogger("headroom.proxy")

Obj = dict[str, Any]
API: CallApi = "openai-responses"
_END = ("response.completed", "response.incomplete", "response.failed", "error")
# The client's handshake headers the proxy's own WebSocket client makes afresh for the upstream.
_HANDSHAKE = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"}
)
_UPSTREAM_PATH = {"/responses": "/v1/responses"}
_NO_WEBSOCKET = frozenset({404, 405, 501})  # what an upstream without the WebSocket route answers
# Upstream handshake headers that describe that connection only; the rest (Codex reads
# x-codex-turn-state, x-models-etag, x-reasoning-included, openai-model) reach the client.
_OWN_HANDSHAKE = frozenset(
    {
        "connection",
        "upgrade",
        "sec-websocket-accept",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "content-length",
        "transfer-encoding",
        "keep-alive",
        "date",
        "server",
    }
)


def _ws_frame(data: Obj) -> bytes:
    return dumps(data).encode()


def error_message(status: int, message: str) -> str:
    """An ``error`` event as the Responses WebSocket sends it."""
    return dumps({"type": "error", "status": status, "error": error_dict(API, status, message)["error"]})


@dataclass
class _Turn:
    """One ``response.create`` the upstream is answering (over one or more retrieval rounds)."""

    rec: RequestRecord
    body: Obj
    conversation: Conversation
    intercept: bool
    task: str | None = None
    relay: ResponsesRelay = field(default_factory=lambda: ResponsesRelay(_ws_frame))
    hid: bool = False

    def __post_init__(self) -> None:
        self.relay.start_round()
        self.rec.rounds = 1


async def responses_socket(ctx: ProxyContext, websocket: WebSocket) -> None:
    """Serve one client WebSocket on ``/v1/responses``."""
    scope = websocket.scope
    path = str(scope["path"])
    call = UpstreamCall(
        api=API,
        method="GET",
        path=_UPSTREAM_PATH.get(path, path),
        query=scope["query_string"].decode("latin-1"),
        headers=[(k, v) for k, v in client_headers(scope) if k not in _HANDSHAKE],
        body=b"",
    )
    backend = ctx.backend
    if not isinstance(backend, WebSocketBackend):
        msg = f"the {backend.name} backend serves the Responses API over HTTPS only; POST /v1/responses"
        await _refuse(websocket, 426, msg)
        return
    url, headers = backend.websocket_target(call)
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    try:
        upstream = await connect(
            url,
            additional_headers=list(headers),
            user_agent_header=None,  # the client's own User-Agent goes with its headers
            subprotocols=offered or None,  # type: ignore[arg-type]  # Subprotocol is a NewType of str
            open_timeout=min(10.0, ctx.settings.timeout),
            max_size=ctx.settings.max_body_bytes,
        )
    except InvalidStatus as e:
        await _refuse_as_upstream(websocket, e)
        return
    except (OSError, TimeoutError, InvalidHandshake) as e:
        ctx.stats.error("upstream_unreachable")
        await _refuse(websocket, 502, f"cannot open the upstream WebSocket: {type(e).__name__}: {e}")
        return
    async with upstream:
        shown = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in (upstream.response.headers.raw_items() if upstream.response else [])
            if k.lower() not in _OWN_HANDSHAKE
        ]
        await websocket.accept(subprotocol=upstream.subprotocol, headers=shown)
        await _Session(ctx, websocket, upstream).run()


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    body = dumps(error_dict(API, status, message)).encode()
    await _deny(websocket, Response(body, status, media_type="application/json"))


async def _refuse_as_upstream(websocket: WebSocket, e: InvalidStatus) -> None:
    """The client is refused with the upstream's status, content type and body; an upstream without
    a WebSocket there (404, 405, 501) gets it refused with 426, on which Codex uses HTTPS at once
    (on a 404 it retries the upgrade five times first, ~7 s per session)."""
    resp = e.response
    headers = {k: resp.headers[k] for k in ("content-type", "retry-after") if k in resp.headers}
    headers["x-headroom-upstream-status"] = str(resp.status_code)
    status = 426 if resp.status_code in _NO_WEBSOCKET else resp.status_code
    await _deny(websocket, Response(bytes(resp.body or b""), status, headers=headers))


async def _deny(websocket: WebSocket, response: Response) -> None:
    """Refuse the upgrade with an HTTP response (a server without that ASGI extension sends 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=1008)


class _Session:
    """Both directions of one client WebSocket and its upstream WebSocket."""

    def __init__(self, ctx: ProxyContext, websocket: WebSocket, upstream: ClientConnection) -> None:
        self.ctx = ctx
        self.client = websocket
        self.upstream = upstream
        self.turns: deque[_Turn] = deque()
        self.identity = client_identity(websocket.scope["headers"])
        self.bypass = bypassed(websocket.scope)  # x-headroom-bypass: every message goes as sent
        self.client_gone = False

    async def run(self) -> None:
        """Relay until either side closes; the other side is then closed the same way."""
        try:
            async with anyio.create_task_group() as tg:

                async def from_client() -> None:
                    await self._from_client()
                    tg.cancel_scope.cancel()

                async def from_upstream() -> None:
                    await self._from_upstream()
                    tg.cancel_scope.cancel()

                tg.start_soon(from_client)
                tg.start_soon(from_upstream)
        except Exception:  # a fault of ours ends this session only, visibly (an ExceptionGroup on 3.10 too)
            log.exception("the Responses WebSocket session failed")
            self.ctx.stats.error("websocket")
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.client.close(code=1011, reason="headroom proxy error")
        for turn in self.turns:  # responses cut off by a close
            turn.rec.error = turn.rec.error or "the WebSocket closed before the response was complete"
            self._record(turn)

    # ---- client -> upstream ------------------------------------------------------------------------

    async def _from_client(self) -> None:
        try:
            while True:
                message = await self.client.receive()
                if message["type"] == "websocket.disconnect":
                    self.client_gone = True
                    await self.upstream.close(code=_close_code(message.get("code", 1000)))
                    return
                if message.get("text") is not None:
                    await self._client_text(message["text"])
                elif message.get("bytes") is not None:
                    await self.upstream.send(message["bytes"])
        except ConnectionClosed:
            return

    async def _client_text(self, text: str) -> None:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not ours to judge: the upstream answers it
            data = None
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "response.processed" and isinstance(data, dict) and isinstance(data.get("response_id"), str):
            upstream_id = self.ctx.pending.resolve(self.identity, data["response_id"])
            text = text if upstream_id == data["response_id"] else dumps({**data, "response_id": upstream_id})
        if not isinstance(data, dict) or kind != "response.create":
            await self.upstream.send(text)
            return
        payload = {k: v for k, v in data.items() if k != "type"}
        rec = RequestRecord(request_id=new_request_id(), api=API, model=str(payload.get("model") or ""), stream=True)
        if self.bypass:  # accounted, nothing else
            rec.action, rec.client = "bypassed", self.identity
            self.turns.append(_Turn(rec, payload, Conversation(self.identity, API, payload), intercept=False))
            await self.upstream.send(text)
            return
        refusal = budget_refusal(self.ctx)
        if refusal is not None:
            rec.status, rec.error = 429, "budget spent"
            self.ctx.stats.record(rec)
            await self.client.send_text(error_message(429, refusal))
            return
        earlier, task = responses_task(self.ctx.tasks, self.identity, payload)
        rec.client = self.identity
        prepared = await prepare(self.ctx, API, payload, text.encode(), rec, client=self.identity, query=earlier)
        if self.ctx.settings.shadow:  # recorded as it would have gone; the client's message goes
            prepared, rec.shadow = shadowed(prepared, text.encode(), payload), True
        rec.action = "shadow" if rec.shadow else "unchanged" if prepared.payload is payload else "compressed"
        rec.proxy_seconds = time.perf_counter() - rec.started
        intercept = not defines_retrieve(payload) and not rec.shadow
        turn = _Turn(rec, prepared.payload, prepared.conversation, intercept, task=task)
        self.turns.append(turn)
        await self.upstream.send(text if prepared.payload is payload else _create(prepared.payload))

    # ---- upstream -> client ------------------------------------------------------------------------

    async def _from_upstream(self) -> None:
        try:
            async for message in self.upstream:
                if isinstance(message, bytes):
                    await self.client.send_bytes(message)
                else:
                    await self._upstream_text(message)
        except ConnectionClosed:
            pass
        except WebSocketDisconnect:
            self.client_gone = True
        if self.client_gone:
            return
        code = self.upstream.close_code or 1006
        reason = self.upstream.close_reason or ""
        for turn in self.turns:
            if turn.rec.error is None:
                turn.rec.error = f"the upstream WebSocket closed ({code}) before the response was complete"
                await self._send(error_message(502, turn.rec.error))
                break
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.client.close(code=1011 if code == 1006 else _close_code(code), reason=reason)

    async def _upstream_text(self, text: str) -> None:
        turn = self.turns[0] if self.turns else None
        if turn is None:  # not part of a response the client asked for: relayed as it is
            await self._send(text)
            return
        ev = SSEEvent(raw=text.encode(), name=None, data=text)
        data = ev.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if not turn.intercept:
            if kind in _END:  # accounted before the client hears the end
                turn.relay.on_event(ev)
                turn.relay.end_round()
                self._done(turn, data)
            await self._send(text)
            return
        out = turn.relay.on_event(ev)
        if out and kind not in _END:
            await self._send(out.decode())
        if kind in _END:
            await self._end_round(turn, data, out)

    async def _end_round(self, turn: _Turn, end: Any, shown: bytes) -> None:
        """At the end of an upstream round: answer our calls and continue, or finish the response."""
        relay, ctx = turn.relay, self.ctx
        relay.end_round()
        ours, theirs = relay.our_calls(), relay.client_call_ids()
        names = [RETRIEVE_TOOL_NAME] * len(ours) + ["client"] * len(theirs)
        step = retrieval_turn(names, rounds_done=turn.rec.rounds - 1, retrieve_rounds=ctx.settings.retrieve_rounds)
        if step.action == "stop" and not relay.failed:
            turn.hid = True  # our calls were held back from the client; the turn ends there
        elif step.action in ("continue", "hand_over") and not relay.failed:
            turn.hid = True
            results = [retrieve_tool_result(c, format="responses", store=ctx.store) for c in ours]
            turn.rec.retrieve_calls += len(ours)
            if step.action == "continue" and relay.upstream_id:
                body = {**turn.body, "previous_response_id": relay.upstream_id, "input": results}
                relay.start_round()
                turn.rec.rounds += 1
                await self.upstream.send(_create(body))
                return
            ctx.pending.remember(turn.conversation, theirs, ours, results, response_id=relay.response_id)
        out = shown + relay.finish(hid_calls=turn.hid)
        if relay.response_id and relay.upstream_id:
            ctx.pending.alias(self.identity, relay.response_id, relay.upstream_id)
        self._done(turn, end)
        if out:
            await self._send(out.decode())

    def _done(self, turn: _Turn, end: Any) -> None:
        self.turns.remove(turn)
        response = end.get("response") if isinstance(end, dict) else None
        shown = turn.relay.response_id or (response.get("id") if isinstance(response, dict) else None)
        if turn.task and isinstance(shown, str):
            self.ctx.tasks.remember(self.identity, shown, turn.task)
        rec = turn.rec
        rec.status = rec.upstream_status = 200
        kind = end.get("type") if isinstance(end, dict) else None
        if kind == "error":
            status = end.get("status")
            rec.status = rec.upstream_status = status if isinstance(status, int) else 400
            err = end.get("error")
            rec.error = str(err.get("message") if isinstance(err, dict) else end.get("message"))
        elif kind == "response.failed":
            rec.error = "the response failed upstream"
        self._record(turn)

    def _record(self, turn: _Turn) -> None:
        if turn.relay.usage_total:
            turn.rec.usage, turn.rec.usage_known = usage_of(API, turn.relay.usage_total), True
        self.ctx.stats.record(turn.rec)

    async def _send(self, text: str) -> None:
        try:
            await self.client.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            raise WebSocketDisconnect(1006) from None


def _create(body: Obj) -> str:
    return dumps({"type": "response.create", **body})


def _close_code(code: int) -> int:
    """A close code one may send (1005, 1006 and 1015 only ever describe a close)."""
    return 1000 if code in (1005, 1006, 1015) else code
