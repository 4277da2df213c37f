"""Shared pieces of the proxy tests: a fake upstream behind a real proxy, and realistic tool outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
from headroom import MemoryStore, find_refs
from headroom.proxy import ProxySettings
from headroom.proxy.server import ProxyServer
from headroom.testing import FakeUpstream, RecordedRequest


@dataclass
class Rig:
    up: FakeUpstream
    proxy: ProxyServer
    store: MemoryStore

    @property
    def url(self) -> str:
        return self.proxy.base_url

    def openai(self, **kw: Any) -> openai.OpenAI:
        kw.setdefault("base_url", self.url + "/v1")
        kw.setdefault("api_key", "sk-test-123")
        return openai.OpenAI(max_retries=0, **kw)

    def anthropic(self, **kw: Any) -> anthropic.Anthropic:
        kw.setdefault("api_key", "sk-ant-test-456")
        return anthropic.Anthropic(base_url=self.url, max_retries=0, **kw)


@contextmanager
def rig(**settings: Any) -> Iterator[Rig]:
    """A fake upstream, and a proxy in front of it sending every route there."""
    store = MemoryStore()
    with FakeUpstream() as up:
        s = ProxySettings(port=0, anthropic_url=up.base_url, openai_url=up.base_url, **settings)
        with ProxyServer(s, store=store) as proxy:
            yield Rig(up, proxy, store)


def service_log(lines: int = 1500) -> str:
    """A web service's log: routine requests, one failure with its trace in the middle."""
    out = []
    for i in range(lines):
        out.append(
            f"2025-03-14T10:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z INFO  [worker-{i % 4}] "
            f"GET /api/orders/{10_000 + i} 200 {(i * 37) % 90 + 5}ms user={i % 97}"
        )
        if i == lines // 2:
            out += [
                "2025-03-14T10:12:30.500Z ERROR [worker-1] payment gateway timeout after 30000ms order=10750",
                "Traceback (most recent call last):",
                '  File "/srv/app/payments.py", line 88, in charge',
                "    resp = gateway.post(payload, timeout=30)",
                "TimeoutError: gateway did not answer within 30s",
            ]
    return "\n".join(out)


QUESTION = "Why did the payment for order 10750 fail?"


def chat_messages(log: str) -> list[dict[str, Any]]:
    call = {"id": "call_log", "type": "function", "function": {"name": "read_log", "arguments": '{"file": "app.log"}'}}
    return [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_log", "content": log},
    ]


def anthropic_messages(log: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": QUESTION},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_log", "name": "read_log", "input": {"file": "app.log"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_log", "content": log}]},
    ]


def responses_input(log: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": QUESTION},
        {"type": "function_call", "call_id": "call_log", "name": "read_log", "arguments": '{"file": "app.log"}'},
        {"type": "function_call_output", "call_id": "call_log", "output": log},
    ]


CLIENT_TOOLS_CHAT = [
    {"type": "function", "function": {"name": "read_log", "parameters": {"type": "object", "properties": {}}}}
]
CLIENT_TOOLS_ANTHROPIC = [{"name": "read_log", "input_schema": {"type": "object", "properties": {}}}]
CLIENT_TOOLS_RESPONSES = [{"type": "function", "name": "read_log", "parameters": {"type": "object", "properties": {}}}]


def refs_in(req: RecordedRequest) -> list[str]:
    return find_refs(req.text)


def tool_names(req: RecordedRequest) -> list[str]:
    names = []
    for t in req.json.get("tools") or []:
        fn = t.get("function")
        names.append(fn["name"] if isinstance(fn, dict) else t.get("name"))
    return names


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
