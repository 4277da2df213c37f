"""The models an eval asks: the local GGUF model in process, or any OpenAI-compatible / Anthropic endpoint.

Every backend takes and returns OpenAI Chat Completions messages, so the harness builds one
conversation shape; the Anthropic backend translates on the way out and back.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["AnthropicEndpoint", "ChatBackend", "LocalModel", "OpenAIEndpoint", "Turn"]

Message = dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """One model reply.

    Attributes:
        message: the assistant message (OpenAI format), ready to append to the conversation.
        input_tokens: prompt tokens the backend reported.
        output_tokens: completion tokens it reported.
    """

    message: Message
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def text(self) -> str:
        """The reply's text ('' when it only called tools)."""
        content = self.message.get("content")
        return content if isinstance(content, str) else ""

    @property
    def tool_calls(self) -> list[Message]:
        """Its tool calls, OpenAI format."""
        return list(self.message.get("tool_calls") or [])


class ChatBackend(Protocol):
    """What the harness needs from a model."""

    @property
    def model(self) -> str:
        """The model's name (part of the baseline cache key)."""
        ...

    @property
    def concurrency(self) -> int:
        """How many requests it serves at once."""
        ...

    def chat(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], max_tokens: int) -> Turn:
        """Ask the model; temperature 0."""
        ...


def _import_xllamacpp() -> Any:
    try:
        import xllamacpp  # type: ignore[import-untyped]  # ships no type information
    except ImportError:
        raise ImportError('the local model needs xllamacpp: pip install "headroom-core[evals]"') from None
    return xllamacpp


@dataclass
class LocalModel:
    """A GGUF model run in process by llama.cpp (``xllamacpp``), on the CPU.

    llama.cpp's prompt cache stays on: questions that share a context pay for it once.

    Args:
        path: the GGUF file.
        name: the model name reported and used in cache keys.
        n_ctx: the context window to allocate.
        threads: CPU threads (2 here; ``OMP_WAIT_POLICY=passive`` is set, or generation collapses
            when other processes load the CPU).
    """

    path: Path
    name: str
    n_ctx: int = 20480
    threads: int = 2
    _server: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def model(self) -> str:
        """The model's name."""
        return self.name

    @property
    def concurrency(self) -> int:
        """One request at a time (one slot keeps the prompt cache)."""
        return 1

    def _load(self) -> Any:
        if self._server is None:
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            x = _import_xllamacpp()
            params = x.CommonParams()
            params.model.path = str(self.path)
            params.n_ctx = self.n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.cache_prompt = True
            params.use_jinja = True  # the model's own chat template, with its tool-call format
            params.warmup = False
            params.verbosity = -1
            self._server = x.Server(params)
        return self._server

    def chat(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], max_tokens: int) -> Turn:
        """One completion through llama.cpp's own chat handler (the model's chat template, tool calls parsed)."""
        body: dict[str, Any] = {
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": 0,
            "cache_prompt": True,
        }
        if tools:
            body["tools"] = [dict(t) for t in tools]
        with self._lock:
            reply = self._load().handle_chat_completions(body)
        if "error" in reply:
            raise RuntimeError(f"llama.cpp: {reply['error']}")
        turn = _openai_turn(reply)
        names = {str(t.get("function", {}).get("name")) for t in tools}
        calls = [] if turn.tool_calls else text_tool_calls(turn.text, names)
        if calls:
            return Turn(
                {"role": "assistant", "content": None, "tool_calls": calls}, turn.input_tokens, turn.output_tokens
            )
        return turn


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def text_tool_calls(text: str, names: set[str]) -> list[Message]:
    """Tool calls a model wrote as bare JSON objects (``{"name": ..., "arguments": {...}}``, maybe in a
    code fence) instead of in its template's tool-call tags, as Qwen2.5-Coder does; only calls of
    declared tools count, and only when the whole reply is such calls."""
    body = _FENCE.sub("", text.strip())
    decoder = json.JSONDecoder()
    calls: list[Message] = []
    at = 0
    while at < len(body):
        if body[at].isspace():
            at += 1
            continue
        try:
            value, at = decoder.raw_decode(body, at)
        except ValueError:
            return []
        if not isinstance(value, dict) or value.get("name") not in names:
            return []
        args = value.get("arguments", value.get("parameters", {}))
        arguments = args if isinstance(args, str) else json.dumps(args)
        calls.append(
            {
                "id": f"call_{len(calls)}",
                "type": "function",
                "function": {"name": value["name"], "arguments": arguments},
            }
        )
    return calls


def _openai_turn(reply: Mapping[str, Any]) -> Turn:
    message = dict(reply["choices"][0]["message"])
    message = {k: v for k, v in message.items() if k in ("role", "content", "tool_calls")}
    usage = reply.get("usage") or {}
    return Turn(message, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise ImportError('endpoints need httpx: pip install "headroom-core[evals]"') from None
    return httpx


@dataclass
class OpenAIEndpoint:
    """Any OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        base_url: up to and including ``/v1``.
        model: the model to ask for.
        api_key: sent as a bearer token when given.
        concurrency: requests in flight at once.
        timeout: seconds per request.
    """

    base_url: str
    model: str
    api_key: str | None = None
    concurrency: int = 4
    timeout: float = 300.0

    def chat(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], max_tokens: int) -> Turn:
        """One completion."""
        body: dict[str, Any] = {"model": self.model, "messages": list(messages), "max_tokens": max_tokens}
        body["temperature"] = 0
        if tools:
            body["tools"] = list(tools)
        headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        reply = _post(f"{self.base_url.rstrip('/')}/chat/completions", body, headers, self.timeout)
        return _openai_turn(reply)


@dataclass
class AnthropicEndpoint:
    """An Anthropic ``/v1/messages`` endpoint; OpenAI-shaped conversations are translated both ways.

    Args:
        base_url: the host, without ``/v1``.
        model: the model to ask for.
        api_key: sent as ``x-api-key`` when given.
        concurrency: requests in flight at once.
        timeout: seconds per request.
    """

    base_url: str
    model: str
    api_key: str | None = None
    concurrency: int = 4
    timeout: float = 300.0

    def chat(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], max_tokens: int) -> Turn:
        """One completion."""
        system, converted = to_anthropic(messages)
        body: dict[str, Any] = {"model": self.model, "messages": converted, "max_tokens": max_tokens, "temperature": 0}
        if system:
            body["system"] = system
        if tools:
            body["tools"] = [
                {
                    "name": t["function"]["name"],
                    "description": t["function"].get("description", ""),
                    "input_schema": t["function"].get("parameters") or {"type": "object", "properties": {}},
                }
                for t in tools
            ]
        headers = {"anthropic-version": "2023-06-01"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        reply = _post(f"{self.base_url.rstrip('/')}/v1/messages", body, headers, self.timeout)
        return from_anthropic(reply)


def _post(url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout: float) -> Any:
    httpx = _httpx()
    response = httpx.post(url, json=body, headers=dict(headers), timeout=timeout)
    if response.status_code >= 400:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
    return response.json()


def to_anthropic(messages: Sequence[Mapping[str, Any]]) -> tuple[str, list[Message]]:
    """OpenAI chat messages → (Anthropic system, Anthropic messages); tool results merge into one user turn."""
    system: list[str] = []
    out: list[Message] = []
    for m in messages:
        role = m.get("role")
        if role == "system":
            system.append(str(m.get("content") or ""))
        elif role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.get("tool_call_id"), "content": str(m.get("content"))}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif role == "assistant":
            blocks: list[Message] = []
            if m.get("content"):
                blocks.append({"type": "text", "text": str(m["content"])})
            for call in m.get("tool_calls") or ():
                fn = call["function"]
                args = fn.get("arguments") or "{}"
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": fn["name"],
                        "input": json.loads(args) if isinstance(args, str) else args,
                    }
                )
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": "user", "content": str(m.get("content") or "")})
    return "\n\n".join(system), out


def from_anthropic(reply: Mapping[str, Any]) -> Turn:
    """An Anthropic message → a `Turn` holding the OpenAI-format assistant message."""
    texts: list[str] = []
    calls: list[Message] = []
    for block in reply.get("content") or ():
        if block.get("type") == "text":
            texts.append(str(block.get("text") or ""))
        elif block.get("type") == "tool_use":
            arguments = json.dumps(block.get("input") or {})
            calls.append(
                {"id": block["id"], "type": "function", "function": {"name": block["name"], "arguments": arguments}}
            )
    message: Message = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    usage = reply.get("usage") or {}
    return Turn(message, int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0))
