"""Finding and loading a local model: a folder, or a Hugging Face id already in the local cache.

Nothing here downloads. Every transformers and huggingface_hub call passes ``local_files_only=True``
(the per-call form of ``HF_HUB_OFFLINE=1``): a model that is not on disk is an error that says how to
fetch it once, outside the request path. Loading is meant for start-up or a background thread
(`headroom.ml.ModelManager`), never for a request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headroom.ml import _deps


class ModelUnavailable(RuntimeError):
    """The configured model cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model is and how to run it.

    Attributes:
        source: a local folder saved with ``save_pretrained`` (``config.json``, weights, and a fast
            tokenizer's ``tokenizer.json``), or a Hugging Face id such as ``org/name`` that is
            already in the local cache.
        revision: the cached revision of a hub id (a branch, tag or commit); None is ``main``.
        cache_dir: the Hugging Face cache to look in; None is the default (``$HF_HUB_CACHE``).
        threads: torch CPU threads (process-wide; fixed, so results do not depend on the machine's
            core count).
        max_length: the longest window of tokens run through the model at once (special tokens
            included); capped by what the model and tokenizer accept.
        batch_size: windows per forward pass; 1 by default, since batching gains little on CPU and
            the time budget is checked between passes.
        keep_label: the label index (or name, looked up in the model's ``label2id``) meaning "keep"
            for a token classifier; LLMLingua-2 models use 1.
    """

    source: str
    revision: str | None = None
    cache_dir: str | None = None
    threads: int = 2
    max_length: int = 512
    batch_size: int = 1
    keep_label: int | str = 1

    def __post_init__(self) -> None:
        if not isinstance(self.source, str):  # a pathlib.Path is welcome too
            object.__setattr__(self, "source", os.fspath(self.source))

    @property
    def label(self) -> str:
        """A short name for markers and reports: the folder's or the hub id's last part."""
        return Path(self.source.rstrip("/\\")).name or self.source


def _looks_like_path(source: str) -> bool:
    """True for what can only be a file-system path (a hub id is ``name`` or ``org/name``)."""
    return source.startswith(("/", ".", "~", "\\")) or source.count("/") > 1 or (os.sep != "/" and os.sep in source)


def resolve_source(spec: ModelSpec) -> Path:
    """The folder holding the model's files, without any network access.

    Raises:
        ModelUnavailable: the folder does not exist or is not a saved model, or the hub id is not
            in the local cache.
    """
    path = Path(spec.source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelUnavailable(f"{path} holds no config.json: not a folder saved with save_pretrained")
        return path.resolve()
    if _looks_like_path(spec.source):
        raise ModelUnavailable(f"model folder {spec.source} does not exist")
    hub = _deps.hf_hub()
    try:
        folder = hub.snapshot_download(
            spec.source, revision=spec.revision, cache_dir=spec.cache_dir, local_files_only=True
        )
    except Exception as e:  # LocalEntryNotFoundError, HFValidationError, ... all mean "not on disk"
        raise ModelUnavailable(
            f"{spec.source} is neither a local folder nor in the local Hugging Face cache "
            f"({type(e).__name__}); Headroom never downloads a model: fetch it once with "
            f"`hf download {spec.source}` or point to a local folder"
        ) from e
    return Path(str(folder))


def load_pretrained(spec: ModelSpec, auto_class: str) -> tuple[Any, Any, Path]:
    """Load ``(model, tokenizer, folder)`` with ``transformers.<auto_class>``, on CPU, in eval mode.

    Sets torch's thread count to ``spec.threads`` (a process-wide setting) and converts the
    weights to float32 (bf16 is slower on CPU and would make scores depend on the checkpoint).

    Raises:
        ImportError: the ``ml`` extra or torch is missing (the message names the install command).
        ModelUnavailable: the model is not on disk or cannot be read.
    """
    folder = resolve_source(spec)
    torch, tf = _deps.torch(), _deps.transformers()
    torch.set_num_threads(spec.threads)
    try:
        tokenizer = tf.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = getattr(tf, auto_class).from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, KeyError) as e:
        raise ModelUnavailable(f"cannot load {spec.source}: {type(e).__name__}: {e}") from e
    if not getattr(tokenizer, "is_fast", False):
        raise ModelUnavailable(f"{spec.source} has no fast tokenizer (tokenizer.json); word offsets come from it")
    return model.float().eval(), tokenizer, folder


def max_window(spec: ModelSpec, model: Any, tokenizer: Any) -> int:
    """The longest token window (special tokens included) that model, tokenizer and spec all accept."""
    limits = [spec.max_length]
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
        limits.append(tok_max)
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        # RoBERTa / XLM-R count positions from padding_idx + 1, so two are never usable.
        offset = 2 if getattr(model.config, "model_type", "") in ("roberta", "xlm-roberta", "camembert") else 0
        limits.append(positions - offset)
    return max(8, min(limits))
