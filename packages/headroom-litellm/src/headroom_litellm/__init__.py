"""Headroom for LiteLLM: compress what LiteLLM sends to the model; answer its ``headroom_retrieve`` calls.

- `HeadroomCallback`: a LiteLLM ``CustomLogger``. SDK: ``litellm.callbacks = [HeadroomCallback()]``;
  proxy: ``litellm_settings: {callbacks: headroom_litellm.callback}``.
- `callback`: the module-level instance the proxy's ``config.yaml`` names (default store, opened lazily).
- `completion`: sync ``litellm.completion`` with compression and retrieval (sync calls run no async hooks).
"""

from headroom import __version__

from headroom_litellm._callback import HeadroomCallback, StreamingMode
from headroom_litellm._sync import completion

callback = HeadroomCallback()
"""The instance ``litellm_settings: {callbacks: headroom_litellm.callback}`` loads (default store, lazy)."""

__all__ = ["HeadroomCallback", "StreamingMode", "__version__", "callback", "completion"]
