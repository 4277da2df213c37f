"""A work-around for LiteLLM 1.106 as packaged, applied where Headroom hands LiteLLM a request."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from typing import Any

__all__ = ["skip_unavailable_mcp"]


@functools.lru_cache(maxsize=1)
def _mcp_missing() -> bool:
    return importlib.util.find_spec("mcp") is None


def skip_unavailable_mcp(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request``, told to skip LiteLLM's MCP-tool handler when the ``mcp`` package is not installed.

    LiteLLM 1.106 imports that handler for every chat call that has ``tools`` (and every Responses
    call), and the import needs ``mcp``, which only ``litellm[proxy]`` installs: without it those
    calls fail with "No module named 'mcp'". Headroom adds ``headroom_retrieve`` to requests it
    compresses, so it would turn working calls into failing ones. Without ``mcp`` the handler could
    not run anyway; skipping it (LiteLLM's own ``_skip_mcp_handler`` flag) changes nothing else.
    """
    if _mcp_missing():
        return {**request, "_skip_mcp_handler": True}
    return dict(request)
