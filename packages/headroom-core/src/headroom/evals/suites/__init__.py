"""The eval suites. Each has ``build(size, data)`` returning its cases; ``size`` is ``"ci"`` (a small
deterministic subset) or ``"full"`` (the benchmark run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from headroom.evals.cases import Case
from headroom.evals.data import DataSource

__all__ = ["SUITES", "Size", "build"]

Size = Literal["ci", "full"]
SUITES = ("toolqa", "needle", "bfcl", "gsm8k")


def build(name: str, size: Size, data: DataSource) -> list[Case]:
    """The cases of suite ``name`` at ``size``."""
    builder: Callable[[Size, DataSource], list[Case]]
    if name == "toolqa":
        from headroom.evals.suites.toolqa import build as builder
    elif name == "needle":
        from headroom.evals.suites.needle import build as builder
    elif name == "bfcl":
        from headroom.evals.suites.bfcl import build as builder
    elif name == "gsm8k":
        from headroom.evals.suites.gsm8k import build as builder
    else:
        raise ValueError(f"unknown suite {name!r}; expected one of {', '.join(SUITES)}")
    return builder(size, data)
