"""The proxy token, checked on every HTTP and WebSocket request before anything else runs."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from headroom.proxy._errors import error_body

__all__ = ["TokenGuard"]

_MESSAGE = (
    "missing or wrong headroom proxy token: send it as the x-headroom-token header (or Proxy-Authorization: Bearer)"
)


class TokenGuard:
    """ASGI middleware: requests without the right token get 401 (WebSockets: close code 1008)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    def _ok(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"x-headroom-token" and hmac.compare_digest(value.strip(), self._token):
                return True
            bearer = name == b"proxy-authorization" and value[:7].lower() == b"bearer "
            if bearer and hmac.compare_digest(value[7:].strip(), self._token):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._ok(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": "headroom proxy token required"})
            return
        api = "anthropic-messages" if scope.get("path", "").startswith("/v1/messages") else "openai-chat"
        body = error_body(api, 401, _MESSAGE)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
