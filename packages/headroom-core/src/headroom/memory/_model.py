"""What a memory is and where it lives: `Scope`, `Memory`, and the errors of a memory store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["LEVELS", "Memory", "MemoryNotFoundError", "MemoryStoreError", "Scope"]

LEVELS = ("user", "project", "session", "agent", "turn")
"""The scope levels, outermost first."""

MAX_TEXT_CHARS = 8_000
"""A memory is a short fact, not a document: longer texts are refused with a clear error."""


class MemoryStoreError(Exception):
    """Base class of every memory-store failure."""


class MemoryNotFoundError(MemoryStoreError, LookupError):
    """No live memory has the given id."""

    def __init__(self, memory_id: str) -> None:
        super().__init__(f"no memory with id {memory_id!r} (never saved, forgotten or expired)")
        self.memory_id = memory_id


@dataclass(frozen=True)
class Scope:
    """Where a memory belongs: a path user → project → session → agent → turn.

    A scope names a prefix of the levels: ``Scope("ann")`` is everything of user ``ann``;
    ``Scope("ann", "shop")`` her project ``shop``; ``Scope("ann", "shop", "s1")`` one session of it.
    A memory saved in a scope is found from that scope and every scope below it, never from a
    sibling: two projects of one user share only what is saved at the user level.

    Raises:
        ValueError: a level is set below an unset one, or a name is empty or not a string.
    """

    user: str
    project: str | None = None
    session: str | None = None
    agent: str | None = None
    turn: str | None = None

    def __post_init__(self) -> None:
        values = [self.user, self.project, self.session, self.agent, self.turn]
        seen_gap = False
        for level, value in zip(LEVELS, values, strict=True):
            if value is None:
                seen_gap = True
                continue
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"scope {level} must be a non-empty string, got {value!r}")
            if seen_gap:
                missing = LEVELS[values.index(None)]
                raise ValueError(
                    f"scope {level}={value!r} is set but {missing} is not: a scope is a path from the user down"
                )

    @property
    def path(self) -> tuple[str, ...]:
        """The set levels, outermost first."""
        return tuple(v for v in (self.user, self.project, self.session, self.agent, self.turn) if v is not None)

    @property
    def key(self) -> str:
        """An unambiguous string for this exact scope (what backends index)."""
        return json.dumps(list(self.path), ensure_ascii=False)

    def visible_keys(self) -> list[str]:
        """Keys of the scopes whose memories this scope sees: itself and every scope above it."""
        path = self.path
        return [json.dumps(list(path[:i]), ensure_ascii=False) for i in range(1, len(path) + 1)]

    def child(self, name: str) -> Scope:
        """The scope one level below this one (e.g. a session of a project)."""
        path = self.path
        if len(path) == len(LEVELS):
            raise ValueError("a turn scope has no level below it")
        return Scope(**dict(zip(LEVELS[: len(path) + 1], (*path, name), strict=True)))

    @classmethod
    def from_key(cls, key: str) -> Scope:
        """The scope whose `key` is ``key``."""
        return cls(*json.loads(key))

    def __str__(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class Memory:
    """One remembered fact.

    Attributes:
        id: the store's id for it (stable across updates of a near-identical text).
        text: the fact, as last saved.
        scope: where it belongs.
        created: when it was first saved (seconds since the epoch).
        updated: when it was last saved or refreshed.
        expires: when it stops being found, or None to keep it until forgotten.
        meta: small free-form string metadata (e.g. the tool or client that saved it).
        score: relevance to the query it was recalled for (0 outside `recall` results).
    """

    id: str
    text: str
    scope: Scope
    created: float
    updated: float
    expires: float | None = None
    meta: dict[str, str] = field(default_factory=dict)
    score: float = 0.0


def check_text(text: object) -> str:
    """``text`` stripped, or a `ValueError` that says what is wrong with it."""
    if not isinstance(text, str):
        raise ValueError(f"a memory's text must be a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ValueError("a memory's text is empty")
    if len(stripped) > MAX_TEXT_CHARS:
        raise ValueError(f"a memory's text is {len(stripped)} characters; the limit is {MAX_TEXT_CHARS}")
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"a memory's text is not valid Unicode text ({e.reason} at {e.start})") from None
    return stripped


def check_meta(meta: object) -> dict[str, str]:
    """``meta`` as a plain dict of strings, or a `ValueError`."""
    if meta is None:
        return {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise ValueError("a memory's meta must be a dict of strings")
    return dict(meta)
