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
from headroom.images import ImagePass, compress_images
from headroom.markers import find_refs
from headroom.models import get_model
from headroom.pipeline import cache_aligner
from headroom.pipeline._embedded import originals_of
from headroom.pipeline._memo import Memo
from headroom.pipeline._run import Block, Run, output_key
from headroom.pipeline.context import slot_contexts
from headroom.pipeline.context_fitter import ContextFitter, FitReport
from headroom.pipeline.detect import looks_json, split_sections
from headroom.pipeline.router import ContentRouter
from headroom.refs import make_ref
from headroom.result import BlockReport, BlockStatus, CompressResult, Edit
from headroom.store import Entry, Store
from headroom.tokens import Tokenizer, get_tokenizer

log = logging.getLogger("headroom")

_MEMO = Memo()
_SECTIONS = Memo()  # split_sections by ref: detection depends on the text only
_MEMO_MAX_CHARS = 1_000_000
MIN_SAVING = 24
"""Tokens a marker-bearing block must save once the retrieve tool is already in the request."""


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


_COUNTS = Memo(maxsize=8192)
_COUNT_MEMO_MIN_CHARS = 1024


@dataclass(frozen=True)
class _MemoTokenizer:
    """A tokenizer whose counts of long texts are remembered: a conversation re-sends its blocks
    on every turn, and counting them again was most of the pipeline's time on a warm request."""

    inner: Tokenizer

    @property
    def name(self) -> str:
        """The wrapped tokenizer's name."""
        return self.inner.name

    @property
    def exact(self) -> bool:
        """Whether the wrapped tokenizer is exact."""
        return self.inner.exact

    def count(self, text: str) -> int:
        """The wrapped count, memoised for long texts."""
        if len(text) < _COUNT_MEMO_MIN_CHARS:
            return self.inner.count(text)
        key = (self.inner.name, len(text), hash(text))
        hit, n = _COUNTS.get(key)
        if not hit:
            n = self.inner.count(text)
            _COUNTS.put(key, n)
        return int(n)


@dataclass(frozen=True)
class Pipeline:
    """Runs one compression request. Stateless apart from the shared output memo."""

    router: ContentRouter = field(default_factory=ContentRouter)

    def run(self, req: Request) -> CompressResult:
        """Compress ``req.messages`` and account for it."""
        t0 = time.perf_counter()
        stages: dict[str, float] = {}
        adapter, opts = req.adapter, req.options
        tokenizer = _MemoTokenizer(get_tokenizer(req.model, exact_claude=opts.exact_claude))
        adapter.validate(req.messages)
        slots = list(adapter.slots(req.messages))
        contexts = slot_contexts(adapter, req.messages, slots, query=req.query, max_query_chars=opts.max_query_chars)
        outside = sum(tokenizer.count(t) for t in _outside_texts(req.system, req.tools))
        before = outside + sum(tokenizer.count(t) for m in req.messages for t in adapter.texts(m))
        tool_tokens = tokenizer.count(json.dumps(adapter.retrieve_tool(), ensure_ascii=False))
        stages["parse"] = time.perf_counter() - t0

        t = time.perf_counter()
        breakpoint = cache_aligner.last_breakpoint(req.messages)
        frozen = cache_aligner.frozen_slots(slots, breakpoint, len(req.messages))
        system_texts = [
            *cache_aligner.system_texts(req.system),
            *(s.text for s in _system_slots(req.messages, adapter)),
        ]
        volatile = cache_aligner.find_volatile(system_texts, req.tools)
        stages["cache_align"] = time.perf_counter() - t

        t = time.perf_counter()
        blocks = [Block(s, c) for s, c in zip(slots, contexts, strict=True)]
        run = Run(req, tokenizer, tool_tokens, keep_sent=breakpoint is not None)
        for k, block in enumerate(blocks):
            self._process(block, k in frozen, run)
        stages["compress"] = time.perf_counter() - t

        t = time.perf_counter()
        edits = tuple(
            Edit(b.slot.index, b.slot.path, b.slot.text, b.new_text, b.report.tokens_before - b.report.tokens_after)
            for b in blocks
            if b.new_text is not None and b.report is not None
        )
        messages = replace_at(req.messages, {(e.index, e.path): e.new for e in edits})
        saved = sum(b.report.tokens_before - b.report.tokens_after for b in blocks if b.report)
        images = ImagePass(messages)
        if opts.compress_images:
            images = compress_images(messages, fmt=adapter.name, model=req.model, store=req.store, tokenizer=tokenizer)
        messages = images.messages
        before += images.tokens_before
        saved += images.tokens_before - images.tokens_after
        messages, fit = self._fit(messages, req, tokenizer, outside + tool_tokens, breakpoint)
        stages["fit"] = time.perf_counter() - t

        t = time.perf_counter()
        system = req.system
        if opts.volatile == "move" and volatile:
            system, messages = _move_volatile(system, messages, adapter)
        found = dict.fromkeys(r for m in messages for text in adapter.texts(m) for r in find_refs(text))
        refs = run.held(list(found))  # a look-alike already in the input is no ref of ours
        tools = [adapter.retrieve_tool()] if refs else []
        after = before - saved - (fit.tokens_before - fit.tokens_after) + (tool_tokens if tools else 0)
        stages["render"] = time.perf_counter() - t
        cache = cache_aligner.CacheReport(
            breakpoint=breakpoint,
            frozen_blocks=len(frozen),
            reused_blocks=run.reused,
            volatile=volatile,
            moved_volatile=system is not req.system,
        )
        return CompressResult(
            messages=messages,
            tokens_before=before,
            tokens_after=after,
            refs=refs,
            tools=tools,
            blocks=[*(b.report for b in blocks if b.report), *images.reports],
            format=adapter.name,
            model=req.model,
            tokenizer=tokenizer.name,
            tokens_exact=tokenizer.exact,
            seconds=time.perf_counter() - t0,
            stages=stages,
            cache=cache,
            fit=fit,
            system=system,
            edits=edits,
        )

    @staticmethod
    def _fit(
        messages: list[Message],
        req: Request,
        tokenizer: Tokenizer,
        fixed: int,
        breakpoint: tuple[int, int] | None,
    ) -> tuple[list[Message], FitReport]:
        opts = req.options
        if not opts.fit:
            return messages, FitReport()
        if opts.context_limit is not None:
            limit: int | None = opts.context_limit - opts.output_reserve
        else:
            info = get_model(req.model)
            limit = info.input_limit(opts.output_reserve) if info else None
        if limit is None:
            return messages, FitReport()
        budget = max(limit - fixed, 0)
        fitter = ContextFitter(req.adapter, tokenizer, req.store)
        cached_until = 0 if breakpoint is None else breakpoint[0] + (breakpoint[0] < len(messages) - 1)
        return fitter.fit(messages, req.messages, budget, cached_until)

    def _process(self, block: Block, frozen: bool, run: Run) -> None:
        t0 = time.perf_counter()
        slot = block.slot
        n = run.tokenizer.count(slot.text)
        if frozen:
            status, info = run.reuse_sent(block, n)
        else:
            status, info = self._gate(block, n, run.req.options)
        if status is None:
            status, info = self._compress(block, n, run)
        elif status == "too_small" and run.req.options.dedupe and not run.already_compressed(block):
            repeat = self._repeat(block, n, run, runs=True)
            if repeat is not None and repeat[0] == "compressed":
                status, info = repeat
        run.tool_paid = run.tool_paid or bool(find_refs(block.new_text or slot.text))
        label = f"output of {block.ctx.task.tool_name}" if block.ctx.task.tool_name else "earlier message"
        run.deduper.add(slot.index, block.ref, slot.text, label, shown=block.new_text)
        block.report = BlockReport(
            index=slot.index,
            kind=slot.kind,
            tokens_before=n,
            seconds=time.perf_counter() - t0,
            status=status,
            **{"content_type": None, "compressor": None, "tokens_after": n, **info},
        )

    @staticmethod
    def _gate(block: Block, n: int, opts: CompressOptions) -> tuple[BlockStatus | None, dict[str, Any]]:
        """Why a block is not even routed (protected, too small), or (None, {}) to go on."""
        kind = block.slot.kind
        if block.ctx.protected or (kind == "user_text" and not opts.compress_user_text):
            return "skipped", {}
        floor = opts.user_text_min_tokens if kind == "user_text" else opts.min_tokens
        return ("too_small", {}) if n < floor else (None, {})

    def _compress(self, block: Block, n: int, run: Run) -> tuple[BlockStatus, dict[str, Any]]:
        """Route and compress one block (or spot it as a repeat); sets ``block.new_text`` when replaced."""
        text, task = block.slot.text, block.ctx.task
        if run.already_compressed(block):
            return "unchanged", {"content_type": None, "compressor": None}
        ref = block.ref
        dedupe = run.req.options.dedupe
        repeat = self._repeat(block, n, run, runs=False) if dedupe else None
        if repeat is not None:
            return repeat
        hit, sections = _SECTIONS.get(ref)
        if not hit:
            sections = split_sections(text)
            _SECTIONS.put(ref, sections)
        detection, compressor = self.router.route(text, sections)
        info: dict[str, Any] = {"content_type": detection.type.value, "compressor": getattr(compressor, "name", None)}
        # Lines the model already saw earlier, as markers; taken when that is shorter than compressing.
        runs = run.deduper.runs(ref, text) if dedupe else None
        if runs is not None and compressor is None:
            return self._accept(block, n, run, ref, runs, "text", {**info, "compressor": "dedupe"})
        if compressor is None:
            return "unchanged", info
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
        if runs is not None and (out is None or len(runs) < len(out)):
            return self._accept(block, n, run, ref, runs, "text", {**info, "compressor": "dedupe"})
        if out is None or out == text:
            return "unchanged", info
        # A compressor may say which path it took (e.g. "text+ml" or why ML was not used).
        info["compressor"] = getattr(out, "compressor", info["compressor"])
        if getattr(out, "note", None):
            info["note"] = out.note
        return self._accept(block, n, run, ref, out, detection.type.value, info)

    def _repeat(self, block: Block, n: int, run: Run, *, runs: bool) -> tuple[BlockStatus, dict[str, Any]] | None:
        """A block repeating earlier content (whole, nearly, or in ``runs`` of lines) as a reference to
        it, judged by `_accept`; None when it repeats nothing."""
        text, ref = block.slot.text, block.ref
        repeat = run.deduper.render(ref, text)
        if repeat is None and runs:
            repeat = run.deduper.runs(ref, text)
        if repeat is None:
            return None
        kind = "json" if looks_json(text) else "text"  # a JSON original is filtered by rows on retrieval
        return self._accept(block, n, run, ref, repeat, kind, {"content_type": None, "compressor": "dedupe"})

    @staticmethod
    def _accept(
        block: Block, n: int, run: Run, ref: str, out: str, kind: str, info: dict[str, Any]
    ) -> tuple[BlockStatus, dict[str, Any]]:
        """Keep ``out`` if it is worth it and its original is safely stored."""
        text = block.slot.text
        m = run.tokenizer.count(out)
        named = set(find_refs(out)) - set(find_refs(text))
        # Originals besides the block's own: strings of a JSON envelope, each under its own ref.
        originals = {r: v for r, v in originals_of(out).items() if r in named and r != ref}
        # The first marker brings the retrieve tool into the request, so that block must pay for its
        # definition; later ones need only save something. Both depend on earlier blocks only.
        if m >= n or (named and n - m <= (MIN_SAVING if run.tool_paid else run.tool_tokens)):
            return "not_smaller", info
        if named - {ref} - originals.keys():
            unknown = sorted(named - {ref} - originals.keys())
            return "error", {**info, "error": f"compressor named refs it did not store: {unknown}"}
        try:  # the original goes to the store before any marker naming it leaves the pipeline
            meta = {"compressor": str(info.get("compressor"))}
            for r, (content, inner_kind) in sorted(originals.items()):
                run.store().put(r, Entry(content, kind=inner_kind, meta=meta))
            if ref in named:
                run.store().put(ref, Entry(text, kind=kind, meta=meta))
            if named:  # so that this output, sent back as history, is known as ours and kept as it is
                run.store().put(output_key(make_ref(out)), Entry("", kind="output"))
            run.record_sent(block, ref, out)
        except Exception as e:
            log.warning("headroom: could not store the original of a block: %r", e)
            return "error", {**info, "error": f"store: {type(e).__name__}: {e}"}
        block.new_text = str(out)
        run.stored.update(named)
        run.tool_paid = run.tool_paid or bool(named)
        return "compressed", {**info, "tokens_after": m, "ref": ref if ref in named else None}


def _move_volatile(system: Any, messages: list[Message], adapter: FormatAdapter) -> tuple[Any, list[Message]]:
    """Move system-prompt lines holding volatile values to a note at the end of the prompt.

    Works on Anthropic's top-level ``system`` (string or text blocks) and on leading system
    messages of the OpenAI formats. Lines move verbatim; nothing else changes.
    """
    moved: list[str] = []
    if isinstance(system, str):
        system, moved = cache_aligner.split_volatile(system)
    elif isinstance(system, list):
        blocks = []
        for b in system:
            if isinstance(b, dict) and isinstance(b.get("text"), str):
                text, lines = cache_aligner.split_volatile(b["text"])
                moved += lines
                b = {**b, "text": text}
            blocks.append(b)
        system = blocks if moved else system
    edits = {}
    for slot in _system_slots(messages, adapter):
        text, lines = cache_aligner.split_volatile(slot.text)
        if lines:
            moved += lines
            edits[(slot.index, slot.path)] = text
    if not moved:
        return system, messages
    messages = replace_at(messages, edits) if edits else list(messages)
    messages.append(adapter.note(cache_aligner.moved_block(moved)))
    return system, messages


def _system_slots(messages: Sequence[Message], adapter: FormatAdapter) -> list[Slot]:
    out = []
    for i, m in enumerate(messages):
        if not adapter.is_system(m):
            break
        content = m.get("content")
        if isinstance(content, str):
            out.append(Slot(i, ("content",), content, "user_text"))
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    out.append(Slot(i, ("content", j, "text"), part["text"], "user_text"))
    return out
