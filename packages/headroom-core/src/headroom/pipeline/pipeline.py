"""The pipeline: parse → CacheAligner → ContentRouter + compressors → ContextFitter → render."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from headroom.config import CompressOptions
from headroom.formats import FormatAdapter, Message, Slot, replace_at
from headroom.markers import find_refs
from headroom.pipeline import cache_aligner, context_fitter
from headroom.pipeline._memo import Memo
from headroom.pipeline.context import SlotContext, slot_contexts
from headroom.pipeline.router import ContentRouter
from headroom.refs import make_ref
from headroom.result import BlockReport, BlockStatus, CompressResult
from headroom.store import Entry, Store
from headroom.tokens import Tokenizer, get_tokenizer

log = logging.getLogger("headroom")

_MEMO = Memo()
_MEMO_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class Request:
    """Everything one pipeline run needs."""

    messages: Sequence[Message]
    model: str
    adapter: FormatAdapter
    store: Callable[[], Store]
    system: Any = None
    tools: Any = None
    query: str | None = None
    options: CompressOptions = field(default_factory=CompressOptions)


def _outside_texts(system: Any, tools: Any) -> list[str]:
    texts = []
    if isinstance(system, str):
        texts.append(system)
    elif isinstance(system, list):
        texts.extend(b.get("text") or "" for b in system if isinstance(b, dict))
    if tools:
        texts.append(json.dumps(tools, ensure_ascii=False, default=str))
    return texts


@dataclass
class _Block:
    """Mutable working state of one slot while the pipeline runs."""

    slot: Slot
    ctx: SlotContext
    new_text: str | None = None
    report: BlockReport | None = None


@dataclass(frozen=True)
class Pipeline:
    """Runs one compression request. Stateless apart from the shared output memo."""

    router: ContentRouter = field(default_factory=ContentRouter)

    def run(self, req: Request) -> CompressResult:
        """Compress ``req.messages`` and account for it."""
        t0 = time.perf_counter()
        stages: dict[str, float] = {}
        adapter, opts = req.adapter, req.options
        tokenizer = get_tokenizer(req.model, exact_claude=opts.exact_claude)
        adapter.validate(req.messages)
        slots = list(adapter.slots(req.messages))
        contexts = slot_contexts(adapter, req.messages, slots, query=req.query, max_query_chars=opts.max_query_chars)
        before = sum(tokenizer.count(t) for m in req.messages for t in adapter.texts(m))
        before += sum(tokenizer.count(t) for t in _outside_texts(req.system, req.tools))
        stages["parse"] = time.perf_counter() - t0

        t = time.perf_counter()
        frozen = cache_aligner.frozen_slots(req.messages, slots)
        stages["cache_align"] = time.perf_counter() - t

        t = time.perf_counter()
        blocks = [_Block(s, c) for s, c in zip(slots, contexts, strict=True)]
        for k, block in enumerate(blocks):
            self._process(block, k in frozen, tokenizer, req)
        stages["compress"] = time.perf_counter() - t

        t = time.perf_counter()
        edits = {(b.slot.index, b.slot.path): b.new_text for b in blocks if b.new_text is not None}
        messages = context_fitter.fit(replace_at(req.messages, edits))
        texts = (b.slot.text if b.new_text is None else b.new_text for b in blocks)
        refs = list(dict.fromkeys(r for text in texts for r in find_refs(text)))
        tools = [adapter.retrieve_tool()] if refs else []
        saved = sum(b.report.tokens_before - b.report.tokens_after for b in blocks if b.report)
        after = before - saved + sum(tokenizer.count(json.dumps(x, ensure_ascii=False)) for x in tools)
        reports = [b.report for b in blocks if b.report]
        if edits and after >= before:  # the tool definition would cost more than the markers save
            messages, refs, tools, after = list(req.messages), [], [], before
            reports = [_revert(r) for r in reports]
        stages["render"] = time.perf_counter() - t
        return CompressResult(
            messages=messages,
            tokens_before=before,
            tokens_after=after,
            refs=refs,
            tools=tools,
            blocks=reports,
            format=adapter.name,
            model=req.model,
            tokenizer=tokenizer.name,
            tokens_exact=tokenizer.exact,
            seconds=time.perf_counter() - t0,
            stages=stages,
        )

    def _process(self, block: _Block, frozen: bool, tokenizer: Tokenizer, req: Request) -> None:
        t0 = time.perf_counter()
        slot = block.slot
        n = tokenizer.count(slot.text)
        status, info = self._gate(block, frozen, n, req.options)
        if status is None:
            status, info = self._compress(block, n, tokenizer, req)
        block.report = BlockReport(
            index=slot.index,
            kind=slot.kind,
            tokens_before=n,
            seconds=time.perf_counter() - t0,
            status=status,
            **{"content_type": None, "compressor": None, "tokens_after": n, **info},
        )

    @staticmethod
    def _gate(block: _Block, frozen: bool, n: int, opts: CompressOptions) -> tuple[BlockStatus | None, dict[str, Any]]:
        """Why a block is not even routed (protected, too small), or (None, {}) to go on."""
        kind = block.slot.kind
        if frozen or block.ctx.protected or (kind == "user_text" and not opts.compress_user_text):
            return "skipped", {}
        floor = opts.user_text_min_tokens if kind == "user_text" else opts.min_tokens
        return ("too_small", {}) if n < floor else (None, {})

    def _compress(
        self, block: _Block, n: int, tokenizer: Tokenizer, req: Request
    ) -> tuple[BlockStatus, dict[str, Any]]:
        """Route, compress, check and store one block; sets ``block.new_text`` when it is replaced."""
        text, task = block.slot.text, block.ctx.task
        detection, compressor = self.router.route(text)
        info: dict[str, Any] = {"content_type": detection.type.value, "compressor": getattr(compressor, "name", None)}
        if compressor is None:
            return "unchanged", info
        ref = make_ref(text)
        key = (compressor, ref, task.digest(), detection)
        try:
            hit, out = _MEMO.get(key)
            if not hit:
                out = compressor.compress(text, ref=ref, task=task, detection=detection)
                if len(text) <= _MEMO_MAX_CHARS:
                    _MEMO.put(key, out)
        except Exception as e:  # fail open: keep the original block, say so
            log.warning("headroom: compressor %s failed on a %s block: %r", compressor.name, detection.type.value, e)
            return "error", {**info, "error": f"{type(e).__name__}: {e}"}
        if out is None or out == text:
            return "unchanged", info
        m = tokenizer.count(out)
        if m >= n:
            return "not_smaller", info
        named = set(find_refs(out)) - set(find_refs(text))
        if named - {ref}:
            return "error", {**info, "error": f"compressor named refs it did not store: {sorted(named - {ref})}"}
        if ref in named:
            try:  # the original goes to the store before any marker naming it leaves the pipeline
                req.store().put(ref, Entry(text, kind=detection.type.value, meta={"compressor": compressor.name}))
            except Exception as e:
                log.warning("headroom: could not store the original of a block: %r", e)
                return "error", {**info, "error": f"store: {type(e).__name__}: {e}"}
        block.new_text = out
        return "compressed", {**info, "tokens_after": m, "ref": ref if ref in named else None}


def _revert(r: BlockReport) -> BlockReport:
    if r.status != "compressed":
        return r
    return BlockReport(
        index=r.index,
        kind=r.kind,
        content_type=r.content_type,
        compressor=r.compressor,
        tokens_before=r.tokens_before,
        tokens_after=r.tokens_before,
        seconds=r.seconds,
        status="not_smaller",
    )
