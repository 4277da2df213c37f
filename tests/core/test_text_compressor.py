"""TextCompressor: the sentences relevant to the task survive verbatim, the rest is one fetch away."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence

from headroom import MemoryStore, compress_text, find_refs, retrieve
from headroom.compressors import ContentType, Detection, TaskContext, TextCompressor
from headroom.markers import MARKER_RE, parse_markers

REF = "0123456789abcdef"
HISTORY = [
    "The Lindqvist Observatory was founded in 1911 by the astronomer Greta Lindqvist on a ridge above Abisko.",
    "Its first instrument was a 40 cm refractor bought second-hand from a university in Hamburg.",
    "During the 1920s the staff grew to eleven people, most of them students who stayed for a single winter.",
    "Funding came mainly from a shipping family whose letters are still kept in the observatory archive.",
    "The road to the ridge was paved in 1934, which made winter observing far less dangerous.",
]
SCIENCE = [
    "The observatory is best known for its long series of auroral photographs, begun in 1923.",
    "Dr. Aron Falk measured the height of the aurora at 105.5 km in 1931 using two stations 30 km apart.",
    "That value was later confirmed by rocket soundings from the Esrange range in the 1960s.",
    "Falk also catalogued more than 4,000 meteors, although only a fraction were ever published.",
    "In 1958 the observatory joined the International Geophysical Year with a new all-sky camera.",
    "The camera took one exposure per minute during the dark season and produced millions of frames.",
]
TODAY = [
    "Today the site is run by a foundation and hosts about 9,000 visitors every winter.",
    "The old refractor dome was restored in 2015 and now serves as a small museum.",
    "A modern spectrograph installed in 2019 records the aurora's colours at high resolution.",
    "Guided tours start at the visitor centre and take roughly two hours, including the climb to the dome.",
    "Photography workshops are offered on clear nights between December and March.",
    "The foundation publishes an annual report with visitor numbers and research highlights.",
]

ARCHIVE = [
    "The archive holds about 60,000 glass plates, most of them exposed between 1923 and 1958.",
    "Each plate is stored in a paper sleeve with the date, the exposure time and the observer's initials.",
    "Volunteers began scanning the plates in 2012 and had finished a third of them by 2020.",
    "The scans are published under an open licence together with the original logbook pages.",
    "Researchers from Tromsø used the series to study long-term changes in auroral activity.",
    "Their study found no trend beyond the eleven-year solar cycle over the whole period.",
    "Some plates were damaged by damp in the 1970s, when the archive building lost its heating.",
    "A climate-controlled store was built in 2008 with a grant from the national heritage board.",
    "Letters between Greta Lindqvist and other observatories fill another forty boxes.",
    "They show how often the staff exchanged plates and measurements with colleagues in Norway.",
]


def build_article() -> str:
    """A markdown article with headings, prose, a list, a table and a code fence."""
    paragraphs = [
        "# The Lindqvist Observatory",
        " ".join(HISTORY[:3]),
        " ".join(HISTORY[3:]),
        "## Science",
        " ".join(SCIENCE[:3]),
        " ".join(SCIENCE[3:]),
        "## Instruments",
        "- 40 cm refractor (1911), restored in 2015\n- all-sky camera (1958)\n- spectrograph (2019)",
        "| instrument | year | status |\n|---|---|---|\n| refractor | 1911 | museum |\n| camera | 2019 | active |",
        "```python\nimport aurora\nframes = aurora.load('archive/1958')\nprint(len(frames))\n```",
        "## Visiting",
        " ".join(TODAY[:3]),
        " ".join(TODAY[3:]),
        "## Archive",
        " ".join(ARCHIVE[:5]),
        " ".join(ARCHIVE[5:]),
    ]
    return "\n\n".join(paragraphs)


def _compress(text: str, query: str = "", **task: object) -> str | None:
    ctx = TaskContext(query=query, tool_args=task)
    return TextCompressor().compress(text, ref=REF, task=ctx, detection=Detection(ContentType.TEXT))


def _kept_pieces(out: str) -> list[str]:
    return [p.strip() for p in MARKER_RE.sub("\x00", out).split("\x00") if p.strip()]


def test_relevant_sentence_survives_verbatim_and_the_rest_comes_back(store: MemoryStore) -> None:
    text = build_article()
    result = compress_text(text, query="How high is the aurora according to Falk?", store=store)
    out = result.text
    assert SCIENCE[1] in out
    assert result.tokens_after < 0.75 * result.tokens_before
    (ref,) = find_refs(out)
    assert retrieve(ref, store=store) == text
    for marker in parse_markers(out):
        assert marker.ref == ref
        if marker.lines:  # a whole-line run comes back exactly, by its line range
            a, b = marker.lines
            assert retrieve(ref, store=store, lines=f"{a}-{b}") == "\n".join(text.split("\n")[a - 1 : b])


def test_everything_kept_is_verbatim_and_in_order() -> None:
    text = build_article()
    out = _compress(text, "When was the spectrograph installed?")
    assert out is not None
    pos = 0
    for piece in _kept_pieces(out):
        found = text.find(piece, pos)
        assert found >= 0, piece
        pos = found + len(piece)


def test_markers_say_what_was_left_out_and_why() -> None:
    out = _compress(build_article(), "When was the spectrograph installed?")
    assert out is not None
    markers = parse_markers(out)
    assert markers and all(m.ref == REF for m in markers)
    assert re.search(r"\d+ sentences? omitted", markers[0].summary)
    assert '"When was the spectrograph installed?"' in markers[0].summary
    assert any(m.lines for m in markers) or all("part of line" in m.summary for m in markers)


def test_headings_survive_and_fences_and_tables_are_never_split() -> None:
    text = build_article()
    out = _compress(text, "visitor numbers")
    assert out is not None
    for heading in ("# The Lindqvist Observatory", "## Science", "## Instruments", "## Visiting"):
        assert heading in out
    fence = text[text.index("```python") : text.index("```\n\n## Visiting") + 3]
    assert out.count("```") in (0, 2) and (fence in out) == ("```python" in out)
    table = text[text.index("| instrument") : text.index("| active |") + len("| active |")]
    assert (table in out) == ("| refractor |" in out)


def test_abbreviations_and_decimals_do_not_cut_a_sentence() -> None:
    out = _compress(build_article(), "Aron Falk aurora height 105.5 km")
    assert out is not None
    assert SCIENCE[1] in out  # "Dr." and "105.5" did not end it early


def test_tool_arguments_guide_the_choice_like_a_query() -> None:
    out = _compress(build_article(), "", topic="guided tours visitor centre climb")
    assert out is not None
    assert TODAY[3] in out


def test_without_a_task_leading_sentences_are_kept() -> None:
    out = _compress(build_article())
    assert out is not None
    assert HISTORY[0] in out and "# The Lindqvist Observatory" in out
    assert "leading and most informative sentences kept" in parse_markers(out)[0].summary


def test_command_output_is_cut_by_lines() -> None:
    lines = ["$ make test"] + [
        f"tests/test_mod{i:02d}.py::test_case_{j} PASSED [{(i * 8 + j) * 100 // 320:3d}%]"
        for i in range(40)
        for j in range(8)
    ]
    lines[200] = "tests/test_mod25.py::test_case_0 FAILED [ 62%] - AssertionError: expected 3 got 4"
    lines.append("==== 1 failed, 319 passed in 12.31s ====")
    text = "\n".join(lines)
    out = _compress(text, "why did test_mod25 fail?")
    assert out is not None
    assert lines[200] in out and lines[0] in out and lines[-1] in out
    assert all("lines omitted" in m.summary or "line omitted" in m.summary for m in parse_markers(out))
    assert all(m.lines for m in parse_markers(out))


def test_short_text_is_left_alone() -> None:
    assert _compress(" ".join(HISTORY), "aurora") is None


class _Keyword:
    """A scorer that only likes sentences naming a museum: stands in for an embedding backend."""

    def score(self, units: Sequence[str], task: TaskContext) -> list[float]:
        return [1.0 if "museum" in u else 0.0 for u in units]


def test_a_scoring_backend_plugs_in() -> None:
    compressor = TextCompressor(scorer=_Keyword())
    out = compressor.compress(
        build_article(), ref=REF, task=TaskContext(query="x"), detection=Detection(ContentType.TEXT)
    )
    assert out is not None
    assert TODAY[1] in out


def test_output_is_identical_across_runs_and_processes() -> None:
    text = build_article()
    first = _compress(text, "Who founded the observatory?")
    assert first is not None and first == _compress(text, "Who founded the observatory?")
    code = (
        "import json, sys\n"
        "from headroom.compressors import ContentType, Detection, TaskContext, TextCompressor\n"
        "text = sys.stdin.read()\n"
        "task = TaskContext(query='Who founded the observatory?')\n"
        f"out = TextCompressor().compress(text, ref={REF!r}, task=task, detection=Detection(ContentType.TEXT))\n"
        "sys.stdout.write(json.dumps(out))\n"
    )
    for seed in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(proc.stdout) == first


def _command_reference(n: int = 14) -> str:
    """A markdown command reference: one section per command, each with prose, a usage block and examples."""
    parts = ["# Command Reference\n\nLike `git`, the `tool` command delegates to subcommands.\n"]
    for i in range(n):
        name = f"cmd{i}"
        parts.append(
            f"## `tool {name}`\n\nRuns the {name} step over every configured target and reports progress. "
            f"Its settings apply to all versions of the target and are listed in the project file.\n\n"
            f"    Usage: tool {name} [-q] [-l] <target>\n\n"
            "      -q/--quiet            Print nothing but errors\n"
            "      -l/--list             List all known targets\n\n"
            + "".join(f"    $ tool {name} target-{k}\n    listed target-{k} for every version\n" for k in range(4))
        )
    parts.append(
        "## Important Security Considerations\n\nThe following only applies to v11 and higher of this library. "
        "Earlier releases get fixes only under a support contract.\n\nPatterns from user input can be slow.\n"
    )
    return "\n".join(parts)


def test_a_flag_line_in_the_usage_block_of_a_section_the_question_names_is_kept() -> None:
    out = _compress(_command_reference(), "How do I list every target `tool cmd7` knows (which flag)?")
    assert out is not None
    section = out.split("## `tool cmd7`", 1)[1].split("\n## ", 1)[0]
    assert "      -l/--list             List all known targets" in section


def test_the_sentences_under_a_heading_the_question_names_are_kept() -> None:
    out = _compress(_command_reference(), "Which versions does the security note apply to?")
    assert out is not None
    assert "The following only applies to v11 and higher of this library." in out


def test_help_output_keeps_or_drops_each_option_with_its_wrapped_description() -> None:
    """``--help`` text wraps an option's description onto indented lines: they go with their flag
    line as one unit (no half entries, fewer markers), and markers count the lines they hide."""
    entries = []
    for i in range(60):
        entries += [f"  --option-{i}=...{' ' * 10}set the {i}th limit of the worker pool used"]
        entries += [f"{' ' * 30}by the runtime when it starts", f"{' ' * 30}and whenever it reloads"]
    entries[122] = f"{' ' * 30}and whenever it reloads (also read from WATCH_PATH)"
    text = "Usage: tool [options] [ script.js ]\n\nOptions:\n" + "\n".join(entries) + "\n"
    out = _compress(text, "Which option is read from WATCH_PATH?")
    assert out is not None
    kept = out.split("\n")
    assert f"  --option-40=...{' ' * 10}set the 40th limit of the worker pool used" in kept  # its flag line too
    for k, line in enumerate(kept[:-1]):
        if line.startswith("  --option-"):
            assert kept[k + 1].startswith(" " * 30)  # never a flag line without its description
    for m in parse_markers(out):
        if m.lines:
            assert m.summary.startswith(f"{m.lines[1] - m.lines[0] + 1} lines omitted")
