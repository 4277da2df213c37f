"""Token usage as each API reports it: read it from bodies and events, sum it over retrieval rounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Usage", "add_usage", "max_usage", "usage_object", "usage_of"]


@dataclass(frozen=True)
class Usage:
    """Billable tokens, disjoint as `headroom.models.cost` wants them.

    Attributes:
        input: uncached input tokens.
        output: output tokens.
        cache_read: input tokens read from the prompt cache.
        cache_write: input tokens written to the prompt cache.
    """

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
        )

    @property
    def total(self) -> int:
        """Every token counted."""
        return self.input + self.output + self.cache_read + self.cache_write


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_of(api: str, usage: Mapping[str, Any] | None) -> Usage:
    """`Usage` from a provider ``usage`` object of ``api``'s shape (zeros when absent)."""
    if not isinstance(usage, Mapping):
        return Usage()
    if api.startswith("anthropic"):
        return Usage(
            _int(usage.get("input_tokens")),
            _int(usage.get("output_tokens")),
            _int(usage.get("cache_read_input_tokens")),
            _int(usage.get("cache_creation_input_tokens")),
        )
    if api == "openai-chat":
        details = usage.get("prompt_tokens_details")
        cached = _int(details.get("cached_tokens")) if isinstance(details, Mapping) else 0
        return Usage(max(_int(usage.get("prompt_tokens")) - cached, 0), _int(usage.get("completion_tokens")), cached)
    details = usage.get("input_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, Mapping) else 0
    return Usage(max(_int(usage.get("input_tokens")) - cached, 0), _int(usage.get("output_tokens")), cached)


def usage_object(api: str, obj: Any) -> Mapping[str, Any] | None:
    """The ``usage`` object inside a response body or a stream event of ``api``, if it has one."""
    if not isinstance(obj, Mapping):
        return None
    usage = obj.get("usage")
    if isinstance(usage, Mapping):
        return usage
    inner = obj.get("message") if api.startswith("anthropic") else obj.get("response")
    if isinstance(inner, Mapping) and isinstance(inner.get("usage"), Mapping):
        return inner["usage"]  # type: ignore[no-any-return]
    return None


def add_usage(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """Two usage objects of the same API summed field by field (nested detail objects too)."""
    out: dict[str, Any] = dict(a or {})
    for key, value in (b or {}).items():
        mine = out.get(key)
        if isinstance(value, Mapping):
            out[key] = add_usage(mine if isinstance(mine, Mapping) else None, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = _int(mine) + value
        elif key not in out:
            out[key] = value
    return out


def max_usage(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """Field-wise maximum: Anthropic streams report cumulative counts in several events of one message."""
    out: dict[str, Any] = dict(a or {})
    for key, value in (b or {}).items():
        mine = out.get(key)
        if isinstance(value, Mapping):
            out[key] = max_usage(mine if isinstance(mine, Mapping) else None, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = max(_int(mine), value)
        elif value is not None or key not in out:
            out[key] = value
    return out
