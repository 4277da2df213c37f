"""BFCL (Berkeley Function Calling Leaderboard v4, from the ``bfcl-eval`` wheel): ``simple_python``
and ``multiple``, scored by BFCL's own AST checker.

These prompts are short: the suite shows that compression leaves function calling alone.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from headroom.evals.cases import Answer, Case, Probe
from headroom.evals.data import DataSource, read_jsonl
from headroom.evals.suites import Size

__all__ = ["build", "to_openai_tool"]

CATEGORIES = ("simple_python", "multiple")
_TYPES = {"dict": "object", "float": "number", "tuple": "array", "list": "array", "int": "integer", "bool": "boolean"}


class _NoDots(dict[str, Any]):
    """Stands in for BFCL's model table: our tool names carry ``_`` for ``.`` and we map them back
    ourselves, so the checker must not convert names."""

    def __missing__(self, key: str) -> Any:
        return types.SimpleNamespace(underscore_to_dot=False)


def _checker(root: Path) -> tuple[Callable[..., dict[str, Any]], Any]:
    """BFCL's ``ast_checker`` and ``Language``. Its module imports BFCL's model table, which imports
    every provider SDK; a stand-in table is registered first so only the checker's own code loads."""
    if str(root) not in sys.path:
        sys.path.append(str(root))
    stub = types.ModuleType("bfcl_eval.constants.model_config")
    stub.MODEL_CONFIG_MAPPING = _NoDots()  # type: ignore[attr-defined]  # a module's attribute set at run time
    sys.modules.setdefault("bfcl_eval.constants.model_config", stub)
    from bfcl_eval.constants.enums import Language  # type: ignore[import-not-found]  # installed --no-deps
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker  # type: ignore[import-not-found]

    return ast_checker, Language


def _schema(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _schema(v) for k, v in value.items()}
        t = value.get("type")
        if t == "any":
            out.pop("type")
        elif isinstance(t, str):
            out["type"] = _TYPES.get(t, t)
        return out
    if isinstance(value, list):
        return [_schema(v) for v in value]
    return value


def to_openai_tool(function: Mapping[str, Any]) -> dict[str, Any]:
    """A BFCL function description as an OpenAI tool (``.`` in names becomes ``_``)."""
    return {
        "type": "function",
        "function": {
            "name": str(function["name"]).replace(".", "_"),
            "description": function.get("description", ""),
            "parameters": _schema(function.get("parameters") or {"type": "dict", "properties": {}}),
        },
    }


def _judge(
    functions: list[dict[str, Any]], answer_key: list[Any], category: str, root: Path
) -> Callable[[Answer], bool]:
    names = {str(f["name"]).replace(".", "_"): str(f["name"]) for f in functions}

    def check(answer: Answer) -> bool:
        if not answer.calls:
            return False
        ast_checker, language = _checker(root)
        output = [{names.get(n, n): dict(a)} for n, a in answer.calls]
        verdict = ast_checker(functions, output, answer_key, language.PYTHON, category, "headroom-evals")
        return bool(verdict.get("valid"))

    return check


def build(size: Size, data: DataSource, *, per_category: int = 20) -> list[Case]:
    """CI: the first two of each category. Full: ``per_category`` of each, spread over the file."""
    folder = data.package_dir("bfcl-eval", "bfcl_eval") / "data"
    n = 2 if size == "ci" else per_category
    cases: list[Case] = []
    for category in CATEGORIES:
        rows = list(read_jsonl(folder / f"BFCL_v4_{category}.json"))
        answers = {
            r["id"]: r["ground_truth"] for r in read_jsonl(folder / "possible_answer" / f"BFCL_v4_{category}.json")
        }
        step = max(1, len(rows) // n) if size == "full" else 1
        for row in rows[::step][:n]:
            functions = row["function"]
            check = _judge(functions, answers[row["id"]], category, folder.parent.parent)
            cases.append(
                Case(
                    id=row["id"],
                    suite="bfcl",
                    messages=tuple(dict(m) for m in row["question"][0]),
                    probes=(Probe("call", None, check=check),),
                    tools=tuple(to_openai_tool(f) for f in functions),
                    tags={"group": category, "expected": json.dumps(answers[row["id"]])[:200]},
                    max_tokens=160,
                )
            )
    return cases
