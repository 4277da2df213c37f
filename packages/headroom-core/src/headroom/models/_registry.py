"""ModelRegistry: lookup by any spelling of a model name, and the model-table file format."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

from headroom.models._info import ModelInfo
from headroom.models._names import base_model_name, normalize_model_name

__all__ = [
    "MODELS_FILE_ENV",
    "ModelRegistry",
    "ModelRegistryError",
    "load_registry",
]

MODELS_FILE_ENV = "HEADROOM_MODELS_FILE"
HOME_ENV = "HEADROOM_HOME"
USER_FILENAME = "models.json"
BUILTIN_ORIGIN = "<built-in headroom/models/models.json>"

_TOP_KEYS = frozenset({"as_of", "units", "note", "providers", "models"})
_REQUIRED = ("provider", "context_window", "max_output", "input_per_mtok", "output_per_mtok")
_FIELDS = frozenset({*_REQUIRED, "cache_read_per_mtok", "cache_write_per_mtok", "max_input"})
# After a registered prefix, ``-5`` or ``-10`` is a minor version (claude-sonnet-4 vs claude-sonnet-4-7),
# not a variant of the same model; sizes (``-17b``) and build numbers (``-001``) are variants.
_MINOR_VERSION = re.compile(r"-\d{1,2}(?:-|$)")
# family-version-suffix: claude-opus-4-8, gpt-6.2-sol, gemini-3.5-pro, claude-3-5-sonnet.
_FAMILY = re.compile(r"(?P<family>[a-z]+(?:-[a-z]+)*)-(?P<version>\d+(?:[.-]\d+)*)(?P<suffix>(?:-[a-z][a-z0-9]*)*)")


class ModelRegistryError(ValueError):
    """A model table (the built-in one or a user override file) cannot be read or is malformed."""


@dataclass(frozen=True, eq=False)
class ModelRegistry:
    """A table of `ModelInfo` looked up by any spelling of a model name.

    Build one with `load_registry` (the built-in table plus the user's override file) or
    `ModelRegistry.from_table` / `with_overrides` (tests, callers with their own prices).

    Attributes:
        models: the entries by registry name.
        as_of: the date the prices were compiled, as the table states it.
        sources: where each provider's numbers come from, by provider.
        origins: the tables merged into this registry, built-in first.
    """

    models: Mapping[str, ModelInfo]
    as_of: str | None = None
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    origins: tuple[str, ...] = ()
    _by_length: tuple[str, ...] = field(init=False, repr=False)
    _families: Mapping[str, tuple[tuple[tuple[int, ...], str, str], ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", MappingProxyType(dict(self.models)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        # Longest first, ties by name, so the first prefix that matches is the longest and the order
        # never depends on insertion.
        object.__setattr__(self, "_by_length", tuple(sorted(self.models, key=lambda k: (-len(k), k))))
        families: dict[str, list[tuple[tuple[int, ...], str, str]]] = {}
        for key in self.models:  # family -> (version, suffix, entry) of every versioned entry, parsed once
            parsed = _family_key(key)
            if parsed is not None:
                families.setdefault(parsed[0], []).append((parsed[1], parsed[2], key))
        object.__setattr__(self, "_families", MappingProxyType({k: tuple(v) for k, v in families.items()}))

    def __len__(self) -> int:
        return len(self.models)

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self.models[name] for name in sorted(self.models))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get(self, name: str) -> ModelInfo | None:
        """Look a model up by any spelling of its name.

        Order: an entry named exactly like `base_model_name` (so dated entries such as
        ``gpt-4o-2024-05-13`` win), then like `normalize_model_name`, then the longest registered name
        the normalised name starts with, followed by ``-`` (``gpt-4o-mini-search`` → ``gpt-4o-mini``, not
        ``gpt-4o``). A following minor version never matches as a variant (``claude-opus-4-8`` is not
        ``claude-opus-4``); a name found none of these ways resolves by family: the newest entry of
        its family at or below its version, same suffix first (``claude-opus-4-8`` → ``claude-opus-4-7``),
        returned with ``by_family=True`` so reports can say it is an estimate.

        Args:
            name: a model name, with or without provider prefix, cloud id parts or date.

        Returns:
            The entry (its ``name`` says which one matched), or ``None`` for an unknown model.
        """
        base = base_model_name(name)
        norm = normalize_model_name(name)
        for candidate in (base, norm):
            info = self.models.get(candidate)
            if info is not None:
                return info
        for key in self._by_length:
            if _is_variant(norm, key) or _is_variant(base, key):
                return self.models[key]
        return self._by_family(norm)

    def _by_family(self, name: str) -> ModelInfo | None:
        """The newest entry of ``name``'s family at or below its version (same suffix first, then none)."""
        asked = _family_key(name)
        if asked is None:
            return None
        family, version, suffix = asked
        candidates = [
            (entry_suffix == suffix, entry_version, key)
            for entry_version, entry_suffix, key in self._families.get(family, ())
            if entry_version <= version and entry_suffix in (suffix, "")
        ]
        return dataclasses.replace(self.models[max(candidates)[2]], by_family=True) if candidates else None

    def get_or_default(self, name: str, *, context_window: int = 128_000, max_output: int = 4_096) -> ModelInfo:
        """`get`, or a conservative stand-in for an unknown model.

        The stand-in has ``known=False``, provider ``"unknown"``, the given limits and zero prices; its
        `ModelInfo.cost` returns ``None``, so nobody mistakes a guess for a price.

        Args:
            name: a model name in any spelling.
            context_window: the stand-in's window (128k: what most current models offer at least).
            max_output: the stand-in's output cap.
        """
        info = self.get(name)
        if info is not None:
            return info
        return ModelInfo(
            name=normalize_model_name(name),
            provider="unknown",
            context_window=context_window,
            max_output=min(max_output, context_window),
            input_per_mtok=0.0,
            output_per_mtok=0.0,
            known=False,
        )

    def cost(
        self,
        model: str | ModelInfo,
        *,
        input_tokens: int,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float | None:
        """List-price cost in USD of one request to ``model``; ``None`` if the model is unknown.

        See `ModelInfo.cost` for what each count means.
        """
        info = self.get(model) if isinstance(model, str) else model
        if info is None:
            return None
        return info.cost(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
        )

    @classmethod
    def from_table(cls, table: object, *, origin: str = "<table>") -> ModelRegistry:
        """Build a registry from a parsed model table (the schema of ``models.json``); every entry complete.

        Raises:
            ModelRegistryError: the table is malformed; the message names ``origin`` and the entry.
        """
        return cls(models={}, origins=()).with_overrides(table, origin=origin)

    def with_overrides(self, table: object, *, origin: str = "<overrides>") -> ModelRegistry:
        """A new registry with ``table``'s entries merged over this one's.

        An entry for a model this registry knows (by any spelling) only needs the fields it changes:
        the rest come from that model's entry. An entry for a new model needs ``provider``,
        ``context_window``, ``max_output``, ``input_per_mtok`` and ``output_per_mtok``.

        Raises:
            ModelRegistryError: the table is malformed; the message names ``origin`` and the entry.
        """
        top = _expect_object(table, origin, "the top level")
        unknown = sorted(set(top) - _TOP_KEYS)
        if unknown:
            raise ModelRegistryError(f"{origin}: unknown top-level key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
        models = dict(self.models)
        for key, entry in _expect_object(top.get("models"), origin, '"models"').items():
            info = self._merge_entry(key, entry, origin)
            models[info.name] = info
        as_of = top.get("as_of")
        if as_of is not None and not isinstance(as_of, str):
            raise ModelRegistryError(f'{origin}: "as_of" must be a string, got {as_of!r}')
        # The first table's date stays: an override file's date says nothing about the other entries.
        as_of = self.as_of if self.as_of is not None else as_of
        return ModelRegistry(
            models=models,
            as_of=as_of,
            sources={**self.sources, **_parse_sources(top.get("providers", {}), origin)},
            origins=(*self.origins, origin),
        )

    def _merge_entry(self, key: str, entry: object, origin: str) -> ModelInfo:
        where = f"{origin}: models[{key!r}]"
        fields = _expect_object(entry, origin, f"models[{key!r}]")
        unknown = sorted(set(fields) - _FIELDS)
        if unknown:
            raise ModelRegistryError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}")
        name = base_model_name(key)
        if not name:
            raise ModelRegistryError(f"{where}: empty model name")
        existing = self.models.get(name) or self.get(name)
        merged: dict[str, Any] = {}
        if existing is not None:
            merged = {k: v for k, v in asdict(existing).items() if k in _FIELDS}
        merged.update(fields)
        missing = [f for f in _REQUIRED if f not in merged]
        if missing:
            raise ModelRegistryError(f"{where}: a new model needs {missing} (no built-in entry matches {key!r})")
        return _build_info(name, merged, where)


def load_registry(path: str | os.PathLike[str] | None = None, *, use_env: bool = True) -> ModelRegistry:
    """The built-in model table, with a user override file merged over it.

    The override file is ``path`` if given; otherwise, when ``use_env`` is true, ``$HEADROOM_MODELS_FILE``
    if set (it must exist), else ``$HEADROOM_HOME/models.json`` (default ``~/.headroom``) if it exists.
    It has the schema of the built-in ``models.json``; its entries add models or override built-in
    ones field by field (see `ModelRegistry.with_overrides`).

    Args:
        path: an override file to merge, instead of the one the environment names.
        use_env: look for an override file in the environment when ``path`` is ``None``; ``False`` gives
            the built-in table alone.

    Raises:
        ModelRegistryError: the override file cannot be read, is not JSON, or is malformed; the message
            names the file and the problem.
    """
    registry = builtin_registry()
    override = Path(path).expanduser() if path is not None else (_override_from_env() if use_env else None)
    if override is None:
        return registry
    return registry.with_overrides(_read_json(override), origin=str(override))


@cache
def builtin_registry() -> ModelRegistry:
    """The table shipped with Headroom (read once per process; registries are immutable)."""
    text = files("headroom.models").joinpath("models.json").read_text(encoding="utf-8")
    return ModelRegistry.from_table(json.loads(text), origin=BUILTIN_ORIGIN)


def _override_from_env() -> Path | None:
    explicit = os.environ.get(MODELS_FILE_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get(HOME_ENV) or "~/.headroom"
    candidate = Path(home).expanduser() / USER_FILENAME
    return candidate if candidate.is_file() else None


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ModelRegistryError(f"cannot read model table {path}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ModelRegistryError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelRegistryError(f"{path}: not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from e


def _family_key(name: str) -> tuple[str, tuple[int, ...], str] | None:
    m = _FAMILY.fullmatch(name)
    if m is None:
        return None
    version = tuple(int(p) for p in re.split(r"[.-]", m["version"]))
    return m["family"], version, m["suffix"]


def _is_variant(name: str, key: str) -> bool:
    """``name`` is ``key`` followed by ``-`` and a variant part (not a minor version)."""
    n = len(key)
    return len(name) > n + 1 and name.startswith(key) and name[n] == "-" and not _MINOR_VERSION.match(name, n)


def _expect_object(value: object, origin: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ModelRegistryError(f"{origin}: {what} must be a JSON object, got {_json_type(value)}")
    return value


def _parse_sources(providers: object, origin: str) -> dict[str, str]:
    sources: dict[str, str] = {}
    for provider, about in _expect_object(providers, origin, '"providers"').items():
        source = about.get("source") if isinstance(about, dict) else None
        if not isinstance(source, str):
            raise ModelRegistryError(f'{origin}: providers[{provider!r}] must be {{"source": "<text>"}}')
        sources[provider] = source
    return sources


def _build_info(name: str, fields: Mapping[str, Any], where: str) -> ModelInfo:
    provider = fields["provider"]
    if not isinstance(provider, str) or not provider:
        raise ModelRegistryError(f"{where}.provider must be a non-empty string, got {provider!r}")
    context_window = _positive_int(fields["context_window"], f"{where}.context_window")
    max_output = _positive_int(fields["max_output"], f"{where}.max_output")
    max_input = fields.get("max_input")
    if max_input is not None:
        max_input = _positive_int(max_input, f"{where}.max_input")
    _check_limits(context_window, max_output, max_input, where)
    return ModelInfo(
        name=name,
        provider=provider,
        context_window=context_window,
        max_output=max_output,
        input_per_mtok=_price(fields["input_per_mtok"], f"{where}.input_per_mtok"),
        output_per_mtok=_price(fields["output_per_mtok"], f"{where}.output_per_mtok"),
        cache_read_per_mtok=_optional_price(fields.get("cache_read_per_mtok"), f"{where}.cache_read_per_mtok"),
        cache_write_per_mtok=_optional_price(fields.get("cache_write_per_mtok"), f"{where}.cache_write_per_mtok"),
        max_input=max_input,
    )


def _check_limits(context_window: int, max_output: int, max_input: int | None, where: str) -> None:
    if max_output > context_window:
        raise ModelRegistryError(f"{where}: max_output ({max_output}) exceeds context_window ({context_window})")
    if max_input is not None and max_input > context_window:
        raise ModelRegistryError(f"{where}: max_input ({max_input}) exceeds context_window ({context_window})")


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ModelRegistryError(f"{where} must be a positive integer (tokens), got {value!r}")
    return value


def _price(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ModelRegistryError(f"{where} must be a number >= 0 (USD per million tokens), got {value!r}")
    return float(value)


def _optional_price(value: object, where: str) -> float | None:
    return None if value is None else _price(value, where)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
