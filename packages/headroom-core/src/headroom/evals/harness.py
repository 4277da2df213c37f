"""The paired harness: each probe asked on the original context and on Headroom's compression of it.

On the compressed side the model may call ``headroom_retrieve``; the harness answers those calls
the way the proxy does (`headroom.retrieval_turn` decides, `headroom.retrieve_tool_result`
answers from the store) and counts the rounds. Baseline answers are cached by (model, context
hash, question), so a rerun asks only the compressed side again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headroom.api import compress, retrieve_tool_result
from headroom.evals.backends import ChatBackend, Turn
from headroom.evals.cases import Answer, Case, Probe
from headroom.store import MemoryStore, Store
from headroom.turns import RETRIEVE_ROUNDS, retrieval_turn

__all__ = ["BaselineCache", "Compressed", "Compressor", "Harness", "Record", "headroom_compressor"]

Message = dict[str, Any]


@dataclass(frozen=True)
class Record:
    """One probe, asked on both sides.

    Attributes:
        suite, case, probe: where it comes from.
        tags: the case's tags.
        original, compressed: the answers.
        original_ok, compressed_ok: whether each was judged right.
        tokens_before, tokens_after: the case's conversation as Headroom counted it before and after
            compression (markers and the retrieve tool included).
        answer_kept: whether an expected answer is still in the compressed conversation's text (None
            where the suite judges with a checker of its own); tells the compressor's losses from
            the model's.
    """

    suite: str
    case: str
    probe: str
    tags: Mapping[str, str]
    original: Answer
    compressed: Answer
    original_ok: bool
    compressed_ok: bool
    tokens_before: int
    tokens_after: int
    answer_kept: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (one line of the results file)."""
        return {
            "suite": self.suite,
            "case": self.case,
            "probe": self.probe,
            "tags": dict(self.tags),
            "original": self.original.to_json(),
            "compressed": self.compressed.to_json(),
            "original_ok": self.original_ok,
            "compressed_ok": self.compressed_ok,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "answer_kept": self.answer_kept,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Record:
        """The inverse of `to_json`."""
        return cls(
            d["suite"], d["case"], d["probe"], dict(d["tags"]), Answer.from_json(d["original"]),
            Answer.from_json(d["compressed"]), bool(d["original_ok"]), bool(d["compressed_ok"]),
            int(d["tokens_before"]), int(d["tokens_after"]), d.get("answer_kept"),
        )  # fmt: skip


@dataclass(frozen=True)
class Compressed:
    """What a compressor made of a case's conversation.

    Attributes:
        messages: the conversation to send.
        tools: tools to add to the case's own (``headroom_retrieve`` when markers were written).
        tokens_before, tokens_after: the conversation's size before and after.
    """

    messages: list[Message]
    tools: list[Message]
    tokens_before: int
    tokens_after: int


Compressor = Callable[[Sequence[Message], Sequence[Message], Store], Compressed]
"""``(messages, tools, store) -> Compressed``: the side under test; originals go to ``store``."""


def headroom_compressor(count_model: str = "gpt-4o", **options: Any) -> Compressor:
    """Headroom's `compress` as a `Compressor`, counting tokens for ``count_model``.

    Args:
        count_model: the model name Headroom counts tokens for.
        **options: `headroom.config.CompressOptions` fields.
    """

    def run(messages: Sequence[Message], tools: Sequence[Message], store: Store) -> Compressed:
        result = compress(list(messages), count_model, format="openai", tools=list(tools), store=store, **options)
        return Compressed(result.messages, result.tools, result.tokens_before, result.tokens_after)

    return run


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class BaselineCache:
    """Answers on the original context, kept in a JSON-lines file keyed by (model, context hash, question).

    Args:
        path: the file; None keeps answers in memory only.
    """

    def __init__(self, path: Path | None = None):
        self.path = path
        self._lock = threading.Lock()
        self._answers: dict[str, Answer] = {}
        if path is not None and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self._answers[row["key"]] = Answer.from_json(row["answer"])

    @staticmethod
    def key(
        model: str, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], question: str | None
    ) -> str:
        """The cache key."""
        return _digest([model, _digest([list(messages), list(tools)]), question])

    def get(self, key: str) -> Answer | None:
        """The cached answer, if any."""
        with self._lock:
            return self._answers.get(key)

    def put(self, key: str, answer: Answer) -> None:
        """Remember ``answer`` (appended to the file at once)."""
        with self._lock:
            self._answers[key] = answer
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"key": key, "answer": answer.to_json()}, ensure_ascii=False) + "\n")


@dataclass
class Harness:
    """Asks a backend each probe of a case twice, on the original and on the compressed context.

    Args:
        backend: the model.
        cache: baseline answers (a fresh in-memory cache when None).
        store: where compression writes originals and retrieval reads them (in memory by default).
        compressor: the compressed side (Headroom's `compress` by default).
        retrieve_rounds: the most ``headroom_retrieve`` rounds answered per probe (the proxy's default).
        offer_retrieve: offer ``headroom_retrieve`` when markers were written (what the library and the
            proxy do); False sends the markers without the tool, which measures what was kept inline
            apart from how a model copes with being offered a tool.
    """

    backend: ChatBackend
    cache: BaselineCache = field(default_factory=BaselineCache)
    store: Store = field(default_factory=MemoryStore)
    compressor: Compressor = field(default_factory=headroom_compressor)
    retrieve_rounds: int = RETRIEVE_ROUNDS
    offer_retrieve: bool = True

    def run_case(self, case: Case) -> list[Record]:
        """Every probe of ``case``: all original answers first, then all compressed ones (so each side's
        shared prefix stays in the model's prompt cache)."""
        result = self.compressor(case.messages, case.tools, self.store)
        tools = [*case.tools, *(result.tools if self.offer_retrieve else ())]
        kept_text = "\n".join(m["content"] for m in result.messages if isinstance(m.get("content"), str))
        originals = [self._original(case, p) for p in case.probes]
        compressed = [self.ask(result.messages, tools, p, case.max_tokens) for p in case.probes]
        return [
            Record(
                case.suite,
                case.id,
                p.id,
                case.tags,
                o,
                c,
                p.judge(o),
                p.judge(c),
                result.tokens_before,
                result.tokens_after,
                _kept(p, kept_text),
            )
            for p, o, c in zip(case.probes, originals, compressed, strict=True)
        ]

    def _original(self, case: Case, probe: Probe) -> Answer:
        key = BaselineCache.key(self.backend.model, case.messages, case.tools, probe.question)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        answer = self.ask(case.messages, case.tools, probe, case.max_tokens)
        self.cache.put(key, answer)
        return answer

    def ask(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], probe: Probe, max_tokens: int
    ) -> Answer:
        """One probe, answering ``headroom_retrieve`` calls until the model answers or the rounds run out."""
        conversation: list[Message] = [dict(m) for m in messages]
        if probe.question is not None:
            conversation.append({"role": "user", "content": probe.question})
        rounds = tokens_in = tokens_out = 0
        while True:
            turn = self.backend.chat(conversation, tools, max_tokens)
            tokens_in, tokens_out = tokens_in + turn.input_tokens, tokens_out + turn.output_tokens
            calls = turn.tool_calls
            decision = retrieval_turn(
                [str(c.get("function", {}).get("name")) for c in calls],
                rounds_done=rounds,
                retrieve_rounds=self.retrieve_rounds,
            )
            if decision.action != "continue":
                return Answer(turn.text, _their_calls(turn, decision.theirs), rounds, tokens_in, tokens_out)
            conversation.append(turn.message)
            for i in decision.ours:
                conversation.append(retrieve_tool_result(calls[i], format="openai", store=self.store))
            rounds += 1


def _kept(probe: Probe, text: str) -> bool | None:
    if probe.check is not None or not probe.expected:
        return None
    return any(e in text for e in probe.expected)


def _their_calls(turn: Turn, indexes: Sequence[int]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    out = []
    for i in indexes:
        fn = turn.tool_calls[i].get("function") or {}
        raw = fn.get("arguments") or "{}"
        try:
            args = json.loads(raw) if isinstance(raw, str) else dict(raw)
        except ValueError:
            args = {"__unparsed__": raw}
        out.append((str(fn.get("name")), args if isinstance(args, dict) else {"__value__": args}))
    return tuple(out)
