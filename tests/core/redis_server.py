"""A real redis-server for tests, on a free loopback port in a temporary folder.

The tests never mock Redis: they start Debian's ``redis-server`` (``scripts/test.sh`` installs it).
When it is missing the fixtures fail with a message saying so; they never skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install redis-server; scripts/test.sh does this when run as root)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process serving ``127.0.0.1:<port>`` and a unix socket in ``directory``.

    Args:
        directory: its working folder (log, unix socket, and the AOF file when persistent).
        persistent: write every command to an append-only file, fsynced at once, so that data
            survives a ``kill -9``; otherwise nothing is ever written to disk.
    """

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        self.directory = directory
        self.persistent = persistent
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def unix_socket(self) -> Path:
        """The unix socket the server also listens on."""
        return self.directory / "redis.sock"

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.directory / "redis.log"

    def client(self) -> redis.Redis:
        """A plain redis-py client of this server, to look at what the store wrote."""
        return redis.Redis.from_url(self.url, socket_timeout=10)

    def start(self) -> None:
        """Start the server (on the port it had before, after a restart) and wait until it answers.

        Raises:
            RuntimeError: ``redis-server`` is not installed or did not come up; says why.
        """
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(f"redis-server is not installed, so the RedisStore tests cannot run: {INSTALL_HINT}")
        self.directory.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            self.port = self.port or free_port()
            self.process = subprocess.Popen([binary, *self._arguments()], cwd=self.directory)
            if self._wait_until_ready():
                return
            self.stop()
            self.port = 0  # another program may have taken the port between our check and the start
        raise RuntimeError(f"redis-server did not start; its log:\n{self._log_text()}")

    def stop(self) -> None:
        """Stop the server politely (SIGTERM) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _arguments(self) -> list[str]:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        return [
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            str(self.unix_socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory),
            "--logfile",
            str(self.log),
            "--save",
            "",
            "--daemonize",
            "no",
            *persistence,
        ]

    def _wait_until_ready(self) -> bool:
        assert self.process is not None
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    # Make sure it is our server answering, not another one on a reused port.
                    if client.ping() and client.config_get("dir").get("dir") == str(self.directory):
                        return True
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def _log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log written)"
