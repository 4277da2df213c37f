"""The ML loader: local folders and cached hub ids load offline; anything else fails clearly, never downloads."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ml

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from headroom.ml import ModelSpec, ModelUnavailable, TokenClassifier, resolve_source  # noqa: E402
from headroom.ml.testing import tiny_token_classifier  # noqa: E402

TEXT = (
    "The deployment failed because the migration timed out after 300 seconds.\n"
    "Retrying with a smaller batch size fixed it.  ERROR connection refused!\n"
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any attempt to open a connection is recorded and fails."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_token_classifier(tmp_path_factory.mktemp("bert"))


def _fake_hub_cache(root: Path, repo_id: str, model_dir: Path) -> Path:
    """The Hugging Face cache layout: models--org--name/{refs/main, snapshots/<commit>/...}."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = root / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    return root


def test_loads_a_saved_folder_offline(bert_dir: Path, no_network: list[Any]) -> None:
    clf = TokenClassifier.load(ModelSpec(str(bert_dir)))
    words = clf.word_scores(TEXT)
    assert [TEXT[w.start : w.end] for w in words] == TEXT.split()
    assert all(0.0 <= w.keep <= 1.0 for w in words)
    assert clf.describe()["model_type"] == "bert"
    assert float(clf.describe()["ms_per_1k_tokens"]) > 0
    assert no_network == []


def test_two_loads_score_identically(bert_dir: Path) -> None:
    a = TokenClassifier.load(ModelSpec(str(bert_dir))).word_scores(TEXT * 40)
    b = TokenClassifier.load(ModelSpec(str(bert_dir))).word_scores(TEXT * 40)
    assert a == b


@pytest.mark.parametrize("arch", ["xlm-roberta", "modernbert"])
def test_other_token_classifier_families_load(tmp_path: Path, arch: Any) -> None:
    folder = tiny_token_classifier(tmp_path, arch=arch)
    clf = TokenClassifier.load(ModelSpec(str(folder)))
    assert clf.describe()["model_type"] == arch
    words = clf.word_scores(TEXT)
    assert len(words) == len(TEXT.split())
    assert len({round(w.keep, 6) for w in words}) > 1  # real model outputs, not a constant


def test_long_text_is_read_in_windows_and_every_word_scored(bert_dir: Path) -> None:
    clf = TokenClassifier.load(ModelSpec(str(bert_dir), max_length=16, batch_size=3))
    assert clf.window == 16
    text = TEXT * 30  # hundreds of tokens: dozens of windows, several batches
    words = clf.word_scores(text)
    assert len(words) == len(text.split())
    assert all(0.0 < w.keep < 1.0 for w in words)  # every word got probabilities from the model


def test_window_respects_the_models_position_limit(tmp_path: Path) -> None:
    folder = tiny_token_classifier(tmp_path, arch="xlm-roberta")  # 514 positions, 2 reserved
    clf = TokenClassifier.load(ModelSpec(str(folder), max_length=4096))
    assert clf.window == 512
    assert len(clf.word_scores(TEXT * 60)) == len((TEXT * 60).split())


def test_hub_id_loads_from_the_local_cache_only(bert_dir: Path, tmp_path: Path, no_network: list[Any]) -> None:
    cache = _fake_hub_cache(tmp_path / "hub", "acme/tiny-kompress", bert_dir)
    spec = ModelSpec("acme/tiny-kompress", cache_dir=str(cache))
    assert resolve_source(spec).parent.name == "snapshots"
    clf = TokenClassifier.load(spec)
    assert clf.name == "tiny-kompress"
    assert len(clf.word_scores(TEXT)) == len(TEXT.split())
    assert no_network == []


def test_uncached_hub_id_fails_without_downloading(tmp_path: Path, no_network: list[Any]) -> None:
    spec = ModelSpec("microsoft/llmlingua-2-bert-base-multilingual-cased-meetingbank", cache_dir=str(tmp_path))
    with pytest.raises(ModelUnavailable, match="never downloads") as err:
        TokenClassifier.load(spec)
    assert "hf download microsoft/llmlingua-2" in str(err.value)
    assert no_network == []


def test_bad_folders_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist"):
        resolve_source(ModelSpec(str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailable, match=r"no config\.json"):
        resolve_source(ModelSpec(str(tmp_path / "empty")))


def test_keep_label_by_name_and_bad_labels(bert_dir: Path, tmp_path: Path) -> None:
    assert TokenClassifier.load(ModelSpec(str(bert_dir), keep_label="LABEL_1")).keep_index == 1
    with pytest.raises(ModelUnavailable, match="keep label 'preserve'"):
        TokenClassifier.load(ModelSpec(str(bert_dir), keep_label="preserve"))
    with pytest.raises(ModelUnavailable, match="keep label 5"):
        TokenClassifier.load(ModelSpec(str(bert_dir), keep_label=5))


def test_thread_count_is_fixed_at_load(bert_dir: Path) -> None:
    before = torch.get_num_threads()
    try:
        clf = TokenClassifier.load(ModelSpec(str(bert_dir), threads=1))
        assert torch.get_num_threads() == 1
        assert clf.describe()["threads"] == "1"
    finally:
        torch.set_num_threads(before)


def test_missing_torch_names_the_install_command(monkeypatch: pytest.MonkeyPatch, bert_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        TokenClassifier.load(ModelSpec(str(bert_dir)))


def test_importing_headroom_ml_imports_no_ml_stack() -> None:
    code = (
        "import sys, headroom.ml, headroom.ml.doctor; "
        "print(sorted(m for m in ('torch', 'transformers', 'huggingface_hub') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
