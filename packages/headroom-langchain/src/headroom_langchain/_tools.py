"""`HeadroomTool` / `compress_tool`: a tool whose outputs are compressed, originals in the store."""

from __future__ import annotations

import asyncio
from typing import Any

from headroom import CompressOptions, Store
from headroom.integrations import ToolOutputCompressor
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langchain_core.tools.base import ArgsSchema
from langchain_core.utils.pydantic import TypeBaseModel
from pydantic import Field, model_validator

DEFAULT_MODEL = "gpt-4o"


def compress_content(content: Any, outputs: ToolOutputCompressor, *, tool: str, args: dict[str, Any]) -> Any:
    """Compressed tool content: a string, or a list whose text blocks are compressed one by one.

    Anything else (a dict returned to a caller that invoked the tool without a tool call) is given
    back as it is; LangChain turns it into text only when it builds the tool message. Fails open:
    text that cannot be compressed goes to the model as it is.
    """

    def one(text: str) -> str:
        return outputs.compress(text, tool_name=tool, tool_args=args).text

    if isinstance(content, str):
        return one(content)
    if isinstance(content, list):
        out: list[Any] = []
        for block in content:
            if isinstance(block, str):
                out.append(one(block))
            elif isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
                out.append({**block, "text": one(block["text"])})
            else:
                out.append(block)
        return out
    return content


class HeadroomTool(BaseTool):
    """A LangChain tool that runs ``tool`` and compresses what it returns.

    The model sees the compressed output with markers; the original goes to ``store`` first, so
    ``headroom_retrieve`` (see `HeadroomChatModel` and `headroom_retrieve_tool`) brings it back.
    Name, description, argument schema, ``return_direct`` and ``response_format`` are the wrapped
    tool's; artifacts, errors and callbacks are the wrapped tool's own. The tool call's arguments
    are the task context: lines that mention them are kept.

    Attributes:
        tool: the wrapped tool.
        store: where originals go; None means the process-wide default store.
        model_name: the model Headroom counts tokens for.
        options: `headroom.CompressOptions` for every output.
    """

    tool: BaseTool
    store: Store | None = None
    model_name: str = DEFAULT_MODEL
    options: CompressOptions = Field(default_factory=CompressOptions)

    @model_validator(mode="before")
    @classmethod
    def _from_tool(cls, values: Any) -> Any:
        tool = values.get("tool") if isinstance(values, dict) else None
        if isinstance(tool, BaseTool):
            for key in ("name", "description", "return_direct", "response_format"):
                values.setdefault(key, getattr(tool, key))
        return values

    @property
    def args(self) -> dict[str, Any]:
        """The wrapped tool's arguments."""
        return self.tool.args

    @property
    def tool_call_schema(self) -> ArgsSchema:
        """The wrapped tool's schema, as models are told about it."""
        return self.tool.tool_call_schema

    def get_input_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        """The wrapped tool's input schema."""
        return self.tool.get_input_schema(config)

    def _compress(self, output: Any, tool_input: Any) -> Any:
        args = tool_input if isinstance(tool_input, dict) else {"input": tool_input}
        outputs = ToolOutputCompressor(store=self.store, model=self.model_name, options=self.options)
        if isinstance(output, ToolMessage):
            content = compress_content(output.content, outputs, tool=self.name, args=args)
            return output if content == output.content else output.model_copy(update={"content": content})
        return compress_content(output, outputs, tool=self.name, args=args)

    def run(self, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped tool (with its callbacks and error handling), then compress its output."""
        return self._compress(self.tool.run(tool_input, *args, **kwargs), tool_input)

    async def arun(self, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        """Async `run`."""
        output = await self.tool.arun(tool_input, *args, **kwargs)
        return await asyncio.to_thread(self._compress, output, tool_input)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        # Never reached: `run` and `arun` hand the call to the wrapped tool's own run machinery.
        raise NotImplementedError("HeadroomTool runs through run/arun")


def compress_tool(
    tool: BaseTool,
    *,
    store: Store | None = None,
    model_name: str = DEFAULT_MODEL,
    options: CompressOptions | None = None,
) -> HeadroomTool:
    """Wrap ``tool`` so that its outputs are compressed (see `HeadroomTool`).

    Args:
        tool: any LangChain tool.
        store: where originals go; None means the process-wide default store.
        model_name: the model Headroom counts tokens for.
        options: `headroom.CompressOptions` for every output.

    Returns:
        A tool with the same name and schema, to bind and run in place of ``tool``.
    """
    return HeadroomTool(
        tool=tool,
        name=tool.name,
        description=tool.description,
        store=store,
        model_name=model_name,
        options=options or CompressOptions(),
    )
