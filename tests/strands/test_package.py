"""headroom-strands installs alone and imports with only its own dependencies."""

import importlib
import importlib.metadata

import headroom_strands


def test_imports_core_and_exposes_version() -> None:
    assert headroom_strands.__all__ == [
        "HeadroomModel",
        "HeadroomPlugin",
        "HeadroomRetrieveTool",
        "HeadroomStats",
        "__version__",
    ]
    assert headroom_strands.__version__ == importlib.import_module("headroom").__version__


def test_installed_with_its_host_and_without_other_integrations() -> None:
    installed = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    assert "headroom-strands" in installed
    others = {"headroom-litellm", "headroom-langchain", "headroom-strands", "headroom-agno"} - {"headroom-strands"}
    assert not (installed & others), f"other integrations leaked into this environment: {installed & others}"
