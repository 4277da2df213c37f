"""The headroom command line, run as a user runs it: real subprocesses, real files, the default store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.helpers import build_log, openai_conversation


def headroom(*args: str, home: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "HEADROOM_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "headroom", *args], input=stdin, env=env, capture_output=True)


@pytest.mark.slow  # over 5 s on the 2-core machine
def test_compress_a_file_then_retrieve_in_another_process(tmp_path: Path, headroom_home: Path) -> None:
    log = build_log()
    path = tmp_path / "app.log"
    path.write_text(log)
    out = headroom("compress", str(path), "--query", "payment 8812", home=headroom_home)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "payment 8812 failed" in text and len(text) < len(log) / 2
    savings = out.stderr.decode()
    assert savings.startswith("headroom: ") and "tokens (saved" in savings and "refs: " in savings
    ref = savings.rsplit("refs: ", 1)[1].split(",")[0].strip()
    back = headroom("retrieve", ref, home=headroom_home)
    assert back.returncode == 0 and back.stdout.decode() == log
    lines = headroom("retrieve", ref, "--lines", "2-3", home=headroom_home)
    assert lines.stdout.decode() == "\n".join(log.split("\n")[1:3])


def test_compress_reads_standard_input(headroom_home: Path) -> None:
    out = headroom("compress", "-", home=headroom_home, stdin=b"just a short note\n")
    assert out.returncode == 0 and out.stdout == b"just a short note\n"
    assert b"saved 0" in out.stderr


def test_compress_messages(tmp_path: Path, headroom_home: Path) -> None:
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(openai_conversation(build_log())))
    out = headroom("compress", "--messages", str(path), home=headroom_home)
    assert out.returncode == 0, out.stderr
    messages = json.loads(out.stdout)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert "headroom_retrieve ref=" in messages[-1]["content"]


def test_clear_errors(tmp_path: Path, headroom_home: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"ok\xff\xfe")
    out = headroom("compress", str(bad), home=headroom_home)
    assert out.returncode != 0 and b"not valid UTF-8 (byte 0xff at offset 2)" in out.stderr
    missing = headroom("retrieve", "0123456789abcdef", home=headroom_home)
    assert missing.returncode != 0 and b"0123456789abcdef" in missing.stderr and b"not found" in missing.stderr
    nofile = headroom("compress", str(tmp_path / "nope.log"), home=headroom_home)
    assert nofile.returncode != 0 and b"cannot read" in nofile.stderr
    notjson = tmp_path / "x.json"
    notjson.write_text('[{"role": {"name": "wizard"}}]')
    invalid = headroom("compress", "--messages", str(notjson), home=headroom_home)
    assert invalid.returncode != 0 and b"messages[0]" in invalid.stderr
    assert b"Traceback" not in invalid.stderr + nofile.stderr + missing.stderr + out.stderr


def test_version(headroom_home: Path) -> None:
    import headroom as package

    out = headroom("version", home=headroom_home)
    assert out.stdout.decode().strip() == f"headroom {package.__version__}"
