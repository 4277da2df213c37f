"""headroom-litellm installs alone and imports with only its own dependencies."""

import importlib
import importlib.metadata

import headroom_litellm


def test_imports_core_and_exposes_version() -> None:
    assert headroom_litellm.__all__ == ["__version__"]
    assert headroom_litellm.__version__ == importlib.import_module("headroom").__version__


def test_installed_with_its_host_and_without_other_integrations() -> None:
    installed = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    assert "headroom-litellm" in installed
    others = {"headroom-litellm", "headroom-langchain", "headroom-strands", "headroom-agno"} - {"headroom-litellm"}
    assert not (installed & others), f"other integrations leaked into this environment: {installed & others}"
