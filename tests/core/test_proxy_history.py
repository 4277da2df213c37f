"""The request history, ``x-headroom-request-id``, ``headroom explain`` and shadow mode, through real SDKs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from headroom.cli import main
from headroom.proxy._history import RequestHistory
from headroom.testing import Reply

from tests.core.proxy_support import QUESTION, chat_messages, refs_in, responses_input, rig, service_log

LOG = service_log()
FAILURE = "2025-03-14T10:12:30.500Z ERROR [worker-1] payment gateway timeout after 30000ms order=10750"
KEY = "sk-test-secret-4242"


def _history(path: Path) -> RequestHistory:
    return RequestHistory(path)


def test_a_compressed_request_is_in_the_history_with_its_blocks_and_explain_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with rig(history_path=str(path)) as env:
        env.up.script(Reply.say("The gateway timed out."))
        raw = env.openai(api_key=KEY).chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=chat_messages(LOG),  # type: ignore[arg-type]
        )
        request_id = raw.headers["x-headroom-request-id"]
        stats = httpx.get(env.url + "/stats").json()
    row = _history(path).get(request_id)
    assert row is not None and row["model"] == "gpt-4o" and row["action"] == "compressed"
    assert row["tokens_before"] - row["tokens_after"] == stats["tokens_saved"] > 0
    (block,) = [b for b in row["blocks"] if b["status"] == "compressed"]
    assert block["content_type"] == "log" and block["compressor"] == "logs"
    assert block["original"] == LOG and FAILURE in block["sent"]
    assert refs_in(env.up.model_requests[0]) == [block["ref"]]
    assert KEY.encode() not in path.read_bytes()  # credentials never reach the history

    out = CliRunner().invoke(main, ["explain", request_id, "--history", str(path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert request_id in out.output and "logs" in out.output and "TimeoutError: gateway did not answer" in out.output
    assert "headroom_retrieve ref=" + block["ref"] in out.output
    assert "more removed lines" in out.output  # the 1,500 routine lines are folded, not printed

    missing = CliRunner().invoke(main, ["explain", "hr_0000", "--history", str(path)])
    assert missing.exit_code == 1 and "not in the history" in missing.output


def test_every_response_carries_a_request_id_and_the_dashboard_needs_the_token(tmp_path: Path) -> None:
    with rig(history_path=str(tmp_path / "h.sqlite3"), token="proxy-token") as env:
        ok = httpx.get(env.url + "/stats", headers={"x-headroom-token": "proxy-token"})
        refused = httpx.get(env.url + "/stats")
        health = httpx.get(env.url + "/health", headers={"x-headroom-token": "proxy-token"})
        page = httpx.get(env.url + "/dashboard", headers={"x-headroom-token": "proxy-token"})
        no_page = httpx.get(env.url + "/dashboard")
    assert ok.status_code == 200 and refused.status_code == 401 and health.status_code == 200
    assert page.status_code == 200 and "text/html" in page.headers["content-type"] and no_page.status_code == 401
    ids = {r.headers["x-headroom-request-id"] for r in (ok, refused, health)}
    assert len(ids) == 3 and all(i.startswith("hr_") for i in ids)


def test_figures_mode_keeps_no_content_and_the_cap_keeps_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with rig(history_path=str(path), history="figures", history_max_rows=2) as env:
        ids = []
        for _ in range(4):
            env.up.script(Reply.say("ok"))
            raw = env.openai().chat.completions.with_raw_response.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
            ids.append(raw.headers["x-headroom-request-id"])
    history = _history(path)
    assert history.count() == 2 and [r["id"] for r in history.figures()] == ids[-2:]
    row = history.get(ids[-1])
    assert row is not None and row["tokens_after"] < row["tokens_before"]
    assert all("original" not in b and "sent" not in b for b in row["blocks"])
    assert b"payment gateway" not in path.read_bytes() and QUESTION.encode() not in path.read_bytes()


def test_shadow_mode_sends_the_clients_bytes_and_records_what_would_have_gone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    body = json.dumps({"model": "gpt-4o", "messages": chat_messages(LOG)}).encode()
    headers = {"content-type": "application/json", "authorization": "Bearer sk-x"}
    with rig(history_path=str(path), shadow=True) as env:
        env.up.script(Reply.say("ok"), Reply.say("ok"))
        shadow = httpx.post(env.url + "/v1/chat/completions", content=body, headers=headers)
        bypass = httpx.post(
            env.url + "/v1/chat/completions", content=body, headers={**headers, "x-headroom-bypass": "1"}
        )
        stats = httpx.get(env.url + "/stats").json()
        first, second = env.up.model_requests
    assert shadow.status_code == bypass.status_code == 200
    assert first.body == body and second.body == body  # upstream got exactly what the client sent
    assert shadow.headers["x-headroom-action"] == "shadow" and bypass.headers["x-headroom-action"] == "bypassed"
    history = _history(path)
    row = history.get(shadow.headers["x-headroom-request-id"])
    assert row is not None and row["shadow"] == 1
    saved = row["tokens_before"] - row["tokens_after"]
    assert saved > 0 and int(shadow.headers["x-headroom-tokens-saved"]) == saved == stats["tokens_saved"]
    assert any(FAILURE in b.get("sent", "") for b in row["blocks"])  # what would have gone is explainable
    skipped = history.get(bypass.headers["x-headroom-request-id"])
    assert skipped is not None and skipped["action"] == "bypassed" and skipped["tokens_before"] == 0


def test_shadow_mode_over_the_websocket_sends_the_clients_message(tmp_path: Path) -> None:
    from websockets.sync.client import connect

    path = tmp_path / "history.sqlite3"
    message = json.dumps({"type": "response.create", "model": "gpt-5", "input": responses_input(LOG)})
    with rig(history_path=str(path), shadow=True) as env:
        env.up.script(Reply.say("ok"))
        url = env.url.replace("http://", "ws://") + "/v1/responses"
        with connect(url, additional_headers={"authorization": "Bearer sk-ws"}, open_timeout=5) as ws:
            ws.send(message)
            while json.loads(ws.recv(timeout=10))["type"] != "response.completed":
                pass
        (req,) = env.up.model_requests
        stats = httpx.get(env.url + "/stats").json()
    assert req.body == message.encode()  # the upstream got the client's message as it was
    (row,) = _history(path).figures()
    assert row["shadow"] == 1 and row["action"] == "shadow"
    assert row["tokens_before"] - row["tokens_after"] == stats["tokens_saved"] > len(LOG) // 8


def test_shadow_mode_estimates_cost_from_what_went_when_the_upstream_reports_no_usage(tmp_path: Path) -> None:
    from headroom.models import get_model

    body = {"model": "gpt-4o", "stream": True, "messages": chat_messages(LOG)}  # no include_usage: no usage
    with rig(history_path=str(tmp_path / "h.sqlite3"), shadow=True) as env:
        env.up.script(Reply.say("ok"))
        assert httpx.post(env.url + "/v1/chat/completions", json=body, headers={"authorization": "Bearer k"}).is_success
        stats = httpx.get(env.url + "/stats").json()
        for _ in range(50):  # a stream is counted once its last byte is out
            if stats["requests"]:
                break
            time.sleep(0.05)
            stats = httpx.get(env.url + "/stats").json()
    info = get_model("gpt-4o")
    assert info is not None and stats["tokens_after"] < stats["tokens_before"] // 10
    assert stats["cost_usd"] == round(info.cost(input_tokens=stats["tokens_before"]) or 0.0, 6)  # the original went
