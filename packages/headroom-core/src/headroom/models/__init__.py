"""Model registry: context limits, output caps and list prices of current LLMs, by any spelling of their name.

Used by the context fitter (how much fits), cost tracking and reports (what a request costs)::

    from headroom.models import cost, get_model

    info = get_model("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    info.name, info.context_window, info.input_limit(output_reserve=8_192)  # ('claude-sonnet-4-5', 200000, 191808)
    cost("gpt-4o-mini-2024-07-18", input_tokens=10_000, output_tokens=500)  # 0.0018

**Prices change.** The built-in table (``headroom/models/models.json``) is a snapshot of published list
prices; its ``as_of`` date and each provider's ``source`` note say where the numbers come from. It
knows nothing of negotiated discounts, batch or priority tiers, long-context surcharges (Gemini Pro and
Anthropic's 1M beta above 200k tokens) or regional uplifts. Correct or extend it with an override file
of the same schema: ``$HEADROOM_MODELS_FILE``, else ``$HEADROOM_HOME/models.json`` (default
``~/.headroom``) if it exists. Entries in it add models, or override a built-in model field by field::

    {"models": {
        "claude-sonnet-4-5": {"cache_write_per_mtok": 6.0},
        "my-azure-deployment": {"provider": "azure", "context_window": 128000, "max_output": 16384,
                                "input_per_mtok": 2.5, "output_per_mtok": 10.0}}}

The module-level functions use a default registry built on the first lookup (nothing is read at
import); `set_default_registry` replaces or resets it. A malformed override file raises
`ModelRegistryError` naming the file and the problem on that first lookup.
"""

from __future__ import annotations

import threading
from typing import Literal

from headroom.models._images import ImageRule, image_rule
from headroom.models._info import ModelInfo
from headroom.models._names import normalize_model_name
from headroom.models._registry import MODELS_FILE_ENV, ModelRegistry, ModelRegistryError, load_registry

__all__ = [
    "MODELS_FILE_ENV",
    "ImageRule",
    "ModelInfo",
    "ModelRegistry",
    "ModelRegistryError",
    "cost",
    "default_registry",
    "get_model",
    "get_model_or_default",
    "image_rule_for",
    "image_tokens",
    "load_registry",
    "normalize_model_name",
    "set_default_registry",
]

# The process-wide default registry, built on the first lookup, never at import (like the default store).
_default_lock = threading.Lock()
_default: ModelRegistry | None = None


def default_registry() -> ModelRegistry:
    """The process-wide registry: `load_registry()` on the first call, the same object afterwards.

    Raises:
        ModelRegistryError: the user's override file is unreadable or malformed (the next call tries again).
    """
    global _default
    registry = _default
    if registry is not None:
        return registry
    with _default_lock:
        if _default is None:
            _default = load_registry()
        return _default


def set_default_registry(registry: ModelRegistry | None) -> None:
    """Replace the process-wide registry; ``None`` forgets it, so the next lookup reads the environment again."""
    global _default
    with _default_lock:
        _default = registry


def get_model(name: str) -> ModelInfo | None:
    """The default registry's entry for ``name`` in any spelling, or ``None`` if it is unknown.

    See `ModelRegistry.get` for the matching rules (exact name first, then the longest registered
    prefix, never an older minor version).
    """
    return default_registry().get(name)


def get_model_or_default(name: str, *, context_window: int = 128_000, max_output: int = 4_096) -> ModelInfo:
    """`get_model`, or a stand-in with ``known=False``, the given limits and no prices.

    For callers that must pick a context limit anyway (the context fitter): the stand-in's ``cost``
    returns ``None``, and ``known`` tells the caller to say that the limit was a guess.
    """
    return default_registry().get_or_default(name, context_window=context_window, max_output=max_output)


def cost(
    model: str | ModelInfo,
    *,
    input_tokens: int,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float | None:
    """List-price cost in USD of one request, or ``None`` for an unknown model.

    The counts are disjoint: ``input_tokens`` excludes cache reads and writes (Anthropic's ``usage``
    convention; from OpenAI's usage pass ``prompt_tokens - cached_tokens``). Cache tokens of a model
    whose provider has no separate cache price are billed at the input price.

    Raises:
        ValueError: a count is negative.
    """
    return default_registry().cost(
        model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
    )


def image_rule_for(model: str) -> ImageRule:
    """How ``model`` (any spelling) counts image input tokens; see `headroom.models._images`."""
    info = default_registry().get(model)
    if info is not None:
        return image_rule(info.name, info.provider)
    return image_rule(normalize_model_name(model))


def image_tokens(model: str, width: int, height: int, detail: Literal["auto", "low", "high"] = "auto") -> int:
    """Input tokens ``model`` charges for one ``width`` x ``height`` image sent with ``detail``.

    Exact per the provider's published rule (its own downscale first, then Anthropic's
    ``w*h/750``, OpenAI's 512 px tiles or 32 px patches, Gemini's 768 px tiles).
    """
    return image_rule_for(model).tokens(width, height, detail)
