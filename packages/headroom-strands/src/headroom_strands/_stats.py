"""What Headroom did in a Strands agent, counted once per tool result and once per model call."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class HeadroomStats:
    """What Headroom did for one plugin or model wrapper so far.

    Attributes:
        tool_results: tool results compressed as they were produced.
        tool_result_tokens_saved: tokens those results lost (once per result; every later model
            call that carries the result saves them again).
        model_calls: model calls whose input went through Headroom.
        model_call_tokens_saved: tokens removed from those calls' input, summed over the calls.
        seconds: time spent compressing.
    """

    tool_results: int = 0
    tool_result_tokens_saved: int = 0
    model_calls: int = 0
    model_call_tokens_saved: int = 0
    seconds: float = 0.0

    @property
    def tokens_saved(self) -> int:
        """All tokens saved: tool results when produced plus model-call input."""
        return self.tool_result_tokens_saved + self.model_call_tokens_saved


class Tally:
    """A thread-safe `HeadroomStats` that only grows."""

    def __init__(self) -> None:
        self._stats = HeadroomStats()
        self._lock = threading.Lock()

    @property
    def stats(self) -> HeadroomStats:
        """A snapshot of the counters."""
        with self._lock:
            return self._stats

    def add(self, **add: float) -> None:
        """Add to the named counters."""
        with self._lock:
            s = self._stats
            self._stats = dataclasses.replace(s, **{k: getattr(s, k) + v for k, v in add.items()})
