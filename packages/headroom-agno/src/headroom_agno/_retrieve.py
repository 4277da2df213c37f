"""``headroom_retrieve`` as an Agno tool, answered from the store."""

from __future__ import annotations

from agno.tools.function import Function
from headroom import Store
from headroom.integrations import RETRIEVE_TOOL, answer_retrieve


def headroom_retrieve_tool(store: Store | None = None) -> Function:
    """The ``headroom_retrieve`` tool for an Agno agent: brings back what a Headroom marker left out.

    The model passes the ``ref`` named in a marker, and optionally a ``query`` (only matching lines
    or rows) or ``lines`` (``"120-180"``). An unknown or expired ref comes back as a readable error.

    Args:
        store: where the originals are (the store given to the compression manager or the model
            wrapper); None means the process-wide default store.
    """

    def headroom_retrieve(ref: str, query: str | None = None, lines: str | None = None) -> str:
        return answer_retrieve({"ref": ref, "query": query, "lines": lines}, store)[0]

    return Function(
        name=RETRIEVE_TOOL.name,
        description=RETRIEVE_TOOL.description,
        parameters=RETRIEVE_TOOL.schema(),
        entrypoint=headroom_retrieve,
    )
