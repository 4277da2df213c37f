"""Cache safety and context fitting over agent conversations (issue: CacheAligner / ContextFitter).

Replays every agent case of a benchmark split turn by turn (each request = all messages up to an
assistant turn) and prints:

1. prefix stability: the share of consecutive compressed requests where request N+1 starts with
   exactly the messages of request N (byte-for-byte JSON), and whether a second process produces
   identical bytes;
2. fitting: for context limits of 50 %, 25 % and 10 % of each conversation's size — fits, no tool
   pair split, system prompt and last user turn kept, every dropped message retrievable;
3. a simulated prompt cache: per conversation, the share of input tokens read from cache and the
   input cost with the registry's prices (cache reads and writes priced as the provider does),
   uncompressed vs compressed.

Usage (from the repository root):
    uv run --package headroom-core python benchmarks/cache_and_fit.py [--cases ../shared/bench/cases]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from headroom import MemoryStore, compress, find_refs, retrieve
from headroom.formats import get_format, pairs_intact
from headroom.models import get_model
from headroom.pipeline.context_fitter import MESSAGE_OVERHEAD
from headroom.tokens import get_tokenizer

MODELS = {"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5"}


def load_agent_cases(folder: Path) -> list[dict[str, Any]]:
    path = folder / "agent.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def requests_of(messages: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each request an agent sends: all messages up to (not including) each assistant turn."""
    ends = [i for i, m in enumerate(messages) if m.get("role") == "assistant" and i > 0]
    return [list(messages[:i]) for i in ends] + [list(messages)]


def replay(case: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], int]:
    store = MemoryStore()  # one store per conversation, as one proxy process would have
    outs = []
    for req in requests_of(case["messages"]):
        r = compress(req, model=MODELS[case["format"]], format=case["format"], system=case.get("system"), store=store)
        outs.append(r.messages)
    stable = sum(
        1
        for a, b in itertools.pairwise(outs)
        if json.dumps(b[: len(a)], ensure_ascii=False) == json.dumps(a, ensure_ascii=False)
    )
    return outs, stable


def digest_final(cases: list[dict[str, Any]]) -> list[str]:
    out = []
    for case in cases:
        r = compress(
            case["messages"],
            model=MODELS[case["format"]],
            format=case["format"],
            system=case.get("system"),
            store=MemoryStore(),
        )
        out.append(
            hashlib.sha256(json.dumps(r.messages, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()
        )
    return out


def check_fit(case: dict[str, Any], frac: float) -> dict[str, Any]:
    fmt, msgs = case["format"], case["messages"]
    adapter = get_format(fmt)
    model = MODELS[fmt]
    size = compress(
        msgs, model=model, format=fmt, system=case.get("system"), store=MemoryStore(), fit=False
    ).tokens_before
    store = MemoryStore()
    r = compress(
        msgs,
        model=model,
        format=fmt,
        system=case.get("system"),
        store=store,
        context_limit=int(size * frac),
        output_reserve=0,
    )
    fit = r.fit
    assert fit is not None
    last_user = max((i for i, m in enumerate(msgs) if adapter.user_text(m) is not None), default=None)
    kept_system = all(m in r.messages for m in msgs if adapter.is_system(m)) and r.system == case.get("system")
    kept_last = last_user is None or any(adapter.user_text(m) == adapter.user_text(msgs[last_user]) for m in r.messages)
    refs = find_refs(json.dumps(r.messages, ensure_ascii=False))
    retrievable = all(retrieve(ref, store=store) for ref in refs)
    return {
        "fits": fit.fits and r.tokens_after <= size * frac,
        "pairs": pairs_intact(fmt, r.messages),
        "system": kept_system,
        "last_user": kept_last,
        "retrievable": retrievable,
        "collapsed": fit.collapsed_units,
        "removed": fit.removed_units,
        "shrunk": fit.shrunk_blocks,
    }


def simulate_cache(fmt: str, system: Any, requests: list[list[dict[str, Any]]]) -> tuple[int, int, float]:
    """(input tokens, tokens read from cache, input cost in USD) over a conversation's requests.

    Caching is simulated at message granularity: the longest run of leading messages identical to
    the previous request's is read from cache; the rest is written (Anthropic bills writes at the
    cache-write price; OpenAI caches automatically at no write premium).
    """
    model = MODELS[fmt]
    info = get_model(model)
    assert info is not None, f"{model} is not in the registry"
    tok = get_tokenizer(model)
    adapter = get_format(fmt)
    sys_tokens = sum(tok.count(t) for t in ([system] if isinstance(system, str) else []))
    total = cached = 0
    cost = 0.0
    prev: list[str] = []
    for req in requests:
        enc = [json.dumps(m, ensure_ascii=False) for m in req]
        sizes = [sum(tok.count(t) for t in adapter.texts(m)) + MESSAGE_OVERHEAD for m in req]
        same = 0
        while same < min(len(enc), len(prev)) and enc[same] == prev[same]:
            same += 1
        hit = (sys_tokens if prev else 0) + sum(sizes[:same])
        tokens = sys_tokens + sum(sizes)
        miss = tokens - hit
        write_price = (
            info.cache_write_per_mtok if fmt == "anthropic" and info.cache_write_per_mtok else info.input_per_mtok
        )
        read_price = info.cache_read_per_mtok if info.cache_read_per_mtok is not None else info.input_per_mtok
        cost += (hit * read_price + miss * write_price) / 1e6
        total += tokens
        cached += hit
        prev = enc
    return total, cached, cost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=Path(__file__).resolve().parents[2] / "shared/bench/cases")
    ap.add_argument("--limit", type=int, default=0, help="only the first N agent cases")
    ap.add_argument("--digest-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    cases = load_agent_cases(args.cases)
    if args.limit:
        cases = cases[: args.limit]
    if args.digest_only:
        print(json.dumps(digest_final(cases)))
        return

    print("## Prefix stability (turn-by-turn replay)\n")
    print("| case | format | requests | stable pairs |")
    print("|---|---|---|---|")
    stable_total = pairs_total = 0
    sim_rows = []
    for case in cases:
        outs, stable = replay(case)
        stable_total += stable
        pairs_total += len(outs) - 1
        print(f"| {case['id']} | {case['format']} | {len(outs)} | {stable}/{len(outs) - 1} |")
        originals = requests_of(case["messages"])
        sim_rows.append(
            (
                case,
                simulate_cache(case["format"], case.get("system"), originals),
                simulate_cache(case["format"], case.get("system"), outs),
            )
        )
    print(
        f"\nPrefix-stable consecutive requests: {stable_total}/{pairs_total} "
        f"({100 * stable_total / max(pairs_total, 1):.1f}%)"
    )
    here = digest_final(cases)
    cmd = [sys.executable, __file__, "--cases", str(args.cases), "--digest-only"] + (
        ["--limit", str(args.limit)] if args.limit else []
    )
    other = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    print(f"Identical bytes in a second process: {sum(a == b for a, b in zip(here, other, strict=True))}/{len(here)}\n")

    print("## Context fitting (limit = share of the conversation's tokens)\n")
    print(
        "| limit | cases | fits | no pair split | system kept | last user turn kept | dropped retrievable "
        "| collapsed | removed | shrunk |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for frac in (0.5, 0.25, 0.1):
        rows = [check_fit(c, frac) for c in cases]
        n = len(rows)

        def count(k: str, rows: list[dict[str, Any]] = rows, n: int = n) -> str:
            return f"{sum(r[k] for r in rows)}/{n}"

        print(
            f"| {frac:.0%} | {n} | {count('fits')} | {count('pairs')} | {count('system')} | {count('last_user')} | "
            f"{count('retrievable')} | {sum(r['collapsed'] for r in rows)} | {sum(r['removed'] for r in rows)} | "
            f"{sum(r['shrunk'] for r in rows)} |"
        )

    print("\n## Simulated prompt cache and input cost per conversation\n")
    print(
        "| case | model | input tokens (orig → compressed) | cache hit rate (orig → compressed) "
        "| input cost USD (orig → compressed) | saved |"
    )
    print("|---|---|---|---|---|---|")
    cost_o = cost_c = 0.0
    for case, (to, co, uo), (tc, cc, uc) in sim_rows:
        cost_o += uo
        cost_c += uc
        print(
            f"| {case['id']} | {MODELS[case['format']]} | {to:,} → {tc:,} "
            f"| {co / max(to, 1):.0%} → {cc / max(tc, 1):.0%} | "
            f"{uo:.4f} → {uc:.4f} | {1 - uc / uo if uo else 0:.0%} |"
        )
    print(
        f"\nAll conversations: input cost {cost_o:.4f} → {cost_c:.4f} USD "
        f"({1 - cost_c / cost_o if cost_o else 0:.0%} saved)"
    )


if __name__ == "__main__":
    main()
