"""One term tokenizer for the whole pipeline: flags, versions and dotted names are terms, found exactly."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import headroom
import pytest
from headroom import MemoryStore
from headroom.compressors._terms import found_terms, pinpointed, term_pattern, terms_of
from headroom.markers import parse_markers

from .helpers import openai_conversation


def test_flags_versions_and_punctuated_identifiers_are_kept_whole() -> None:
    terms = terms_of("Does -f or --dry-run work with lodash 4.17, os.path.join, std::vec and src/app.py?")
    assert {"-f", "--dry-run", "4.17", "os.path.join", "std::vec", "src/app.py"} <= terms
    assert {"dry", "run", "lodash", "os", "path", "join", "std", "vec", "src", "app"} <= terms  # their word parts
    assert not {"4", "17", "f", "does", "or", "and", "with"} & terms  # no number parts, one-letter words, stopwords


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("4.17", "lodash@4.17.21 installed", True),
        ("4.17", "node v14.17.0", False),
        ("4.17", "version 4.170", False),
        ("-f", "rm -f build/", True),
        ("-f", "git push --force", False),
        ("--quit", "  -q, --quit  exit at once", True),
        ("timeout", "connect_timeout=30", True),
        ("timeout", "timeouts=3", False),
        ("os.path.join", "return os.path.join(a, b)", True),
    ],
)
def test_a_term_is_found_as_an_exact_substring_no_letter_or_digit_touches(term: str, text: str, found: bool) -> None:
    assert (term in found_terms(term_pattern([term]), text)) is found


def _options_listing(special: str) -> str:
    lines = [f"  -{c}, --option-{c}{k}   set option {c}{k}, then quit or go on" for k in range(8) for c in "abcdeghij"]
    lines.insert(41, special)
    return "\n".join(["Usage: tool [OPTIONS] FILE", "", "Options:", *lines, "", "Report bugs to the tracker."])


@pytest.mark.parametrize(
    ("question", "line"),
    [
        ("What does -f do?", "  -f, --fast   skip the consistency checks entirely"),
        ("What does --quit do?", "  -q, --quit   exit right after loading the configuration"),
    ],
    ids=["short-flag", "long-flag"],
)
def test_the_line_of_a_flag_the_question_names_stays_inline(question: str, line: str, store: MemoryStore) -> None:
    text = _options_listing(line)
    result = headroom.compress(openai_conversation(text, question=question), model="gpt-4o", store=store)
    out = result.messages[-1]["content"]
    assert len(out) < len(text)
    assert line in out


def test_a_version_the_question_names_keeps_its_lines_in_search_results(store: MemoryStore) -> None:
    lines = [
        f'packages/app{i % 9}/package-lock.json:{100 + i}:      "version": "4.{i % 17}.{i % 5}",' for i in range(300)
    ]
    lines[233] = 'packages/app8/package-lock.json:333:      "version": "4.17.21",'
    text = "\n".join(lines)
    out = headroom.compress(
        openai_conversation(text, question="Which package pins version 4.17?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    assert lines[233] in out


# ---------------------------------------------------------------- markers say what they hide


def _orders_log(n: int = 1200) -> str:
    lines = []
    for i in range(n):
        ts = f"2026-11-23 10:{i // 60 % 60:02d}:{i % 60:02d}"
        if i % 6 == 0:
            lines.append(f"{ts} INFO checkout: order {9000 + i} total {i % 90}.50 discount SPRING{i % 4} applied")
        else:
            lines.append(f"{ts} INFO checkout: order {9000 + i} total {i % 90}.50 paid by card")
    return "\n".join(lines)


def test_markers_count_the_hidden_lines_that_mention_the_question(store: MemoryStore) -> None:
    text = _orders_log()
    out = headroom.compress(
        openai_conversation(text, question="Why was a discount applied to order 9294?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    markers = parse_markers(out)
    hidden = text.count("discount") - sum(
        1 for line in out.split("\n") if "discount" in line and "[headroom:" not in line
    )
    assert hidden > 0
    counts = [re.search(r"(\d+) mentions? [^;]*\"discount\"", m.summary) for m in markers]
    assert counts[0] is not None and int(counts[0][1]) == hidden  # the summary marker
    # each hidden mention is counted by exactly one range marker
    assert sum(int(c[1]) for c, m in zip(counts[1:], markers[1:], strict=True) if c and m.lines) == hidden


def test_a_marker_hiding_no_line_of_the_question_carries_no_note(store: MemoryStore) -> None:
    text = _orders_log()
    out = headroom.compress(
        openai_conversation(text, question="Which orders were refunded?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    assert parse_markers(out) and "mention" not in out


def test_a_json_marker_counts_the_omitted_rows_that_mention_the_question(store: MemoryStore) -> None:
    rows = [{"id": i, "note": "discount applied" if i % 5 == 0 else "paid", "total": i * 3} for i in range(600)]
    out = headroom.compress(
        openai_conversation(json.dumps(rows), question="Did an order get a discount?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    json.loads(out)
    kept_hits = out.count("discount applied")
    (marker,) = parse_markers(out)
    m = re.search(r"(\d+) mentions? ", marker.summary)
    assert m is not None and int(m[1]) == 120 - kept_hits


# ---------------------------------------------------------------- the things a task names, one by one


def _listing(shape: str, n: int = 400) -> list[str]:
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ru", "to", "vi", "za", "pe", "su", "do", "fa"]

    families = ["".join(rng.choice(syllables) for _ in range(3)) for _ in range(40)]
    parts = ["cli", "app", "engine", "common", "utils", "dev", "data", "bin", "doc", "l10n"]

    def name() -> str:  # names of one family share their words, as real package names do
        return "-".join([rng.choice(families), *rng.sample(parts, rng.randint(0, 3))])

    if shape == "packages":  # dpkg-query -W: name, version, size
        return [f"{name()}\t{rng.randint(1, 9)}.{rng.randint(0, 30)}\t{rng.randint(9, 9999)}" for _ in range(n)]
    if shape == "commits":  # git log --format='%h %ad %s'
        words = ["fix", "parser", "cache", "retry", "docs", "bump", "test", "config", "refactor", "logging"]
        return [
            f"{rng.getrandbits(28):07x} 2026-12-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00 "
            + " ".join(rng.choice(words) for _ in range(6))
            for _ in range(n)
        ]
    return [f"{name()}\t\t{rng.randint(1, 60000)}/{rng.choice(['tcp', 'udp'])}\t\t# {name()} service" for _ in range(n)]


@pytest.mark.parametrize("shape", ["packages", "commits", "services"])
def test_each_exact_thing_the_task_names_keeps_its_line(shape: str, store: MemoryStore) -> None:
    """A task that names sixteen packages, commits or services gets every one of their lines, not a few."""
    lines = _listing(shape)
    firsts = Counter(line.split()[0] for line in lines)
    named = [lines[i] for i in range(11, 400, 25) if firsts[lines[i].split()[0]] <= 2]  # a dozen or so, spread out
    things = [line.split()[0] for line in named]
    assert len(named) >= 12
    task = f"I need the details of {', '.join(things)}. Run the command and look them up."
    text = "\n".join(lines)
    result = headroom.compress(openai_conversation(text, question=task), model="gpt-4o", store=store)
    out = result.messages[-1]["content"]
    assert len(out) < 0.75 * len(text)
    assert [line for line in named if line not in out] == []


def test_a_term_on_many_lines_pins_none_of_them() -> None:
    lines = [f"row {i} status ok" for i in range(50)] + ["row 50 status failed", "row 51 status failed"]
    pinned = pinpointed(lines, "Which rows have status failed, and what does row 7 say?")
    assert pinned == {50, 51}  # "failed" is on two lines; "status" and "row" on every line; "7" is no word
