"""What an eval asks: a case (one context) and its probes (questions), and how an answer is judged."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "Case", "Probe", "contains_answer", "normalize", "tool_output_case"]

Message = dict[str, Any]

SYSTEM_PROMPT = (
    "You are a careful assistant. Answer the user's question using the tool output in this conversation. "
    "Give just the answer, as short as possible."
)


@dataclass(frozen=True)
class Answer:
    """The model's final reply to one probe.

    Attributes:
        text: its text.
        calls: the caller's tool calls it made, as ``(name, arguments)`` (``headroom_retrieve`` calls
            are answered by the harness and not listed).
        rounds: how many ``headroom_retrieve`` rounds were answered before it.
        input_tokens: prompt tokens over every request of the probe, as the backend reported them.
        output_tokens: completion tokens likewise.
    """

    text: str
    calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    rounds: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "text": self.text,
            "calls": [[n, dict(a)] for n, a in self.calls],
            "rounds": self.rounds,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        """The inverse of `to_json`."""
        calls = tuple((str(n), dict(a)) for n, a in data.get("calls") or ())
        return cls(str(data["text"]), calls, int(data["rounds"]), int(data["input_tokens"]), int(data["output_tokens"]))


Check = Callable[[Answer], bool]


@dataclass(frozen=True)
class Probe:
    """One question about a case's context.

    Attributes:
        id: unique within the case.
        question: appended as the last user message; None when the case's messages already end
            with the question (BFCL, GSM8K).
        expected: accepted answers (any one, normalized, found in the reply counts).
        check: a judge of its own instead (BFCL's checker); it overrides ``expected``.
    """

    id: str
    question: str | None
    expected: tuple[str, ...] = ()
    check: Check | None = field(default=None, compare=False)

    def judge(self, answer: Answer) -> bool:
        """Whether ``answer`` is right."""
        if self.check is not None:
            return self.check(answer)
        return any(contains_answer(answer.text, e) for e in self.expected)


@dataclass(frozen=True)
class Case:
    """One context and the probes asked over it (they share llama.cpp's prompt cache).

    Attributes:
        id: unique within the suite.
        suite: the suite's name.
        messages: the conversation before the probes (OpenAI Chat format).
        tools: the tools declared to the model.
        probes: the questions.
        tags: what the table groups by (category, size, depth ...).
        max_tokens: the reply budget per request.
    """

    id: str
    suite: str
    messages: tuple[Message, ...]
    probes: tuple[Probe, ...]
    tools: tuple[Message, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    max_tokens: int = 64


def tool_output_case(
    *, id: str, suite: str, task: str, command: str, content: str, probes: tuple[Probe, ...], **kw: Any
) -> Case:
    """A case whose context is a tool output: the user asks (``task``), the model ran ``command``,
    the tool returned ``content``; each probe is then asked as a follow-up.

    ``task`` is the user text before the tool call, so it is what Headroom compresses for.
    """
    call = {
        "id": "call_0",
        "type": "function",
        "function": {"name": "run_command", "arguments": json.dumps({"command": command})},
    }
    messages = (
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": task},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_0", "content": content},
    )
    # run_command is not declared: a small model offered it runs it again instead of answering.
    return Case(id=id, suite=suite, messages=messages, probes=probes, **kw)


_EDGE = " \t\n\"'`.,;:!?()[]{}<>*"


def normalize(text: str) -> str:
    """Lowercase, whitespace collapsed, quotes and punctuation trimmed at the ends."""
    return " ".join(text.lower().split()).strip(_EDGE)


def contains_answer(reply: str, expected: str) -> bool:
    """Whether the normalized ``expected`` occurs in the normalized ``reply`` as a whole token run
    (``5`` is not found in ``15``; ``v1.2.3`` is found in ``it is v1.2.3.``)."""
    want, got = normalize(expected), normalize(reply)
    if not want:
        return False
    pattern = r"(?<![0-9a-z])" + re.escape(want) + r"(?![0-9a-z])"
    return re.search(pattern, got) is not None
