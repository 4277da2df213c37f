"""An oracle model for the evals tests: a `FakeUpstream` script that answers only from what it receives.

It knows each probe's expected answer. It says the answer when the answer's text is somewhere in
the request other than the question; failing that, when a marker names a ref it has not fetched
yet and ``headroom_retrieve`` is offered, it fetches it; else it says it cannot tell. BFCL cases
get the expected call when the function is declared; GSM8K the number when the problem is intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from headroom.evals import Case
from headroom.markers import find_refs
from headroom.testing import RecordedRequest, Reply

_FETCHED = re.compile(r"ref\W+([0-9a-f]{16})")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _question_index(messages: list[Any]) -> int:
    return max(i for i, m in enumerate(messages) if m.get("role") == "user" and isinstance(m.get("content"), str))


def oracle(cases: list[Case]) -> Callable[[RecordedRequest], Reply]:
    """The script function for ``cases``."""
    answers: dict[str, str] = {}
    problems: dict[str, str] = {}
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for case in cases:
        for probe in case.probes:
            if probe.question is not None:
                answers[probe.question] = probe.expected[0]
            elif case.suite == "gsm8k":
                problems[case.messages[-1]["content"]] = probe.expected[0]
            elif case.suite == "bfcl":
                truth = json.loads(case.tags["expected"])[0]
                name, args = next(iter(truth.items()))
                calls[case.messages[-1]["content"]] = (
                    name.replace(".", "_"),
                    {k: v[0] for k, v in args.items() if v[0] != ""},
                )

    def reply(request: RecordedRequest) -> Reply:
        body = request.json
        messages = body["messages"]
        q = _question_index(messages)
        question = messages[q]["content"]
        tools = {str(t.get("name") or t.get("function", {}).get("name")) for t in body.get("tools") or ()}
        if question in calls:
            name, args = calls[question]
            return Reply.call(name, args) if name in tools else Reply.say("no such function")
        if question in problems:
            return Reply.say(f"Answer: {problems[question]}")
        expected = answers.get(question)
        others = [m for i, m in enumerate(messages) if i != q]
        seen = "\n".join(_strings([body.get("system"), others]))
        if expected is not None and expected in seen:
            return Reply.say(expected)
        fetched = set(_FETCHED.findall(json.dumps([m for m in messages if m.get("role") == "assistant"])))
        pending = [r for r in find_refs(seen) if r not in fetched]
        if pending and "headroom_retrieve" in tools:
            return Reply.retrieve(pending[0])
        return Reply.say("I cannot tell from what I was given.")

    return reply
