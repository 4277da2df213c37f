"""A real Postgres server for tests: Debian's ``postgresql`` binaries, a fresh cluster in a temp folder.

Like `tests.core.redis_server`, nothing is mocked and nothing is skipped: when the binaries are
missing the fixture fails and says what to install (``scripts/test.sh`` installs them as root).
Postgres refuses to run as root, so as root the cluster is owned by and run as ``postgres``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.core.redis_server import free_port

INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install postgresql; scripts/test.sh does this when run as root)"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(
            f"Postgres (initdb) is not installed, so the Postgres memory tests cannot run: {INSTALL_HINT}"
        )
    return Path(initdb).resolve().parent


class PostgresServer:
    """One ``postgres`` process on ``127.0.0.1:<port>`` with trust authentication, in a temp folder."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="headroom-pg-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def dsn(self) -> str:
        user = "postgres" if self._as else os.environ.get("USER", "postgres")
        return f"postgresql://{user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        bindir = _bindir()
        data = self.directory / "data"
        if self._as:
            shutil.chown(self.directory, "postgres")
        subprocess.run(
            [
                *self._as,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                self.dsn.split("//")[1].split("@")[0],
            ],
            check=True,
            capture_output=True,
        )
        cmd = [
            *self._as,
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(self.port),
            "-k",
            str(self.directory),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ]
        with open(self.directory / "postgres.log", "wb") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.dsn, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log_text = (self.directory / "postgres.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"postgres did not start: {log_text}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)
