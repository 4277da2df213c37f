"""What `headroom.compress` returns: the new messages and an honest account of what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from headroom.formats import PathPart
    from headroom.pipeline.cache_aligner import CacheReport
    from headroom.pipeline.context_fitter import FitReport

__all__ = ["BlockReport", "BlockStatus", "CompressResult", "Edit", "TextResult"]

BlockStatus = Literal["compressed", "unchanged", "too_small", "skipped", "not_smaller", "error"]


@dataclass(frozen=True)
class BlockReport:
    """One report per compressible block.

    Attributes:
        index: index of the message holding the block.
        kind: ``"tool_result"`` or ``"user_text"``.
        content_type: what the router detected (``"json"``, ``"log"``, ...), or None if not routed.
        compressor: the compressor that ran, or None.
        tokens_before: tokens of the block as sent.
        tokens_after: tokens of the block as it leaves (equal to before when unchanged).
        seconds: time spent on the block (routing, compression, counting, storing).
        status: ``compressed``; ``unchanged`` (no compressor or nothing to do); ``too_small``;
            ``skipped`` (protected: a retrieved original, the task message); ``not_smaller`` (the
            output was not smaller, so the original was kept); ``error`` (the compressor or the store
            failed; the original was kept).
        ref: the ref of the stored original when markers were written.
        error: the exception text when ``status == "error"``.
        note: what the compressor said about its path, e.g. why the ML backend was not used.
    """

    index: int
    kind: str
    content_type: str | None
    compressor: str | None
    tokens_before: int
    tokens_after: int
    seconds: float
    status: BlockStatus
    ref: str | None = None
    error: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Edit:
    """One block the compressors replaced, in the coordinates of the messages as given.

    Attributes:
        index: index of the message (or Responses item) holding the block.
        path: keys and indices from that message down to the string, e.g. ``("content",)`` or
            ``("content", 2, "text")``; `headroom.formats` slots use the same paths.
        old: the string as given.
        new: the string as sent (compressed text with markers).
        tokens_saved: tokens the block lost (an integration that sends the same block on every
            call counts this once per block, not per call).
    """

    index: int
    path: tuple[PathPart, ...]
    old: str
    new: str
    tokens_saved: int = 0


@dataclass(frozen=True)
class CompressResult:
    """The compressed messages and the account of it.

    Attributes:
        messages: the caller's messages, same structure and keys, with compressed blocks replaced.
        tokens_before: tokens of the request as given (messages, plus ``system`` and ``tools`` when passed).
        tokens_after: tokens as sent, including markers and the ``headroom_retrieve`` tool definition
            when one is needed.
        refs: refs named by markers in ``messages``.
        tools: ``[headroom_retrieve definition]`` in the caller's format when ``refs`` is non-empty.
        blocks: one `BlockReport` per compressible block.
        format: the message format used (``"openai"``, ``"anthropic"`` or ``"responses"``).
        model: the model name given.
        tokenizer: the tokenizer the counts come from (``"o200k_base"``, ``"claude-estimate (...)"``).
        tokens_exact: whether that tokenizer is exact for the model.
        seconds: wall time of the whole call.
        stages: seconds per pipeline stage (parse, cache_align, compress, fit, render).
        cache: what the CacheAligner saw: the last cache breakpoint, frozen blocks, volatile values.
        fit: what the ContextFitter did (``fit.budget`` is None when no context limit is known).
        system: the system prompt to send (the one given, unless ``volatile="move"`` changed it).
        edits: the blocks the compressors replaced, in message order. An integration that keeps
            messages in its own types writes these back instead of comparing before and after. With
            ``fit`` off and ``volatile="report"`` they are every change to ``messages``; the
            ContextFitter and ``volatile="move"`` may change more (see ``fit`` and ``cache``).
    """

    messages: list[dict[str, Any]]
    tokens_before: int
    tokens_after: int
    refs: list[str]
    tools: list[dict[str, Any]]
    blocks: list[BlockReport]
    format: str
    model: str
    tokenizer: str
    tokens_exact: bool
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    cache: CacheReport | None = None
    fit: FitReport | None = None
    system: Any = None
    edits: tuple[Edit, ...] = ()

    @property
    def tokens_saved(self) -> int:
        """``tokens_before - tokens_after``.

        Negative only when the messages already carried markers (from an earlier compression) and
        nothing new was saved: the ``headroom_retrieve`` definition they need is then counted.
        """
        return self.tokens_before - self.tokens_after

    @property
    def compression_ratio(self) -> float:
        """The fraction of tokens saved, so ``f"{r.compression_ratio:.0%}"`` prints the savings."""
        return self.tokens_saved / self.tokens_before if self.tokens_before else 0.0


@dataclass(frozen=True)
class TextResult:
    """What `headroom.compress_text` returns.

    Attributes:
        text: the compressed content (the original when nothing was worth doing).
        refs: refs named by markers in ``text``; `headroom.retrieve` brings the originals back.
        tokens_before: tokens of the content as given.
        tokens_after: tokens of ``text``.
        block: the pipeline's report on the content (type detected, compressor, status, time).
    """

    text: str
    refs: list[str]
    tokens_before: int
    tokens_after: int
    block: BlockReport | None = None

    @property
    def tokens_saved(self) -> int:
        """``tokens_before - tokens_after``."""
        return self.tokens_before - self.tokens_after

    @property
    def compression_ratio(self) -> float:
        """The fraction of tokens saved."""
        return self.tokens_saved / self.tokens_before if self.tokens_before else 0.0
