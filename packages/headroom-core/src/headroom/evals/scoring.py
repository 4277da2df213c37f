"""Paired statistics: accuracy on each side, a paired-bootstrap interval, a non-inferiority verdict."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.evals.harness import Record

__all__ = ["Summary", "paired_bootstrap", "summarize"]


def paired_bootstrap(
    original: Sequence[bool], compressed: Sequence[bool], *, resamples: int = 2000, seed: int = 0
) -> tuple[tuple[float, float], tuple[float, float]]:
    """95 % percentile intervals of (compressed accuracy, compressed − original), resampling probes.

    The same probes are drawn for both sides (the pairing), so the interval of the difference is
    much narrower than two independent intervals would suggest. Deterministic for a given seed.
    """
    n = len(original)
    if n == 0:
        return (0.0, 0.0), (0.0, 0.0)
    rng = random.Random(seed)
    accs, diffs = [], []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        c = sum(compressed[i] for i in idx) / n
        accs.append(c)
        diffs.append(c - sum(original[i] for i in idx) / n)
    accs.sort()
    diffs.sort()
    lo, hi = int(0.025 * resamples), min(resamples - 1, int(0.975 * resamples))
    return (accs[lo], accs[hi]), (diffs[lo], diffs[hi])


@dataclass(frozen=True)
class Summary:
    """One row of the table.

    Attributes:
        name: the suite (or suite/group).
        n: probes.
        original: accuracy on the original context.
        compressed: accuracy on the compressed one.
        compressed_ci: its 95 % paired-bootstrap interval.
        diff_ci: the interval of compressed − original.
        margin: the non-inferiority margin (accuracy points, as a fraction).
        non_inferior: the lower bound of ``diff_ci`` is above ``-margin``.
        tokens_before, tokens_after: context tokens per probe summed (Headroom's count).
        input_original, input_compressed: prompt tokens the model reported, every request of every
            probe (retrieval rounds included).
        retrievals: ``headroom_retrieve`` rounds per probe.
        inline: probes answered right on the compressed side without retrieving, as a fraction.
        kept: probes whose answer is still in the compressed text, as a fraction of those with a
            known answer string (None when there are none).
    """

    name: str
    n: int
    original: float
    compressed: float
    compressed_ci: tuple[float, float]
    diff_ci: tuple[float, float]
    margin: float
    non_inferior: bool
    tokens_before: int
    tokens_after: int
    input_original: int
    input_compressed: int
    retrievals: float
    inline: float
    kept: float | None = None

    @property
    def saved(self) -> float:
        """The fraction of context tokens saved."""
        return 1 - self.tokens_after / self.tokens_before if self.tokens_before else 0.0

    @property
    def input_saved(self) -> float:
        """The fraction of the model's prompt tokens saved, retrieval rounds included."""
        return 1 - self.input_compressed / self.input_original if self.input_original else 0.0


def summarize(name: str, records: Sequence[Record], *, margin: float = 0.03, seed: int = 0) -> Summary:
    """The row for ``records``."""
    n = len(records)
    o = [r.original_ok for r in records]
    c = [r.compressed_ok for r in records]
    acc_ci, diff_ci = paired_bootstrap(o, c, seed=seed)
    known = [r.answer_kept for r in records if r.answer_kept is not None]
    return Summary(
        name=name,
        n=n,
        original=sum(o) / n if n else 0.0,
        compressed=sum(c) / n if n else 0.0,
        compressed_ci=acc_ci,
        diff_ci=diff_ci,
        margin=margin,
        non_inferior=n > 0 and diff_ci[0] > -margin,
        tokens_before=sum(r.tokens_before for r in records),
        tokens_after=sum(r.tokens_after for r in records),
        input_original=sum(r.original.input_tokens for r in records),
        input_compressed=sum(r.compressed.input_tokens for r in records),
        retrievals=sum(r.compressed.rounds for r in records) / n if n else 0.0,
        inline=sum(r.compressed_ok and r.compressed.rounds == 0 for r in records) / n if n else 0.0,
        kept=sum(bool(k) for k in known) / len(known) if known else None,
    )
