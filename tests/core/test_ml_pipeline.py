"""The ML text backend through `compress`: configured by option, loaded in the background, reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from headroom import MemoryStore, compress, retrieve
from headroom.ml import ModelSpec, shared_manager
from headroom.ml.testing import tiny_token_classifier

pytestmark = pytest.mark.ml


def article() -> str:
    facts = [
        f"The station {i} logged {i * 7} arrivals during the winter survey of the northern coast." for i in range(60)
    ]
    facts[41] = "The lighthouse keeper reported that the storm of 1953 destroyed the western pier."
    return " ".join(facts)


def test_text_model_option_routes_text_through_the_ml_backend(tmp_path: Path, store: MemoryStore) -> None:
    model = str(tiny_token_classifier(tmp_path / "tiny"))
    messages = [
        {"role": "user", "content": "What destroyed the western pier?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "search_documents", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": article()},
    ]
    manager = shared_manager(ModelSpec(model))
    manager.start()  # what a server does at start-up; compress() itself never waits for the model
    assert manager.wait(60), manager.status()
    result = compress(messages, model="gpt-4o", store=store, text_model=model, text_model_budget_ms=60_000)
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status == "compressed" and block.compressor == "text+ml", block
    assert "storm of 1953 destroyed the western pier" in result.messages[2]["content"]
    assert retrieve(result.refs[0], store=store) == article()


def test_a_model_that_cannot_load_falls_back_visibly(tmp_path: Path, store: MemoryStore) -> None:
    missing = str(tmp_path / "no-such-model")
    messages = [
        {"role": "user", "content": "What destroyed the western pier?"},
        {"role": "tool", "tool_call_id": "c1", "content": article()},
    ]
    result = compress(messages, model="gpt-4o", store=store, text_model=missing)
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status == "compressed" and block.compressor == "text"
    assert block.note and "ML" in block.note
