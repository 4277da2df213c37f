"""Running suites: cases in parallel where the backend allows, each probe's record appended to
``records.jsonl`` as soon as its case is done, and the table rewritten, so a partial run still
yields a table (and a rerun skips the cases already recorded)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from headroom.evals.cases import Case
from headroom.evals.harness import Harness, Record
from headroom.evals.report import load_records

__all__ = ["run_cases"]

OnCase = Callable[[Case, list[Record], float], None]


def run_cases(
    harness: Harness, cases: Sequence[Case], records_path: Path, *, on_case: OnCase | None = None
) -> list[Record]:
    """Run every case not yet in ``records_path``; return all records (earlier ones included).

    Args:
        harness: the paired harness.
        cases: what to run.
        records_path: the JSON-lines file of records (appended to).
        on_case: called after each case with it, every record so far and the seconds it took (progress, tables).
    """
    done = load_records(records_path)
    seen = {(r.suite, r.case) for r in done}
    todo = [c for c in cases if (c.suite, c.id) not in seen]
    lock = threading.Lock()
    records_path.parent.mkdir(parents=True, exist_ok=True)

    def one(case: Case) -> None:
        start = time.monotonic()
        recs = harness.run_case(case)
        with lock:
            with records_path.open("a", encoding="utf-8") as f:
                for r in recs:
                    f.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
            done.extend(recs)
            if on_case is not None:
                on_case(case, list(done), time.monotonic() - start)

    workers = max(1, harness.backend.concurrency)
    if workers == 1:
        for case in todo:
            one(case)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, todo))
    return done
