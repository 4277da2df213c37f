"""Headroom for Agno: compress tool results and model input; originals come back with ``headroom_retrieve``.

Quick start::

    from headroom_agno import HeadroomCompressionManager, headroom_retrieve_tool
    agent = Agent(model=..., tools=[..., headroom_retrieve_tool()], compression_manager=HeadroomCompressionManager())
"""

from headroom import __version__

from headroom_agno._compression import HeadroomCompressionManager
from headroom_agno._model import HeadroomModel, wrap_model
from headroom_agno._retrieve import headroom_retrieve_tool

__all__ = ["HeadroomCompressionManager", "HeadroomModel", "__version__", "headroom_retrieve_tool", "wrap_model"]
