"""`HeadroomModel`: a Strands `Model` that compresses the messages, then delegates to another model."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterable
from typing import TYPE_CHECKING, Any, TypeVar

from headroom import CompressOptions, Store
from headroom.integrations import RETRIEVE_TOOL_NAME, ToolOutputCompressor
from strands.models import Model

from headroom_strands._compress import compress_messages, model_name, strands_options
from headroom_strands._retrieve import HeadroomRetrieveTool
from headroom_strands._stats import HeadroomStats, Tally

if TYPE_CHECKING:
    from headroom import CompressKwargs
    from pydantic import BaseModel
    from strands.types.content import Messages, SystemContentBlock
    from strands.types.streaming import StreamEvent
    from strands.types.tools import ToolSpec
    from typing_extensions import Unpack

T = TypeVar("T", bound="BaseModel")

log = logging.getLogger("headroom_strands")


class HeadroomModel(Model):
    """Wraps any Strands model: each call sends a compressed copy of the messages.

    The agent must also carry the retrieve tool, so the model can fetch what markers leave out::

        model = HeadroomModel(BedrockModel(...))
        agent = Agent(model=model, tools=[my_tool, model.retrieve_tool])

    Without ``headroom_retrieve`` among the agent's tools nothing is compressed (a marker would name
    an original the model could not fetch) and a warning says so once. Structured-output calls
    carry no tools, so they go out as they are. Prefer `HeadroomPlugin` when you build the agent:
    it also compresses tool results as they are produced and registers the tool itself.

    Args:
        model: the model to delegate to.
        store: where originals go; None means the process-wide default store.
        model_name: the model name for token counting; None takes the wrapped model's ``model_id``.
        options: a `headroom.CompressOptions`; its ``fit`` is ignored.
        **kwargs: fields of `headroom.CompressOptions` over ``options``, except ``fit``.
    """

    def __init__(
        self,
        model: Model,
        *,
        store: Store | None = None,
        model_name: str | None = None,
        options: CompressOptions | None = None,
        **kwargs: Unpack[CompressKwargs],
    ) -> None:
        self.model = model
        self._outputs = ToolOutputCompressor(store=store, model=model_name, options=strands_options(options, kwargs))
        self._tally = Tally()
        self.retrieve_tool = HeadroomRetrieveTool(store=store)
        self._supports_structured_output = model._supports_structured_output
        self._warned = threading.Event()

    @property
    def config(self) -> Any:
        """The wrapped model's ``config`` (Strands reads ``model_id`` from it for tracing)."""
        return self.model.config  # type: ignore[attr-defined]  # providers define it; AttributeError otherwise

    @property
    def stats(self) -> HeadroomStats:
        """Tokens saved and time spent so far."""
        return self._tally.stats

    @property
    def stateful(self) -> bool:
        """Whether the wrapped model keeps the conversation server-side."""
        return self.model.stateful

    def update_config(self, **model_config: Any) -> None:
        """Update the wrapped model's configuration."""
        self.model.update_config(**model_config)

    def get_config(self) -> Any:
        """The wrapped model's configuration."""
        return self.model.get_config()

    def structured_output(
        self, output_model: type[T], prompt: Messages, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        """Delegated as it is: a structured-output call has no tools, so no way to retrieve."""
        return self.model.structured_output(output_model, prompt, system_prompt=system_prompt, **kwargs)

    async def count_tokens(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        system_prompt_content: list[SystemContentBlock] | None = None,
    ) -> int:
        """The wrapped model's estimate for the messages as given (an upper bound on what is sent)."""
        return await self.model.count_tokens(messages, tool_specs, system_prompt, system_prompt_content)

    async def stream(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterable[StreamEvent]:
        """Compress ``messages`` and stream the wrapped model's answer.

        Args:
            messages: the conversation; not mutated.
            tool_specs: the agent's tools; ``headroom_retrieve`` is passed on only when a marker needs it.
            system_prompt: passed on as it is.
            **kwargs: passed on as they are (``tool_choice``, ``system_prompt_content``, ...).

        Yields:
            The wrapped model's stream events.
        """
        specs = list(tool_specs or [])
        if any(s.get("name") == RETRIEVE_TOOL_NAME for s in specs):
            sent, named = await asyncio.to_thread(
                compress_messages, messages, self._outputs, self._tally, model=model_name(self.model)
            )
            messages = sent
            if not named:
                specs = [s for s in specs if s.get("name") != RETRIEVE_TOOL_NAME]
        elif not self._warned.is_set():
            self._warned.set()
            log.warning(
                "headroom: HeadroomModel left the messages uncompressed: the agent has no %s tool; "
                "add `model.retrieve_tool` to the agent's tools",
                RETRIEVE_TOOL_NAME,
            )
        async for event in self.model.stream(
            messages, specs if tool_specs is not None else None, system_prompt, **kwargs
        ):
            yield event
