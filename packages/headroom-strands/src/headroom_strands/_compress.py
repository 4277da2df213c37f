"""The two things Headroom does in a Strands agent, through the core kit: tool results and model input."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from headroom import CompressOptions, compress, find_refs
from headroom.integrations import ToolOutputCompressor

from headroom_strands._convert import StrandsMessage, apply_edits, item_text, texts, to_anthropic, with_text
from headroom_strands._stats import Tally

if TYPE_CHECKING:
    from headroom import CompressKwargs

log = logging.getLogger("headroom_strands")


def strands_options(options: CompressOptions | None, kwargs: CompressKwargs) -> CompressOptions:
    """The options in force: ``kwargs`` over ``options``, with context fitting off.

    Raises:
        ValueError: ``fit`` was passed, or a bad value.
        TypeError: an unknown option.
    """
    if "fit" in kwargs:
        raise ValueError(
            "fit is not available in Strands: core's context fitting would restructure the agent's "
            "messages; leave context-window overflow to a Strands ConversationManager"
        )
    return dataclasses.replace(CompressOptions.from_kwargs(kwargs, options), fit=False)


def model_name(model: Any) -> str:
    """The ``model_id`` in a Strands model's config (for token counting), or ``""`` when it has none."""
    try:
        config = model.get_config()
    except Exception:  # a provider's config is its own business; counting falls back to o200k
        return ""
    value = config.get("model_id") if isinstance(config, Mapping) else getattr(config, "model_id", None)
    return value if isinstance(value, str) else ""


def compress_result(
    tools: ToolOutputCompressor, tally: Tally, result: Mapping[str, Any], tool_use: Mapping[str, Any], **kw: str
) -> Mapping[str, Any]:
    """``result`` with each large text or JSON item compressed (``kw``: ``query`` and ``model``)."""
    name = str(tool_use.get("name", ""))
    args = tool_use.get("input")
    items = list(result.get("content") or [])
    changed = False
    for k, item in enumerate(items):
        text = item_text(item) if isinstance(item, Mapping) else None
        if not text:
            continue
        out = tools.compress(text, tool_name=name, tool_args=args if isinstance(args, Mapping) else None, **kw)
        tally.add(tool_results=int(out.compressed), tool_result_tokens_saved=out.tokens_saved, seconds=out.seconds)
        if out.compressed:
            items[k] = with_text(item, out.text)
            changed = True
    return {**result, "content": items} if changed else result


def compress_messages(
    messages: Sequence[StrandsMessage], tools: ToolOutputCompressor, tally: Tally, *, model: str
) -> tuple[list[Any], bool]:
    """The messages to send, compressed, and whether they name any ref (the retrieve tool is needed).

    Fails open: when core cannot take the messages, they go out as they are.
    """
    t0 = time.perf_counter()
    out: list[Any] = list(messages)
    saved = 0
    try:
        result = compress(
            to_anthropic(messages), tools.model or model, format="anthropic", store=tools.store, options=tools.options
        )
        out, saved = apply_edits(messages, result.edits), result.tokens_saved
    except Exception as e:  # fail open: the model call goes out with the messages as they were
        log.warning("headroom: model input left uncompressed: %r", e)
    tally.add(model_calls=1, model_call_tokens_saved=saved, seconds=time.perf_counter() - t0)
    return out, any(find_refs(t) for t in texts(out))
