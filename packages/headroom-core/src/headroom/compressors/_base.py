"""The compressor protocol: what every per-type compressor receives and returns."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from headroom.compressors._terms import STOPWORDS, terms_of

__all__ = ["STOPWORDS", "Compressor", "ContentType", "Detection", "TaskContext"]


class ContentType(str, enum.Enum):
    """What a block holds; decides which compressor handles it."""

    JSON = "json"
    CODE = "code"
    LOG = "log"
    SEARCH = "search"
    DIFF = "diff"
    HTML = "html"
    TEXT = "text"


@dataclass(frozen=True)
class TaskContext:
    """What the agent was doing when the block was produced.

    Attributes:
        query: the user text that preceded the block's own tool call (never the conversation's
            latest message, so a block's compression does not change as the conversation grows),
            or the caller's explicit ``query=``.
        tool_name: the tool whose output this block is, when known.
        tool_args: that tool call's arguments.
    """

    query: str = ""
    tool_name: str | None = None
    tool_args: Mapping[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        """A stable string identifying this context (part of the memo key)."""
        args = json.dumps(self.tool_args, sort_keys=True, ensure_ascii=False, default=str)
        return json.dumps([self.query, self.tool_name, args], ensure_ascii=False)

    @cached_property
    def terms(self) -> frozenset[str]:
        """The terms (`headroom.compressors._terms`) of the query and the tool arguments."""
        args = json.dumps(self.tool_args, ensure_ascii=False, default=str)
        return frozenset(terms_of(f"{self.query} {args}"))


@dataclass(frozen=True)
class Detection:
    """The router's verdict on one block."""

    type: ContentType
    language: str | None = None


class Compressor(Protocol):
    """Compresses one block of one content type.

    Implementations are deterministic: the same ``text`` and ``task`` give the same output in any
    process. Omitted content is announced with `headroom.markers.format_marker` naming ``ref``;
    the pipeline stores the original under ``ref`` before the output leaves it, and keeps the
    original block if the output is not smaller or the compressor raises.
    """

    @property
    def name(self) -> str:
        """Short stable name, reported in `BlockReport.compressor` and part of the memo key."""
        ...

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """Return the compressed text, or None when there is nothing worth doing."""
        ...
