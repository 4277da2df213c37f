"""Model-name normalisation: provider prefixes, cloud ids, router variants and snapshot suffixes.

Two stages, so that a registry can hold a dated entry (``gpt-4o-2024-05-13``, priced differently from
``gpt-4o``) and still map every other snapshot onto its family:

* `base_model_name` takes away what only says *where* the model runs: the path of a provider or
  router (``bedrock/``, ``openrouter/anthropic/``), a Bedrock region and vendor (``us.anthropic.``) with
  its ``-v1:0`` version, a Vertex ``@20250805`` version, an OpenRouter ``:free`` variant, and spells
  the family the way the registry does (``claude-3.5-sonnet`` → ``claude-3-5-sonnet``,
  ``gpt-35-turbo`` → ``gpt-3.5-turbo``, ``llama3-3-70b`` → ``llama-3.3-70b``).
* `normalize_model_name` also drops *when* it was snapshotted: ``-20250929``, ``-2024-08-06``,
  ``-0613``, ``-latest``, ``-preview``/``-exp`` and the dates after them.
"""

from __future__ import annotations

import re

__all__ = ["base_model_name", "normalize_model_name"]

# Bedrock model ids: an optional cross-region inference prefix, then the vendor.
_BEDROCK_VENDOR = re.compile(
    r"^(?:(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\.)?"
    r"(?:anthropic|meta|mistral|openai|deepseek|qwen|amazon|cohere|ai21|writer)\."
)
# Bedrock's ``-v1:0`` / ``-1:0`` / ``:0`` version. A bare ``-v3`` is left alone: it is part of names
# like deepseek-v3.
_BEDROCK_VERSION = re.compile(r"(?:-v?\d+)?:\d+$")
_VERTEX_VERSION = re.compile(r"@[\w.-]*$")
_ROUTER_VARIANT = re.compile(r":(?:free|beta|thinking|extended|nitro|floor|online|exacto)$")
# Ollama-style size tags: ``gpt-oss:120b``, ``llama3.3:70b``.
_SIZE_TAG = re.compile(r":(\d+(?:\.\d+)?[bm])$")
_CLAUDE_DOTTED = re.compile(r"(?<=\d)\.(?=\d)")
_CLAUDE_ZERO_MINOR = re.compile(r"^(claude-(?:opus|sonnet|haiku)-\d+)-0$")
_LLAMA_COMPACT = re.compile(r"^llama(\d+)(?:[.-](\d+))?(?=-|$)")
_SNAPSHOT_SUFFIXES = (
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # -2024-08-06
    re.compile(r"-\d{8}$"),  # -20250929
    re.compile(r"-\d{2}-\d{4}$"),  # -09-2025 (Gemini previews)
    re.compile(r"-\d{2}-\d{2}$"),  # -05-20 (Gemini previews)
    re.compile(r"-\d{4}$"),  # -0613, -1106, Mistral's -2411
    re.compile(r"-(?:latest|preview|exp)$"),
)


def base_model_name(name: str) -> str:
    """Lower-case ``name`` without its provider path, cloud id parts and router variant.

    Snapshot suffixes stay, so ``gpt-4o-2024-05-13`` can have an entry of its own.

    Args:
        name: a model name as a caller or a provider spells it.

    Returns:
        The name without provider-specific decoration, e.g. ``us.anthropic.claude-sonnet-4-5-20250929-v1:0``
        → ``claude-sonnet-4-5-20250929``.
    """
    s = name.strip().lower().rsplit("/", 1)[-1]
    s = _VERTEX_VERSION.sub("", s)
    s = _ROUTER_VARIANT.sub("", s)
    s = _BEDROCK_VENDOR.sub("", s)
    s = _BEDROCK_VERSION.sub("", s)
    s = _SIZE_TAG.sub(r"-\1", s)
    return _respell(s)


def normalize_model_name(name: str) -> str:
    """The registry's spelling of ``name``: `base_model_name` without snapshot suffixes.

    Examples: ``bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0`` → ``claude-sonnet-4-5``;
    ``claude-opus-4-1@20250805`` → ``claude-opus-4-1``; ``openrouter/anthropic/claude-3.5-sonnet`` →
    ``claude-3-5-sonnet``; ``azure/gpt-4o-2024-08-06`` → ``gpt-4o``; ``gpt-4-0613`` → ``gpt-4``;
    ``gemini-2.5-flash-preview-05-20`` → ``gemini-2.5-flash``; ``mistral-large-latest`` → ``mistral-large``.

    Args:
        name: a model name as a caller or a provider spells it.

    Returns:
        The normalised name. It need not be a registered model.
    """
    s = base_model_name(name)
    while True:
        for pattern in _SNAPSHOT_SUFFIXES:
            stripped = pattern.sub("", s)
            if stripped != s and stripped:
                s = stripped
                break
        else:
            return s


def _respell(s: str) -> str:
    """Spell families the way the registry does."""
    if s.startswith("claude"):
        s = _CLAUDE_DOTTED.sub("-", s)  # OpenRouter: claude-3.5-sonnet, claude-sonnet-4.5
        return _CLAUDE_ZERO_MINOR.sub(r"\1", s)  # Anthropic's alias claude-sonnet-4-0
    if s.startswith("gpt-35"):
        return "gpt-3.5" + s[len("gpt-35") :]  # Azure's spelling
    if s.startswith("meta-llama"):
        s = s[len("meta-") :]  # Meta-Llama-3.1-8B-Instruct
    if s.startswith("llama"):
        return _LLAMA_COMPACT.sub(_llama_version, s, count=1)
    if s.startswith(("open-mistral-", "open-mixtral-", "open-codestral-")):
        return s[len("open-") :]
    return s


def _llama_version(m: re.Match[str]) -> str:
    major, minor = m[1], m[2]
    return f"llama-{major}.{minor}" if minor else f"llama-{major}"
