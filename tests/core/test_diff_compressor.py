"""DiffCompressor: headers and changed lines survive verbatim; context and low-value files come back by ref."""

from __future__ import annotations

import difflib
import json
import os
import random
import subprocess
import sys

import headroom
from headroom import MemoryStore
from headroom.compressors import ContentType, Detection, DiffCompressor, TaskContext
from headroom.compressors._diff_parse import parse_diff
from headroom.markers import MARKER_RE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REF = "0123456789abcdef"
DIFF = Detection(ContentType.DIFF)


def file_diff(path: str, old: list[str], new: list[str], *, context: int = 3) -> str:
    """One file's part of ``git show``: the git header, an index line, and difflib's unified diff."""
    body = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=context, lineterm="")
    return "\n".join([f"diff --git a/{path} b/{path}", "index 3f2a1bc..9d8e7f6 100644", *body])


def python_module(n: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = ['"""Payments client."""', "", "import time", ""]
    for i in range(n):
        out += [f"def step_{i}(order, amount):", f'    """Step {i} of charging an order."""']
        out += [f"    total_{i} = amount * {rng.randint(2, 9)} + order.fee" for _ in range(1)]
        out += [f"    if total_{i} > {rng.randint(100, 999)}:", "        raise ValueError('too large')", ""]
    return out


def changed(lines: list[str], every: int, tag: str) -> list[str]:
    """Tag the ``total_i`` line of every ``every``-th function."""
    out = []
    for ln in lines:
        if ln.startswith("    total_") and int(ln.split("_")[1].split(" ")[0]) % every == 0:
            ln = f"{ln}  # {tag}"
        out.append(ln)
    return out


def commit(files: list[str], message: str = "Make charging retry-safe") -> str:
    head = [
        "commit 8e392f32c5a1b2c3d4e5f60718293a4b5c6d7e8f",
        "Author: Dev One <dev@example.com>",
        "Date:   Tue Nov 17 09:12:44 2026 +0100",
        "",
        f"    {message}",
        "",
        "    Charging is retried with backoff; refunds reuse the idempotency key.",
        "---",
        " src/shop/payments.py | 24 ++++++------",
        " 4 files changed, 320 insertions(+), 60 deletions(-)",
        "",
    ]
    return "\n".join([*head, *files]) + "\n"


OLD_PAY = python_module(40, seed=1)
NEW_PAY = changed(OLD_PAY, 3, "idempotent")
LOCK_OLD = ["{", '  "name": "shop-web",', '  "lockfileVersion": 3,', '  "packages": {']
LOCK_OLD += [f'    "node_modules/dep-{i}": {{ "version": "1.{i}.0" }},' for i in range(150)] + ["  }", "}"]
LOCK_NEW = [ln.replace('.0" }', '.1" }') if i % 2 else ln for i, ln in enumerate(LOCK_OLD)]
GUIDE_OLD = [f"Line {i} of the operator guide explains one step of the rollout." for i in range(120)]
GUIDE_NEW = [ln.replace("explains", "describes") if i % 4 == 0 else ln for i, ln in enumerate(GUIDE_OLD)]
MIN_OLD = ["!function(e){" + "var a=1;" * 80 + "}(window);"]
MIN_NEW = ["!function(e){" + "var b=2;" * 80 + "}(window);"]

BIG_COMMIT = commit(
    [
        file_diff("src/shop/payments.py", OLD_PAY, NEW_PAY),
        file_diff("package-lock.json", LOCK_OLD, LOCK_NEW),
        file_diff("docs/operator-guide.md", GUIDE_OLD, GUIDE_NEW),
        file_diff("static/app.min.js", MIN_OLD, MIN_NEW),
    ]
)


def run(text: str, query: str = "", compressor: DiffCompressor | None = None) -> str | None:
    task = TaskContext(query=query, tool_name="bash", tool_args={"command": "git show --stat -p HEAD"})
    return (compressor or DiffCompressor()).compress(text, ref=REF, task=task, detection=DIFF)


def reconstruct(out: str, original: str) -> list[str]:
    """The output with every line-range marker replaced by those lines of the original."""
    source = original.split("\n")
    lines: list[str] = []
    for line in out.split("\n"):
        m = MARKER_RE.fullmatch(line)
        if m is None:
            lines.append(line)
        elif m["start"]:
            assert m["ref"] == REF
            lines.extend(source[int(m["start"]) - 1 : int(m["end"])])
    return lines


def without_index_lines(text: str | list[str]) -> list[str]:
    """Index lines are dropped without a marker of their own (the headline marker announces them)."""
    lines = text.split("\n") if isinstance(text, str) else text
    return [ln for ln in lines if not ln.startswith("index ")]


def changed_lines(text: str, path: str) -> list[str]:
    f = next(f for f in parse_diff(text.split("\n")) if f.path == path)
    lines = text.split("\n")
    return [lines[k] for h in f.hunks for k in h.changed]


def test_the_file_the_task_names_keeps_every_changed_line_and_header() -> None:
    out = run(BIG_COMMIT, "What exactly changed in src/shop/payments.py, and could it break callers?")
    assert out is not None
    kept = out.split("\n")
    for line in BIG_COMMIT.split("\n")[:12]:  # commit, author, date, message, --stat block
        assert line in kept
    lines = BIG_COMMIT.split("\n")
    payments = next(f for f in parse_diff(lines) if f.path == "src/shop/payments.py")
    assert len(payments.hunks) > 5
    for h in payments.hunks:
        assert lines[h.header] in kept  # @@ lines verbatim, never rewritten
    assert all(line in kept for line in lines if line.startswith("diff --git"))
    assert "--- a/src/shop/payments.py" in kept and "+++ b/src/shop/payments.py" in kept
    assert all(line in kept for line in changed_lines(BIG_COMMIT, "src/shop/payments.py"))
    assert not any(line.startswith("index ") for line in kept)
    assert len(out) < 0.6 * len(BIG_COMMIT)


def test_low_value_and_unrelated_files_collapse_to_header_and_marker() -> None:
    out = run(BIG_COMMIT, "What exactly changed in src/shop/payments.py?")
    assert out is not None
    assert "diff --git a/package-lock.json b/package-lock.json" in out
    assert "package-lock.json: lock file — 1 hunk (+75 −75 lines) omitted" in out
    assert "static/app.min.js: generated file" in out
    assert "docs/operator-guide.md: not named in the task" in out
    assert "node_modules/dep-3" not in out
    assert "describes one step" not in out


def test_every_omitted_line_comes_back_by_its_marker_range() -> None:
    for query in ["What changed in src/shop/payments.py?", "Review this commit", "Why was package-lock.json changed?"]:
        out = run(BIG_COMMIT, query)
        assert out is not None
        assert without_index_lines(reconstruct(out, BIG_COMMIT)) == without_index_lines(BIG_COMMIT)


def test_context_is_trimmed_to_one_line_around_each_change() -> None:
    old = [f"    value_{i} = compute({i})" for i in range(60)]
    new = list(old)
    new[10] = "    value_10 = compute(10) + 1"
    new[45] = "    value_45 = compute(45) - 1"
    text = file_diff("src/calc.py", old, new, context=20)
    out = run(text, "Review")
    assert out is not None
    kept = out.split("\n")
    i = kept.index("+    value_10 = compute(10) + 1")
    assert kept[i - 2] == "     value_9 = compute(9)"
    assert kept[i + 1] == "     value_11 = compute(11)"
    assert MARKER_RE.fullmatch(kept[i + 2]) and "unchanged lines omitted" in kept[i + 2]
    assert "     value_30 = compute(30)" not in kept
    assert [ln for ln in kept if ln.startswith("@@")] == [ln for ln in text.split("\n") if ln.startswith("@@")]


def test_a_generic_question_keeps_every_source_file() -> None:
    out = run(BIG_COMMIT, "Review this commit, is it safe to ship?")
    assert out is not None
    assert "not named in the task" not in out
    assert all(line in out.split("\n") for line in changed_lines(BIG_COMMIT, "docs/operator-guide.md"))
    assert "package-lock.json: lock file" in out


def test_a_lock_file_the_task_names_stays() -> None:
    out = run(BIG_COMMIT, "Which versions changed in package-lock.json?")
    assert out is not None
    assert all(line in out.split("\n") for line in changed_lines(BIG_COMMIT, "package-lock.json"))


def test_a_symbol_in_the_task_points_at_the_file_that_touches_it() -> None:
    out = run(BIG_COMMIT, "Did the change to `total_3` alter the rounding?")
    assert out is not None
    assert all(line in out.split("\n") for line in changed_lines(BIG_COMMIT, "src/shop/payments.py"))
    assert "docs/operator-guide.md: not named in the task" in out


def test_a_huge_diff_without_focus_collapses_tests_then_the_largest_files_to_fit_its_budget() -> None:
    old = [f"    value_{i} = compute({i})" for i in range(400)]
    new = [ln + "  # checked" if i % 5 == 0 else ln for i, ln in enumerate(old)]
    text = commit(
        [
            file_diff("src/shop/small.py", old[:40], new[:40]),
            file_diff("src/shop/large.py", old, new),
            file_diff("tests/test_large.py", old, new),
        ]
    )
    out = run(text, "Review this commit", DiffCompressor(budget=200))
    assert out is not None
    assert "tests/test_large.py: test file" in out
    for path in ["src/shop/small.py", "src/shop/large.py"]:  # 16 + 160 changed lines fit the budget
        assert all(line in out.split("\n") for line in changed_lines(text, path))
    out = run(text, "Review this commit", DiffCompressor(budget=20))
    assert out is not None
    assert "src/shop/large.py: over the diff budget" in out
    assert all(line in out.split("\n") for line in changed_lines(text, "src/shop/small.py"))
    assert without_index_lines(reconstruct(out, text)) == without_index_lines(text)


def test_a_large_diff_the_task_does_not_point_into_keeps_source_and_collapses_tests() -> None:
    old = [f"    value_{i} = compute({i})" for i in range(200)]
    new = [ln + "  # checked" if i % 4 == 0 else ln for i, ln in enumerate(old)]
    old_tests = [f"    assert check_{i}() == {i}" for i in range(200)]
    new_tests = [ln + "  # strict" if i % 4 == 0 else ln for i, ln in enumerate(old_tests)]
    source = file_diff("src/shop/large.py", old, new)
    tests = file_diff("tests/test_large.py", old_tests, new_tests)
    text = commit([source, tests])
    out = run(text, "Review this commit")
    assert out is not None
    assert "tests/test_large.py: test file (the task names no file; source changes kept)" in out
    assert all(line in out.split("\n") for line in changed_lines(text, "src/shop/large.py"))
    assert not any(line in out.split("\n") for line in changed_lines(text, "tests/test_large.py"))
    assert without_index_lines(reconstruct(out, text)) == without_index_lines(text)
    # A diff of tests alone keeps them; so does a task that names the test file.
    only_tests = run(commit([tests]), "Review this commit")
    assert only_tests is None or "test file" not in only_tests
    named = run(text, "What changed in tests/test_large.py?")
    assert named is not None
    assert all(line in named.split("\n") for line in changed_lines(text, "tests/test_large.py"))


def test_git_log_p_keeps_every_commit_header_and_message() -> None:
    first = commit([file_diff("src/shop/payments.py", OLD_PAY, NEW_PAY, context=10)], "Retry charges")
    second = commit([file_diff("docs/operator-guide.md", GUIDE_OLD, GUIDE_NEW, context=10)], "Reword the guide")
    text = first + "\n" + second.replace("8e392f32c5a1", "1111111111aa")
    out = run(text, "Summarise the last two commits")
    assert out is not None
    for header in ["commit 8e392f32c5a1", "commit 1111111111aa", "    Retry charges", "    Reword the guide"]:
        assert any(line.startswith(header) for line in out.split("\n"))
    assert without_index_lines(reconstruct(out, text)) == without_index_lines(text)


def test_removed_lines_that_look_like_file_headers_stay_in_their_hunk() -> None:
    old = ["CREATE TABLE orders (id int);", "-- drop the legacy view", "SELECT 1;"] + [
        f"-- note {i}" for i in range(30)
    ]
    new = ["CREATE TABLE orders (id int);", "++ placeholder", "SELECT 1;"] + [f"-- note {i}" for i in range(30)]
    text = file_diff("db/schema.sql", old, new)
    assert "--- drop the legacy view" in text and "+++ placeholder" in text
    files = parse_diff(text.split("\n"))
    assert len(files) == 1 and files[0].path == "db/schema.sql"
    assert files[0].added == 1 and files[0].removed == 1


def test_binary_changes_are_one_line() -> None:
    binary = "\n".join(
        [
            "diff --git a/static/logo.png b/static/logo.png",
            "index 1111111..2222222 100644",
            "GIT binary patch",
            "literal 1024",
            *["zcmV-^1ZezSP)<h;3K|Lk000e1NJLTq001@s001@!0ssI2{<@000" for _ in range(40)],
            "",
            "literal 980",
            *["zcmV-^1ZezSP)<h;3K|Lk000e1NJLTq001@s001@!0ssI2{<@111" for _ in range(40)],
            "",
        ]
    )
    text = commit([file_diff("src/shop/payments.py", OLD_PAY, NEW_PAY), binary])
    out = run(text, "What changed in src/shop/payments.py?")
    assert out is not None
    assert "diff --git a/static/logo.png b/static/logo.png" in out
    assert "static/logo.png: binary patch — patch data omitted" in out
    assert "zcmV" not in out
    assert without_index_lines(reconstruct(out, text)) == without_index_lines(text)


def test_text_without_diff_structure_is_left_alone() -> None:
    assert run("just some words\nand more words\n" * 50, "anything") is None


def test_random_diffs_keep_every_changed_line_and_round_trip() -> None:
    rng = random.Random(20261123)
    for case in range(40):
        files = []
        for k in range(rng.randint(1, 5)):
            old = [f"line {k}.{i} {'x' * rng.randint(0, 60)}" for i in range(rng.randint(5, 200))]
            new = [
                ln if rng.random() > 0.08 else ln + " changed" for ln in old if rng.random() > 0.03 or ln.endswith("0")
            ]
            files.append(file_diff(f"pkg/mod_{case}_{k}.py", old, new, context=rng.randint(0, 8)))
        text = commit(files)
        query = rng.choice(["review", f"what changed in pkg/mod_{case}_0.py", "is it safe?"])
        out = run(text, query)
        if out is None:
            continue
        assert without_index_lines(reconstruct(out, text)) == without_index_lines(text)
        kept = set(out.split("\n"))
        for f in parse_diff(text.split("\n")):
            if f.path == f"pkg/mod_{case}_0.py" or "not named" not in out:
                assert all(line in kept for line in changed_lines(text, f.path))


def test_output_is_deterministic_across_processes() -> None:
    query = "What exactly changed in src/shop/payments.py?"
    here = run(BIG_COMMIT, query)
    script = (
        "import json, sys\n"
        "from headroom.compressors import ContentType, Detection, DiffCompressor, TaskContext\n"
        "text, query = json.load(sys.stdin)\n"
        "task = TaskContext(query=query, tool_name='bash', tool_args={'command': 'git show --stat -p HEAD'})\n"
        f"out = DiffCompressor().compress(text, ref='{REF}', task=task, detection=Detection(ContentType.DIFF))\n"
        "sys.stdout.write(out)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps([BIG_COMMIT, query]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert proc.stdout == here
    assert run(BIG_COMMIT, query) == here


def test_compress_stores_the_original_and_markers_redeem_it(store: MemoryStore) -> None:
    query = "What exactly changed in src/shop/payments.py?"
    messages = [
        {"role": "user", "content": query},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": json.dumps({"command": "git show --stat -p HEAD"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": BIG_COMMIT},
    ]
    result = headroom.compress(messages, model="gpt-4o", store=store)
    out = result.messages[-1]["content"]
    assert result.tokens_after < result.tokens_before
    refs = headroom.find_refs(out)
    assert len(refs) == 1
    assert headroom.retrieve(refs[0], store=store) == BIG_COMMIT
    source = BIG_COMMIT.split("\n")
    for m in MARKER_RE.finditer(out):
        if m["start"]:
            got = headroom.retrieve(refs[0], lines=f"{m['start']}-{m['end']}", store=store)
            assert got == "\n".join(source[int(m["start"]) - 1 : int(m["end"])])
    assert all(line in out.split("\n") for line in changed_lines(BIG_COMMIT, "src/shop/payments.py"))


_LINE = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=60),
    st.builds("    value_{} = compute({}, retries={})".format, st.integers(0, 99), st.integers(), st.integers(0, 9)),
    st.sampled_from(["--- a/fake", "+++ b/fake", "@@ -1 +1 @@", "diff --git a/x b/x", "index 1..2", "\\ No newline"]),
)


@st.composite
def diffs(draw: st.DrawFn) -> str:
    files = []
    for k in range(draw(st.integers(1, 4))):
        old = draw(st.lists(_LINE, min_size=1, max_size=150))
        new = list(old)
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(new)))
            if draw(st.booleans()) and i < len(new):
                del new[i]
            else:
                new.insert(i, draw(_LINE))
        name = draw(st.sampled_from(["src/app.py", "package-lock.json", "docs/guide.md", "vendor/lib.go"]))
        files.append(file_diff(f"{k}/{name}", old, new, context=draw(st.integers(0, 12))))
    return commit(files)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=diffs(), query=st.sampled_from(["", "what changed in 0/src/app.py?", "review `main`"]))
def test_property_every_original_line_comes_back(text: str, query: str) -> None:
    # min_saving=0 and a low threshold for omitting runs, so that every drawn diff is trimmed
    out = run(text, query, DiffCompressor(min_saving=0.0, min_omit_chars=0, large_diff=20))
    if out is None:
        return  # the markers would have cost more than the lines they replace
    assert without_index_lines(reconstruct(out, text)) == without_index_lines(text)
    kept = set(out.split("\n"))
    for f in parse_diff(text.split("\n")):
        if f"{f.path}:" not in out:  # not collapsed: every changed line is there
            assert all(line in kept for line in changed_lines(text, f.path))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=diffs())
def test_property_compress_then_retrieve_gives_back_every_line(text: str) -> None:
    store = MemoryStore()
    messages = [
        {"role": "user", "content": "Review this commit"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": text},
    ]
    out = headroom.compress(messages, model="gpt-4o", store=store).messages[-1]["content"]
    source = text.split("\n")
    for ref in headroom.find_refs(out):
        assert headroom.retrieve(ref, store=store) == text
    for m in MARKER_RE.finditer(out):
        if m["start"]:
            got = headroom.retrieve(m["ref"], lines=f"{m['start']}-{m['end']}", store=store)
            assert got == "\n".join(source[int(m["start"]) - 1 : int(m["end"])])


def retry_module(n: int) -> list[str]:
    out = ['"""Retry steps."""', "", "import time", ""]
    for i in range(n):
        out += [f"def step_{i}(order, amount):", f'    """Step {i} of retrying a charge."""']
        out += [
            f"    wait_{i} = {i} * order.backoff",
            f"    time.sleep(wait_{i})",
            f"    total_{i} = amount + order.fee * {i}",
        ]
        out += [
            f"    if total_{i} > order.limit:",
            "        raise ValueError('too large')",
            f"    return total_{i}",
            "",
        ]
    return out


def test_an_added_file_the_task_does_not_name_is_outlined_like_code_keeping_what_it_asks_about() -> None:
    new = retry_module(60)
    text = commit([file_diff("src/shop/retry.py", [], new)], message="Add retry steps")
    out = run(text, "What does step_17 raise when the total is too large?")
    assert out is not None and len(out) < len(text)
    assert "+def step_17(order, amount):" in out and "+    time.sleep(wait_17)" in out
    assert "+def step_40(order, amount):" in out and "+    time.sleep(wait_40)" not in out  # signatures stay
    assert reconstruct(out, text) == without_index_lines(text)  # every omitted line comes back by its range


def test_an_added_file_the_task_names_keeps_every_line() -> None:
    new = retry_module(60)
    text = commit([file_diff("src/shop/retry.py", [], new)], message="Add retry steps")
    out = run(text, "What exactly changed in src/shop/retry.py?")
    assert out is None or all(line in out for line in changed_lines(text, "src/shop/retry.py"))


def test_a_diff_of_vendored_files_only_is_not_collapsed_as_vendored() -> None:
    files = [
        file_diff(f"node_modules/semver/classes/f{i}.js", [f"const a{i} = {k}" for k in range(30)], [])
        for i in range(3)
    ]
    files.append(file_diff("node_modules/semver/package.json", ['  "version": "7.8.5",'], ['  "version": "7.8.6",']))
    out = run("\n".join(files), "Which version is the new package?")
    assert out is None or '+  "version": "7.8.6",' in out
