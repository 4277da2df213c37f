"""The calls into core shared by the compression manager and the model wrapper, and their accounting."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agno.metrics import RunMetrics
from agno.models.message import Message
from headroom import CompressOptions, Store, compress, compress_text, find_refs
from headroom.markers import RETRIEVE_TOOL_NAME

from headroom_agno._convert import apply_edits, message_texts, to_openai, user_text

log = logging.getLogger("headroom_agno")

TOKENS_SAVED = "headroom_tokens_saved"
TOOL_RESULTS = "headroom_tool_results_compressed"
TOOL_RESULT_TOKENS_SAVED = "headroom_tool_result_tokens_saved"
MODEL_INPUT_TOKENS_SAVED = "headroom_model_input_tokens_saved"
SECONDS = "headroom_seconds"


@dataclass(frozen=True)
class ToolOutcome:
    """What compressing one tool result gave: the text to send (None: send the original) and its cost."""

    text: str | None
    tokens_saved: int
    seconds: float


def record(metrics: RunMetrics | None, **add: float) -> None:
    """Add to a run's ``additional_metrics`` (Agno sums numeric entries into the session's metrics)."""
    if metrics is None:
        return
    extra = metrics.additional_metrics if metrics.additional_metrics is not None else {}
    for key, value in add.items():
        extra[key] = extra.get(key, 0) + value
    metrics.additional_metrics = extra


class Engine:
    """Compresses Agno tool results and model input through core. Stateless apart from its settings."""

    def __init__(self, *, store: Store | None, model: str | None, options: Mapping[str, Any]) -> None:
        if "fit" in options:
            raise ValueError(
                "fit is not available in Agno: core's context fitting would restructure the run's "
                "messages; use Agno's own compaction for context-window overflow"
            )
        CompressOptions.from_kwargs(options)  # unknown options fail here, not on the first model call
        self.store = store
        self.model = model
        self.options = dict(options)

    def __deepcopy__(self, memo: dict[int, Any]) -> Engine:
        # Agno copies agents and models for each run; the settings (and the store) stay shared.
        return self

    def tool_result(self, message: Message, query: str, model: str) -> ToolOutcome:
        """Compress one tool message's content (``headroom_retrieve`` results are never compressed)."""
        text = message.content
        if message.tool_name == RETRIEVE_TOOL_NAME or not isinstance(text, str) or not text or find_refs(text):
            return ToolOutcome(None, 0, 0.0)
        t0 = time.perf_counter()
        args = message.tool_args
        try:
            out = compress_text(
                text,
                model=self.model or model,
                query=query,
                tool_name=message.tool_name,
                tool_args=args if isinstance(args, Mapping) else None,
                store=self.store,
                **self.options,
            )
        except Exception as e:  # fail open: the original result goes to the model
            log.warning("headroom: a %s result was left uncompressed: %r", message.tool_name, e)
            return ToolOutcome(None, 0, time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        if out.text == text:
            return ToolOutcome(None, 0, seconds)
        return ToolOutcome(out.text, out.tokens_saved, seconds)

    def messages(
        self, messages: Sequence[Message], *, model: str, use_compressed: bool, metrics: RunMetrics | None
    ) -> tuple[list[Message], bool]:
        """Compressed copies of the messages to send, and whether they name any ref.

        Fails open: when core cannot take the messages, they go out as they are.
        """
        t0 = time.perf_counter()
        out = list(messages)
        saved = 0
        try:
            view = to_openai(messages, use_compressed=use_compressed)
            result = compress(view, self.model or model, format="openai", store=self.store, fit=False, **self.options)
            out = apply_edits(messages, view, result.messages, use_compressed=use_compressed)
            saved = result.tokens_saved
        except Exception as e:  # fail open: the model call goes out with the messages as they were
            log.warning("headroom: model input left uncompressed: %r", e)
        record(metrics, **{TOKENS_SAVED: saved, MODEL_INPUT_TOKENS_SAVED: saved, SECONDS: time.perf_counter() - t0})
        named = any(find_refs(t) for m in out for t in message_texts(m, use_compressed))
        return out, named


def task_queries(messages: Sequence[Message]) -> list[str]:
    """For each message, the latest user text before it: the task its tool result served."""
    out, last = [], ""
    for m in messages:
        out.append(last)
        text = user_text(m)
        if text:
            last = text
    return out
