"""ContextFitter ("IntelligentContext"): fit a request into the model's window when compression did not.

Messages are grouped into units — an assistant turn with its tool calls together with the results
that answer them, or one plain message — so a tool pair is never split. Units are scored by recency
and by references (identifiers, paths and values of a unit that later messages quote), and the
lowest-value ones are collapsed into the store, each message keeping its role and tool ids but its
text replaced by a marker; if that is not enough, collapsed units are removed and one note stands
for each removed run. The system prompt, the first user task and the latest turn are kept; units in
the provider's cached prefix are touched only when nothing else fits, and the report says so. As a
last resort the largest blocks of kept turns are cut to their head, with a marker. Fitting stops as
soon as the request fits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from headroom.formats import FormatAdapter, Message, replace_at
from headroom.markers import format_marker
from headroom.refs import make_ref
from headroom.store import Entry, Store
from headroom.tokens import Tokenizer

SHRINK_MIN_CHARS = 400
"""Blocks shorter than this are not worth cutting (the marker alone is ~200 characters)."""

MESSAGE_OVERHEAD = 4
"""Tokens a message costs beyond its text (role and framing), as OpenAI counts them."""

_IDENT = re.compile(
    r"[A-Za-z_][\w.-]*[/.][\w./-]+|\b[A-Za-z_]\w*_\w+\b|\b[a-z]+[A-Z]\w+\b|\b[A-Z][a-z]+[A-Z]\w*\b|\d{4,}"
)


@dataclass(frozen=True)
class FitReport:
    """What the ContextFitter did.

    Attributes:
        budget: tokens the messages may take (limit minus output reserve, system, tools), or None
            when no limit is known for the model.
        tokens_before: message tokens before fitting.
        tokens_after: message tokens after fitting.
        fits: whether the messages now fit the budget.
        collapsed_units: units whose text was replaced by markers.
        removed_units: units removed entirely (a note with a marker stands for each run).
        shrunk_blocks: kept blocks cut to their head as a last resort.
        touched_cached_prefix: whether units before the last cache breakpoint had to be touched.
        refs: refs of everything the fitter put in the store.
    """

    budget: int | None = None
    tokens_before: int = 0
    tokens_after: int = 0
    fits: bool = True
    collapsed_units: int = 0
    removed_units: int = 0
    shrunk_blocks: int = 0
    touched_cached_prefix: bool = False
    refs: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Unit:
    start: int
    end: int
    protected: bool
    cached: bool
    value: float = 0.0
    state: str = "kept"  # kept | collapsed | removed


def group_units(adapter: FormatAdapter, messages: Sequence[Message]) -> list[tuple[int, int]]:
    """``[start, end)`` ranges: a message with tool calls plus the messages answering them, or one message."""
    units, i, n = [], 0, len(messages)
    while i < n:
        j = i + 1
        while messages[j - 1].get("type") == "reasoning" and j < n:  # reasoning belongs to the next item
            j += 1
        pending = {c.id for k in range(i, j) for c in adapter.tool_calls(messages[k])}
        while j < n and pending:
            m = messages[j]
            answered = set(adapter.answers(m))
            calls = {c.id for c in adapter.tool_calls(m)}
            if answered & pending:
                pending -= answered
            elif calls and m.get("type") in ("function_call", "custom_tool_call"):
                pending |= calls  # Responses: parallel calls are separate items
            else:
                break
            j += 1
        units.append((i, j))
        i = j
    return units


@dataclass
class ContextFitter:
    """Fits one message list into a token budget (see the module docstring)."""

    adapter: FormatAdapter
    tokenizer: Tokenizer
    store: Callable[[], Store]
    refs: list[str] = field(default_factory=list)

    def count(self, m: Message) -> int:
        """Tokens of one message, framing included."""
        return sum(self.tokenizer.count(t) for t in self.adapter.texts(m)) + MESSAGE_OVERHEAD

    def fit(
        self, messages: list[Message], originals: Sequence[Message], budget: int, cached_until: int
    ) -> tuple[list[Message], FitReport]:
        """Messages that fit ``budget``, and the report.

        Args:
            messages: the compressed messages.
            originals: the caller's messages (what goes to the store for dropped units).
            budget: tokens the messages may take.
            cached_until: messages before this index sit in the provider's cached prefix.
        """
        sizes = [self.count(m) for m in messages]
        before = sum(sizes)
        if before <= budget:
            return messages, FitReport(budget, before, before)
        units = self._units(messages, originals, cached_until)
        order = sorted((u for u in units if not u.protected), key=lambda u: (u.cached, u.value, u.start))
        out = list(messages)
        total = before
        for unit in order:
            if total <= budget:
                break
            total -= self._collapse(unit, out, originals, sizes)
        if total > budget:
            out, total = self._remove(units, order, out, originals, sizes, budget, total)
        shrunk = 0
        if total > budget:
            out, total, shrunk = self._shrink(out, units, budget, total)
        report = FitReport(
            budget=budget,
            tokens_before=before,
            tokens_after=total,
            fits=total <= budget,
            collapsed_units=sum(1 for u in units if u.state == "collapsed"),
            removed_units=sum(1 for u in units if u.state == "removed"),
            shrunk_blocks=shrunk,
            touched_cached_prefix=any(u.cached and u.state != "kept" for u in units),
            refs=tuple(dict.fromkeys(self.refs)),
        )
        return out, report

    def _units(self, messages: Sequence[Message], originals: Sequence[Message], cached_until: int) -> list[_Unit]:
        ranges = group_units(self.adapter, messages)
        user_turns = [i for i, m in enumerate(messages) if self.adapter.user_text(m) is not None]
        keep = {user_turns[0], user_turns[-1]} if user_turns else set()
        units = []
        for start, end in ranges:
            idx = range(start, end)
            protected = bool(keep & set(idx)) or any(self.adapter.is_system(messages[k]) for k in idx)
            units.append(_Unit(start, end, protected, cached=start < cached_until))
        units[-1].protected = True  # the latest turn
        # References are judged on what the client sent: markers would make every turn look quoted.
        idents = [self._idents(originals[u.start : u.end]) for u in units]
        later: set[str] = set()
        for k in range(len(units) - 1, -1, -1):
            quoted = min(len(idents[k] & later), 3) / 3  # later turns quote its names, paths, values
            units[k].value = k / len(units) + 1.5 * quoted
            later |= idents[k]
        return units

    def _idents(self, messages: Sequence[Message]) -> set[str]:
        text = "\n".join(t[:20000] for m in messages for t in self.adapter.texts(m))
        return set(_IDENT.findall(text))

    def _stash(self, payload: str, kind: str) -> str:
        ref = make_ref(payload)
        self.store().put(ref, Entry(payload, kind=kind, meta={"compressor": "context_fitter"}))
        self.refs.append(ref)
        return ref

    def _collapse(self, unit: _Unit, out: list[Message], originals: Sequence[Message], sizes: list[int]) -> int:
        span = originals[unit.start : unit.end]
        ref = self._stash(json.dumps(span, ensure_ascii=False), "messages")
        n = unit.end - unit.start
        saved = 0
        for k in range(unit.start, unit.end):
            summary = f"message {k + 1} ({sizes[k]:,} tokens, 1 of {n} in this turn) dropped to fit the context window"
            out[k] = self.adapter.collapse(out[k], _marker(ref, summary))
            new = self.count(out[k])
            saved += sizes[k] - new
            sizes[k] = new
        unit.state = "collapsed"
        return saved

    def _remove(
        self,
        units: list[_Unit],
        order: list[_Unit],
        out: list[Message],
        originals: Sequence[Message],
        sizes: list[int],
        budget: int,
        total: int,
    ) -> tuple[list[Message], int]:
        note_cost = self.count(self.adapter.note(_marker("0" * 16, "messages 100-200 (100 messages) removed")))
        position = {id(u): k for k, u in enumerate(units)}
        for unit in order:
            if total <= budget:
                break
            k = position[id(unit)]
            prev_removed = k > 0 and units[k - 1].state == "removed"
            next_removed = k + 1 < len(units) and units[k + 1].state == "removed"
            # A new run costs a note; joining two runs saves one.
            total += note_cost * (1 - prev_removed - next_removed)
            unit.state = "removed"
            total -= sum(sizes[unit.start : unit.end])
        rebuilt: list[Message] = []
        k = 0
        while k < len(units):
            if units[k].state != "removed":
                rebuilt.extend(out[units[k].start : units[k].end])
                k += 1
                continue
            run_start = k
            while k < len(units) and units[k].state == "removed":
                k += 1
            first, last = units[run_start].start, units[k - 1].end
            ref = self._stash(json.dumps(originals[first:last], ensure_ascii=False), "messages")
            summary = f"messages {first + 1}-{last} ({last - first} messages) removed to fit the context window"
            note = self.adapter.note(_marker(ref, summary))
            rebuilt.append(note)
            total += self.count(note) - note_cost
        return rebuilt, total

    def _shrink(
        self, out: list[Message], units: list[_Unit], budget: int, total: int
    ) -> tuple[list[Message], int, int]:
        first_user = next((i for i, m in enumerate(out) if self.adapter.user_text(m) is not None), -1)
        slots = [
            s
            for s in self.adapter.slots(out)
            if not self.adapter.is_system(out[s.index]) and len(s.text) > SHRINK_MIN_CHARS
        ]
        # The first user task goes last; otherwise the largest blocks first.
        slots.sort(key=lambda s: (s.index == first_user, -len(s.text), s.index))
        shrunk = 0
        for slot in slots:
            if total <= budget:
                break
            before = self.tokenizer.count(slot.text)
            excess = total - budget
            keep_tokens = max(before - excess - 60, 0)
            head = _head(slot.text, keep_tokens, self.tokenizer)
            ref = self._stash(slot.text, "text")
            summary = f"{before:,}-token block cut to its first {len(head):,} characters to fit the context window"
            new_text = (head + "\n" if head else "") + _marker(ref, summary)
            out = replace_at(out, {(slot.index, slot.path): new_text})
            total += self.tokenizer.count(new_text) - before
            shrunk += 1
        return out, total, shrunk


def _marker(ref: str, summary: str) -> str:
    return format_marker(ref, summary)


def _head(text: str, keep_tokens: int, tokenizer: Tokenizer) -> str:
    """The longest run of whole leading lines of ``text`` that fits in ``keep_tokens``."""
    if keep_tokens <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        cost = tokenizer.count(line + "\n")
        if used + cost > keep_tokens:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)
