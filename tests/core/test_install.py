"""The packages install as a user installs them: built wheels with plain pip, and each README as written.

Each test makes a fresh virtual environment and installs from the package registry pip is configured
with (no workspace, no uv sources), so a missing dependency or a README install line that does not
work fails here. Slow: minutes, most of it pip resolving LiteLLM, LangChain, Strands and Agno.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["headroom-core", "headroom-litellm", "headroom-langchain", "headroom-strands", "headroom-agno"]
IMPORTS = ["headroom", "headroom_litellm", "headroom_langchain", "headroom_strands", "headroom_agno"]
# What each quick start prints, as its own README test checks it in the workspace.
OUTPUT = {
    "headroom-core": r"Saved \d+ of \d+ tokens\nTrue\n",
    "headroom-litellm": r"\d+ -> \d+ characters sent; reply: Requests 0, 97, 194, 291 and 388 failed\.\n",
    "headroom-langchain": r"\d+ -> \d+ characters; the error line kept: True\n",
    "headroom-strands": r"\d+ tokens saved\n",
    "headroom-agno": r"\d+ tokens saved\n",
}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # pip resolving hosts takes minutes


def _python(where: Path) -> Path:
    venv.create(where, with_pip=True)
    return where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{shlex.join(map(str, args))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _pip_line(readme: str, marker: str) -> list[str]:
    """The README's install line that contains ``marker``, as arguments (``pip`` first)."""
    (line,) = [ln.strip() for ln in readme.splitlines() if ln.strip().startswith("pip install") and marker in ln]
    return shlex.split(line.split("  #")[0])


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the wheels (scripts/test.sh installs it)"
    out = tmp_path_factory.mktemp("dist")
    _run([uv, "build", "--all-packages", "--wheel", "-o", out], cwd=ROOT)
    assert sorted(p.name.split("-")[0] for p in out.glob("*.whl")) == sorted(p.replace("-", "_") for p in PACKAGES)
    return out


def test_built_wheels_install_together_with_plain_pip(dist: Path, tmp_path: Path) -> None:
    python = _python(tmp_path / "venv")
    (tmp_path / "dist").symlink_to(dist)
    # The README's wheel line, for every package at once.
    line = _pip_line((ROOT / "packages" / "headroom-core" / "README.md").read_text(), "--find-links dist")
    _run([python, "-m", *line[:-1], *PACKAGES], cwd=tmp_path)
    _run([python, "-m", "pip", "check"], cwd=tmp_path)
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HEADROOM_HOME": str(tmp_path / "home")}
    code = "import importlib, sys; print(*[importlib.import_module(m).__version__ for m in sys.argv[1:]])"
    assert _run([python, "-c", code, *IMPORTS], cwd=tmp_path, env=env).split() == ["0.1.0"] * len(IMPORTS)


@pytest.mark.parametrize("package", PACKAGES)
def test_readme_install_line_and_quick_start_work_in_a_fresh_venv(package: str, tmp_path: Path) -> None:
    readme = (ROOT / "packages" / package / "README.md").read_text()
    python = _python(tmp_path / "venv")
    line = _pip_line(readme, "./packages/")
    assert line[:2] == ["pip", "install"] and f"./packages/{package}" in line
    _run([python, "-m", *line], cwd=ROOT)  # as written, from the root of a clone
    (code,) = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    script = tmp_path / "quick_start.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEADROOM", "LITELLM"))}
    env["HEADROOM_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [str(python), str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.fullmatch(OUTPUT[package], done.stdout), done.stdout
    assert "cost map fetch" not in done.stderr  # LiteLLM's quick start downloads nothing
