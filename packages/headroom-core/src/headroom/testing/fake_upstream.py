"""`FakeUpstream`: an OpenAI- and Anthropic-compatible server on a loopback port, for tests.

It answers ``POST /v1/chat/completions``, ``/v1/messages`` (and ``/v1/messages/count_tokens``) and
``/v1/responses`` in each provider's format, as JSON or as SSE when the body says ``"stream": true``,
with replies you script; it records every request it receives. It needs nothing beyond the standard
library (an asyncio server in a background thread), so any test environment can use it.

It also speaks the Responses API over a WebSocket, as Codex opens it: a ``GET /v1/responses``
upgrade is accepted (``websockets`` is then imported: ``pip install "headroom-core[proxy]"``), and
each message is recorded as a request (method ``"WEBSOCKET"``, the upgrade's path and headers, the
message as its body); each ``response.create`` is answered with the next reply as Responses
streaming events, one message each. ``FakeUpstream(websocket=False)`` refuses upgrades with a 404,
as a provider without WebSocket support does. A Responses request with ``"generate": false``
(Codex warms its WebSocket up with one) gets an empty response and takes no scripted reply.

Example::

    from openai import OpenAI
    from headroom.testing import FakeUpstream, Reply

    with FakeUpstream() as up:
        up.script(Reply.say("Paris."), Reply.call("get_weather", {"city": "Paris"}))
        client = OpenAI(base_url=up.base_url + "/v1", api_key="sk-test", max_retries=0)
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        assert up.requests[-1].json["model"] == "gpt-4o"

Each model request takes the next scripted reply (a `Reply`, or a function of the `RecordedRequest`
returning one); once the script runs out, ``default`` answers (``Reply.say("ok")`` unless given).
Replies can also fail: `Reply.fail` (an HTTP error in the provider's format), `Reply.hang` (no
answer until the client gives up), `Reply.reset` (the connection is reset, optionally mid-stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.testing._fake_formats import (
    Api,
    FakeToolCall,
    Rendered,
    error_body,
    render_body,
    responses_event_data,
)
from headroom.testing._fake_http import (
    Conn,
    RecordedRequest,
    path_model,
    read_request,
    reset,
    route,
    send_json,
    send_stream,
)
from headroom.testing._fake_ws import Socket, is_upgrade, serve_ws

__all__ = ["FakeToolCall", "FakeUpstream", "RecordedRequest", "Reply"]


@dataclass(frozen=True)
class Reply:
    """What the fake upstream answers to one model request.

    Build one with the class methods, or directly for a mixed turn:
    ``Reply(text="Let me look.", tool_calls=(FakeToolCall("ls", {}), FakeToolCall("headroom_retrieve", {"ref": r})))``.

    Attributes:
        text: the assistant's text, if any.
        tool_calls: the tool calls it makes, in order.
        status: an HTTP error status to answer with instead (``200`` means a normal reply).
        message: the error message for ``status``.
        hang_seconds: seconds to wait without answering (the connection is then closed).
        reset_after: reset the connection (TCP RST) after this many SSE events (``0``: before any
            byte of the answer, also for non-streaming requests).
        output_tokens: the usage's output tokens; by default about one per four characters.
        delay: seconds to sleep between SSE events.
        headers: extra response headers.
    """

    text: str | None = None
    tool_calls: tuple[FakeToolCall, ...] = ()
    status: int = 200
    message: str = ""
    hang_seconds: float | None = None
    reset_after: int | None = None
    output_tokens: int | None = None
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def say(cls, text: str, **kw: Any) -> Reply:
        """A text answer."""
        return cls(text=text, **kw)

    @classmethod
    def call(cls, name: str, arguments: Mapping[str, Any] | None = None, *, id: str | None = None, **kw: Any) -> Reply:
        """One tool call."""
        return cls(tool_calls=(FakeToolCall(name, dict(arguments or {}), id),), **kw)

    @classmethod
    def custom(cls, name: str, input: str, *, id: str | None = None, **kw: Any) -> Reply:
        """One call of a freeform tool (a Responses ``custom_tool_call`` with raw ``input``)."""
        return cls(tool_calls=(FakeToolCall(name, {}, id, input),), **kw)

    @classmethod
    def retrieve(cls, ref: str, *, query: str | None = None, lines: str | None = None, **kw: Any) -> Reply:
        """A ``headroom_retrieve`` call for ``ref`` (with an optional query or line range)."""
        args: dict[str, Any] = {"ref": ref}
        if query is not None:
            args["query"] = query
        if lines is not None:
            args["lines"] = lines
        return cls.call(RETRIEVE_TOOL_NAME, args, **kw)

    @classmethod
    def fail(cls, status: int = 500, message: str = "the fake upstream failed on purpose") -> Reply:
        """An HTTP error in the provider's error format (429 comes with ``retry-after: 0``)."""
        headers = (("retry-after", "0"),) if status == 429 else ()
        return cls(status=status, message=message, headers=headers)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        """No answer for ``seconds`` (the client's timeout should fire first)."""
        return cls(hang_seconds=seconds)

    @classmethod
    def reset(cls, after_events: int = 0, *, text: str = "this answer is cut off half way through") -> Reply:
        """Reset the connection after ``after_events`` SSE events (0: before answering at all)."""
        return cls(text=text, reset_after=after_events)


Script = Reply | Callable[[RecordedRequest], Reply]


class FakeUpstream:
    """A scripted OpenAI/Anthropic-compatible HTTP server on an ephemeral loopback port.

    Args:
        default: the reply once the script is exhausted (``Reply.say("ok")`` when None).
        host: the address to bind (loopback by default).
        port: the port; 0 picks a free one.
        record: keep every request in `requests` (turn off for long benchmarks).
        gzip: gzip JSON model replies when the request accepts it (as the real APIs do).
        websocket: accept Responses API WebSocket upgrades (``GET /v1/responses``).
    """

    def __init__(
        self,
        *,
        default: Reply | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        gzip: bool = False,
        websocket: bool = True,
    ):
        self.default = default or Reply.say("ok")
        self.record = record
        self.gzip = gzip
        self.websocket = websocket
        self._host, self._port = host, port
        self._script: list[Script] = []
        self._requests: list[RecordedRequest] = []
        self._bodies: dict[int, bytearray] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeUpstream:
        """Start serving in a background thread; returns once the port is bound."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="headroom-fake-upstream", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError(f"fake upstream failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is None or stopping is None or thread is None:
            return
        loop.call_soon_threadsafe(stopping.set)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no ``/v1``; OpenAI clients want ``base_url + "/v1"``)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    # ---- script and records ------------------------------------------------------------------------

    def script(self, *replies: Script) -> None:
        """Queue replies for the next model requests, in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def reply_body(self, request: RecordedRequest) -> bytes:
        """The body the fake sent back for ``request`` (SSE events for streams, without HTTP framing)."""
        with self._lock:
            return bytes(self._bodies.get(id(request), b""))

    @property
    def model_requests(self) -> list[RecordedRequest]:
        """Only the model requests (chat completions, messages, responses; Bedrock and Vertex paths too)."""
        return [r for r in self.requests if route(r.path)[0] is not None]

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def clear(self) -> None:
        """Forget the recorded requests and any replies still scripted."""
        with self._lock:
            self._requests.clear()
            self._bodies.clear()
            self._script.clear()

    def _next_reply(self, request: RecordedRequest) -> tuple[Reply, int]:
        body = request.json
        warm_up = isinstance(body, dict) and body.get("generate") is False
        with self._lock:
            item = Reply() if warm_up else self._script.pop(0) if self._script else self.default
            self._counter += 1
            number = self._counter
        return (item(request) if callable(item) else item), number

    # ---- server ------------------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as e:  # surfaced by start()
            self._error = e
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, self._host, self._port, limit=1 << 20)
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        try:
            while conn.keep_alive:
                request = await read_request(conn)
                if request is None:
                    break
                if self.websocket and is_upgrade(request) and route(request.path)[0] == "openai-responses":
                    await serve_ws(conn, request, functools.partial(self._ws_message, request))
                    break
                if self.record:
                    with self._lock:
                        self._requests.append(request)
                        conn.sent = self._bodies[id(request)] = bytearray()
                else:
                    conn.sent = None
                await self._answer(conn, request)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, conn: Conn, request: RecordedRequest) -> None:
        api, framing = route(request.path)
        if request.method == "POST" and request.path.endswith("/messages/count_tokens"):
            await send_json(conn, 200, {"input_tokens": max(1, len(request.body) // 4)})
        elif request.method == "POST" and api is not None:
            reply, number = self._next_reply(request)
            await self._model_reply(conn, request, api, reply, number, framing)
        elif request.method == "GET" and request.path.rstrip("/").endswith("/models"):
            await send_json(conn, 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            missing = error_body("openai-chat", 404, f"no route for {request.method} {request.path}")
            await send_json(conn, 404, missing, head_only=request.method == "HEAD")

    async def _model_reply(
        self, conn: Conn, request: RecordedRequest, api: Api, reply: Reply, number: int, framing: str
    ) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        if reply.hang_seconds is not None:
            await asyncio.sleep(reply.hang_seconds)
            conn.keep_alive = False
            return
        if reply.reset_after == 0:
            await reset(conn)
            return
        if reply.status != 200:
            await send_json(conn, reply.status, error_body(api, reply.status, reply.message), reply.headers)
            return
        rendered = _rendered(api, request, reply, number)
        streamed = body.get("stream") is True or request.path.endswith(":streamRawPredict")
        if framing == "eventstream" or streamed:
            await send_stream(
                conn,
                rendered,
                headers=reply.headers,
                reset_after=reply.reset_after,
                delay=reply.delay,
                eventstream=framing == "eventstream",
            )
        else:
            gzipped = self.gzip and "gzip" in request.headers.get("accept-encoding", "")
            await send_json(conn, 200, render_body(rendered), reply.headers, gzipped=gzipped)

    async def _ws_message(self, upgrade: RecordedRequest, socket: Socket, text: str) -> None:
        """One message on a Responses WebSocket: recorded; a ``response.create`` is answered."""
        request = RecordedRequest("WEBSOCKET", upgrade.path, upgrade.query, upgrade.headers, text.encode())
        sent = bytearray()
        if self.record:
            with self._lock:
                self._requests.append(request)
                self._bodies[id(request)] = sent
        data = request.json
        if not isinstance(data, dict) or data.get("type") != "response.create":
            return
        reply, number = self._next_reply(request)
        if reply.hang_seconds is not None or reply.reset_after == 0:
            await asyncio.sleep(reply.hang_seconds or 0)
            await reset(socket.conn)
            raise ConnectionResetError("the fake upstream reset the WebSocket on purpose")
        if reply.status != 200:
            err = error_body("openai-responses", reply.status, reply.message)["error"]
            sent += await socket.send({"type": "error", "status": reply.status, "error": err}) + b"\n"
            return
        for n, event in enumerate(responses_event_data(_rendered("openai-responses", request, reply, number))):
            if reply.reset_after is not None and n >= reply.reset_after:
                await reset(socket.conn)
                raise ConnectionResetError("the fake upstream reset the WebSocket on purpose")
            if reply.delay and n:
                await asyncio.sleep(reply.delay)
            sent += await socket.send(event) + b"\n"


def _rendered(api: Api, request: RecordedRequest, reply: Reply, number: int) -> Rendered:
    body = request.json if isinstance(request.json, dict) else {}
    text_len = len(reply.text or "") + sum(len(json.dumps(dict(c.arguments))) for c in reply.tool_calls)
    stream_options = body.get("stream_options")
    return Rendered(
        api=api,
        model=str(body.get("model") or path_model(request.path)),
        number=number,
        text=reply.text,
        calls=reply.tool_calls,
        input_tokens=max(1, len(request.body) // 4),
        output_tokens=reply.output_tokens if reply.output_tokens is not None else max(1, text_len // 4),
        include_usage=isinstance(stream_options, dict) and bool(stream_options.get("include_usage")),
    )
