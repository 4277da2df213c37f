"""Per-request state of a pipeline run: the run itself (store, tokenizer, deduper, what it stored) and
each block's working state."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from headroom.formats import Slot
from headroom.markers import find_refs
from headroom.pipeline import cache_aligner
from headroom.pipeline.context import SlotContext
from headroom.pipeline.dedupe import Deduper
from headroom.refs import make_ref
from headroom.result import BlockReport, BlockStatus
from headroom.store import Entry, Store, StoreError
from headroom.tokens import Tokenizer

if TYPE_CHECKING:
    from headroom.pipeline.pipeline import Request

__all__ = ["Block", "Run", "output_key"]


def output_key(text_ref: str) -> str:
    """The store key recording that the text with ref ``text_ref`` is a block Headroom wrote."""
    return make_ref(f"headroom-output\x00{text_ref}")


@dataclass
class Run:
    """Per-request state shared by the blocks of one run."""

    req: Request
    tokenizer: Tokenizer
    tool_tokens: int
    keep_sent: bool
    reused: int = 0
    deduper: Deduper = field(default_factory=Deduper)
    tool_paid: bool = False  # an earlier block already carries a marker, so the tool is in the request
    stored: set[str] = field(default_factory=set)  # refs this run put in the store

    def store(self) -> Store:
        """The request's store (opened on first use)."""
        return self.req.store()

    def already_compressed(self, block: Block) -> bool:
        """Whether the block is Headroom's own output, sent back as it was (`_accept` recorded it).

        Compressing it again would nest refs and change bytes the provider may have cached. A block
        that merely contains a marker, real or not (a transcript, a file an agent wrote), is data
        and is compressed as usual.
        """
        if not find_refs(block.slot.text):
            return False
        try:
            return self.store().contains(output_key(block.ref))
        except StoreError:
            return False

    def held(self, refs: list[str]) -> list[str]:
        """The ``refs`` the store holds: stored by this run, or found there (a marker sent back)."""
        out = []
        for r in refs:
            try:
                if r in self.stored or self.store().contains(r):
                    out.append(r)
            except StoreError:
                continue
        return out

    def record_sent(self, block: Block, ref: str, out: str) -> None:
        """Remember what was sent for a block, so a later request can keep its cached bytes."""
        if self.keep_sent:
            key = cache_aligner.sent_key(ref, block.ctx.task.digest())
            self.store().put(key, Entry(out, kind="sent"))

    def reuse_sent(self, block: Block, n: int) -> tuple[BlockStatus | None, dict[str, Any]]:
        """A frozen block: what Headroom sent for it before, or the client's bytes if it never did."""
        ref = block.ref
        try:
            sent = self.store().get(cache_aligner.sent_key(ref, block.ctx.task.digest())).content
            for named in set(find_refs(sent)) - set(find_refs(block.slot.text)):
                self.store().get(named)  # the originals must still be there; this also refreshes them
        except StoreError:
            return "skipped", {}
        block.new_text = sent
        self.reused += 1
        return "compressed", {"tokens_after": self.tokenizer.count(sent), "ref": ref if find_refs(sent) else None}


@dataclass
class Block:
    """Mutable working state of one slot while the pipeline runs."""

    slot: Slot
    ctx: SlotContext
    new_text: str | None = None
    report: BlockReport | None = None

    @cached_property
    def ref(self) -> str:
        """The block's content-derived ref (hashed once: a block can be megabytes)."""
        return make_ref(self.slot.text)
