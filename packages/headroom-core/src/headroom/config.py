"""CompressOptions: the one frozen config model of the compression pipeline, validated on construction."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, get_args

__all__ = ["LEVEL_SCALE", "CompressKwargs", "CompressOptions", "Level", "Volatile"]

Level = Literal["safe", "balanced", "max"]
Volatile = Literal["report", "move"]
LEVEL_SCALE: dict[str, float] = {"safe": 1.6, "balanced": 1.0, "max": 0.6}
"""How much each level multiplies every compressor's budgets by."""


class CompressKwargs(TypedDict, total=False):
    """The fields of `CompressOptions` as keyword arguments (``**options: Unpack[CompressKwargs]``)."""

    min_tokens: int
    compress_user_text: bool
    user_text_min_tokens: int
    max_query_chars: int
    exact_claude: bool
    retrieve_tool: bool
    fit: bool
    context_limit: int | None
    output_reserve: int
    volatile: Volatile
    dedupe: bool
    text_model: str | None
    text_model_budget_ms: float
    level: Level
    compress_images: bool


_COUNTS = ("min_tokens", "user_text_min_tokens", "output_reserve")  # int >= 0
_FLAGS = ("compress_user_text", "exact_claude", "retrieve_tool", "fit", "dedupe", "compress_images")


def _bad(name: str, want: str, value: object) -> ValueError:
    return ValueError(f"CompressOptions.{name} must be {want}, not {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class CompressOptions:
    """Options of `headroom.compress`: pass one as ``options=``, or its fields as keyword arguments.

    Every field is checked on construction: a wrong type, a negative size or an unknown mode raises
    ``ValueError`` naming the field and what it takes.

    >>> CompressOptions(min_tokens=500).min_tokens
    500
    >>> CompressOptions(volatile="bogus")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: CompressOptions.volatile must be one of ['move', 'report'], not 'bogus'

    Attributes:
        min_tokens: blocks smaller than this are left alone (a marker would cost more than it saves).
        compress_user_text: also compress large text in user turns (pasted files, text observations of
            agents that reply with user messages). The first user message, the task, is never touched.
        user_text_min_tokens: the size from which user text counts as large.
        max_query_chars: task context longer than this is cut (the head is kept) before scoring.
        exact_claude: count Claude tokens exactly with ctok (``headroom-core[claude-exact]``).
        retrieve_tool: when markers were written, add the ``headroom_retrieve`` tool in
            `headroom.compress_request` (``CompressResult.tools`` always carries it).
        fit: when the compressed request still exceeds the model's context window, let the
            ContextFitter drop the lowest-value turns into the store.
        context_limit: the context window in tokens; None takes it from the model registry (and
            fitting is off for models the registry does not know).
        output_reserve: tokens kept free for the model's answer (`compress_request` uses the
            request's ``max_tokens``/``max_output_tokens`` when it has one).
        volatile: ``"report"`` volatile values (timestamps, UUIDs, ...) in the system prompt and
            tools; ``"move"`` also moves the system-prompt lines holding them to the end of the prompt.
        dedupe: a block repeating one earlier in the conversation (a file read twice, a re-run) becomes
            a marker naming the earlier one, plus a diff of what changed; a run of 4+ lines the model
            already saw (an overlapping window of a file) becomes a marker naming where. This holds
            for blocks below ``min_tokens`` too, and for user text after the task.
        text_model: a local folder or an already-cached Hugging Face id of a token-classification
            model for the Kompress ML backend of text (``headroom-core[ml]`` and torch); None reads
            ``HEADROOM_TEXT_MODEL``, and without either the default extractive path runs. The model
            loads in the background; until it is ready, text uses the default path and says so.
        text_model_budget_ms: per-block time budget for the model; over it, the default path runs.
        level: how much every compressor keeps, all budgets moved together: ``"safe"`` keeps more
            (about 1.6x the default budgets), ``"max"`` saves more (0.6x); ``"balanced"`` (the
            default) is the setting the benchmark targets are held at.
        compress_images: shrink image parts to the smallest size that stays legible for the model
            (``headroom-core[image]``); the original goes to the store, a marker beside the image.
    """

    min_tokens: int = 250
    compress_user_text: bool = True
    user_text_min_tokens: int = 1000
    max_query_chars: int = 2000
    exact_claude: bool = False
    retrieve_tool: bool = True
    fit: bool = True
    context_limit: int | None = None
    output_reserve: int = 4096
    volatile: Volatile = "report"
    dedupe: bool = True
    text_model: str | None = None
    text_model_budget_ms: float = 300.0
    level: Level = "balanced"
    compress_images: bool = True

    def __post_init__(self) -> None:
        for name in _COUNTS:
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise _bad(name, "an int >= 0", value)
        for name in _FLAGS:
            if not isinstance(getattr(self, name), bool):
                raise _bad(name, "True or False", getattr(self, name))
        if not _is_int(self.max_query_chars) or self.max_query_chars < 1:
            raise _bad("max_query_chars", "an int >= 1", self.max_query_chars)
        if self.context_limit is not None and (not _is_int(self.context_limit) or self.context_limit < 1):
            raise _bad("context_limit", "None or an int >= 1", self.context_limit)
        budget = self.text_model_budget_ms
        if not isinstance(budget, (int, float)) or isinstance(budget, bool) or budget < 0:
            raise _bad("text_model_budget_ms", "a number >= 0", budget)
        if self.text_model is not None and not isinstance(self.text_model, str):
            raise _bad("text_model", "None or a string", self.text_model)
        if self.volatile not in get_args(Volatile):
            raise _bad("volatile", f"one of {sorted(get_args(Volatile))}", self.volatile)
        if self.level not in LEVEL_SCALE:
            raise _bad("level", f"one of {sorted(LEVEL_SCALE)}", self.level)

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any], base: CompressOptions | None = None) -> CompressOptions:
        """``base`` (default: the defaults) with ``options`` over it.

        Raises:
            TypeError: an unknown option name (the message lists the known ones).
            ValueError: a value the field does not take.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown compress option(s) {unknown}; known options: {sorted(known)}")
        if base is None:
            return cls(**options)
        return dataclasses.replace(base, **options) if options else base
