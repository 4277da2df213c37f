"""The calls into core shared by the plugin and the model wrapper, and what they saved."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headroom import CompressOptions, Store, compress, compress_text, find_refs
from headroom.markers import RETRIEVE_TOOL_NAME

from headroom_strands._convert import StrandsMessage, apply_edits, item_text, texts, to_anthropic, with_text

log = logging.getLogger("headroom_strands")


@dataclass(frozen=True)
class HeadroomStats:
    """What Headroom did for one plugin or model wrapper so far.

    Attributes:
        tool_results: tool results compressed as they were produced.
        tool_result_tokens_saved: tokens those results lost (once per result; every later model
            call that carries the result saves them again).
        model_calls: model calls whose input went through Headroom.
        model_call_tokens_saved: tokens removed from those calls' input, summed over the calls.
        seconds: time spent compressing.
    """

    tool_results: int = 0
    tool_result_tokens_saved: int = 0
    model_calls: int = 0
    model_call_tokens_saved: int = 0
    seconds: float = 0.0

    @property
    def tokens_saved(self) -> int:
        """All tokens saved: tool results when produced plus model-call input."""
        return self.tool_result_tokens_saved + self.model_call_tokens_saved


def model_name(model: Any) -> str:
    """The ``model_id`` in a Strands model's config (for token counting), or ``""`` when it has none."""
    try:
        config = model.get_config()
    except Exception:  # a provider's config is its own business; counting falls back to o200k
        return ""
    value = config.get("model_id") if isinstance(config, Mapping) else getattr(config, "model_id", None)
    return value if isinstance(value, str) else ""


class Engine:
    """Compresses Strands tool results and model input through core; thread-safe."""

    def __init__(self, *, store: Store | None, model: str | None, options: Mapping[str, Any]) -> None:
        if "fit" in options:
            raise ValueError(
                "fit is not available in Strands: core's context fitting would restructure the agent's "
                "messages; leave context-window overflow to a Strands ConversationManager"
            )
        CompressOptions.from_kwargs(options)  # unknown options fail here, not on the first model call
        self.store = store
        self.model = model
        self.options = dict(options)
        self._stats = HeadroomStats()
        self._lock = threading.Lock()

    @property
    def stats(self) -> HeadroomStats:
        """A snapshot of the counters."""
        with self._lock:
            return self._stats

    def _count(self, **add: float) -> None:
        with self._lock:
            s = self._stats
            self._stats = dataclasses.replace(s, **{k: getattr(s, k) + v for k, v in add.items()})

    def tool_result(
        self, result: Mapping[str, Any], tool_use: Mapping[str, Any], *, query: str, model: str
    ) -> Mapping[str, Any]:
        """``result`` with each large text or JSON item compressed; the originals go to the store.

        Results of ``headroom_retrieve`` and items that already carry markers come back as they are.
        """
        name = str(tool_use.get("name", ""))
        if name == RETRIEVE_TOOL_NAME:
            return result
        args = tool_use.get("input")
        items = list(result.get("content") or [])
        changed = False
        for k, item in enumerate(items):
            text = item_text(item) if isinstance(item, Mapping) else None
            if not text or find_refs(text):
                continue
            t0 = time.perf_counter()
            try:
                out = compress_text(
                    text,
                    model=self.model or model,
                    query=query,
                    tool_name=name,
                    tool_args=args if isinstance(args, Mapping) else None,
                    store=self.store,
                    **self.options,
                )
            except Exception as e:  # fail open: the tool's own result goes on, and the run with it
                log.warning("headroom: a %s result was left uncompressed: %r", name, e)
                continue
            saved = out.tokens_saved if out.text != text else 0
            self._count(tool_results=int(saved > 0), tool_result_tokens_saved=saved, seconds=time.perf_counter() - t0)
            if out.text != text:
                items[k] = with_text(item, out.text)
                changed = True
        return {**result, "content": items} if changed else result

    def messages(self, messages: Sequence[StrandsMessage], *, model: str) -> tuple[list[Any], bool]:
        """The messages to send, compressed, and whether they name any ref (the retrieve tool is needed).

        Fails open: when core cannot take the messages, they go out as they are.
        """
        t0 = time.perf_counter()
        out: list[Any] = list(messages)
        try:
            view = to_anthropic(messages)
            result = compress(
                view, self.model or model, format="anthropic", store=self.store, fit=False, **self.options
            )
            out = apply_edits(messages, view, result.messages)
            saved = result.tokens_saved
        except Exception as e:  # fail open: the model call goes out with the messages as they were
            log.warning("headroom: model input left uncompressed: %r", e)
            saved = 0
        self._count(model_calls=1, model_call_tokens_saved=saved, seconds=time.perf_counter() - t0)
        return out, any(find_refs(t) for t in texts(out))
