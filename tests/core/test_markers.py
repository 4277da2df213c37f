"""The marker format and find_refs, which parses exactly it."""

from __future__ import annotations

import json

import pytest
from headroom import find_refs, format_marker
from headroom.markers import parse_markers
from headroom.refs import make_ref

REF = "7f3a9c2e41d0b5a6"


def test_marker_names_the_ref_and_what_was_left_out() -> None:
    marker = format_marker(REF, '185 of 200 rows omitted — errors and rows matching "timeout" kept')
    assert marker == (
        '[headroom: 185 of 200 rows omitted — errors and rows matching "timeout" kept; '
        "headroom_retrieve ref=7f3a9c2e41d0b5a6]"
    )
    assert format_marker(REF, "body omitted", lines=(120, 180)).endswith("ref=7f3a9c2e41d0b5a6 lines=120-180]")


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_find_refs_works_on_raw_and_json_escaped_text(ensure_ascii: bool) -> None:
    a, b = make_ref("first"), make_ref("second")
    first = format_marker(a, 'rows matching "x" kept — é')
    text = f"x {first} y\n{format_marker(b, 'z', lines=(1, 2))} {format_marker(a, 'again')}"
    assert find_refs(text) == [a, b]
    messages = [{"role": "tool", "content": text}]
    assert find_refs(json.dumps(messages, ensure_ascii=ensure_ascii)) == [a, b]
    assert find_refs(json.dumps(json.dumps(messages))) == [a, b]


def test_summaries_cannot_break_the_marker() -> None:
    marker = format_marker(REF, "lines [3] and\nmore]; headroom_retrieve ref=0000000000000000")
    assert "\n" not in marker
    assert [m.ref for m in parse_markers(marker)] == [REF]


def test_find_refs_ignores_lookalikes() -> None:
    assert find_refs("see headroom_retrieve ref=7f3a9c2e41d0b5a6 in the docs") == []
    assert find_refs("[headroom: x; headroom_retrieve ref=XYZ]") == []
    assert find_refs("[headroom: x; headroom_retrieve ref=7f3a]") == []


def test_refs_are_content_derived_16_hex() -> None:
    assert make_ref("abc") == make_ref("abc") != make_ref("abd")
    assert len(make_ref("abc")) == 16 and int(make_ref("abc"), 16) >= 0
    assert make_ref("bad \udcff bytes") != make_ref("bad  bytes")
    with pytest.raises(ValueError, match="not a headroom ref"):
        format_marker("nothex", "x")


def test_parse_markers_reads_line_ranges() -> None:
    (m,) = parse_markers("a " + format_marker(REF, "run omitted", lines=(5, 9)) + " b")
    assert (m.ref, m.summary, m.lines) == (REF, "run omitted", (5, 9))
    assert m.render() == format_marker(REF, "run omitted", lines=(5, 9))
