"""The public functions: `compress`, `compress_request`, `compress_text`, `retrieve`, `retrieve_tool_result`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from headroom.config import CompressKwargs, CompressOptions
from headroom.formats import Api, FormatName, detect_format, get_format
from headroom.images import image_note, image_tool_result
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.pipeline.pipeline import Pipeline, Request
from headroom.pipeline.router import router_for
from headroom.result import CompressResult, TextResult
from headroom.retrieval import filter_entry
from headroom.store import RefError, Store, default_store

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "Api",
    "answer_retrieve",
    "compress",
    "compress_request",
    "compress_text",
    "retrieve",
    "retrieve_tool_result",
    "with_retrieve_tool",
]

_MAX_OUTPUT_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


_RESERVE = CompressOptions().output_reserve


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _store_getter(store: Store | None) -> Callable[[], Store]:
    # The default store is opened only when a marker is actually written.
    return (lambda: store) if store is not None else default_store


def compress(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    *,
    format: FormatName | Api | None = None,
    system: Any = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    store: Store | None = None,
    query: str | None = None,
    options: CompressOptions | None = None,
    **kwargs: Unpack[CompressKwargs],
) -> CompressResult:
    """Compress a message list before it goes to ``model``.

    Args:
        messages: OpenAI Chat Completions messages, OpenAI Responses input items, or Anthropic
            messages. They are not mutated; the result keeps their structure and every key.
        model: the model the request is for (token counting; breaks format-detection ties).
        format: ``"openai"``, ``"anthropic"`` or ``"responses"`` (or the API speaking it:
            ``"openai-chat"``, ``"anthropic-messages"``, ``"openai-responses"``); detected from the
            messages when None.
        system: Anthropic's top-level system prompt. Counted and left byte-identical.
        tools: the request's tool list. Counted and left byte-identical.
        store: where originals go; None means the process-wide default (SQLite under
            ``$HEADROOM_HOME``), so another process can redeem the refs.
        query: what the task is about, for every block. By default each block uses the user text
            that preceded its own tool call.
        options: a `CompressOptions`; None means the defaults.
        **kwargs: fields of `CompressOptions`, over ``options``.

    Returns:
        A `CompressResult`; pass ``result.tools`` to the model alongside your own tools so it can
        call ``headroom_retrieve``, and answer those calls with `retrieve_tool_result`.

    Raises:
        ValueError: the messages are not valid for the format (the message names the index), or
            an option has a value its field does not take.
        TypeError: ``messages`` is not a list, or an unknown option was passed.
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TypeError(f"messages must be a list of message objects, not {type(messages).__name__}")
    adapter = get_format(format or detect_format(messages, model))
    request = Request(
        messages=messages,  # type: ignore[arg-type]  # validated by the format adapter
        model=model,
        adapter=adapter,
        store=_store_getter(store),
        system=system,
        tools=tools,
        query=query,
        options=CompressOptions.from_kwargs(kwargs, options),
    )
    return Pipeline(router=router_for(request.options)).run(request)


def compress_request(
    body: Mapping[str, Any],
    *,
    api: Api | FormatName,
    store: Store | None = None,
    query: str | None = None,
    options: CompressOptions | None = None,
    **kwargs: Unpack[CompressKwargs],
) -> tuple[dict[str, Any], CompressResult]:
    """Compress a whole provider request body.

    Args:
        body: the JSON body of an Anthropic ``/v1/messages``, OpenAI ``/v1/chat/completions`` or
            ``/v1/responses`` request.
        api: ``"anthropic-messages"``, ``"openai-chat"`` or ``"openai-responses"`` (or the format
            it speaks: ``"anthropic"``, ``"openai"``, ``"responses"``).
        store: as for `compress`.
        query: as for `compress`: the task for every block (the proxy passes the conversation's
            user text when a stateful request, one naming ``previous_response_id``, carries none).
        options: as for `compress`. The body's ``max_tokens`` (or ``max_completion_tokens``,
            ``max_output_tokens``) is the output reserve unless ``output_reserve`` is set.
        **kwargs: as for `compress`.

    Returns:
        ``(new_body, result)``. ``new_body`` is a copy with the messages replaced and, when markers
        were written (and ``retrieve_tool`` is on), ``headroom_retrieve`` appended to its tools.
        Every other key is kept as it was.

    Raises:
        ValueError: unknown ``api``, or a body without a valid message list.
    """
    adapter = get_format(api)
    if not isinstance(body, Mapping):
        raise ValueError("request body must be a JSON object")
    fmt, key, system_key = adapter.name, adapter.items_key, adapter.system_key
    items = body.get(key)
    if fmt == "responses" and isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list):
        raise ValueError(f"request body needs a '{key}' list")
    opts = CompressOptions.from_kwargs(kwargs, options)
    reserve = next((body[k] for k in _MAX_OUTPUT_KEYS if _is_count(body.get(k))), None)
    if (
        reserve is not None
        and "output_reserve" not in kwargs
        and (options is None or options.output_reserve == _RESERVE)
    ):
        opts = dataclasses.replace(opts, output_reserve=reserve)
    result = compress(
        items,
        str(body.get("model", "")),
        format=fmt,
        system=body.get(system_key),
        tools=body.get("tools"),
        store=store,
        query=query,
        options=opts,
    )
    new_body = dict(body)
    if result.messages is not items:
        new_body[key] = result.messages
    if result.system is not body.get(system_key):
        new_body[system_key] = result.system
    if result.tools and opts.retrieve_tool:
        new_body = with_retrieve_tool(new_body, api=adapter.api)
    return new_body, result


def with_retrieve_tool(body: Mapping[str, Any], *, api: Api | FormatName) -> dict[str, Any]:
    """``body`` with ``headroom_retrieve`` appended to its tools (a copy; as it is when already there).

    The proxy offers the tool in every agent request (one that declares tools) from the first on, so
    that a conversation's tool list is byte-identical across turns and the provider's prompt cache
    keeps hitting.
    """
    adapter = get_format(api)
    existing = body.get("tools", [])
    if not isinstance(existing, list) or any(_tool_name(t) == RETRIEVE_TOOL_NAME for t in existing):
        return dict(body)  # a malformed tools value is the upstream's to judge
    return {**body, "tools": [*existing, adapter.retrieve_tool()]}


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, Mapping):
        return None
    fn = tool.get("function")
    return str(fn.get("name")) if isinstance(fn, Mapping) else tool.get("name")


def retrieve(ref: str, *, query: str | None = None, lines: str | None = None, store: Store | None = None) -> str:
    """The original behind ``ref``.

    Args:
        ref: a ref named by a marker (see `find_refs`).
        query: only the lines (or JSON rows) containing these words; all of them if any line has
            them all, otherwise lines with any of them. Lines come prefixed with their number.
        lines: a 1-based inclusive line range such as ``"120-180"``.
        store: where to look; None means the process-wide default store.

    Raises:
        RefNotFoundError, RefExpiredError: the ref cannot be redeemed (the message says which and why).
        ValueError: a malformed ``lines`` range.
    """
    entry = (store or default_store()).get(ref.strip())
    return filter_entry(ref, entry, query=query, lines=lines)


def retrieve_tool_result(
    tool_call: Mapping[str, Any], *, format: FormatName | Api, store: Store | None = None
) -> dict[str, Any]:
    """Answer a model's ``headroom_retrieve`` call.

    Args:
        tool_call: the call as the model made it: an OpenAI ``tool_calls`` item, an Anthropic
            ``tool_use`` block, or a Responses ``function_call`` item.
        format: ``"openai"``, ``"anthropic"`` or ``"responses"`` (or the API speaking it).
        store: as for `retrieve`.

    Returns:
        The ``tool`` message, ``tool_result`` block or ``function_call_output`` item carrying the
        original. An unknown or expired ref, or bad arguments, gives an error result the model can
        read (``is_error`` for Anthropic), not an exception.

    Raises:
        ValueError: the call is not a ``headroom_retrieve`` call.
    """
    adapter = get_format(format)
    call = adapter.parse_tool_call(tool_call)
    if call.name != RETRIEVE_TOOL_NAME:
        raise ValueError(f"not a {RETRIEVE_TOOL_NAME} call: {call.name!r}")
    ref = call.arguments.get("ref")
    if isinstance(ref, str) and ref.strip():
        try:
            entry = (store or default_store()).get(ref.strip())
        except (RefError, ValueError):
            entry = None
        if entry is not None and entry.kind == "image":  # the image itself where the API takes one
            return image_tool_result(format, call.id, ref.strip(), entry)
    text, is_error = answer_retrieve(call.arguments, store=store)
    return adapter.tool_result(call.id, text, is_error=is_error)


def answer_retrieve(arguments: Mapping[str, Any], store: Store | None = None) -> tuple[str, bool]:
    """The answer to one ``headroom_retrieve`` call, from its arguments alone (any host, any format).

    Args:
        arguments: the call's arguments as the model gave them: ``ref`` and optionally ``query``
            (only matching lines or rows) and ``lines`` (``"120-180"``).
        store: as for `retrieve`.

    Returns:
        ``(text, is_error)``: the original (or the part asked for), or, for a missing, unknown or
        expired ref or a bad range, a message the model can read and ``True``. Never raises for a
        bad call.

    >>> from headroom import MemoryStore
    >>> answer_retrieve({"ref": "0123456789abcdef"}, store=MemoryStore())[1]
    True
    """
    ref = arguments.get("ref") if isinstance(arguments, Mapping) else None
    if not isinstance(ref, str) or not ref.strip():
        return f"{RETRIEVE_TOOL_NAME} needs a 'ref' string argument", True
    query, lines = arguments.get("query"), arguments.get("lines")
    try:
        entry = (store or default_store()).get(ref.strip())
        if entry.kind == "image":  # a text answer cannot carry the image: say what it is and where
            return image_note(ref.strip(), entry), False
        text = filter_entry(ref, entry, query=str(query) if query else None, lines=str(lines) if lines else None)
    except (RefError, ValueError) as e:
        return str(e), True
    return text, False


def compress_text(
    text: str,
    *,
    model: str = "gpt-4o",
    query: str | None = None,
    tool_name: str | None = None,
    tool_args: Mapping[str, Any] | None = None,
    store: Store | None = None,
    options: CompressOptions | None = None,
    **kwargs: Unpack[CompressKwargs],
) -> TextResult:
    """Compress one piece of content — a tool output, a file, a page — outside any conversation.

    Args:
        text: the content.
        model: the model it is for (token counting).
        query: what the task is about; relevant lines, rows and sections are kept.
        tool_name: the tool that produced it, if any (``headroom_retrieve`` outputs are never compressed).
        tool_args: that tool call's arguments (they count as task context, like the query).
        store: as for `compress`.
        options: as for `compress`; ``fit`` applies only when passed as a keyword (one block has no
            turns to drop).
        **kwargs: as for `compress`.

    Returns:
        A `TextResult` with the compressed text, the refs its markers name and the token counts.
    """
    call: dict[str, Any] = {
        "id": "headroom_text",
        "type": "function",
        "function": {"name": tool_name or "tool", "arguments": json.dumps(dict(tool_args or {}), default=str)},
    }
    messages: list[dict[str, Any]] = [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "headroom_text", "content": text},
    ]
    opts = CompressOptions.from_kwargs(kwargs, options)
    if "fit" not in kwargs:  # one block has no context window to fit
        opts = dataclasses.replace(opts, fit=False)
    result = compress(messages, model, format="openai", store=store, query=query or "", options=opts)
    out = result.messages[1]["content"]
    block = next((b for b in result.blocks if b.index == 1), None)
    before = block.tokens_before if block else 0
    after = block.tokens_after if block else 0
    return TextResult(text=out, refs=result.refs, tokens_before=before, tokens_after=after, block=block)
