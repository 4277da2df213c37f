"""Memory with the bundled all-MiniLM-L6-v2: a paraphrase with no word in common is recalled, in its scope only."""

from __future__ import annotations

from pathlib import Path

import pytest
from headroom.memory import Scope, SQLiteMemoryStore, minilm_embedder

pytestmark = pytest.mark.ml


def test_minilm_recalls_a_paraphrase_that_text_search_cannot(tmp_path: Path) -> None:
    embedder = minilm_embedder()
    facts = [
        "The staging database is read-only on Fridays.",
        "Frontend builds need Node 20.",
        "Ann prefers tabs over spaces.",
        "The payment service retries webhooks three times.",
    ]
    query = "Can I write to the pre-production DB at the end of the week?"
    with_vectors = SQLiteMemoryStore(tmp_path / "v.sqlite3", embedder=embedder)
    text_only = SQLiteMemoryStore(tmp_path / "t.sqlite3")
    for store in (with_vectors, text_only):
        for f in facts:
            store.remember(f, scope=Scope("ann", "shop"))
    session = Scope("ann", "shop", "s2")
    assert with_vectors.recall(query, scope=session, limit=1)[0].text == facts[0]
    assert facts[0] not in [m.text for m in text_only.recall(query, scope=session, limit=1)]
    assert with_vectors.recall(query, scope=Scope("ann", "blog")) == []
    # near-identical by meaning and wording: updates instead of adding
    again = with_vectors.remember("The staging database is read only on Fridays!", scope=Scope("ann", "shop"))
    assert again.id == with_vectors.recall(query, scope=session, limit=1)[0].id
    assert len(with_vectors.recall("", scope=session, limit=10)) == 4
    with_vectors.close()
    text_only.close()
