"""Server-sent events: an incremental parser that keeps each event's bytes, and a writer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SSEEvent", "SSEParser", "dumpb", "dumps", "sse"]

_UNSET: Any = object()


@dataclass
class SSEEvent:
    """One event: its bytes as received, its ``event:`` name and its ``data:`` text.

    Comments (keep-alives such as ``: ping``) come through as events with no name and no data, so a
    relay can pass them on.
    """

    raw: bytes
    name: str | None
    data: str
    _parsed: Any = field(default=_UNSET, repr=False)

    def json(self) -> Any:
        """``data`` parsed as JSON (None when it is not JSON, e.g. ``[DONE]``); parsed once."""
        if self._parsed is _UNSET:
            try:
                self._parsed = json.loads(self.data)
            except ValueError:
                self._parsed = None
        return self._parsed


class SSEParser:
    """Feed it chunks as they arrive; it returns the events they complete."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """The events completed by ``chunk`` (an incomplete tail waits for the next chunk)."""
        if b"\r" in chunk or self._buf.endswith(b"\r"):
            chunk = chunk.replace(b"\r\n", b"\n")
        buf = self._buf + chunk if self._buf else chunk
        events = []
        start = 0
        while True:
            end = buf.find(b"\n\n", start)
            if end < 0:
                break
            raw = buf[start : end + 2]
            start = end + 2
            events.append(_parse(raw))
        self._buf = buf[start:]
        return events

    @property
    def pending(self) -> bytes:
        """Bytes received that do not make a whole event yet."""
        return self._buf


def _parse(raw: bytes) -> SSEEvent:
    name: str | None = None
    data: list[str] = []
    for line in raw.decode("utf-8", "replace").split("\n"):
        if not line or line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
    return SSEEvent(raw=raw, name=name, data="\n".join(data))


def dumps(obj: Any) -> str:
    """Compact JSON, non-ASCII kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def dumpb(obj: Any) -> bytes:
    """`dumps` as UTF-8; a lone surrogate (a ``\\ud83d`` escape in what the client sent, a tool output
    cut inside an emoji) goes back out as the same JSON escape instead of failing to encode."""
    return dumps(obj).encode("utf-8", "backslashreplace")


def sse(data: Any, name: str | None = None) -> bytes:
    """An event: ``event: name`` (when given) and one ``data:`` line of JSON."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: ".encode() + dumpb(data) + b"\n\n"
