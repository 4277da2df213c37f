"""``headroom_retrieve`` as an Agno tool, answered from the store."""

from __future__ import annotations

import json

from agno.tools.function import Function
from headroom import Store, retrieve_tool_result
from headroom.formats import get_format
from headroom.markers import RETRIEVE_TOOL_NAME


def headroom_retrieve_tool(store: Store | None = None) -> Function:
    """The ``headroom_retrieve`` tool for an Agno agent: brings back what a Headroom marker left out.

    The model passes the ``ref`` named in a marker, and optionally a ``query`` (only matching lines
    or rows) or ``lines`` (``"120-180"``). An unknown or expired ref comes back as a readable error.

    Args:
        store: where the originals are (the store given to the compression manager or the model
            wrapper); None means the process-wide default store.
    """

    def headroom_retrieve(ref: str, query: str | None = None, lines: str | None = None) -> str:
        args = {k: v for k, v in (("ref", ref), ("query", query), ("lines", lines)) if v}
        call = {
            "id": "agno",
            "type": "function",
            "function": {"name": RETRIEVE_TOOL_NAME, "arguments": json.dumps(args)},
        }
        return str(retrieve_tool_result(call, format="openai", store=store)["content"])

    spec = get_format("openai").retrieve_tool()["function"]
    return Function(
        name=RETRIEVE_TOOL_NAME,
        description=spec["description"],
        parameters=spec["parameters"],
        entrypoint=headroom_retrieve,
    )
