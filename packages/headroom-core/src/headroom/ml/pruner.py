"""Token-classification pruning, LLMLingua-2 style: a keep-probability per token, per word, per unit.

A token classifier (BERT, XLM-R, ModernBERT, ... with a 2-label head, label 1 meaning "keep" as in
LLMLingua-2) reads the text in windows of at most its maximum length. Each token's keep-probability is
the softmax of its logits; a word's is the mean over its tokens (words are whitespace-separated runs
of the original text, mapped through the fast tokenizer's character offsets, so any tokenizer works
and no model family is hard-coded). `TokenClassifier.prune` keeps the top share of words, or those
over a threshold, in their original order.

Inside the pipeline, `MLPruner` serves `TextCompressor` a keep-probability per *unit* (sentence,
list item, table...), the mean over its words: units are then kept verbatim or left out behind a
marker, because Headroom never rewrites a line into something it did not say (DESIGN.md, "Ground
truth stays true"). Word-level pruning stays available to library users through `prune`.

Runs are deterministic: `torch.inference_mode`, float32 weights, a fixed thread count (set when the
model loads) and windows that depend only on the text.
"""

from __future__ import annotations

import math
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from headroom.compressors.text import PrunerSkipped, TextCompressor
from headroom.ml import _deps
from headroom.ml.loader import ModelSpec, ModelUnavailable, load_pretrained, max_window
from headroom.ml.manager import ModelManager

_WORD = re.compile(r"\S+")
_WARMUP = (
    "The deployment failed because the migration timed out after 300 seconds on the orders table. "
    "Retrying with a smaller batch size fixed it, and the service has been healthy since 14:02 UTC. "
)


class BudgetExceeded(TimeoutError):
    """The per-request time budget ran out (or would have); the message says which, in stable words."""


@dataclass(frozen=True)
class WordScore:
    """One whitespace-separated word of the original text and its keep-probability.

    Attributes:
        start: offset of its first character.
        end: offset just past its last character.
        keep: mean keep-probability of its tokens, in [0, 1] (1 when the tokenizer saw none).
    """

    start: int
    end: int
    keep: float


@dataclass(frozen=True)
class PrunedText:
    """The outcome of word-level pruning.

    Attributes:
        source: the original text.
        words: every word with its keep-probability.
        keep: whether each word was kept.
    """

    source: str
    words: tuple[WordScore, ...]
    keep: tuple[bool, ...]

    @property
    def text(self) -> str:
        """The kept words in order, separated by a line break where the original had one, else a space."""
        out: list[str] = []
        prev = None
        for w, kept in zip(self.words, self.keep, strict=True):
            if not kept:
                continue
            if prev is not None:
                out.append("\n" if "\n" in self.source[prev : w.start] else " ")
            out.append(self.source[w.start : w.end])
            prev = w.end
        return "".join(out)

    @property
    def kept_share(self) -> float:
        """Share of the words kept (1.0 for a text without words)."""
        return sum(self.keep) / len(self.keep) if self.keep else 1.0


def select_words(
    scores: Sequence[float], *, keep_ratio: float | None = None, threshold: float | None = None
) -> list[bool]:
    """Which words to keep: those at or over ``threshold``, else the top ``keep_ratio`` share.

    Ties go to the earlier word, so the choice is deterministic; the order of words never changes.

    Raises:
        ValueError: when neither or both of ``keep_ratio`` and ``threshold`` are given.
    """
    if (keep_ratio is None) == (threshold is None):
        raise ValueError("give exactly one of keep_ratio and threshold")
    if threshold is not None:
        return [s >= threshold for s in scores]
    assert keep_ratio is not None
    k = min(len(scores), math.ceil(max(0.0, keep_ratio) * len(scores)))
    keep = [False] * len(scores)
    for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]:
        keep[i] = True
    return keep


def unit_scores(words: Sequence[WordScore], spans: Sequence[tuple[int, int]]) -> list[float]:
    """Mean keep-probability of the words overlapping each span (spans in order, not overlapping).

    A span without words scores 0. Linear in words + spans.
    """
    out, j = [], 0
    for start, end in spans:
        while j < len(words) and words[j].end <= start:
            j += 1
        total, n, k = 0.0, 0, j
        while k < len(words) and words[k].start < end:
            total, n, k = total + words[k].keep, n + 1, k + 1
        out.append(total / n if n else 0.0)
    return out


def _keep_index(config: Any, keep_label: int | str) -> int:
    n = int(getattr(config, "num_labels", 0))
    if isinstance(keep_label, str):
        names = {str(k).lower(): int(v) for k, v in (getattr(config, "label2id", None) or {}).items()}
        if keep_label.lower() not in names:
            raise ModelUnavailable(f"keep label {keep_label!r} is not one of the model's labels {sorted(names)}")
        index = names[keep_label.lower()]
    else:
        index = keep_label
    if n < 2 or not 0 <= index < n:
        raise ModelUnavailable(f"a token classifier with >= 2 labels and keep label {index} is needed; it has {n}")
    return index


def _special_frame(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after one sequence ([CLS] … [SEP], <s> … </s>)."""
    plain = list(tokenizer("a", add_special_tokens=False)["input_ids"])
    full = list(tokenizer("a", add_special_tokens=True)["input_ids"])
    for i in range(len(full) - len(plain) + 1):
        if full[i : i + len(plain)] == plain:
            return full[:i], full[i + len(plain) :]
    return [], []


class TokenClassifier:
    """A loaded token-classification model and its fast tokenizer; thread-safe (one run at a time).

    Build it with `TokenClassifier.load` (off the request path), or from objects you already hold.

    Args:
        model: a transformers ``*ForTokenClassification`` model in eval mode.
        tokenizer: its fast tokenizer.
        name: a short name for markers and reports.
        keep_index: the label index meaning "keep".
        window: the longest token window, special tokens included.
        batch_size: windows per forward pass.
    """

    def __init__(
        self, model: Any, tokenizer: Any, *, name: str, keep_index: int = 1, window: int = 512, batch_size: int = 1
    ) -> None:
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self.keep_index, self.batch_size = keep_index, max(1, batch_size)
        self._prefix, self._suffix = _special_frame(tokenizer)
        self.window = window
        self._step = max(1, window - len(self._prefix) - len(self._suffix))
        self._pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._lock = threading.Lock()
        self.ms_per_token: float | None = None  # best speed seen (warm_up, then every full-window run)

    @classmethod
    def load(cls, spec: ModelSpec) -> TokenClassifier:
        """Load from ``spec`` (local files only) and warm up once, which also measures its speed.

        Raises:
            ImportError: the ``ml`` extra or torch is missing.
            ModelUnavailable: the model is not on disk, cannot be read, or is no fit.
        """
        model, tokenizer, _ = load_pretrained(spec, "AutoModelForTokenClassification")
        keep = _keep_index(model.config, spec.keep_label)
        out = cls(
            model,
            tokenizer,
            name=spec.label,
            keep_index=keep,
            window=max_window(spec, model, tokenizer),
            batch_size=spec.batch_size,
        )
        out.warm_up()
        return out

    def describe(self) -> dict[str, str]:
        """What `headroom doctor` shows about the model."""
        config = self.model.config
        params = sum(int(p.numel()) for p in self.model.parameters())
        speed = "unmeasured" if self.ms_per_token is None else f"{1000 * self.ms_per_token:.1f}"
        return {
            "model_type": str(getattr(config, "model_type", "?")),
            "parameters": f"{params:,}",
            "labels": str(getattr(config, "num_labels", "?")),
            "keep_label": str(self.keep_index),
            "window": str(self.window),
            "threads": str(_deps.torch().get_num_threads()),
            "ms_per_1k_tokens": speed,
        }

    def warm_up(self, runs: int = 3) -> None:
        """Run the model a few times on a sample of two windows, which also measures its speed.

        The first calls of a fresh model are much slower than later ones (kernel selection, thread
        pools), so the best run sets ``ms_per_token``; later full-window runs can only lower it. A
        text is refused up front only when even that best speed could not finish it in time.
        """
        sample = _WARMUP * max(1, self._step // 15)
        for _ in range(max(1, runs) + 1):
            self.word_scores(sample)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without special tokens."""
        return len(self._encode(text)[0])

    def _encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        enc = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False
        )
        return list(enc["input_ids"]), [(int(s), int(e)) for s, e in enc["offset_mapping"]]

    def _token_probs(
        self, text: str, deadline: float | None, max_tokens: int | None
    ) -> tuple[list[tuple[int, int]], list[float]]:
        ids, offsets = self._encode(text)
        if max_tokens is not None and len(ids) > max_tokens:
            raise BudgetExceeded(f"the text is longer than the ML limit of {max_tokens} tokens")
        expected = None if self.ms_per_token is None else time.perf_counter() + len(ids) * self.ms_per_token / 1000
        if deadline is not None and expected is not None and expected > deadline:
            raise BudgetExceeded("the text would take longer than the ML time budget")
        windows = [ids[i : i + self._step] for i in range(0, len(ids), self._step)]
        torch = _deps.torch()
        probs: list[float] = []
        t0 = time.perf_counter()
        with torch.inference_mode():
            for b in range(0, len(windows), self.batch_size):
                if deadline is not None and time.perf_counter() > deadline:
                    raise BudgetExceeded("the ML time budget ran out")
                probs.extend(self._run(torch, windows[b : b + self.batch_size]))
        if len(ids) >= self._step:  # the best speed seen on full windows; budgets are checked against it
            speed = 1000 * (time.perf_counter() - t0) / len(ids)
            self.ms_per_token = speed if self.ms_per_token is None else min(self.ms_per_token, speed)
        return offsets, probs

    def _run(self, torch: Any, batch: list[list[int]]) -> list[float]:
        pre, suf = self._prefix, self._suffix
        width = max(len(w) for w in batch) + len(pre) + len(suf)
        rows, masks = [], []
        for w in batch:
            row = [*pre, *w, *suf]
            rows.append(row + [self._pad] * (width - len(row)))
            masks.append([1] * len(row) + [0] * (width - len(row)))
        logits = self.model(input_ids=torch.tensor(rows), attention_mask=torch.tensor(masks)).logits
        keep = logits.float().softmax(-1)[..., self.keep_index].tolist()
        return [p for w, row in zip(batch, keep, strict=True) for p in row[len(pre) : len(pre) + len(w)]]

    def word_scores(
        self, text: str, *, deadline: float | None = None, max_tokens: int | None = None
    ) -> list[WordScore]:
        """Every whitespace-separated word of ``text`` with its mean token keep-probability.

        Args:
            text: any text.
            deadline: a ``time.perf_counter()`` value; past it, or when the measured speed says the
                text cannot finish before it, `BudgetExceeded` is raised.
            max_tokens: raise `BudgetExceeded` for texts with more tokens.

        Raises:
            BudgetExceeded: see ``deadline`` and ``max_tokens``; also when another run holds the
                model past the deadline.
        """
        timeout = -1.0 if deadline is None else max(0.0, deadline - time.perf_counter())
        if not self._lock.acquire(timeout=timeout):
            raise BudgetExceeded("the ML model was busy for the whole time budget")
        try:
            offsets, probs = self._token_probs(text, deadline, max_tokens)
        finally:
            self._lock.release()
        spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        starts = [s for s, _ in spans]
        sums, counts = [0.0] * len(spans), [0] * len(spans)
        for (s, e), p in zip(offsets, probs, strict=True):
            j = bisect_right(starts, e - 1) - 1
            if e > s and j >= 0 and e - 1 < spans[j][1]:  # the token's last character lies in word j
                sums[j] += p
                counts[j] += 1
        return [WordScore(s, e, sums[j] / counts[j] if counts[j] else 1.0) for j, (s, e) in enumerate(spans)]

    def prune(self, text: str, *, keep_ratio: float | None = None, threshold: float | None = None) -> PrunedText:
        """LLMLingua-2-style word pruning: keep the top ``keep_ratio`` of words, or those >= ``threshold``.

        The result's ``text`` no longer says exactly what the original said; the pipeline uses
        `MLPruner` (whole units, verbatim) instead. Give exactly one of the two arguments.
        """
        words = self.word_scores(text)
        keep = select_words([w.keep for w in words], keep_ratio=keep_ratio, threshold=threshold)
        return PrunedText(text, tuple(words), tuple(keep))


@dataclass(frozen=True, eq=False)
class MLPruner:
    """Serves `TextCompressor` the keep-probability of each unit from a managed `TokenClassifier`.

    Never loads and never waits for a load: when the model is not ready, the text is too long, or
    the time budget runs out, it raises `PrunerSkipped` with the reason and the default path runs.

    Attributes:
        manager: loads the model off the request path.
        budget_ms: the time one text may spend in the model.
        max_tokens: longer texts skip the model.
    """

    manager: ModelManager[TokenClassifier]
    budget_ms: float = 300.0
    max_tokens: int = 16_384

    @property
    def name(self) -> str:
        """``"ML model <folder or hub name>"``, as markers show it."""
        return f"ML model {self.manager.spec.label}"

    def keep_scores(self, text: str, spans: Sequence[tuple[int, int]]) -> list[float]:
        """Mean word keep-probability per span.

        Raises:
            PrunerSkipped: the model is not ready, or this text is over the token limit or budget.
        """
        model = self.manager.get()
        if model is None:
            raise PrunerSkipped(self.manager.status().why)
        if len(text) > 10 * self.max_tokens:  # no tokenizer yields fewer than one token per 10 chars
            raise PrunerSkipped(f"the text is longer than the ML limit of {self.max_tokens} tokens")
        deadline = time.perf_counter() + self.budget_ms / 1000
        try:
            words = model.word_scores(text, deadline=deadline, max_tokens=self.max_tokens)
        except BudgetExceeded as e:
            raise PrunerSkipped(str(e)) from None
        return unit_scores(words, spans)


@lru_cache(maxsize=8)
def shared_manager(spec: ModelSpec) -> ModelManager[TokenClassifier]:
    """The process-wide manager of the token classifier ``spec`` names (created once, not started).

    One per spec, so a proxy and every `headroom.compress` call in the process share one loaded
    model; call ``.start()`` at start-up.
    """
    return ModelManager(spec, TokenClassifier.load, TokenClassifier.describe)


def ml_text_compressor(spec: ModelSpec | str, *, budget_ms: float = 300.0, start: bool = True) -> TextCompressor:
    """A `TextCompressor` named ``"text+ml"`` whose pruner is the shared manager of ``spec``.

    Args:
        spec: the model (a `ModelSpec`, or its source: a local folder or a cached hub id).
        budget_ms: per-text time budget in the model; over it, the default path runs.
        start: start loading in the background now (call at start-up; loading never blocks).
    """
    manager = shared_manager(ModelSpec(spec) if isinstance(spec, str) else spec)
    if start:
        manager.start()
    return TextCompressor(name="text+ml", pruner=MLPruner(manager, budget_ms=budget_ms))
