"""Errors in each provider's own format, as whole responses and as mid-stream SSE events."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["error_body", "error_event", "is_anthropic"]

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_exceeded",
}
_OPENAI_CODES = {401: "invalid_api_key", 413: "request_too_large", 429: "rate_limit_exceeded", 504: "timeout"}


def is_anthropic(api: str) -> bool:
    """Whether errors for ``api`` use Anthropic's shape."""
    return api.startswith("anthropic")


def error_dict(api: str, status: int, message: str) -> dict[str, Any]:
    """The error object a provider returns for ``status``."""
    if is_anthropic(api):
        return {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}
    kind = _OPENAI_TYPES.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": _OPENAI_CODES.get(status, kind)}}


def error_body(api: str, status: int, message: str) -> bytes:
    """`error_dict` as JSON bytes."""
    return json.dumps(error_dict(api, status, message)).encode()


def error_event(api: str, status: int, message: str, *, sequence_number: int | None = None) -> bytes:
    """An SSE event that ends a stream with an error, in the API's streaming format."""
    if api == "openai-responses":
        err = error_dict(api, status, message)["error"]
        data: dict[str, Any] = {"type": "error", "code": err["code"], "message": message, "param": None}
        if sequence_number is not None:
            data["sequence_number"] = sequence_number
        return b"event: error\ndata: " + json.dumps(data).encode() + b"\n\n"
    if is_anthropic(api):
        return b"event: error\ndata: " + error_body(api, status, message) + b"\n\n"
    return b"data: " + error_body(api, status, message) + b"\n\n"
