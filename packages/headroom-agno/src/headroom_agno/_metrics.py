"""What Headroom reports into an Agno run's metrics, the options it takes, and each result's task."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agno.metrics import RunMetrics
from agno.models.message import Message
from headroom import CompressOptions

from headroom_agno._convert import user_text

if TYPE_CHECKING:
    from headroom import CompressKwargs

TOKENS_SAVED = "headroom_tokens_saved"
TOOL_RESULTS = "headroom_tool_results_compressed"
TOOL_RESULT_TOKENS_SAVED = "headroom_tool_result_tokens_saved"
MODEL_INPUT_TOKENS_SAVED = "headroom_model_input_tokens_saved"
SECONDS = "headroom_seconds"


def agno_options(options: CompressOptions | None, kwargs: CompressKwargs) -> CompressOptions:
    """The options in force: ``kwargs`` over ``options``, with context fitting off.

    Raises:
        ValueError: ``fit`` was passed, or a bad value.
        TypeError: an unknown option.
    """
    if "fit" in kwargs:
        raise ValueError(
            "fit is not available in Agno: core's context fitting would restructure the run's "
            "messages; use Agno's own compaction for context-window overflow"
        )
    return dataclasses.replace(CompressOptions.from_kwargs(kwargs, options), fit=False)


def record(metrics: RunMetrics | None, **add: float) -> None:
    """Add to a run's ``additional_metrics`` (Agno sums numeric entries into the session's metrics)."""
    if metrics is None:
        return
    extra = metrics.additional_metrics if metrics.additional_metrics is not None else {}
    for key, value in add.items():
        extra[key] = extra.get(key, 0) + value
    metrics.additional_metrics = extra


def task_queries(messages: Sequence[Message]) -> list[str]:
    """For each message, the latest user text before it: the task its tool result served."""
    out, last = [], ""
    for m in messages:
        out.append(last)
        text = user_text(m)
        if text:
            last = text
    return out
