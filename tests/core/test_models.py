"""Model registry: name normalisation, lookup precedence, cost arithmetic, override files, the built-in table."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import headroom.models as models
import pytest
from headroom.models import (
    ModelInfo,
    ModelRegistry,
    ModelRegistryError,
    cost,
    get_model,
    get_model_or_default,
    load_registry,
    normalize_model_name,
    set_default_registry,
)


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No override file from the developer's environment; the default registry rebuilt per test."""
    monkeypatch.delenv("HEADROOM_MODELS_FILE", raising=False)
    set_default_registry(None)
    yield
    set_default_registry(None)


def _builtin_table() -> dict[str, Any]:
    text = files("headroom.models").joinpath("models.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def _write(path: Path, table: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table), encoding="utf-8")
    return path


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        # Bedrock model ids, with and without a cross-region prefix and a bedrock/ route.
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("meta.llama3-3-70b-instruct-v1:0", "llama-3.3-70b-instruct"),
        ("openai.gpt-oss-120b-1:0", "gpt-oss-120b"),
        # Vertex: publisher path and @version.
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("vertex_ai/claude-sonnet-4@20250514", "claude-sonnet-4"),
        ("projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro", "gemini-2.5-pro"),
        # Azure, including its gpt-35 spelling.
        ("azure/gpt-4o-2024-08-06", "gpt-4o"),
        ("azure/gpt-35-turbo-0125", "gpt-3.5-turbo"),
        # OpenRouter: vendor path, dotted Claude versions, :free / :thinking variants.
        ("openrouter/anthropic/claude-3.5-sonnet", "claude-3-5-sonnet"),
        ("openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
        ("openrouter/anthropic/claude-3.7-sonnet:thinking", "claude-3-7-sonnet"),
        ("openrouter/openai/gpt-oss-20b:free", "gpt-oss-20b"),
        ("litellm_proxy/openai/gpt-4.1-mini", "gpt-4.1-mini"),
        # Dated snapshots in every style, -latest, -preview.
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4-0613", "gpt-4"),
        ("o1-2024-12-17", "o1"),
        ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
        ("gemini-2.5-flash-lite-preview-09-2025", "gemini-2.5-flash-lite"),
        ("gpt-4o-search-preview-2025-03-11", "gpt-4o-search"),
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
        ("mistral-large-latest", "mistral-large"),
        ("chatgpt-4o-latest", "chatgpt-4o"),
        # Aliases and other spellings.
        ("claude-sonnet-4-0", "claude-sonnet-4"),
        ("Meta-Llama/Llama-3.3-70B-Instruct", "llama-3.3-70b-instruct"),
        ("llama3.3:70b", "llama-3.3-70b"),
        ("open-mistral-nemo", "mistral-nemo"),
        ("  GPT-4o  ", "gpt-4o"),
        # A bare -v3 is part of the name, not a Bedrock version.
        ("deepseek-v3", "deepseek-v3"),
    ],
)
def test_normalize_model_name(raw: str, normalized: str) -> None:
    assert normalize_model_name(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "entry"),
    [
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("openrouter/anthropic/claude-3.5-sonnet", "claude-3-5-sonnet"),
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
        ("claude-opus-4-5-20251101", "claude-opus-4-5"),
        ("azure/gpt-4o-2024-11-20", "gpt-4o"),
        ("gpt-5-chat-latest", "gpt-5-chat"),
        ("gpt-5-codex", "gpt-5-codex"),
        ("o4-mini-2025-04-16", "o4-mini"),
        ("vertex_ai/gemini-2.5-pro", "gemini-2.5-pro"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("mistral/codestral-latest", "codestral"),
        ("deepseek/deepseek-reasoner", "deepseek-reasoner"),
        ("groq/meta-llama/llama-4-scout-17b-16e-instruct", "llama-4-scout"),
        ("together_ai/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "llama-4-maverick"),
        ("together_ai/Qwen/Qwen3-235B-A22B-Instruct-2507-tput", "qwen3-235b-a22b"),
        ("fireworks_ai/accounts/fireworks/models/gpt-oss-120b", "gpt-oss-120b"),
    ],
)
def test_cloud_and_router_ids_find_their_entry(raw: str, entry: str) -> None:
    info = get_model(raw)
    assert info is not None, raw
    assert info.name == entry


# --- lookup precedence ------------------------------------------------------------------------------


def test_longest_prefix_wins() -> None:
    mini = get_model("gpt-4o-mini-2024-07-18")
    assert mini is not None and mini.name == "gpt-4o-mini"
    assert mini.input_per_mtok == 0.15  # not gpt-4o's 2.50
    assert get_model("gpt-4.1-nano-2025-04-14").name == "gpt-4.1-nano"  # type: ignore[union-attr]
    assert get_model("gemini-2.5-flash-lite-001").name == "gemini-2.5-flash-lite"  # type: ignore[union-attr]
    assert get_model("o3-mini-high").name == "o3-mini"  # type: ignore[union-attr]


def test_a_dated_entry_beats_its_family() -> None:
    # gpt-4o's first snapshot kept its launch price; the registry has an entry of its own for it.
    first = get_model("gpt-4o-2024-05-13")
    later = get_model("gpt-4o-2024-08-06")
    assert first is not None and later is not None
    assert (first.name, first.input_per_mtok) == ("gpt-4o-2024-05-13", 5.0)
    assert (later.name, later.input_per_mtok) == ("gpt-4o", 2.5)
    assert get_model("mistral-large-2411").name == "mistral-large-2411"  # type: ignore[union-attr]
    assert get_model("mistral-large-latest").name == "mistral-large"  # type: ignore[union-attr]


def test_old_and_new_claude_naming_both_work() -> None:
    old = get_model("claude-3-5-sonnet-20241022")
    new = get_model("claude-sonnet-4-5-20250929")
    assert old is not None and new is not None
    assert old.name == "claude-3-5-sonnet" and old.max_output == 8192
    assert new.name == "claude-sonnet-4-5" and new.max_output == 64000
    # claude-sonnet-4-5 is a model of its own, not a variant of claude-sonnet-4.
    assert get_model("claude-sonnet-4").name == "claude-sonnet-4"  # type: ignore[union-attr]


def test_unknown_models_are_none_not_a_guess() -> None:
    assert get_model("totally-made-up-model") is None
    assert get_model("") is None
    assert get_model("o9-mega") is None  # no family with a version to go by
    assert cost("totally-made-up-model", input_tokens=1000) is None


@pytest.mark.parametrize(
    ("name", "priced_as"),
    [
        ("claude-opus-4-8", "claude-opus-4-7"),  # what Claude Code 2.1.197 sends
        ("claude-sonnet-4-9-20270101", "claude-sonnet-4-6"),
        ("gpt-6.2-sol", "gpt-5.5"),  # Codex 0.171.0's default: unknown suffix, newest plain gpt below it
        ("gpt-5.6-codex", "gpt-5.3-codex"),  # same suffix first
        ("gemini-3.5-pro", "gemini-3.1-pro"),
    ],
)
def test_a_newer_model_is_priced_as_the_newest_of_its_family_and_says_so(name: str, priced_as: str) -> None:
    info = get_model(name)
    assert info is not None and (info.name, info.by_family) == (priced_as, True)
    assert cost(name, input_tokens=1_000_000) == info.input_per_mtok > 0
    exact = get_model(priced_as)
    assert exact is not None and exact.by_family is False


def test_default_stand_in_says_it_is_unknown() -> None:
    stand_in = get_model_or_default("acme/secret-model-7", context_window=32_000, max_output=2_000)
    assert stand_in.known is False
    assert (stand_in.name, stand_in.provider) == ("secret-model-7", "unknown")
    assert (stand_in.context_window, stand_in.max_output) == (32_000, 2_000)
    assert stand_in.cost(input_tokens=1000, output_tokens=10) is None
    assert cost(stand_in, input_tokens=1000) is None
    known = get_model_or_default("gpt-4o")
    assert known.known is True and known.name == "gpt-4o"


def test_input_limit_respects_reserve_and_input_cap() -> None:
    sonnet = get_model("claude-sonnet-4-5")
    gpt5 = get_model("gpt-5")
    assert sonnet is not None and gpt5 is not None
    assert sonnet.input_limit(output_reserve=8_192) == 200_000 - 8_192
    # gpt-5: 400k window, but at most 272k of it may be input.
    assert gpt5.input_limit(output_reserve=16_000) == 272_000
    assert gpt5.input_limit(output_reserve=200_000) == 200_000
    assert sonnet.input_limit(output_reserve=300_000) == 0
    with pytest.raises(ValueError, match="output_reserve"):
        sonnet.input_limit(output_reserve=-1)


# --- cost -------------------------------------------------------------------------------------------


def test_cost_arithmetic_with_anthropic_cache_prices() -> None:
    # claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read, $3.75 cache write (5 min) per million.
    usd = cost(
        "anthropic/claude-sonnet-4-5-20250929",
        input_tokens=1_000,
        output_tokens=100,
        cache_read_tokens=10_000,
        cache_write_tokens=2_000,
    )
    assert usd == pytest.approx((1_000 * 3 + 100 * 15 + 10_000 * 0.30 + 2_000 * 3.75) / 1e6)
    assert usd == pytest.approx(0.015)


def test_cost_of_openai_usage_and_missing_write_price() -> None:
    # gpt-4o-mini: $0.15 in, $0.60 out, $0.075 cached; OpenAI has no cache-write price: writes cost input.
    assert cost("gpt-4o-mini-2024-07-18", input_tokens=10_000, output_tokens=500) == pytest.approx(0.0018)
    assert cost("gpt-4o-mini", input_tokens=0, cache_read_tokens=1_000_000) == pytest.approx(0.075)
    assert cost("gpt-4o-mini", input_tokens=0, cache_write_tokens=1_000_000) == pytest.approx(0.15)


def test_cache_reads_bill_as_input_where_the_provider_has_no_cache_price() -> None:
    nemo = get_model("mistral-nemo")
    assert nemo is not None and nemo.cache_read_per_mtok is None
    plain = cost(nemo, input_tokens=3_000)
    cached = cost(nemo, input_tokens=1_000, cache_read_tokens=2_000)
    assert plain == pytest.approx(cached)
    assert plain == pytest.approx(3_000 * nemo.input_per_mtok / 1e6)


def test_cost_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="token counts"):
        cost("gpt-4o", input_tokens=-1)
    with pytest.raises(ValueError, match="token counts"):
        cost("gpt-4o", input_tokens=1, cache_read_tokens=-5)


def test_cost_is_zero_for_zero_tokens() -> None:
    assert cost("claude-opus-4-1", input_tokens=0) == 0.0


# --- override files ---------------------------------------------------------------------------------


def test_override_file_adds_a_model_and_partially_overrides_a_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = {
        "models": {
            "my-azure-deployment": {
                "provider": "azure",
                "context_window": 64_000,
                "max_output": 8_000,
                "input_per_mtok": 1.0,
                "output_per_mtok": 2.0,
            },
            # A 1-hour cache write price instead of the 5-minute one; everything else stays built-in.
            "claude-sonnet-4-5": {"cache_write_per_mtok": 6.0},
        }
    }
    monkeypatch.setenv("HEADROOM_MODELS_FILE", str(_write(tmp_path / "prices.json", overrides)))

    mine = get_model("azure/my-azure-deployment")
    assert mine is not None
    assert (mine.provider, mine.context_window, mine.cache_read_per_mtok) == ("azure", 64_000, None)
    assert cost("my-azure-deployment", input_tokens=1_000_000, output_tokens=1_000_000) == pytest.approx(3.0)

    sonnet = get_model("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert sonnet is not None
    assert sonnet.cache_write_per_mtok == 6.0
    assert (sonnet.input_per_mtok, sonnet.cache_read_per_mtok, sonnet.context_window) == (3.0, 0.3, 200_000)
    # The built-in table itself is untouched.
    builtin = load_registry(use_env=False).get("claude-sonnet-4-5")
    assert builtin is not None and builtin.cache_write_per_mtok == 3.75


def test_partial_override_of_a_snapshot_merges_onto_its_family(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.json", {"models": {"gpt-4o-2024-11-20": {"input_per_mtok": 2.0}}})
    registry = load_registry(path)
    snapshot = registry.get("azure/gpt-4o-2024-11-20")
    family = registry.get("gpt-4o-2024-08-06")
    assert snapshot is not None and family is not None
    assert (snapshot.name, snapshot.input_per_mtok, snapshot.output_per_mtok) == ("gpt-4o-2024-11-20", 2.0, 10.0)
    assert (family.name, family.input_per_mtok) == ("gpt-4o", 2.5)


def test_headroom_home_models_json_is_read_when_present(headroom_home: Path) -> None:
    _write(headroom_home / "models.json", {"models": {"gpt-4o": {"output_per_mtok": 9.0}}})
    assert get_model("gpt-4o").output_per_mtok == 9.0  # type: ignore[union-attr]


def test_no_override_file_is_fine(headroom_home: Path) -> None:
    assert not (headroom_home / "models.json").exists()
    registry = models.default_registry()
    assert registry.origins == (models._registry.BUILTIN_ORIGIN,)
    assert get_model("gpt-4o") is not None


def test_override_file_is_read_lazily_not_at_import(tmp_path: Path) -> None:
    broken = _write(tmp_path / "broken.json", {"models": {"x": {"provider": "acme"}}})
    code = "import headroom, headroom.models; print('imported')"
    env = {"HEADROOM_MODELS_FILE": str(broken), "HEADROOM_HOME": str(tmp_path), "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        ("[]", "the top level must be a JSON object, got an array"),
        ('{"models": []}', '"models" must be a JSON object, got an array'),
        ('{"model": {}}', "unknown top-level key(s) ['model']"),
        ('{"models": {"gpt-4o": {"input_per_mtoks": 1}}}', "models['gpt-4o']: unknown field(s) ['input_per_mtoks']"),
        ('{"models": {"gpt-4o": {"context_window": "128k"}}}', "models['gpt-4o'].context_window must be a positive"),
        ('{"models": {"gpt-4o": {"input_per_mtok": -1}}}', "models['gpt-4o'].input_per_mtok must be a number >= 0"),
        ('{"models": {"gpt-4o": {"max_output": 999999}}}', "max_output (999999) exceeds context_window (128000)"),
        ('{"models": {"acme-1": {"provider": "acme"}}}', "models['acme-1']: a new model needs ['context_window'"),
    ],
)
def test_malformed_override_file_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str
) -> None:
    path = tmp_path / "models.json"
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("HEADROOM_MODELS_FILE", str(path))
    with pytest.raises(ModelRegistryError) as excinfo:
        get_model("gpt-4o")
    message = str(excinfo.value)
    assert str(path) in message
    assert problem in message


def test_missing_explicit_override_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.json"
    monkeypatch.setenv("HEADROOM_MODELS_FILE", str(missing))
    with pytest.raises(ModelRegistryError, match=f"cannot read model table {missing}"):
        get_model("gpt-4o")
    with pytest.raises(ModelRegistryError, match="cannot read model table"):
        load_registry(missing)


def test_error_is_raised_again_after_a_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "models.json"
    path.write_text("{", encoding="utf-8")
    monkeypatch.setenv("HEADROOM_MODELS_FILE", str(path))
    with pytest.raises(ModelRegistryError):
        get_model("gpt-4o")
    _write(path, {"models": {"gpt-4o": {"input_per_mtok": 2.0}}})
    assert get_model("gpt-4o").input_per_mtok == 2.0  # type: ignore[union-attr]


def test_explicit_registry_and_default_registry_swap() -> None:
    table = {
        "as_of": "2030-01-01",
        "models": {
            "tiny": {
                "provider": "acme",
                "context_window": 1_000,
                "max_output": 100,
                "input_per_mtok": 1.0,
                "output_per_mtok": 1.0,
            }
        },
    }
    registry = ModelRegistry.from_table(table, origin="test table")
    assert len(registry) == 1 and registry.as_of == "2030-01-01"
    assert "acme/tiny-v2" in registry and "gpt-4o" not in registry
    set_default_registry(registry)
    assert get_model("gpt-4o") is None
    assert get_model("tiny").provider == "acme"  # type: ignore[union-attr]
    set_default_registry(None)
    assert get_model("gpt-4o") is not None


def test_default_registry_is_built_once() -> None:
    assert models.default_registry() is models.default_registry()


# --- the built-in table -----------------------------------------------------------------------------


def test_builtin_table_is_well_formed_and_sane() -> None:
    table = _builtin_table()
    assert isinstance(table["as_of"], str) and len(table["as_of"]) == len("2026-01-01")
    providers = table["providers"]
    rows = table["models"]
    assert len(rows) >= 60
    for name, row in rows.items():
        assert name == normalize_model_name(name) or name in {"gpt-4o-2024-05-13"} or name[-4:].isdigit(), name
        assert row["provider"] in providers, name
        assert row["context_window"] >= row["max_output"] > 0, name
        assert row.get("max_input") is None or 0 < row["max_input"] <= row["context_window"], name
        for price in ("input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok"):
            value = row.get(price)
            assert value is None or (math.isfinite(value) and value >= 0), (name, price)
        assert row["output_per_mtok"] >= row["input_per_mtok"], name
        if row.get("cache_read_per_mtok") is not None:
            assert row["cache_read_per_mtok"] < row["input_per_mtok"], name
        if row.get("cache_write_per_mtok") is not None:
            assert row["cache_write_per_mtok"] >= row["input_per_mtok"], name
    for about in providers.values():
        assert about["source"].strip()


def test_builtin_table_covers_the_issue_models() -> None:
    wanted = [
        "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o3", "o3-mini", "o4-mini",
        "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-codex",
        "claude-opus-4-5", "claude-opus-4-1", "claude-opus-4", "claude-sonnet-4-5", "claude-sonnet-4",
        "claude-3-7-sonnet", "claude-haiku-4-5", "claude-3-5-haiku", "claude-3-5-sonnet", "claude-3-haiku",
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash",
        "mistral-large", "mistral-medium", "mistral-small", "codestral",
        "llama-3.3-70b", "llama-4-scout", "llama-4-maverick", "deepseek-chat", "deepseek-reasoner",
        "qwen3-235b-a22b", "gpt-oss-120b", "gpt-oss-20b",
    ]  # fmt: skip
    registry = load_registry(use_env=False)
    assert [name for name in wanted if name not in registry.models] == []


def test_anthropic_cache_prices_follow_the_published_multipliers() -> None:
    # Cache reads cost 0.1x input and 5-minute writes 1.25x, for every Claude model but Haiku 3,
    # whose published prices are rounded up ($0.03 / $0.30 on $0.25 input).
    for info in load_registry(use_env=False):
        if info.provider == "anthropic" and info.name != "claude-3-haiku":
            assert info.cache_read_per_mtok == pytest.approx(info.input_per_mtok * 0.1), info.name
            assert info.cache_write_per_mtok == pytest.approx(info.input_per_mtok * 1.25), info.name


def test_every_builtin_entry_finds_itself() -> None:
    registry = load_registry(use_env=False)
    for info in registry:
        assert registry.get(info.name) is info


def test_public_api() -> None:
    assert sorted(models.__all__) == [
        "ImageRule",
        "MODELS_FILE_ENV",
        "ModelInfo",
        "ModelRegistry",
        "ModelRegistryError",
        "cost",
        "default_registry",
        "get_model",
        "get_model_or_default",
        "image_rule_for",
        "image_tokens",
        "load_registry",
        "normalize_model_name",
        "set_default_registry",
    ]
    assert all(hasattr(models, name) for name in models.__all__)
    assert isinstance(get_model("gpt-4o"), ModelInfo)
