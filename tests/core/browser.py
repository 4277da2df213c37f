"""Debian's chromium, headless: the DOM a page renders to, and a screenshot of it (no browser download)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import lxml.html

ARTIFACTS = Path(os.environ.get("HEADROOM_TEST_ARTIFACTS") or Path(__file__).parents[2] / "test-artifacts")


def chromium() -> str:
    """The system browser; scripts/test.sh installs Debian's chromium (as root) when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed: apt-get install chromium (scripts/test.sh does it as root)")
    return found


def _run(*args: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="headroom-chromium-") as profile:
        cmd = [
            chromium(),
            "--headless",
            "--no-sandbox",  # tests run as root in CI containers
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ]
        done = subprocess.run(cmd, capture_output=True, timeout=90, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout


def rendered(url: str) -> lxml.html.HtmlElement:
    """The DOM chromium renders ``url`` to."""
    return lxml.html.fromstring(_run("--dump-dom", url))


def screenshot(url: str, name: str, *, height: int = 1500) -> Path:
    """A PNG of ``url`` under `ARTIFACTS` (printed, so a test run says where it is)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    _run(f"--screenshot={path}", f"--window-size=1280,{height}", url)
    print(f"screenshot: {path}")
    return path
