"""The real LiteLLM proxy, started as a process with ``callbacks: headroom_litellm.callback`` in its config.

Needs LiteLLM's proxy extra: run with ``--group proxy``. The proxy takes about 20-30 s to start, so
one process serves the whole module.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from headroom import SQLiteStore, find_refs, retrieve
from headroom.testing import FakeUpstream, Reply

from .conftest import ORIGINAL, QUESTION, TOOL, anthropic_messages, openai_messages, retrieve_first_ref, tool_names

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("apscheduler") is None,
        reason="the LiteLLM proxy needs litellm[proxy]: run with --group proxy",
    ),
]

FINAL = "Orders 1000, 1061 and 1122 failed."
CONFIG = """\
model_list:
  - model_name: fake-gpt
    litellm_params: {{model: openai/fake-model, api_base: "{up}/v1", api_key: sk-upstream}}
  - model_name: fake-claude
    litellm_params: {{model: anthropic/claude-sonnet-4-5, api_base: "{up}", api_key: sk-upstream}}
litellm_settings:
  callbacks: ["headroom_litellm.callback", "payload_log.logger"]
  num_retries: 0
router_settings:
  disable_cooldowns: true
  num_retries: 0
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
"""


# A second callback in the proxy: writes what every LiteLLM logger gets (the StandardLoggingPayload).
PAYLOAD_LOG = """\
import json, os
from litellm.integrations.custom_logger import CustomLogger

class PayloadLog(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        payload = kwargs["standard_logging_object"]
        with open(os.environ["PAYLOAD_LOG"], "a") as f:
            f.write(json.dumps({"model_group": payload["model_group"], **payload["metadata"]}, default=str) + "\\n")

logger = PayloadLog()
"""


@dataclass
class Proxy:
    url: str
    key: str
    home: Path
    payload_log: Path

    def originals(self) -> SQLiteStore:
        """The store the proxy's callback writes (the default store under its HEADROOM_HOME)."""
        return SQLiteStore(self.home / "store.sqlite3")

    def headroom_stats(self, count: int) -> list[dict[str, Any]]:
        """``spend_logs_metadata["headroom"]`` of the last ``count`` logged calls (waits for them)."""
        lines: list[str] = []
        for _ in range(100):
            lines = self.payload_log.read_text().splitlines() if self.payload_log.exists() else []
            if len(lines) >= count:
                break
            time.sleep(0.1)
        entries = [json.loads(line) for line in lines[-count:]]
        return [(e.get("spend_logs_metadata") or {}).get("headroom", {}) for e in entries]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def proxy(session_upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    work = tmp_path_factory.mktemp("litellm-proxy")
    (work / "config.yaml").write_text(CONFIG.format(up=session_upstream.base_url))
    (work / "payload_log.py").write_text(PAYLOAD_LOG)
    key = "sk-" + secrets.token_hex(16)
    env = {
        **os.environ,
        "LITELLM_MASTER_KEY": key,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "HEADROOM_HOME": str(work / "home"),
        "PAYLOAD_LOG": str(work / "payloads.jsonl"),
    }
    port = _free_port()
    exe = Path(sys.executable).with_name("litellm")
    command = [str(exe), "--config", str(work / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)]
    log = (work / "proxy.log").open("wb")
    process = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"the LiteLLM proxy exited:\n{(work / 'proxy.log').read_text()[-3000:]}")
            try:
                if httpx.get(url + "/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the LiteLLM proxy did not start:\n{(work / 'proxy.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield Proxy(url, key, work / "home", work / "payloads.jsonl")
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def _openai(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key=proxy.key, max_retries=0, timeout=60)


def _anthropic(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0, timeout=60)


def test_chat_completions_arrive_compressed_and_retrievals_never_reach_the_client(
    proxy: Proxy, up: FakeUpstream
) -> None:
    up.script(retrieve_first_ref, Reply.say(FINAL))
    reply = _openai(proxy).chat.completions.create(
        model="fake-gpt",
        messages=openai_messages(),  # type: ignore[arg-type]
        tools=[TOOL],  # type: ignore[list-item]
    )
    assert reply.choices[0].message.content == FINAL
    assert not reply.choices[0].message.tool_calls
    first, second = up.model_requests
    sent = first.json["messages"][-1]["content"]
    assert len(sent) < len(ORIGINAL) / 5
    json.loads(sent)
    (ref,) = find_refs(sent)
    assert tool_names(first.json) == ["get_requests", "headroom_retrieve"]
    assert retrieve(ref, store=proxy.originals()) == ORIGINAL  # kept by the proxy's callback
    assert second.json["messages"][-1]["content"] == ORIGINAL  # answered inside the proxy, not compressed again
    # Every LiteLLM logger sees the savings; the retrieval follow-up is logged without them.
    stats = sorted(proxy.headroom_stats(2), key=lambda s: s.get("tokens_saved", 0))
    assert stats[0]["tokens_saved"] == 0 and stats[0]["retrievals"] == 1
    assert stats[1]["tokens_saved"] > 5 * stats[1]["tokens_after"] > 0
    assert stats[1]["refs"] == [ref]


def test_anthropic_messages_arrive_compressed_and_retrievals_never_reach_the_client(
    proxy: Proxy, up: FakeUpstream
) -> None:
    up.script(retrieve_first_ref, Reply.say(FINAL))
    reply = _anthropic(proxy).messages.create(
        model="fake-claude",
        max_tokens=256,
        messages=anthropic_messages(),  # type: ignore[arg-type]
    )
    assert [b.type for b in reply.content] == ["text"]
    assert reply.content[0].text == FINAL  # type: ignore[union-attr]
    first, second = up.model_requests
    assert first.path == second.path == "/v1/messages"
    assert len(first.body) < len(ORIGINAL) / 5
    assert tool_names(first.json) == ["headroom_retrieve"]
    assert second.json["messages"][-1]["content"][0]["content"] == ORIGINAL


def test_anthropic_clients_reach_openai_models_compressed(proxy: Proxy, up: FakeUpstream) -> None:
    """/v1/messages to a model LiteLLM serves through chat completions (e.g. Claude Code on another model)."""
    up.script(retrieve_first_ref, Reply.say(FINAL))
    reply = _anthropic(proxy).messages.create(
        model="fake-gpt",
        max_tokens=256,
        messages=anthropic_messages(),  # type: ignore[arg-type]
    )
    assert [b.type for b in reply.content] == ["text"]
    assert reply.content[0].text == FINAL  # type: ignore[union-attr]
    first, second = up.model_requests
    assert len(first.body) < len(ORIGINAL) / 5
    assert ORIGINAL in second.text or json.dumps(ORIGINAL) in second.text
    assert max(s.get("tokens_saved", 0) for s in proxy.headroom_stats(2)) > 0


def test_responses_arrive_compressed(proxy: Proxy, up: FakeUpstream) -> None:
    up.script(retrieve_first_ref, Reply.say(FINAL))
    items = [
        {"role": "user", "content": QUESTION},
        {"type": "function_call", "call_id": "call_1", "name": "get_requests", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": ORIGINAL},
    ]
    reply = _openai(proxy).responses.create(model="fake-gpt", input=items)  # type: ignore[arg-type]
    assert reply.output_text == FINAL
    first, second = up.model_requests
    assert first.path == second.path == "/v1/responses"
    assert len(first.body) < len(ORIGINAL) / 5
    assert second.json["input"][-1]["output"] == ORIGINAL


def test_streamed_answers_come_after_the_retrieval(proxy: Proxy, up: FakeUpstream) -> None:
    up.script(retrieve_first_ref, Reply.say(FINAL), retrieve_first_ref, Reply.say(FINAL))
    with _anthropic(proxy).messages.stream(
        model="fake-claude",
        max_tokens=256,
        messages=anthropic_messages(),  # type: ignore[arg-type]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == FINAL
    assert [b.type for b in final.content] == ["text"]
    chunks = list(
        _openai(proxy).chat.completions.create(
            model="fake-gpt",
            messages=openai_messages(),  # type: ignore[arg-type]
            stream=True,
        )
    )
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join(d.content or "" for d in deltas) == FINAL
    assert not any(d.tool_calls for d in deltas)
    assert len(up.model_requests) == 4
    assert all(len(r.body) < len(ORIGINAL) / 5 for r in up.model_requests[0::2])


def test_small_requests_pass_unchanged(proxy: Proxy, up: FakeUpstream) -> None:
    up.script(Reply.say("ok"))
    messages = openai_messages('{"status": 500, "error": "db timeout"}')
    reply = _openai(proxy).chat.completions.create(model="fake-gpt", messages=messages)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "ok"
    (sent,) = up.model_requests
    assert sent.json["messages"][-1] == messages[-1]
    assert "tools" not in sent.json
