"""Headroom integration for langchain (the adapter itself lands with its own issue).

Importable today so the workspace can be installed and tested member by member.
"""

from headroom import __version__

__all__ = ["__version__"]
