"""headroom-agno installs alone and imports with only its own dependencies."""

import importlib
import importlib.metadata

import headroom_agno


def test_imports_core_and_exposes_version() -> None:
    assert headroom_agno.__all__ == [
        "HeadroomCompressionManager",
        "HeadroomModel",
        "__version__",
        "headroom_retrieve_tool",
        "wrap_model",
    ]
    assert headroom_agno.__version__ == importlib.import_module("headroom").__version__


def test_installed_with_its_host_and_without_other_integrations() -> None:
    installed = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    assert "headroom-agno" in installed
    others = {"headroom-litellm", "headroom-langchain", "headroom-strands", "headroom-agno"} - {"headroom-agno"}
    assert not (installed & others), f"other integrations leaked into this environment: {installed & others}"
