"""Realistic tool outputs and conversations in each format, for the core tests."""

from __future__ import annotations

import json


def build_log(n: int = 600) -> str:
    """A service log with a repeated heartbeat, a few warnings and one failure with its traceback."""
    lines = []
    for i in range(n):
        ts = f"2026-11-23 10:{i // 60 % 60:02d}:{i % 60:02d},{i * 7 % 1000:03d}"
        if i == n // 2:
            lines += [
                f"{ts} ERROR worker-3 payment 8812 failed: upstream timeout after 30s",
                "Traceback (most recent call last):",
                '  File "/srv/app/payments.py", line 88, in charge',
                "    resp = client.post(url, json=body, timeout=30)",
                "TimeoutError: upstream did not answer within 30s",
            ]
        elif i % 97 == 0:
            lines.append(f"{ts} WARNING worker-{i % 4} queue depth {i} above soft limit")
        else:
            lines.append(f"{ts} INFO worker-{i % 4} heartbeat ok seq={i} latency_ms={(i * 13) % 50}")
    return "\n".join(lines)


def openai_conversation(tool_output: str, *, question: str = "Why did payment 8812 fail?") -> list[dict]:
    return [
        {"role": "system", "content": "You are a careful SRE assistant."},
        {"role": "user", "content": question},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": json.dumps({"command": "cat /var/log/app.log"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": tool_output},
    ]


def anthropic_conversation(tool_output: str, *, question: str = "Why did payment 8812 fail?") -> list[dict]:
    return [
        {"role": "user", "content": [{"type": "text", "text": question}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Read the log.", "signature": "sig-abc"},
                {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "cat app.log"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "text", "text": tool_output}],
                    "cache_control": {"type": "ephemeral"},
                }
            ],
        },
    ]


def responses_conversation(tool_output: str, *, question: str = "Why did payment 8812 fail?") -> list[dict]:
    return [
        {"role": "user", "content": [{"type": "input_text", "text": question}]},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "opaque"},
        {
            "type": "function_call",
            "call_id": "fc_1",
            "name": "bash",
            "arguments": json.dumps({"command": "cat app.log"}),
            "id": "fc_item_1",
        },
        {"type": "function_call_output", "call_id": "fc_1", "output": tool_output},
    ]


CONVERSATIONS = {
    "openai": openai_conversation,
    "anthropic": anthropic_conversation,
    "responses": responses_conversation,
}
