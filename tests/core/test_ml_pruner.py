"""ML token-classification pruning: what a trained classifier rates survives, verbatim; fallbacks say why."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ml

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from headroom import MemoryStore, retrieve  # noqa: E402
from headroom.compressors import ContentType, Detection, TaskContext, TextCompressor  # noqa: E402
from headroom.compressors.text import TextOutput  # noqa: E402
from headroom.formats import get_format  # noqa: E402
from headroom.markers import parse_markers  # noqa: E402
from headroom.ml import (  # noqa: E402
    MLPruner,
    ModelManager,
    ModelSpec,
    TokenClassifier,
    WordScore,
    select_words,
    unit_scores,
)
from headroom.ml.testing import SAMPLE_TEXT, tiny_token_classifier  # noqa: E402
from headroom.pipeline.pipeline import Pipeline, Request  # noqa: E402
from headroom.pipeline.router import ContentRouter  # noqa: E402

REF = "0123456789abcdef"
BUDGET_MS = 60_000.0  # generous: these tests are about what the model decides, not about a busy CI machine
IMPORTANT = re.compile(r"\d|error|fail|refused", re.IGNORECASE)
INCIDENTS = [
    "The deployment failed because the migration timed out on the orders table.",
    "ERROR connection refused while reading the configuration from the primary database replica.",
    "The nightly backup failed again because the storage bucket was full.",
    "A second ERROR followed when the cache node refused new connections.",
]
FILLER = [
    "The team met on Monday to talk about the roadmap for the next quarter.",
    "Most of the discussion was about the new onboarding flow for customers.",
    "Several people said that the documentation should be easier to search.",
    "The design group showed sketches of a simpler settings page.",
    "Everyone agreed that the release notes should be written earlier in the cycle.",
    "The support team asked for better tooling to look up customer accounts.",
    "A short demo showed how the new dashboard groups related alerts together.",
    "Someone suggested moving the weekly sync to a later time in the afternoon.",
    "The marketing team shared plans for a webinar about the upcoming features.",
    "There was a long debate about naming the new pricing tiers.",
    "The meeting ended with a list of owners for each of the open questions.",
    "Notes from the meeting were posted to the shared wiki the same evening.",
    "The product manager promised to follow up with the design group by Friday.",
    "Lunch was provided and the meeting ran about twenty minutes over time.",
    "On Wednesday the sales team presented their view of the market.",
    "They expect larger customers to ask for single sign-on and audit trails.",
    "The finance team reminded everyone to submit travel expenses before the end of the month.",
    "Two new engineers joined the platform group and will shadow the on-call rotation.",
    "The office plants were watered by the new facilities coordinator.",
    "A book club is starting next week and everyone is welcome to join.",
    "The quarterly survey will be sent out after the holidays.",
    "People liked the idea of a shared calendar for team events.",
]


def build_report() -> str:
    """A markdown report: two sections of meeting notes, one sentence per line, four incidents among them."""
    first = FILLER[:5] + INCIDENTS[:2] + FILLER[5:12] + INCIDENTS[2:] + FILLER[12:]
    second = FILLER[::-1]

    def paragraphs(sentences: list[str]) -> str:
        return "\n\n".join("\n".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))

    return f"# Weekly report\n\n## Monday\n\n{paragraphs(first)}\n\n## Thursday\n\n{paragraphs(second)}\n"


def _train_keep_important(folder: Path, steps: int = 60) -> None:
    """Teach the tiny classifier to keep failure words and numbers (label 1), deterministically."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForTokenClassification.from_pretrained(folder)
    lines = [*SAMPLE_TEXT.splitlines(), *INCIDENTS[:2], *FILLER[:6]]
    enc = tok(lines, padding=True, return_offsets_mapping=True, return_tensors="pt")
    labels = torch.full(enc["input_ids"].shape, -100)
    for i, line in enumerate(lines):
        words = [(m.start(), m.end(), bool(IMPORTANT.search(m.group()))) for m in re.finditer(r"\S+", line)]
        for j, (s, e) in enumerate(enc["offset_mapping"][i].tolist()):
            if e > s:
                labels[i, j] = int(next(w[2] for w in words if w[0] <= s < w[1]))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        model.train()
        for _ in range(steps):
            loss = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval().save_pretrained(folder)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tiny_token_classifier(tmp_path_factory.mktemp("models") / "kompress-tiny")
    _train_keep_important(folder)
    return folder


@pytest.fixture(scope="module")
def manager(model_dir: Path) -> ModelManager[TokenClassifier]:
    return ModelManager(ModelSpec(str(model_dir)), TokenClassifier.load, TokenClassifier.describe).load()


def _compress(comp: TextCompressor, text: str, query: str = "") -> str | None:
    return comp.compress(text, ref=REF, task=TaskContext(query=query), detection=Detection(ContentType.TEXT))


def test_select_words_keeps_order_and_breaks_ties_by_position() -> None:
    scores = [0.1, 0.9, 0.5, 0.9, 0.2]
    assert select_words(scores, keep_ratio=0.4) == [False, True, False, True, False]
    assert select_words(scores, keep_ratio=0.2) == [False, True, False, False, False]
    assert select_words(scores, threshold=0.5) == [False, True, True, True, False]
    with pytest.raises(ValueError, match="exactly one"):
        select_words(scores)


def test_unit_scores_average_the_words_of_each_span() -> None:
    words = [WordScore(0, 3, 0.2), WordScore(4, 8, 0.6), WordScore(10, 14, 1.0)]
    assert unit_scores(words, [(0, 8), (10, 14), (20, 30)]) == pytest.approx([0.4, 1.0, 0.0])


def test_word_pruning_keeps_what_the_classifier_rates(manager: ModelManager[TokenClassifier]) -> None:
    clf = manager.get()
    assert clf is not None
    text = INCIDENTS[0] + "\n" + FILLER[0]
    pruned = clf.prune(text, threshold=0.5)
    kept = pruned.text.split()
    assert "failed" in kept and "Monday" not in kept
    assert kept == [w for w in text.split() if w in kept]  # original order
    by_ratio = clf.prune(text, keep_ratio=0.25)
    assert 0.2 < by_ratio.kept_share <= 0.3 and "failed" in by_ratio.text


def test_ml_pruner_keeps_the_rated_sentences_verbatim(manager: ModelManager[TokenClassifier]) -> None:
    text = build_report()
    comp = TextCompressor(name="text+ml", pruner=MLPruner(manager, budget_ms=BUDGET_MS))
    out = _compress(comp, text)
    assert isinstance(out, TextOutput) and out.compressor == "text+ml" and out.note is None
    for sentence in INCIDENTS:
        assert sentence in out
    assert "# Weekly report" in out and "## Thursday" in out
    markers = parse_markers(out)
    assert markers and "rated most informative by ML model kompress-tiny" in markers[0].summary
    default = _compress(TextCompressor(), text)
    assert default is not None and sum(s in default for s in INCIDENTS) < len(
        INCIDENTS
    )  # the model made the difference


def test_with_a_query_relevance_and_the_model_both_count(manager: ModelManager[TokenClassifier]) -> None:
    out = _compress(
        TextCompressor(pruner=MLPruner(manager, budget_ms=BUDGET_MS)),
        build_report(),
        query="what did the support team ask for?",
    )
    assert out is not None and FILLER[5] in out
    assert 'most relevant to "what did the support team ask for?" and rated most informative' in out


def test_markers_bring_back_what_the_ml_path_left_out(manager: ModelManager[TokenClassifier]) -> None:
    text, store = build_report(), MemoryStore()
    comp = TextCompressor(name="text+ml", pruner=MLPruner(manager, budget_ms=BUDGET_MS))
    call = {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "report.md"}'}}
    messages = [
        {"role": "user", "content": "summarise the weekly report"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": text},
    ]
    req = Request(messages, "gpt-4o", adapter=get_format("openai"), store=lambda: store, query="")
    result = Pipeline(router=ContentRouter({ContentType.TEXT: comp})).run(req)
    block = next(b for b in result.blocks if b.index == 2)
    assert block.status == "compressed" and block.compressor == "text+ml"
    out = result.messages[2]["content"]
    assert all(s in out for s in INCIDENTS)
    original_lines = text.splitlines()
    for marker in parse_markers(out):
        assert marker.lines is not None
        a, b = marker.lines
        assert retrieve(marker.ref, lines=f"{a}-{b}", store=store).splitlines() == original_lines[a - 1 : b]
    assert retrieve(block.ref or "", store=store) == text


def test_not_ready_falls_back_to_the_default_path_and_says_so() -> None:
    gate = threading.Event()
    loading: ModelManager[TokenClassifier] = ModelManager(
        ModelSpec("/models/kompress-tiny"),
        lambda spec: gate.wait(10) and None,  # type: ignore[arg-type,return-value]
    ).start()
    try:
        text = build_report()
        out = _compress(TextCompressor(name="text+ml", pruner=MLPruner(loading)), text)
        default = _compress(TextCompressor(), text)
        assert isinstance(out, TextOutput) and out.compressor == "text" and out.note == "the ML model is still loading"
        note = " (ML pruner not used: the ML model is still loading)"
        assert note in out and out.replace(note, "") == default  # same sentences as the default path
    finally:
        gate.set()


def test_a_failed_model_is_named_in_the_marker(tmp_path: Path) -> None:
    broken = ModelManager(ModelSpec(str(tmp_path / "missing")), TokenClassifier.load).load()
    out = _compress(TextCompressor(pruner=MLPruner(broken)), build_report())
    assert isinstance(out, TextOutput) and out.compressor == "text"
    assert f"ML pruner not used: the ML model failed to load: ModelUnavailable: model folder {tmp_path}" in out


@pytest.mark.parametrize(
    ("pruner_args", "reason"),
    [
        ({"budget_ms": 0.0}, "the text would take longer than the ML time budget"),
        ({"max_tokens": 20}, "the text is longer than the ML limit of 20 tokens"),
    ],
)
def test_over_budget_falls_back(
    manager: ModelManager[TokenClassifier], pruner_args: dict[str, Any], reason: str
) -> None:
    out = _compress(TextCompressor(pruner=MLPruner(manager, **pruner_args)), build_report())
    assert isinstance(out, TextOutput) and out.compressor == "text" and out.note == reason
    assert f"(ML pruner not used: {reason})" in out


def test_concurrent_requests_get_the_same_bytes(manager: ModelManager[TokenClassifier]) -> None:
    comp = TextCompressor(pruner=MLPruner(manager, budget_ms=BUDGET_MS))
    text = build_report()
    expected = _compress(comp, text)
    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(_compress(comp, text))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [expected] * 4


@pytest.mark.slow
def test_same_bytes_in_another_process(model_dir: Path) -> None:
    code = f"""
import json, sys
from headroom.compressors import ContentType, Detection, TaskContext
from headroom.ml import ml_text_compressor, shared_manager, ModelSpec
comp = ml_text_compressor(ModelSpec({str(model_dir)!r}), budget_ms={BUDGET_MS})
assert shared_manager(ModelSpec({str(model_dir)!r})).wait(120)
text = json.loads(sys.stdin.read())
out = comp.compress(text, ref={REF!r}, task=TaskContext(), detection=Detection(ContentType.TEXT))
print(json.dumps([out, out.compressor]))
"""
    text = build_report()
    run = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(text), capture_output=True, text=True, check=True
    )
    there = json.loads(run.stdout.strip().splitlines()[-1])
    local = TokenClassifier.load(ModelSpec(str(model_dir)))
    here = _compress(
        TextCompressor(pruner=MLPruner(ModelManager(ModelSpec(str(model_dir)), lambda s: local).load(), BUDGET_MS)),
        text,
    )
    assert there == [here, "text+ml"]
