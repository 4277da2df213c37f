"""Headroom's own endpoints: ``/v1/compress``, ``/v1/retrieve``, ``/health``, ``/stats``, ``/metrics``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from headroom import __version__
from headroom.api import compress, compress_request, compress_text, retrieve, with_retrieve_tool
from headroom.config import CompressOptions
from headroom.formats import get_format
from headroom.proxy._context import ProxyContext
from headroom.proxy._forward import RawResponse, error_response
from headroom.proxy._routes import BadRequest, defines_retrieve, parse_json, read_body, uses_tools
from headroom.proxy._sse import dumpb
from headroom.result import CompressResult
from headroom.store import RefExpiredError, RefNotFoundError

__all__ = ["compress_endpoint", "health", "metrics", "retrieve_endpoint", "root", "stats"]

_JSON = [(b"content-type", b"application/json")]


def _json(data: Any, status: int = 200) -> RawResponse:
    return RawResponse(status, _JSON, dumpb(data))


def _account(result: CompressResult) -> dict[str, Any]:
    return {
        "tokens_before": result.tokens_before,
        "tokens_after": result.tokens_after,
        "tokens_saved": result.tokens_saved,
        "compression_ratio": round(result.compression_ratio, 4),
        "refs": result.refs,
    }


# What a request body may set. The rest (model paths, time budgets, query limits) belongs to whoever
# runs the proxy: a body must not name a local path to load a model from.
PER_REQUEST_OPTIONS = frozenset(
    {
        "min_tokens",
        "compress_user_text",
        "user_text_min_tokens",
        "retrieve_tool",
        "fit",
        "context_limit",
        "output_reserve",
        "volatile",
        "dedupe",
        "level",
    }
)


def _options(ctx: ProxyContext, req: dict[str, Any]) -> dict[str, Any]:
    """The proxy's own options with the request's per-request ones over them."""
    options = req.get("options") or {}
    if not isinstance(options, dict):
        raise BadRequest(400, "'options' must be an object")
    refused = sorted(set(options) - PER_REQUEST_OPTIONS)
    if refused:
        raise BadRequest(
            400,
            f"option(s) {refused} cannot be set per request (they come from the proxy's settings); "
            f"per-request options: {sorted(PER_REQUEST_OPTIONS)}",
        )
    return {**ctx.options, **options}


def _run_compress(ctx: ProxyContext, req: dict[str, Any]) -> dict[str, Any]:
    model = str(req.get("model") or "gpt-4o")
    options = _options(ctx, req)
    # "offer_retrieve": the caller answers headroom_retrieve itself (an SDK) and wants it offered as the
    # proxy offers it, in every agent request from the first on, so its tool list never changes.
    offer = req.get("offer_retrieve") is True and CompressOptions.from_kwargs(options).retrieve_tool
    if "body" in req:
        api = req.get("api", "openai-chat")
        new, result = compress_request(req["body"], api=api, store=ctx.store, **options)
        if offer and isinstance(req["body"], dict) and uses_tools(req["body"]) and not defines_retrieve(req["body"]):
            new = with_retrieve_tool(new, api=api)
        return {"body": new, **_account(result)}
    if "text" in req:
        if not isinstance(req["text"], str):
            raise BadRequest(400, "'text' must be a string")
        t = compress_text(
            req["text"],
            model=model,
            query=req.get("query"),
            tool_name=req.get("tool_name"),
            tool_args=req.get("tool_args"),
            store=ctx.store,
            **options,
        )
        return {
            "text": t.text,
            "tokens_before": t.tokens_before,
            "tokens_after": t.tokens_after,
            "tokens_saved": t.tokens_saved,
            "refs": t.refs,
        }
    if "messages" in req:
        result = compress(
            req["messages"],
            model,
            format=req.get("format"),
            system=req.get("system"),
            tools=req.get("tools"),
            store=ctx.store,
            query=req.get("query"),
            **options,
        )
        tools = result.tools or ([get_format(result.format).retrieve_tool()] if offer else [])
        return {"messages": result.messages, "tools": tools, **_account(result)}
    raise BadRequest(400, "send 'messages' (a message list), 'text' (one tool output) or 'body' with 'api'")


async def compress_endpoint(ctx: ProxyContext, request: Request) -> object:
    """Stateless compression for gateways and other languages; originals go to the proxy's store."""
    try:
        req = parse_json(await read_body(request, ctx.settings.max_body_bytes, json_only=True))
        return _json(_run_compress(ctx, req))
    except BadRequest as e:
        return error_response("headroom", e.status, str(e))
    except (ValueError, TypeError) as e:
        return error_response("headroom", 400, str(e))


async def retrieve_endpoint(ctx: ProxyContext, request: Request) -> object:
    """``{"ref", "query"?, "lines"?}`` → ``{"ref", "content"}``; 404 unknown, 410 expired."""
    try:
        req = parse_json(await read_body(request, ctx.settings.max_body_bytes, json_only=True))
        ref = req.get("ref")
        if not isinstance(ref, str) or not ref.strip():
            raise BadRequest(400, "'ref' must be a non-empty string")
        query, lines = req.get("query"), req.get("lines")
        content = retrieve(
            ref, query=str(query) if query else None, lines=str(lines) if lines else None, store=ctx.store
        )
        return _json({"ref": ref, "content": content})
    except BadRequest as e:
        return error_response("headroom", e.status, str(e))
    except RefNotFoundError as e:
        return error_response("headroom", 404, str(e))
    except RefExpiredError as e:
        return error_response("headroom", 410, str(e))
    except ValueError as e:
        return error_response("headroom", 400, str(e))


async def health(ctx: ProxyContext, request: Request) -> object:
    """Liveness: ``{"status": "ok", "warm": ...}`` (``warm``: the first compression will not load anything)."""
    return _json({"status": "ok", "version": __version__, "backend": ctx.settings.backend, "warm": ctx.warm.is_set()})


async def root(ctx: ProxyContext, request: Request) -> object:
    """``GET /`` and ``HEAD /``: clients' reachability checks are answered here, never sent upstream."""
    return _json({"service": "headroom proxy", "version": __version__, "health": "/health"})


async def stats(ctx: ProxyContext, request: Request) -> object:
    """Totals since start: requests, tokens, money, per model and per compressor."""
    return _json(ctx.stats.snapshot())


async def metrics(ctx: ProxyContext, request: Request) -> object:
    """Prometheus text format."""
    return RawResponse(200, [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")], ctx.stats.prometheus())
