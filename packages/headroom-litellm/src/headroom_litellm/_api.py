"""The three APIs Headroom compresses in LiteLLM, and how each names its parts."""

from __future__ import annotations

from collections.abc import Mapping

from headroom.integrations import RETRIEVE_TOOL_NAME, Api, get_format

__all__ = ["METADATA_KEYS", "Api", "api_for", "has_retrieve_tool", "items_key", "tool_name"]

_CALL_TYPES: dict[str, Api] = {
    "completion": "openai-chat",
    "acompletion": "openai-chat",
    "anthropic_messages": "anthropic-messages",
    "responses": "openai-responses",
    "aresponses": "openai-responses",
}
METADATA_KEYS: dict[Api, tuple[str, ...]] = {
    "openai-chat": ("metadata", "litellm_metadata"),
    # Anthropic and the Responses API have a `metadata` field of their own, sent to the provider.
    "anthropic-messages": ("litellm_metadata",),
    "openai-responses": ("litellm_metadata",),
}


def api_for(call_type: object) -> Api | None:
    """The API a LiteLLM call type speaks, or None for call types Headroom leaves alone.

    Accepts the ``CallTypes`` enum (deployment hook) and its string value (proxy hook).
    """
    name = getattr(call_type, "value", call_type)
    return _CALL_TYPES.get(name) if isinstance(name, str) else None


def tool_name(tool: object) -> str | None:
    """A tool definition's name, in OpenAI (``function.name``) or Anthropic (``name``) shape."""
    if not isinstance(tool, Mapping):
        return None
    fn = tool.get("function")
    name = fn.get("name") if isinstance(fn, Mapping) else tool.get("name")
    return name if isinstance(name, str) else None


def has_retrieve_tool(tools: object) -> bool:
    """Whether a request's tool list offers ``headroom_retrieve``."""
    return isinstance(tools, list) and any(tool_name(t) == RETRIEVE_TOOL_NAME for t in tools)


def items_key(api: Api) -> str:
    """The request key holding the conversation: ``input`` for the Responses API, else ``messages``."""
    return get_format(api).items_key
