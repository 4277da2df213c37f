"""Token counting: exact for OpenAI encodings offline, a named estimate for Claude, never silent."""

from __future__ import annotations

import pytest
from headroom.tokens import (
    CLAUDE_FACTOR_V3,
    CLAUDE_FACTOR_V47,
    BPETokenizer,
    ClaudeEstimateTokenizer,
    get_tokenizer,
    normalize_model,
)


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("azure/gpt-4o", "o200k_base"),
        ("openai/gpt-5-codex", "o200k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("mistral-large-latest", "o200k_base (estimate)"),
    ],
)
def test_openai_models_get_their_exact_encoding(model: str, name: str) -> None:
    tok = get_tokenizer(model)
    assert tok.name == name
    assert tok.exact == ("estimate" not in name)


def test_known_counts() -> None:
    # Reference counts from tiktoken for the same strings.
    o200k, cl100k = BPETokenizer("o200k_base"), BPETokenizer("cl100k_base")
    assert o200k.count("hello world") == 2
    assert cl100k.count("hello world") == 2
    assert o200k.count("") == 0
    assert o200k.count("<|endoftext|>") > 1, "special-token text counts as ordinary text"
    assert o200k.count("bad byte \udcff here") > 0


@pytest.mark.parametrize(
    ("model", "factor"),
    [
        ("claude-sonnet-4-5-20250929", CLAUDE_FACTOR_V3),
        ("claude-3-5-sonnet-20241022", CLAUDE_FACTOR_V3),
        ("claude-opus-4-1", CLAUDE_FACTOR_V3),
        ("claude-opus-4-7", CLAUDE_FACTOR_V47),
        ("claude-opus-5", CLAUDE_FACTOR_V47),
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", CLAUDE_FACTOR_V3),
        ("anthropic/claude-haiku-4-5", CLAUDE_FACTOR_V3),
    ],
)
def test_claude_gets_a_named_calibrated_estimate(model: str, factor: float) -> None:
    tok = get_tokenizer(model)
    assert isinstance(tok, ClaudeEstimateTokenizer) and tok.factor == factor
    assert not tok.exact and "estimate" in tok.name
    text = "def parse(args):\n    return [a.strip() for a in args]\n" * 20
    assert tok.count(text) == -(-BPETokenizer("o200k_base").count(text) * factor // 1)


def test_model_names_are_normalised() -> None:
    assert normalize_model("bedrock/us.anthropic.claude-sonnet-4-5-v1:0") == "claude-sonnet-4-5-v1:0"
    assert normalize_model("Azure/GPT-4o") == "gpt-4o"
