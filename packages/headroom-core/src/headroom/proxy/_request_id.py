"""``x-headroom-request-id`` on every response, so a user can find any request in the history."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headroom.proxy._routes import new_request_id

__all__ = ["RequestIdHeader"]

_NAME = b"x-headroom-request-id"


class RequestIdHeader:
    """ASGI middleware: a response without a request id (own endpoints, refusals) gets a fresh one.

    The model routes set theirs (the id their history row has); this only fills in the rest.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == _NAME for k, _ in headers):
                    message = {**message, "headers": [*headers, (_NAME, new_request_id().encode())]}
            await send(message)

        await self.app(scope, receive, send_with_id)
