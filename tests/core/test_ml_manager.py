"""ModelManager: loading happens off the request path, and its state is always reportable."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from headroom.ml import ModelManager, ModelSpec, ModelState, ModelUnavailable

pytestmark = pytest.mark.ml

SPEC = ModelSpec("/models/kompress-tiny")


class GatedLoader:
    """A loader that blocks until released, counting its calls."""

    def __init__(self, result: object = "model", error: Exception | None = None) -> None:
        self.release = threading.Event()
        self.calls = 0
        self.result, self.error = result, error

    def __call__(self, spec: ModelSpec) -> object:
        self.calls += 1
        assert self.release.wait(10)
        if self.error:
            raise self.error
        return self.result


def test_start_returns_at_once_and_the_model_is_handed_out_when_ready() -> None:
    loader = GatedLoader()
    manager = ModelManager(SPEC, loader, describe=lambda m: {"kind": str(m)})
    assert manager.start() is manager
    assert manager.status().state is ModelState.LOADING
    assert not manager.ready and manager.get() is None  # a request never waits
    assert manager.status().why == "the ML model is still loading"
    assert manager.wait(0.05) is False
    loader.release.set()
    assert manager.wait(10) is True
    status = manager.status()
    assert manager.get() == "model" and status.state is ModelState.READY
    assert status.details == {"kind": "model"} and status.load_seconds is not None


def test_a_failed_load_is_reported_with_its_reason() -> None:
    loader = GatedLoader(error=ModelUnavailable("acme/x is not in the local Hugging Face cache"))
    manager = ModelManager(SPEC, loader).start()
    loader.release.set()
    assert manager.wait(10) is False
    status = manager.status()
    assert status.state is ModelState.FAILED and manager.get() is None
    assert status.error == "ModelUnavailable: acme/x is not in the local Hugging Face cache"
    assert status.why == "the ML model failed to load: ModelUnavailable: acme/x is not in the local Hugging Face cache"


def test_never_started_is_not_waited_for() -> None:
    manager = ModelManager(SPEC, GatedLoader())
    assert manager.wait(5) is False  # returns at once: nothing is loading
    assert manager.status().state is ModelState.IDLE
    assert "never started" in manager.status().why


def test_loads_once_however_often_started() -> None:
    loader = GatedLoader()
    manager = ModelManager(SPEC, loader)
    for _ in range(5):
        manager.start()
    waiter = threading.Thread(target=manager.load)  # a synchronous load() joins the running one
    waiter.start()
    loader.release.set()
    waiter.join(10)
    assert manager.ready and loader.calls == 1


def test_synchronous_load_for_start_up_code(tmp_path: Path) -> None:
    manager = ModelManager(ModelSpec(str(tmp_path / "nope")), lambda spec: spec.label).load()
    assert manager.ready and manager.get() == "nope"
    assert ModelSpec("org/name").label == "name" and ModelSpec("/a/b/folder/").label == "folder"


def test_public_api_is_explicit() -> None:
    import headroom.ml

    assert set(headroom.ml.__all__) == {
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
    }
    assert all(hasattr(headroom.ml, name) for name in headroom.ml.__all__)
