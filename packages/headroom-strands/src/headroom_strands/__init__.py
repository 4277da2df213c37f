"""Headroom for Strands Agents: compress what the model reads; originals come back with ``headroom_retrieve``.

Quick start::

    from headroom_strands import HeadroomPlugin
    agent = Agent(model=..., tools=[...], plugins=[HeadroomPlugin()])
"""

from headroom import __version__

from headroom_strands._model import HeadroomModel
from headroom_strands._plugin import HeadroomPlugin
from headroom_strands._retrieve import HeadroomRetrieveTool
from headroom_strands._stats import HeadroomStats

__all__ = ["HeadroomModel", "HeadroomPlugin", "HeadroomRetrieveTool", "HeadroomStats", "__version__"]
