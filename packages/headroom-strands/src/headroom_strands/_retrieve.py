"""``headroom_retrieve`` as a Strands tool, answered from the store."""

from __future__ import annotations

import asyncio
from typing import Any

from headroom import Store
from headroom.integrations import RETRIEVE_TOOL, answer_retrieve
from strands.types.events import ToolResultEvent
from strands.types.tools import AgentTool, ToolGenerator, ToolResult, ToolSpec, ToolUse


class HeadroomRetrieveTool(AgentTool):
    """The ``headroom_retrieve`` tool: brings back what a Headroom marker left out.

    The model passes the ``ref`` named in a marker, and optionally a ``query`` (only matching lines
    or rows) or ``lines`` (``"120-180"``). An unknown or expired ref comes back as an error result
    the model can read.

    Args:
        store: where the originals are; None means the process-wide default store.
    """

    def __init__(self, *, store: Store | None = None) -> None:
        super().__init__()
        self._store = store
        self._spec: ToolSpec = {
            "name": RETRIEVE_TOOL.name,
            "description": RETRIEVE_TOOL.description,
            "inputSchema": {"json": RETRIEVE_TOOL.schema()},
        }

    @property
    def tool_name(self) -> str:
        """``headroom_retrieve``."""
        return RETRIEVE_TOOL.name

    @property
    def tool_spec(self) -> ToolSpec:
        """The tool's name, description and input schema, as core defines them."""
        return self._spec

    @property
    def tool_type(self) -> str:
        """``python``: the tool runs in this process."""
        return "python"

    def answer(self, tool_use: ToolUse) -> ToolResult:
        """The tool result for one ``headroom_retrieve`` call (blocking: it reads the store)."""
        args = tool_use.get("input")
        text, is_error = answer_retrieve(args if isinstance(args, dict) else {}, self._store)
        return {
            "toolUseId": tool_use["toolUseId"],
            "status": "error" if is_error else "success",
            "content": [{"text": text}],
        }

    async def stream(self, tool_use: ToolUse, invocation_state: dict[str, Any], **kwargs: Any) -> ToolGenerator:
        """Answer the call from the store (in a worker thread, so the event loop keeps running).

        Args:
            tool_use: the model's call, with ``input`` ``{"ref", "query"?, "lines"?}``.
            invocation_state: the agent's per-invocation state (unused).
            **kwargs: unused; part of Strands' tool interface.

        Yields:
            The `ToolResultEvent` carrying the original (or the error).
        """
        yield ToolResultEvent(await asyncio.to_thread(self.answer, tool_use))
