"""Token counting, offline: exact for OpenAI models, a calibrated estimate for Claude.

* OpenAI: ``o200k_base`` (gpt-4o, gpt-4.1, gpt-4.5, o-series, gpt-5) or ``cl100k_base`` (gpt-4,
  gpt-3.5, embeddings), exact, through quicktok-v1 (ids identical to tiktoken, vocabularies bundled,
  no download).
* Claude: no official offline tokenizer exists. The estimate is ``o200k_base`` count times a factor
  calibrated against ctok (exact on Anthropic's published counts) over the dev benchmark corpus,
  4,000-character chunks of every category, 2,370 chunks per family:

  =====================  ======  ====================  =================
  family                 factor  mean abs. error       90th pct. error
  =====================  ======  ====================  =================
  Claude 3 … 4.6         1.22    5.7 %                 11.9 %
  Claude 4.7 and later   1.56    6.6 %                 14.6 %
  =====================  ======  ====================  =================

  (``benchmarks/calibrate_claude_tokens.py`` re-measures it.) With ``exact_claude=True`` and the
  ``headroom-core[claude-exact]`` extra (ctok, Python ≥ 3.12) counts are exact but ~100× slower.
* Other models (Gemini, Mistral, Llama, ...): ``o200k_base`` counts, reported as an estimate.

Every result names the tokenizer it used (`Tokenizer.name`, `Tokenizer.exact`); nothing falls back
silently.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

CLAUDE_FACTOR_V3 = 1.22
CLAUDE_FACTOR_V47 = 1.56

_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss", "codex")
_CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
_CLAUDE_VERSION = re.compile(r"claude-(?:(?:opus|sonnet|haiku)-(\d+)(?:[-.](\d{1,2})(?!\d))?|(\d+)[-.](\d+))")


class Tokenizer(Protocol):
    """Counts tokens of text for one model family."""

    @property
    def name(self) -> str:
        """What the counts come from, e.g. ``o200k_base`` or ``claude-estimate (o200k_base x 1.22)``."""
        ...

    @property
    def exact(self) -> bool:
        """Whether the counts are exact for the model (False for estimates)."""
        ...

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        ...


_lock = threading.Lock()


@cache
def _encoding(name: str) -> Any:
    import quicktok  # type: ignore[import-untyped]  # quicktok-v1 ships no stubs; loads in ~0.6 s, so lazily

    with _lock:
        return quicktok.get_encoding(name)


def _safe(text: str) -> str:
    # quicktok takes only valid Unicode; lone surrogates (surrogateescape'd bytes) count as U+FFFD.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


@dataclass(frozen=True)
class BPETokenizer:
    """Exact counts with an OpenAI BPE vocabulary (``o200k_base`` or ``cl100k_base``)."""

    encoding: str
    exact: bool = True

    @property
    def name(self) -> str:
        """The encoding name, marked when it only estimates another model's tokenizer."""
        return self.encoding if self.exact else f"{self.encoding} (estimate)"

    def count(self, text: str) -> int:
        """Exact BPE token count (special-token text counts as ordinary text)."""
        return int(_encoding(self.encoding).count(_safe(text))) if text else 0


@dataclass(frozen=True)
class ClaudeEstimateTokenizer:
    """``o200k_base`` count times a calibrated factor (see the module docstring)."""

    factor: float
    exact: bool = False

    @property
    def name(self) -> str:
        """E.g. ``claude-estimate (o200k_base x 1.22)``."""
        return f"claude-estimate (o200k_base x {self.factor})"

    def count(self, text: str) -> int:
        """Estimated Claude token count."""
        return math.ceil(BPETokenizer("o200k_base").count(text) * self.factor) if text else 0


@dataclass(frozen=True)
class ClaudeExactTokenizer:
    """Exact Claude counts through ctok (``headroom-core[claude-exact]``, Python ≥ 3.12)."""

    family: str
    exact: bool = True

    @property
    def name(self) -> str:
        """E.g. ``ctok (4.7)``."""
        return f"ctok ({self.family})"

    def count(self, text: str) -> int:
        """Exact count of ``text`` alone (ctok's one-message frame of 7 tokens is not included)."""
        try:
            from ctok import token_count  # type: ignore[import-not-found, unused-ignore]  # optional extra
        except ImportError as e:  # pragma: no cover - depends on the optional extra
            raise ImportError(
                'exact Claude counts need ctok: pip install "headroom-core[claude-exact]" (Python >= 3.12)'
            ) from e
        if not text:
            return 0
        family = None if self.family == "default" else self.family
        n = token_count(_safe(text), family) if family else token_count(_safe(text))
        return max(int(n) - 7, 0)


def _claude_is_v47(model: str) -> bool:
    m = _CLAUDE_VERSION.search(model)
    if not m:
        return False
    major = int(m[1] or m[3])
    minor = int(m[2] or m[4] or 0)
    return (major, minor) >= (4, 7)


def normalize_model(model: str) -> str:
    """Lower-case model name without a provider prefix (``bedrock/``, ``azure/``, ``anthropic.``...)."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    return re.sub(r"^(?:[a-z]{2}\.)?(?:anthropic|openai)\.", "", name)


def get_tokenizer(model: str, *, exact_claude: bool = False) -> Tokenizer:
    """The tokenizer Headroom counts ``model``'s tokens with.

    Args:
        model: any model name, with or without a provider prefix or date suffix.
        exact_claude: count Claude tokens exactly with ctok instead of the calibrated estimate.
    """
    name = normalize_model(model)
    if "claude" in name:
        v47 = _claude_is_v47(name)
        if exact_claude:
            return ClaudeExactTokenizer("4.7" if v47 else "default")
        return ClaudeEstimateTokenizer(CLAUDE_FACTOR_V47 if v47 else CLAUDE_FACTOR_V3)
    if name.startswith(_O200K_PREFIXES):
        return BPETokenizer("o200k_base")
    if name.startswith(_CL100K_PREFIXES):
        return BPETokenizer("cl100k_base")
    return BPETokenizer("o200k_base", exact=False)
