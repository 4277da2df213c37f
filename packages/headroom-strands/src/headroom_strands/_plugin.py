"""`HeadroomPlugin`: Headroom inside a Strands agent, through its hooks and middleware."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from headroom import CompressOptions, Store
from headroom.integrations import RETRIEVE_TOOL_NAME, ToolOutputCompressor
from strands.hooks import AfterToolCallEvent
from strands.middleware import InvokeModelContext, InvokeModelStage
from strands.plugins import Plugin

from headroom_strands._compress import compress_messages, compress_result, model_name, strands_options
from headroom_strands._convert import last_user_text
from headroom_strands._retrieve import HeadroomRetrieveTool
from headroom_strands._stats import HeadroomStats, Tally

if TYPE_CHECKING:
    from headroom import CompressKwargs
    from strands import Agent
    from typing_extensions import Unpack


class HeadroomPlugin(Plugin):
    """Compresses what a Strands agent's model reads; the model fetches originals with ``headroom_retrieve``.

    Two stages, each on by default:

    * ``tool_results``: every tool result is compressed as it is produced (an ``AfterToolCallEvent``
      hook), so the agent's history, its session and its conversation manager hold the small version;
      the original is in the store.
    * ``model_input``: every model call gets a compressed copy of the messages (``InvokeModelStage.Input``
      middleware); ``agent.messages`` is not touched. This covers large user text and results that
      entered the history some other way. Text compressed when its tool ran is not compressed again.

    The plugin registers ``headroom_retrieve`` on the agent and offers it to the model whenever the
    messages it is sent name a ref. Retrieved originals are never compressed.

    Args:
        store: where originals go; None means the process-wide default store (SQLite under
            ``$HEADROOM_HOME``).
        model: the model name for token counting; None takes the agent model's ``model_id``.
        tool_results: compress tool results as they are produced.
        model_input: compress the messages of each model call.
        options: a `headroom.CompressOptions`; its ``fit`` is ignored (context-window overflow is
            left to Strands' conversation manager).
        **kwargs: fields of `headroom.CompressOptions` (``min_tokens``, ``dedupe``, ...) over
            ``options``, except ``fit``.

    Raises:
        TypeError: an unknown option.
        ValueError: ``fit`` was passed, or a value its field does not take.
    """

    name = "headroom"

    def __init__(
        self,
        *,
        store: Store | None = None,
        model: str | None = None,
        tool_results: bool = True,
        model_input: bool = True,
        options: CompressOptions | None = None,
        **kwargs: Unpack[CompressKwargs],
    ) -> None:
        self._outputs = ToolOutputCompressor(store=store, model=model, options=strands_options(options, kwargs))
        self._tally = Tally()
        self._tool_results = tool_results
        self._model_input = model_input
        self.retrieve_tool = HeadroomRetrieveTool(store=store)
        super().__init__()

    @property
    def stats(self) -> HeadroomStats:
        """Tokens saved and time spent so far, over every agent this plugin is attached to."""
        return self._tally.stats

    def init_agent(self, agent: Agent) -> None:
        """Register ``headroom_retrieve`` (unless the agent has it), the tool hook and the model middleware.

        Args:
            agent: the agent being built.
        """
        if RETRIEVE_TOOL_NAME not in agent.tool_registry.registry:
            agent.tool_registry.register_tool(self.retrieve_tool)
        if self._tool_results:
            agent.add_hook(self._on_tool_result, AfterToolCallEvent)
        if self._model_input:
            agent.add_middleware(InvokeModelStage.Input, self._on_model_input)

    async def _on_tool_result(self, event: AfterToolCallEvent) -> None:
        query, model = last_user_text(event.agent.messages), model_name(event.agent.model)
        result = await asyncio.to_thread(
            compress_result, self._outputs, self._tally, event.result, event.tool_use, query=query, model=model
        )
        if result is not event.result:
            event.result = result  # type: ignore[assignment]  # same ToolResult shape, built as a dict

    async def _on_model_input(self, context: InvokeModelContext) -> InvokeModelContext:
        messages, named = await asyncio.to_thread(
            compress_messages, context.messages, self._outputs, self._tally, model=model_name(context.model)
        )
        specs = context.tool_specs
        if not named:  # like core: the retrieve tool is offered only once a marker is there to redeem
            specs = [s for s in specs if s.get("name") != RETRIEVE_TOOL_NAME]
        return context.replace(messages=messages, tool_specs=specs)
