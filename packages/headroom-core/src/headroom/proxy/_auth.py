"""Who may talk to the proxy, checked on every HTTP and WebSocket request before anything else runs.

With a token, the token. Without one (loopback only), the ``Host`` header: a web page that gets its
own host name resolved to 127.0.0.1 (DNS rebinding) must not reach ``/stats``, ``/v1/retrieve`` or
the model routes; its requests carry its own name, never a loopback one.
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from headroom.proxy._errors import error_body
from headroom.proxy.settings import is_loopback

__all__ = ["HostGuard", "TokenGuard", "host_name"]

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
        await _refuse(scope, receive, send, 401, _MESSAGE)


def host_name(value: str) -> str:
    """The name in a ``Host`` header: port, brackets and a trailing dot removed, lower-cased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    name = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    return name.rstrip(".")


class HostGuard:
    """ASGI middleware for a proxy without a token: only loopback names and ``allowed`` ones in ``Host``."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...] = ()) -> None:
        self.app = app
        self._allowed = frozenset(host_name(h) for h in allowed if h)

    def _ok(self, scope: Scope) -> bool:
        hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
        if not hosts:
            return True  # HTTP/1.0 without Host: not a browser, nothing to rebind
        name = host_name(hosts[0].decode("latin-1"))
        return is_loopback(name) or name.endswith(".localhost") or name in self._allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._ok(scope):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        message = (
            f"host {host!r} is not this proxy's: without a proxy token only loopback names are served; "
            "add the name with --allow-host (HEADROOM_ALLOW_HOSTS) or set a token"
        )
        await _refuse(scope, receive, send, 403, message)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    """An error in the route's format (WebSockets: close code 1008)."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    api = "anthropic-messages" if scope.get("path", "").startswith("/v1/messages") else "openai-chat"
    body = error_body(api, status, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
