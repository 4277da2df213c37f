"""headroom-litellm installs alone and imports with only its own dependencies."""

import importlib
import importlib.metadata

import headroom_litellm


def test_public_api() -> None:
    assert headroom_litellm.__all__ == ["HeadroomCallback", "StreamingMode", "__version__", "callback", "completion"]
    assert headroom_litellm.__version__ == importlib.import_module("headroom").__version__
    assert isinstance(headroom_litellm.callback, headroom_litellm.HeadroomCallback)
    assert headroom_litellm.callback.store is None  # the default store, opened on first use


def test_installed_with_its_host_and_without_other_integrations() -> None:
    installed = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    assert "headroom-litellm" in installed
    others = {"headroom-litellm", "headroom-langchain", "headroom-strands", "headroom-agno"} - {"headroom-litellm"}
    assert not (installed & others), f"other integrations leaked into this environment: {installed & others}"


def test_proxy_backend_is_registered_by_entry_point() -> None:
    found = importlib.metadata.entry_points(group="headroom.proxy_backends", name="litellm")
    assert [ep.value for ep in found] == ["headroom_litellm.backend:make_backend"]
