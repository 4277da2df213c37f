"""The integration kit: everything a host plugin needs from Headroom, and nothing about any host.

A host integration (LiteLLM, LangChain, Strands, Agno, yours) is a thin adapter: it maps the
host's messages to one of Headroom's formats and back, and uses only these names:

- `RETRIEVE_TOOL`: the ``headroom_retrieve`` tool spec (name, description, JSON-Schema parameters),
  to declare the tool in whatever shape the host wants.
- `answer_retrieve`: the answer to a ``headroom_retrieve`` call, from its arguments: ``(text, is_error)``.
- `ToolOutputCompressor`: for hosts that see one tool output at a time; fails open.
- `CompressResult.edits` (from `headroom.compress`): which blocks changed, old and new, so an
  integration writes the new text back into its own message objects without comparing them.
- `Api` / `FormatName` and `get_format`: the one vocabulary for provider APIs and their message
  formats (``"openai-chat"`` speaks ``"openai"``, ...); every function takes either name.

>>> from headroom import MemoryStore
>>> from headroom.integrations import ToolOutputCompressor, answer_retrieve
>>> store = MemoryStore()
>>> log = "\\n".join(f"12:00:{i % 60:02d} INFO request {i} served in 3 ms" for i in range(400))
>>> out = ToolOutputCompressor(store=store).compress(log + "\\nERROR disk full", tool_name="read_log")
>>> out.compressed, "ERROR disk full" in out.text
(True, True)
>>> answer_retrieve({"ref": out.refs[0], "query": "disk full"}, store=store)
('401: ERROR disk full', False)
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from headroom.api import answer_retrieve, compress_text
from headroom.config import CompressKwargs, CompressOptions
from headroom.formats import Api, FormatName, get_format
from headroom.formats._base import RETRIEVE_DESCRIPTION, RETRIEVE_PARAMETERS
from headroom.markers import RETRIEVE_TOOL_NAME, find_refs
from headroom.result import CompressResult, Edit
from headroom.store import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

    from typing_extensions import Unpack

__all__ = [
    "RETRIEVE_TOOL",
    "RETRIEVE_TOOL_NAME",
    "Api",
    "CompressResult",
    "Edit",
    "FormatName",
    "RetrieveToolSpec",
    "ToolOutput",
    "ToolOutputCompressor",
    "answer_retrieve",
    "get_format",
]

log = logging.getLogger("headroom")


@dataclass(frozen=True)
class RetrieveToolSpec:
    """The ``headroom_retrieve`` tool, independent of any provider's tool format.

    Attributes:
        name: ``headroom_retrieve``.
        description: what the model is told the tool does.
        parameters: the JSON Schema of its arguments (``ref``, optional ``query`` and ``lines``).
    """

    name: str
    description: str
    parameters: Mapping[str, Any]

    def schema(self) -> dict[str, Any]:
        """A fresh copy of ``parameters`` (hosts may mutate what they are given)."""
        return copy.deepcopy(dict(self.parameters))

    def openai(self) -> dict[str, Any]:
        """The tool as an OpenAI Chat Completions ``tools`` item (LangChain's ``bind_tools`` takes it too)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.schema()},
        }


RETRIEVE_TOOL = RetrieveToolSpec(RETRIEVE_TOOL_NAME, RETRIEVE_DESCRIPTION, RETRIEVE_PARAMETERS)
"""The ``headroom_retrieve`` tool spec every integration declares."""


@dataclass(frozen=True)
class ToolOutput:
    """What `ToolOutputCompressor.compress` gives for one tool output.

    Attributes:
        text: what to send the model: the compressed text, or the original when nothing was done.
        compressed: whether ``text`` differs from the original.
        tokens_saved: tokens the output lost (0 when not compressed).
        refs: refs named by markers in ``text`` (the originals are in the store already).
        seconds: time spent.
        error: why the original was kept after a failure, else None.
    """

    text: str
    compressed: bool = False
    tokens_saved: int = 0
    refs: tuple[str, ...] = ()
    seconds: float = 0.0
    error: str | None = None


class ToolOutputCompressor:
    """Compresses tool outputs one at a time, for hosts that see each as it is produced. Fails open.

    Outputs of ``headroom_retrieve`` and text that already names refs (compressed before) come back
    as they are; so does any output when compression fails (logged once per failure, with
    ``ToolOutput.error`` set): a tool's result always reaches the model. Thread-safe.

    Args:
        store: where originals go; None means the process-wide default store.
        model: the model name for token counting when a call names none.
        options: `CompressOptions` for every output; ``fit`` is always off (one block has no turns).
        **kwargs: fields of `CompressOptions`, over ``options``.

    Raises:
        TypeError, ValueError: an unknown option or a bad value (here, not on the first output).
    """

    def __init__(
        self,
        *,
        store: Store | None = None,
        model: str | None = None,
        options: CompressOptions | None = None,
        **kwargs: Unpack[CompressKwargs],
    ) -> None:
        self.store = store
        self.model = model
        self.options = dataclasses.replace(CompressOptions.from_kwargs(kwargs, options), fit=False)

    def compress(
        self,
        text: str,
        *,
        tool_name: str | None = None,
        tool_args: Mapping[str, Any] | None = None,
        query: str | None = None,
        model: str | None = None,
    ) -> ToolOutput:
        """One tool output, compressed for the task.

        Args:
            text: the output.
            tool_name: the tool that produced it.
            tool_args: that call's arguments (task context, like the query).
            query: what the task is about (the user text the call served).
            model: the model the host is calling (token counting); the compressor's own ``model``,
                when set, comes first, and ``gpt-4o`` when neither is known.
        """
        if tool_name == RETRIEVE_TOOL_NAME or not text or find_refs(text):
            return ToolOutput(text)
        t0 = time.perf_counter()
        try:
            out = compress_text(
                text,
                model=self.model or model or "gpt-4o",
                query=query,
                tool_name=tool_name,
                tool_args=tool_args,
                store=self.store,
                options=self.options,
            )
        except Exception as e:  # fail open: the tool's own output goes on, and the run with it
            log.warning("headroom: a %s output was left uncompressed: %r", tool_name or "tool", e)
            return ToolOutput(text, seconds=time.perf_counter() - t0, error=f"{type(e).__name__}: {e}")
        seconds = time.perf_counter() - t0
        if out.text == text:
            return ToolOutput(text, seconds=seconds)
        return ToolOutput(out.text, True, out.tokens_saved, tuple(out.refs), seconds)
