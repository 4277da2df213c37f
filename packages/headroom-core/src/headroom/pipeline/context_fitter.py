"""ContextFitter: fit a request into the model's context window when compression alone did not.

This first version only passes messages through; dropping or collapsing the lowest-value turns into
the store comes with the context-fitting work (it needs the model registry's context limits).
"""

from __future__ import annotations

from headroom.formats import Message


def fit(messages: list[Message]) -> list[Message]:
    """Return ``messages`` unchanged."""
    return messages
