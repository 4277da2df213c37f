"""Questions that ask for a set keep every line of the templates they point at."""

from __future__ import annotations

import re

import headroom
import pytest
from headroom import MemoryStore
from headroom.compressors._enumeration import SetQuestion
from headroom.markers import parse_markers

from .helpers import openai_conversation


@pytest.mark.parametrize(
    "question",
    [
        "Which packages were installed?",
        "List each warning.",
        "Identify every error, warning or failure event.",
        "What orders got a discount?",
        "Show all the failed requests",
    ],
)
def test_questions_asking_for_a_set_are_recognised(question: str) -> None:
    assert SetQuestion.of(question) is not None


@pytest.mark.parametrize(
    "question",
    [
        "Why did payment 8812 fail?",
        "Which request failed, with which HTTP status?",
        "What does version_option do?",
        "What exactly makes it fail and what should the fix be?",
    ],
)
def test_questions_asking_for_one_thing_are_not_sets(question: str) -> None:
    assert SetQuestion.of(question) is None


def _install_log(packages: int, noise: int = 12) -> tuple[str, list[str]]:
    """A pip-style log: many routine lines, and one 'Successfully installed' line per package."""
    lines, installed = [], []
    for k in range(packages):
        for j in range(noise):
            lines.append(f"2026-11-23 10:{k % 60:02d}:{j:02d} DEBUG resolver: considering candidate {k}.{j} from index")
        line = f"2026-11-23 10:{k % 60:02d}:59 INFO installer: Successfully installed pkg-{k}-{k * 7 % 13}.{k % 5}.0"
        lines.append(line)
        installed.append(line)
    return "\n".join(lines), installed


def test_a_set_question_keeps_every_line_of_the_template_it_points_at(store: MemoryStore) -> None:
    text, installed = _install_log(60)
    out = headroom.compress(
        openai_conversation(text, question="Which packages were installed?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    assert len(out) < len(text) / 2
    assert all(line in out for line in installed)


def test_the_same_log_asked_about_one_package_keeps_a_few_instances(store: MemoryStore) -> None:
    text, installed = _install_log(60)
    out = headroom.compress(
        openai_conversation(text, question="Why did the resolver pick candidate 7.3?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    assert sum(1 for line in installed if line in out) < len(installed)


def test_a_question_naming_warnings_keeps_every_warning_line(store: MemoryStore) -> None:
    lines = []
    for i in range(900):
        ts = f"2026-11-23 10:{i // 60 % 60:02d}:{i % 60:02d}"
        if i % 30 == 7:
            lines.append(f"{ts} WARNING pool: connection {i} to db-{i % 4} slow ({i % 97} ms over limit)")
        else:
            lines.append(f"{ts} INFO http: GET /api/items/{i} 200 in {i % 40} ms")
    text = "\n".join(lines)
    out = headroom.compress(
        openai_conversation(text, question="List each warning."), model="gpt-4o", store=store
    ).messages[-1]["content"]
    assert all(line in out for line in lines if "WARNING" in line)


def test_a_huge_set_is_kept_as_an_even_spread_and_the_marker_says_how_many(store: MemoryStore) -> None:
    text, installed = _install_log(3000, noise=1)
    out = headroom.compress(
        openai_conversation(text, question="Which packages were installed?"), model="gpt-4o", store=store
    ).messages[-1]["content"]
    kept = [line for line in installed if line in out]
    assert 0 < len(kept) < len(installed)
    assert installed[0] in out and installed[-1] in out and installed[len(installed) // 2] in out
    summary = parse_markers(out)[0].summary
    m = re.search(r"the question asks for a set: (\d+) of its (\d+) lines kept", summary)
    assert m is not None and int(m[1]) == len(kept) and int(m[2]) == len(installed)


def test_a_set_of_qualified_errors_keeps_those_errors_not_every_error(store: MemoryStore) -> None:
    """ "List every attr-defined error": the errors carrying the qualifier, not all errors."""
    lines = []
    for i in range(300):
        if i % 25 == 3:
            lines.append(f'pkg/mod{i}.py:{i}: error: Module "m{i}" has no attribute "x{i}"  [attr-defined]')
        else:
            lines.append(f"pkg/mod{i}.py:{i}: error: Function is missing a type annotation  [no-untyped-def]")
    lines.append("Found 300 errors in 300 files (checked 300 source files)")
    text = "\n".join(lines)
    out = headroom.compress(
        openai_conversation(text, question="List every attr-defined error mypy reports."), model="gpt-4o", store=store
    ).messages[-1]["content"]
    assert all(line in out for line in lines if "attr-defined" in line)
    assert sum(1 for line in lines if "no-untyped-def" in line and line in out) < 100


def test_a_set_question_keeps_first_the_lines_holding_its_rarest_terms(store: MemoryStore) -> None:
    """ "Which shutil tests were skipped as incompatible with X": every test line names shutil, so
    the set is hundreds of lines; the three that also say why they were skipped come first."""
    why = ("'requires os.chflags'", "'Windows only'", "'macOS only'", "'not on tty'")
    lines = [
        f"test_case_{i} (test.test_shutil.TestCopy{i % 9}.test_case_{i}) ... "
        + ("ok" if i % 3 else f"skipped {why[i % 4]}")
        for i in range(3000)
    ]
    reason = "skipped 'incompatible with CAP_DAC_OVERRIDE'"
    for k in (570, 2130, 2901):
        lines[k] = f"test_mode_{k} (test.test_shutil.TestWhich{k}.test_mode_{k}) ... {reason}"
    text = "\n".join([*lines, "", "Ran 3000 tests in 9.438s", "", "OK (skipped=1003)"])
    out = headroom.compress(
        openai_conversation(text, question="Which shutil tests were skipped as incompatible with CAP_DAC_OVERRIDE?"),
        model="gpt-4o",
        store=store,
    ).messages[-1]["content"]
    assert isinstance(out, str) and len(out) < len(text)
    for k in (570, 2130, 2901):
        assert f"test_mode_{k} (test.test_shutil.TestWhich{k}.test_mode_{k}) ... {reason}" in out
