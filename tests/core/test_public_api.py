"""The public surface is explicit, and importing it has no side effects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import headroom

PUBLIC = {
    "RETRIEVE_ROUNDS",
    "RetrievalTurn",
    "retrieval_turn",
    "BlockReport",
    "CompressKwargs",
    "CompressOptions",
    "CompressResult",
    "MemoryStore",
    "RefConflictError",
    "RefError",
    "RefExpiredError",
    "RefNotFoundError",
    "SQLiteStore",
    "Store",
    "TextResult",
    "Edit",
    "__version__",
    "answer_retrieve",
    "compress",
    "compress_request",
    "compress_text",
    "default_store",
    "find_refs",
    "format_marker",
    "retrieve",
    "retrieve_tool_result",
}


def test_all_is_explicit_and_importable() -> None:
    assert set(headroom.__all__) == PUBLIC
    assert all(hasattr(headroom, name) for name in headroom.__all__)


def test_import_creates_no_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code = "import headroom, headroom.cli, headroom.testing"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "HEADROOM_HOME": str(home)}, check=True)
    assert not home.exists()


def test_heavy_libraries_load_only_when_needed_or_preloaded() -> None:
    code = (
        "import sys, headroom, headroom.proxy\n"
        "assert 'trafilatura' not in sys.modules, 'import headroom pulled in trafilatura'\n"
        "from headroom.compressors.html import preload\n"
        "preload()\n"
        "assert 'trafilatura' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
