"""Cutting real text to a token budget, by whole lines."""

from __future__ import annotations

from headroom.tokens import get_tokenizer

__all__ = ["count", "head", "window"]


def count(text: str) -> int:
    """o200k tokens of ``text`` (the count the suites are sized by)."""
    return get_tokenizer("gpt-4o").count(text)


def head(lines: list[str], budget: int) -> list[str]:
    """The first lines that fit in ``budget`` tokens (at least one)."""
    out: list[str] = []
    used = 0
    for line in lines:
        cost = count(line) + 1
        if out and used + cost > budget:
            break
        out.append(line)
        used += cost
    return out


def window(lines: list[str], center: int, budget: int) -> tuple[int, int]:
    """``(start, end)``: whole lines around line ``center`` that fit in ``budget`` tokens, grown
    evenly both ways (more after the center once the start is reached, and vice versa)."""
    start, end = center, center + 1
    used = count(lines[center]) + 1
    while start > 0 or end < len(lines):
        grew = False
        for side in ("before", "after"):
            if side == "before" and start > 0:
                cost = count(lines[start - 1]) + 1
                if used + cost <= budget:
                    start, used, grew = start - 1, used + cost, True
            elif side == "after" and end < len(lines):
                cost = count(lines[end]) + 1
                if used + cost <= budget:
                    end, used, grew = end + 1, used + cost, True
        if not grew:
            break
    return start, end
