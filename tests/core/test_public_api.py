"""The public surface is explicit, and importing it has no side effects."""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import headroom
import pytest

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


# The second tier: modules an integration or an advanced user imports besides `headroom` itself.
SECOND_TIER = [
    "headroom.api",
    "headroom.config",
    "headroom.formats",
    "headroom.integrations",
    "headroom.markers",
    "headroom.result",
    "headroom.store",
    "headroom.testing",
    "headroom.turns",
]


@pytest.mark.parametrize("name", SECOND_TIER)
def test_second_tier_modules_declare_their_public_names(name: str) -> None:
    module = importlib.import_module(name)
    names = getattr(module, "__all__", None)
    assert isinstance(names, list) and names, f"{name} has no __all__"
    assert len(set(names)) == len(names), f"{name}.__all__ repeats a name"
    assert [n for n in names if not hasattr(module, n)] == []
    # Every public function and class defined in the module is declared.
    defined = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == name
    }
    assert sorted(defined - set(names)) == []


def _documented_modules() -> list[str]:
    root = Path(headroom.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


@pytest.mark.parametrize("name", _documented_modules())
def test_docstring_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output)"
    assert result.attempted > 0
