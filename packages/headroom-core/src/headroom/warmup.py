"""Load, ahead of time, what the first compression would otherwise load on a request's path.

A fresh process pays about a second on its first compression: the BPE vocabularies (quicktok reads
one in ~0.8 s), the model registry, trafilatura and the tree-sitter grammars. Long-running servers
(the proxy, and so every `headroom wrap`) call `warm_up` in a background thread at start-up; the
proxy's ``/health`` says when it is done (``"warm": true``).
"""

from __future__ import annotations

import json
import logging

__all__ = ["warm_up"]

log = logging.getLogger("headroom.warmup")

_ROWS = [{"id": i, "status": "ok" if i % 7 else "failed", "latency_ms": 20 + i % 13} for i in range(60)]
_SAMPLES = {
    "log": "\n".join(
        [f"2026-01-01T00:00:{i % 60:02d}Z INFO worker-{i % 3} request {i} done in {i % 40} ms" for i in range(80)]
        + ["2026-01-01T00:01:20Z ERROR worker-1 request 80 failed: timeout", "Traceback (most recent call last):"]
    ),
    "json": json.dumps(_ROWS),
    "code": "\n".join(
        f"def handler_{i}(event):\n    total = event.get('n', 0) + {i}\n    return total\n" for i in range(40)
    ),
    "diff": "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,40 +1,40 @@\n"
    + "\n".join(f"-value_{i} = {i}\n+value_{i} = {i + 1}" for i in range(40)),
    "html": "<html><body><nav>menu</nav><main><h1>Guide</h1>"
    + "".join(f"<p>Paragraph {i} explains step {i} of the setup in some detail.</p>" for i in range(40))
    + "</main></body></html>",
}


def warm_up(model: str = "gpt-4o", other_encodings: tuple[str, ...] = ("cl100k_base",)) -> None:
    """Compress a small sample of each content type once, then load the other BPE vocabularies; never raises."""
    try:
        from headroom.api import compress
        from headroom.compressors.html import preload
        from headroom.store import MemoryStore
        from headroom.tokens import BPETokenizer

        preload()
        messages: list[dict[str, object]] = [
            {"role": "system", "content": "You help with code. Today's date is 2026-01-01 (session 4f1c2a9e)."},
            {"role": "user", "content": "Why did request 80 fail?"},
        ]
        for i, text in enumerate(_SAMPLES.values()):
            call = {"id": f"c{i}", "type": "function", "function": {"name": "read", "arguments": "{}"}}
            messages += [
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": f"c{i}", "content": text},
            ]
        compress(messages, model, format="openai", store=MemoryStore(), min_tokens=0)  # o200k (Claude's too)
        for encoding in other_encodings:  # compressors are loaded now: only the vocabulary is left
            BPETokenizer(encoding).count("warm")
    except Exception:  # a warm-up failure only means the first request pays the loading
        log.warning("warm-up failed; the first request will load what it needs", exc_info=True)
