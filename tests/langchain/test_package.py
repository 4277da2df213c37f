"""headroom-langchain installs alone and imports with only its own dependencies."""

import importlib
import importlib.metadata

import headroom_langchain


def test_imports_core_and_exposes_version() -> None:
    assert headroom_langchain.__all__ == [
        "HeadroomChatMessageHistory",
        "HeadroomChatModel",
        "HeadroomDocumentCompressor",
        "HeadroomTool",
        "__version__",
        "compress_messages",
        "compress_tool",
        "headroom_retrieve_tool",
    ]
    for name in headroom_langchain.__all__:
        assert getattr(headroom_langchain, name) is not None
    assert headroom_langchain.__version__ == importlib.import_module("headroom").__version__


def test_installed_with_its_host_and_without_other_integrations() -> None:
    installed = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    assert "headroom-langchain" in installed
    others = {"headroom-litellm", "headroom-langchain", "headroom-strands", "headroom-agno"} - {"headroom-langchain"}
    assert not (installed & others), f"other integrations leaked into this environment: {installed & others}"
