"""Content-type detection and mixed-content sections, on realistic tool outputs of every kind."""

from __future__ import annotations

import itertools
import json
import re

import headroom
import pytest
from headroom import MemoryStore
from headroom.compressors import ContentType, LineCompressor, TaskContext
from headroom.pipeline.detect import detect, split_sections
from headroom.pipeline.router import ContentRouter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .detect_samples import (
    APP_LOG,
    CARGO_LOG,
    CODE,
    DIFF_U,
    GC_LOG_NO_LEVELS,
    GIT_LOG_P,
    GIT_SHOW,
    GO_TEST_LOG,
    GREP_ONE_FILE,
    GREP_R_NO_NUMBERS,
    GREP_RN,
    HTML_FRAGMENT,
    HTML_PAGE,
    NPM_LOG,
    POM_XML,
    PROSE,
    PYTEST_LOG,
    README,
    RG_CONTEXT,
    RG_HEADING,
    ROWS,
    SYSLOG,
)
from .detect_samples_more import EXPECTED, MORE

# ---------------------------------------------------------------- samples: code, one per language


@pytest.mark.parametrize("language", sorted(CODE))
def test_source_code_is_code_with_its_language(language: str) -> None:
    detection = detect(CODE[language])
    assert detection.type is ContentType.CODE
    assert detection.language == language


def test_numbered_listing_is_code() -> None:
    numbered = "\n".join(f"{i:6}\t{line}" for i, line in enumerate(CODE["python"].split("\n"), 1))
    assert detect(numbered).type is ContentType.CODE
    assert detect(numbered).language == "python"


def test_python_with_long_docstrings_is_code() -> None:
    doc = "\n".join(f"        Explains step {i} of the algorithm in plain words for the reader." for i in range(30))
    text = f'def normal_form(matrix):\n    """\n{doc}\n    """\n    rows, cols = matrix.shape\n    return rows\n'
    assert detect(text) == detect(text)
    assert detect(text).type is ContentType.CODE


def test_generic_types_in_code_do_not_make_it_html() -> None:
    java = CODE["java"] + "\n".join(f"  Map<String, List<Order>> index{i} = new HashMap<>();" for i in range(20))
    assert detect(java).type is ContentType.CODE


# ---------------------------------------------------------------- samples: logs


@pytest.mark.parametrize(
    "text",
    [APP_LOG, PYTEST_LOG, CARGO_LOG, NPM_LOG, GO_TEST_LOG, SYSLOG, GC_LOG_NO_LEVELS],
    ids=["app", "pytest", "cargo", "npm", "go-test", "syslog", "epoch-no-levels"],
)
def test_build_test_and_app_logs_are_logs(text: str) -> None:
    assert detect(text).type is ContentType.LOG


def test_one_json_line_in_a_log_keeps_it_a_log() -> None:
    lines = APP_LOG.split("\n")
    lines.insert(100, json.dumps({"event": "payment", "order": 8812, "status": "failed"}))
    text = "\n".join(lines)
    assert detect(text).type is ContentType.LOG
    assert len(split_sections(text)) == 1


def test_a_stray_diff_header_in_a_log_keeps_it_a_log() -> None:
    lines = APP_LOG.split("\n")
    lines[50:50] = ["diff --git a/config.yaml b/config.yaml", "@@ -1,2 +1,2 @@", "-replicas: 2", "+replicas: 3"]
    assert detect("\n".join(lines)).type is ContentType.LOG


# ---------------------------------------------------------------- samples: search results


@pytest.mark.parametrize(
    "text",
    [GREP_RN, RG_HEADING, GREP_R_NO_NUMBERS, RG_CONTEXT, GREP_ONE_FILE],
    ids=["grep-rn", "rg-heading", "grep-r", "rg-context", "grep-n-one-file"],
)
def test_search_results_are_search(text: str) -> None:
    assert detect(text).type is ContentType.SEARCH


def test_file_listing_is_not_search() -> None:
    listing = "\n".join(f"src/shop/module_{i}.py" for i in range(40))
    assert detect(listing).type is not ContentType.SEARCH


def test_timestamps_are_not_line_numbers() -> None:
    # "nova-api.log.1.2017-05-16_13:53:08" reads like path:line: but is a timestamp
    text = "\n".join(
        f"nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:0{i % 10}:03.421 25746 INFO nova.osapi_compute.wsgi.server "
        f'[req-{i:04d}] "GET /v2/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.26{i % 10}'
        for i in range(50)
    )
    assert detect(text).type is ContentType.LOG


# ---------------------------------------------------------------- samples: diffs


@pytest.mark.parametrize("text", [GIT_SHOW, DIFF_U, GIT_LOG_P], ids=["git-show", "diff-u", "git-log-p"])
def test_diffs_are_diffs(text: str) -> None:
    assert detect(text).type is ContentType.DIFF
    assert len(split_sections(text)) == 1


# ---------------------------------------------------------------- samples: HTML / XML


@pytest.mark.parametrize("text", [HTML_PAGE, POM_XML, HTML_FRAGMENT], ids=["page", "pom", "fragment"])
def test_markup_is_html(text: str) -> None:
    assert detect(text).type is ContentType.HTML


# ---------------------------------------------------------------- samples: text and markdown


def test_prose_and_markdown_are_text() -> None:
    assert detect(PROSE).type is ContentType.TEXT
    assert detect(README).type is ContentType.TEXT


def test_tag_like_strings_in_prose_stay_text() -> None:
    text = PROSE + "\nIn Java a List<String> is written with angle brackets, and <br> breaks a line in HTML.\n"
    assert detect(text).type is ContentType.TEXT


def test_marker_like_strings_inside_data_do_not_change_the_type() -> None:
    fake = "[headroom: 185 of 200 rows omitted; headroom_retrieve ref=7f3a9c2e41d0b5a6]"
    rows = [{"id": i, "note": fake if i == 3 else f"row {i}"} for i in range(30)]
    assert detect(json.dumps(rows, indent=2)).type is ContentType.JSON
    assert detect(APP_LOG + "\n" + fake).type is ContentType.LOG
    assert detect(PROSE + fake).type is ContentType.TEXT


# ---------------------------------------------------------------- samples: JSON


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(ROWS, indent=2),
        json.dumps({"data": {"items": ROWS, "next": None}}),
        "\n".join(json.dumps(r) for r in ROWS),  # JSON Lines
        json.dumps(ROWS, indent=2)[:5000],  # cut off mid-document, as truncated tool output is
        json.dumps([{"html": "<div><p>hello</p></div>", "diff": "@@ -1 +1 @@\n-a\n+b"}] * 20, indent=1),
    ],
    ids=["array", "object", "jsonl", "truncated", "strings-that-look-like-other-types"],
)
def test_json_is_json(text: str) -> None:
    assert detect(text).type is ContentType.JSON


def test_python_repr_and_js_objects_are_not_json() -> None:
    assert detect(repr(ROWS[:40])).type is not ContentType.JSON
    js = "{\n" + "\n".join(f"  key{i}: 'value {i}'," for i in range(40)) + "\n}"
    assert detect(js).type is not ContentType.JSON


def test_large_blocks_are_classified_from_samples() -> None:
    big_json = json.dumps(ROWS * 3000)  # ~10 MB, beyond the full-parse limit
    assert len(big_json) > 8_000_000
    assert detect(big_json).type is ContentType.JSON
    big_log = "\n".join([APP_LOG] * 2000)  # ~18 MB
    assert detect(big_log).type is ContentType.LOG
    assert len(split_sections(big_log)) == 1


# ---------------------------------------------------------------- mixed content: sections

HTTP_RESPONSE = (
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: 8812\r\n".replace("\r\n", "\n")
    + "\n"
    + json.dumps({"orders": ROWS[:60]}, indent=2)
)


def _types(text: str) -> list[str]:
    return [s.detection.type.value for s in split_sections(text)]


def test_http_headers_then_json_body_is_two_sections() -> None:
    sections = split_sections(HTTP_RESPONSE)
    assert _types(HTTP_RESPONSE) == ["text", "json"]
    body = HTTP_RESPONSE[sections[1].start : sections[1].end]
    assert json.loads(body)["orders"][0]["id"] == 0


def test_text_then_json_document_is_two_sections() -> None:
    text = "Fetched https://api.example.com/orders (60 rows). Response body:\n" + json.dumps(ROWS[:60], indent=2)
    assert _types(text) == ["text", "json"]


def test_sections_cover_the_block_exactly() -> None:
    for text in [HTTP_RESPONSE, GIT_SHOW, APP_LOG, "<returncode>0</returncode>\n<output>\n" + APP_LOG + "\n</output>"]:
        sections = split_sections(text)
        assert sections[0].start == 0
        assert sections[-1].end == len(text)
        assert all(a.end == b.start for a, b in itertools.pairwise(sections))


def test_harness_wrapper_is_cut_away_from_the_output_it_wraps() -> None:
    text = "<returncode>0</returncode>\n<output>\n" + CODE["python"] + "</output>"
    assert detect(text).type is ContentType.CODE
    assert detect(text).language == "python"
    assert _types(text) == ["text", "code", "text"]


def test_shell_transcript_is_one_section_per_kind() -> None:
    text = "$ git log -1 -p\n" + GIT_LOG_P + "$ pytest -q\n" + PYTEST_LOG
    types = _types(text)
    assert "diff" in types
    assert "log" in types


def test_router_compresses_each_section_and_markers_point_into_the_whole_block() -> None:
    router = ContentRouter(compressors={t: LineCompressor() for t in ContentType})
    log = "\n".join(f"2026-11-23 10:00:{i % 60:02d} INFO heartbeat seq={i} ok" for i in range(300))
    text = "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n" + log
    detection, compressor = router.route(text)
    assert detection.type is ContentType.LOG
    assert compressor is not None and compressor.name == "sections"
    ref = "0123456789abcdef"
    out = compressor.compress(text, ref=ref, task=TaskContext(), detection=detection)
    assert out is not None and out.startswith("HTTP/1.1 200 OK\nContent-Type: text/plain\n")
    original = text.split("\n")
    markers = re.findall(r"lines=(\d+)-(\d+)\]", out)
    assert markers
    kept = set(out.split("\n"))
    for a, b in markers:
        omitted = original[int(a) - 1 : int(b)]
        assert omitted and not (set(omitted) & kept)  # the range is exactly what was left out


def test_mixed_block_round_trips_through_compress_and_retrieve(store: MemoryStore) -> None:
    log = "\n".join(f"2026-11-23 10:00:{i % 60:02d} INFO heartbeat seq={i} ok" for i in range(400))
    block = (
        "<returncode>1</returncode>\n<output>\n" + log + "\n2026-11-23 10:07:00 ERROR payment 8812 failed\n</output>"
    )
    messages = [
        {"role": "user", "content": "Why did payment 8812 fail?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": '{"command": "run"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": block},
    ]
    result = headroom.compress(messages, model="gpt-4o", store=store)
    out = result.messages[-1]["content"]
    assert out.startswith("<returncode>1</returncode>\n<output>\n")
    assert out.endswith("</output>")
    assert "payment 8812 failed" in out
    for ref in headroom.find_refs(out):
        assert headroom.retrieve(ref, store=store) == block
    for a, b in re.findall(r"lines=(\d+)-(\d+)\]", out):
        part = headroom.retrieve(headroom.find_refs(out)[0], lines=f"{a}-{b}", store=store)
        assert part == "\n".join(block.split("\n")[int(a) - 1 : int(b)])


def test_detection_is_deterministic() -> None:
    for text in [*CODE.values(), APP_LOG, GREP_RN, GIT_SHOW, HTML_PAGE, PROSE, HTTP_RESPONSE]:
        assert detect(text) == detect(text)
        assert split_sections(text) == split_sections(text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_more_formats(name: str) -> None:
    kind, language = EXPECTED[name]
    detection = detect(MORE[name])
    assert detection.type.value == kind
    assert detection.language == language


_PIECES = [
    "<returncode>0</returncode>\n<output>\n",
    "</output>\n",
    "$ make test\n",
    "HTTP/1.1 200 OK\nContent-Type: application/json\n\n",
    json.dumps(ROWS[:40], indent=2) + "\n",
    APP_LOG + "\n",
    PYTEST_LOG,
    GREP_RN + "\n",
    CODE["python"],
    PROSE,
    GIT_LOG_P,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6),
    noise=st.text(max_size=200),
)
def test_property_sections_cover_any_block_and_markers_point_into_it(pieces: list[str], noise: str) -> None:
    text = noise.join(pieces)
    sections = split_sections(text)
    assert sections[0].start == 0 and sections[-1].end == len(text)
    assert all(a.end == b.start for a, b in itertools.pairwise(sections))
    router = ContentRouter(compressors={t: LineCompressor(min_lines=10) for t in ContentType})
    detection, compressor = router.route(text)
    assert compressor is not None
    out = compressor.compress(text, ref="0123456789abcdef", task=TaskContext(), detection=detection)
    if out is None:
        return
    original = text.split("\n")
    rebuilt: list[str] = []
    for line in out.split("\n"):
        m = re.fullmatch(r"\[headroom: .*; headroom_retrieve ref=0123456789abcdef lines=(\d+)-(\d+)\]", line)
        rebuilt.extend(original[int(m[1]) - 1 : int(m[2])] if m else [line])
    assert rebuilt == original
