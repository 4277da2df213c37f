"""``/dashboard`` in a real browser (Debian's headless chromium) after real SDK traffic through the proxy."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from headroom.testing import Reply

from tests.core.browser import rendered, screenshot
from tests.core.proxy_support import anthropic_messages, chat_messages, responses_input, rig, service_log

pytestmark = pytest.mark.slow

LOG = service_log()
ROWS = json.dumps([{"id": i, "status": "ok" if i % 50 else "error", "ms": i * 7 % 300} for i in range(400)])


def _metric(text: str, name: str) -> float:
    return float(next(line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")))


def _bars(page: object, chart: str) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for rect in page.xpath(f"//*[@id='{chart}']//rect"):  # type: ignore[attr-defined]
        sums[rect.get("data-series")] += int(rect.get("data-value"))
    return dict(sums)


def test_dashboard_shows_what_stats_and_metrics_say_and_explains_a_request(tmp_path: Path) -> None:
    with rig(history_path=str(tmp_path / "history.sqlite3")) as env:
        env.up.script(*[Reply.say("ok")] * 4)
        chat = env.openai().chat.completions.with_raw_response.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
        env.anthropic().messages.create(
            model="claude-sonnet-4-6",
            max_tokens=100,
            messages=anthropic_messages(ROWS),  # type: ignore[arg-type]
        )
        env.openai().responses.create(model="gpt-4o-mini", input=responses_input(LOG))  # type: ignore[arg-type]
        env.openai().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        stats = httpx.get(env.url + "/stats").json()
        metrics = httpx.get(env.url + "/metrics").text

        page = rendered(env.url + "/dashboard")
        shot = screenshot(env.url + "/dashboard", "dashboard.png")
        by_compressor = rendered(env.url + "/dashboard?by=compressor")

        rid = chat.headers["x-headroom-request-id"]
        explain = rendered(f"{env.url}/dashboard/requests/{rid}")
        screenshot(f"{env.url}/dashboard/requests/{rid}", "explain.png", height=1100)
        (link,) = explain.xpath("//section[@class='block-diff']//a")
        original = rendered(env.url + link.get("href"))

    assert page.get_element_by_id("stat-requests").text_content() == f"{stats['requests']:,}" == "4"
    assert page.get_element_by_id("stat-tokens-saved").text_content() == f"{stats['tokens_saved']:,}"
    assert stats["tokens_saved"] > 50_000
    mean = _metric(metrics, "headroom_proxy_overhead_seconds_sum") / _metric(
        metrics, "headroom_proxy_overhead_seconds_count"
    )
    assert page.get_element_by_id("stat-latency").text_content() == f"{mean * 1000:.1f} ms"
    per_model = {k: v["tokens_saved"] for k, v in stats["per_model"].items() if v["tokens_saved"]}
    assert _bars(page, "savings-chart") == per_model == _bars(page, "model-bars")
    assert set(per_model) == {"gpt-4o", "claude-sonnet-4-6", "gpt-4o-mini"}
    per_compressor = {k: v["tokens_saved"] for k, v in stats["per_compressor"].items()}
    assert _bars(by_compressor, "savings-chart") == per_compressor == _bars(page, "compressor-bars")
    assert set(per_compressor) == {"logs", "smart_crusher"}
    assert len(page.xpath("//*[@id='recent']/tbody/tr")) == 4
    assert shot.stat().st_size > 10_000

    assert explain.get_element_by_id("request-id").text_content() == rid
    marks = [m.text_content() for m in explain.xpath("//mark[@class='marker']")]
    ref = next(row for row in explain.xpath("//*[@id='blocks']/tbody/tr") if "logs" in row.text_content())
    assert marks and all(f"ref={ref.xpath('td')[7].text_content()}" in m for m in marks)
    assert "TimeoutError: gateway did not answer within 30s" in explain.text_content()
    assert original.text_content().strip() == LOG.strip()  # one click away, whole


def test_shadow_mode_dashboard_shows_projected_savings_for_requests_that_went_unchanged(tmp_path: Path) -> None:
    with rig(history_path=str(tmp_path / "history.sqlite3"), shadow=True) as env:
        env.up.script(Reply.say("ok"), Reply.say("ok"))
        env.openai().chat.completions.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
        env.openai(default_headers={"x-headroom-bypass": "1"}).chat.completions.create(
            model="gpt-4o",
            messages=chat_messages(LOG),  # type: ignore[arg-type]
        )
        sent = [r.json for r in env.up.model_requests]
        stats = httpx.get(env.url + "/stats").json()
        page = rendered(env.url + "/dashboard")
        screenshot(env.url + "/dashboard", "dashboard-shadow.png")
        rid = page.xpath("//*[@id='recent']/tbody/tr//a")[-1].text_content()
        explain = rendered(f"{env.url}/dashboard/requests/{rid}")

    assert all(body["messages"] == chat_messages(LOG) for body in sent)  # both went upstream unchanged
    assert "Shadow mode" in page.get_element_by_id("shadow-banner").text_content()
    assert page.get_element_by_id("stat-tokens-saved").text_content() == f"{stats['tokens_saved']:,}"
    assert stats["tokens_saved"] > 50_000
    actions = {
        row.xpath("td")[0].text_content(): row.xpath("td")[1].text_content()
        for row in page.xpath("//*[@id='actions']/tbody/tr")
    }
    assert actions == {"shadow": "1", "bypassed": "1"}
    assert explain.get_element_by_id("action").text_content() == "shadow"
    assert explain.xpath("//mark[@class='marker']")  # what would have been sent, markers and all
