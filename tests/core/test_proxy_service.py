"""Headroom's own endpoints, the request log, metrics, stats and the budget."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anthropic
import headroom.proxy
import httpx
import pytest
from headroom import CompressOptions, retrieve
from headroom.proxy import ProxySettings, create_app
from headroom.testing import Reply
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tests.core.proxy_support import anthropic_messages, chat_messages, rig, service_log

LOG = service_log()


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_stats_metrics_and_log_after_real_traffic(tmp_path: Path) -> None:
    log_path = tmp_path / "requests.jsonl"
    with rig(log_path=str(log_path)) as env:
        env.up.script(Reply.say("one"), Reply.say("two"))
        env.openai().chat.completions.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
        with env.anthropic().messages.stream(
            model="claude-sonnet-4-6",
            max_tokens=50,
            messages=[{"role": "user", "content": "hi"}],
        ) as s:
            s.get_final_message()
        with httpx.Client(base_url=env.url) as c:
            assert c.get("/health").json()["status"] == "ok"
            stats = c.get("/stats").json()
            prom = c.get("/metrics").text
    assert stats["requests"] == 2
    gpt = stats["per_model"]["gpt-4o"]
    assert gpt["tokens_before"] > 3 * gpt["tokens_after"] > 0
    assert gpt["saved_usd"] == pytest.approx((gpt["tokens_before"] - gpt["tokens_after"]) * 2.5 / 1e6, rel=1e-3)
    assert stats["tokens_saved"] == stats["tokens_before"] - stats["tokens_after"]
    assert stats["per_compressor"]["logs"]["blocks"] == 1
    assert stats["per_model"]["claude-sonnet-4-6"]["cost_usd"] > 0
    assert metric(prom, "headroom_proxy_requests_total", api="openai-chat", status="200") == 1
    assert metric(prom, "headroom_proxy_requests_total", api="anthropic-messages", status="200") == 1
    assert metric(prom, "headroom_proxy_tokens_total", model="gpt-4o", stage="before") == gpt["tokens_before"]
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [line["api"] for line in lines] == ["openai-chat", "anthropic-messages"]
    first, second = lines
    assert first["tokens_saved"] == gpt["tokens_before"] - gpt["tokens_after"]
    assert first["compressors"]["logs"]["blocks"] == 1 and first["stages_ms"]
    assert first["usage"]["input"] > 0 and first["upstream_status"] == 200
    assert second["stream"] is True and second["usage"]["output"] > 0
    assert all(line["request_id"].startswith("hr_") for line in lines)
    text = log_path.read_text()
    assert "sk-test-123" not in text and "sk-ant-test-456" not in text  # keys are never logged


def test_current_model_names_are_priced_by_family_and_unknown_ones_are_unpriced_not_free(tmp_path: Path) -> None:
    log_path = tmp_path / "requests.jsonl"
    with rig(log_path=str(log_path)) as env:
        env.up.script(Reply.say("one"), Reply.say("two"))
        for model in ("claude-opus-4-8", "acme-secret-model"):
            env.anthropic().messages.create(model=model, max_tokens=50, messages=anthropic_messages(LOG))
        stats = httpx.get(env.url + "/stats").json()
    opus, acme = stats["per_model"]["claude-opus-4-8"], stats["per_model"]["acme-secret-model"]
    assert opus["priced"] is True and opus["priced_as"] == "claude-opus-4-7"
    assert opus["cost_usd"] > 0 and opus["saved_usd"] > 0
    assert acme["priced"] is False and stats["unpriced_models"] == ["acme-secret-model"]
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert lines[0]["cost_usd"] > 0 and lines[0]["priced_as"] == "claude-opus-4-7"
    assert lines[1]["cost_usd"] is None and lines[1]["saved_usd"] is None


def test_each_app_has_its_own_registry() -> None:
    a, b = create_app(ProxySettings()), create_app(ProxySettings())
    with TestClient(a, base_url="http://localhost") as ta, TestClient(b, base_url="http://localhost") as tb:
        ta.post("/v1/chat/completions", content=b"{", headers={"content-type": "application/json"})
        assert metric(ta.get("/metrics").text, "headroom_proxy_requests_total", status="400") == 1
        assert metric(tb.get("/metrics").text, "headroom_proxy_requests_total", status="400") == 0


def test_compress_and_retrieve_endpoints() -> None:
    with rig() as env, httpx.Client(base_url=env.url) as c:
        text = c.post("/v1/compress", json={"text": LOG, "query": "why did the payment fail", "model": "gpt-4o"}).json()
        assert text["tokens_after"] < text["tokens_before"] / 3
        (ref,) = text["refs"]
        assert retrieve(ref, store=env.store) == LOG
        msgs = c.post("/v1/compress", json={"messages": anthropic_messages(LOG), "model": "claude-sonnet-4-6"}).json()
        assert msgs["refs"] == [ref] and msgs["tools"][0]["name"] == "headroom_retrieve"
        body = {"model": "gpt-4o", "messages": chat_messages(LOG)}
        whole = c.post("/v1/compress", json={"body": body, "api": "openai-chat"}).json()
        assert whole["body"]["tools"][0]["function"]["name"] == "headroom_retrieve"
        got = c.post("/v1/retrieve", json={"ref": ref, "query": "gateway timeout"}).json()
        assert "payment gateway timeout after 30000ms" in got["content"]
        assert c.post("/v1/retrieve", json={"ref": ref, "lines": "1-2"}).json()["content"] == "\n".join(
            LOG.split("\n")[:2]
        )
        missing = c.post("/v1/retrieve", json={"ref": "0" * 16})
        assert missing.status_code == 404 and "not found" in missing.json()["error"]["message"]
        assert c.post("/v1/retrieve", json={"ref": ref, "lines": "oops"}).status_code == 400
        assert c.post("/v1/compress", json={"nothing": 1}).status_code == 400
        assert c.post("/v1/compress", json={"text": LOG, "options": {"bogus": 1}}).status_code == 400


def test_offer_retrieve_gives_an_agent_request_the_tool_from_its_first_request() -> None:
    short = [{"role": "user", "content": "hi"}]
    tools = [{"type": "function", "function": {"name": "read_log", "parameters": {"type": "object"}}}]
    with rig() as env, httpx.Client(base_url=env.url) as c:

        def names(req: dict[str, object]) -> list[str]:
            out = c.post("/v1/compress", json=req).json()
            return [t["function"]["name"] for t in out["body"].get("tools", [])] if "body" in out else out["tools"]

        agent = {"model": "gpt-4o", "messages": short, "tools": tools}
        assert names({"body": agent, "api": "openai-chat"}) == ["read_log"]  # nothing compressed, nothing added
        assert names({"body": agent, "api": "openai-chat", "offer_retrieve": True}) == ["read_log", "headroom_retrieve"]
        chat = {"model": "gpt-4o", "messages": short}
        assert names({"body": chat, "api": "openai-chat", "offer_retrieve": True}) == []  # no tools: no agent
        off = {"body": agent, "api": "openai-chat", "offer_retrieve": True, "options": {"retrieve_tool": False}}
        assert names(off) == ["read_log"]
        offered = c.post("/v1/compress", json={"messages": short, "offer_retrieve": True}).json()["tools"]
        assert [t["function"]["name"] for t in offered] == ["headroom_retrieve"]
        assert c.post("/v1/compress", json={"messages": short}).json()["tools"] == []


def test_budget_answers_429_in_the_providers_format() -> None:
    with rig(budget_usd=0.000001, budget_period="hour") as env:
        env.up.script(Reply.say("the first one goes through"))
        client = env.anthropic()
        client.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=anthropic_messages(LOG))  # type: ignore[arg-type]
        with pytest.raises(anthropic.RateLimitError) as e:
            client.messages.create(
                model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )  # type: ignore[arg-type]
        assert e.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
        assert "budget" in e.value.body["error"]["message"]  # type: ignore[index]
        assert len(env.up.model_requests) == 1
        with httpx.Client() as c:
            budget = c.get(env.url + "/stats").json()["budget"]
        assert budget["period"] == "hour" and budget["left_usd"] < 0


def test_public_surface_and_lazy_server_stack() -> None:
    assert headroom.proxy.__all__ == ["ProxySettings", "create_app"]
    code = "import sys, headroom.proxy, headroom.proxy.cli; assert not {'starlette', 'uvicorn'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
    with TestClient(create_app(), base_url="http://localhost") as client:  # defaults, no configuration
        assert client.get("/health").json()["backend"] == "auto"


def test_the_level_setting_moves_what_the_proxy_keeps() -> None:
    users = [{"id": i, "name": f"user{i}", "status": "locked" if i % 9 == 0 else "active"} for i in range(400)]
    after = {}
    for level in ("safe", "max"):
        with rig(options=CompressOptions(level=level)) as env:  # type: ignore[arg-type]
            r = env.openai().chat.completions.with_raw_response.create(
                model="gpt-4o", messages=chat_messages(json.dumps(users))
            )  # type: ignore[arg-type]
            after[level] = int(r.headers["x-headroom-tokens-after"])
    assert after["max"] < after["safe"]
    bogus = subprocess.run(
        [sys.executable, "-m", "headroom", "proxy", "--level", "tiny"], capture_output=True, text=True
    )
    assert bogus.returncode != 0 and "tiny" in bogus.stderr
