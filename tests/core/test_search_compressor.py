"""SearchCompressor: definitions first, relevant matches kept verbatim, per-file accounting of the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from headroom import MemoryStore, compress, retrieve
from headroom.compressors import ContentType, Detection, SearchCompressor, TaskContext
from headroom.compressors._search_parse import parse, searched_names
from headroom.compressors.search import _is_definition, _name_re
from headroom.markers import parse_markers
from headroom.refs import make_ref
from headroom.store import Entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEARCH = Detection(ContentType.SEARCH)


def _grep_output(name: str = "parse_config") -> str:
    """``grep -rn -w NAME .`` over a small Python project, sorted like ``| sort`` prints it."""
    lines = [f"./CHANGES.md:{10 + i}:- `{name}` now accepts a path or a mapping (#{400 + i})" for i in range(12)]
    lines += [f"./docs/usage.md:{30 + 4 * i}:    cfg = {name}('settings-{i}.toml')" for i in range(15)]
    lines += [
        f"./src/app/config.py:12:def {name}(source: str | Path, *, strict: bool = False) -> Config:",
        f"./src/app/config.py:88:        return {name}(fallback, strict=False)",
        f"./src/app/main.py:3:from app.config import {name}",
        f"./src/app/main.py:41:    config = {name}(args.config, strict=args.strict)",
    ]
    lines += [f"./src/app/plugins/p{i}.py:{7 + i}:    opts = {name}(self.path)  # plugin {i}" for i in range(20)]
    lines += [f"./tests/test_config.py:{20 + 6 * i}:    cfg = {name}(tmp_path / 'c{i}.toml')" for i in range(25)]
    lines += [f"./vendor/legacy/cfg.py:{5 + i}:    x = {name}(p)" for i in range(10)]
    return "\n".join(lines)


def _compress(text: str, query: str, command: str) -> tuple[str, str]:
    ref = make_ref(text)
    task = TaskContext(query=query, tool_name="bash", tool_args={"command": command})
    out = SearchCompressor().compress(text, ref=ref, task=task, detection=SEARCH)
    assert out is not None
    return out, ref


def _kept(out: str) -> list[str]:
    return [line for line in out.split("\n") if not line.startswith("[headroom: ")]


def test_the_definition_survives_and_each_file_says_what_it_lost() -> None:
    text = _grep_output()
    out, ref = _compress(text, "Where is parse_config defined?", "grep -rn -w parse_config .")
    kept = _kept(out)
    assert "./src/app/config.py:12:def parse_config(source: str | Path, *, strict: bool = False) -> Config:" in kept
    assert "./src/app/main.py:3:from app.config import parse_config" in kept  # the import ranks next
    assert len(out) < len(text) * 0.6
    markers = parse_markers(out)
    assert markers and all(m.ref == ref and m.lines for m in markers)
    summaries = " | ".join(m.summary for m in markers)
    assert "./tests/test_config.py" in summaries and "./vendor/legacy/cfg.py" in summaries
    positions = [text.split("\n").index(line) for line in kept]
    assert positions == sorted(positions)  # grep's own order


def test_marker_counts_and_ranges_match_what_was_left_out() -> None:
    text = _grep_output()
    out, ref = _compress(text, "Where is parse_config defined?", "grep -rn -w parse_config .")
    store = MemoryStore()
    store.put(ref, Entry(text, kind="search"))
    lines = text.split("\n")
    shown = set(_kept(out))
    for marker in parse_markers(out):
        assert marker.lines is not None
        a, b = marker.lines
        got = retrieve(ref, lines=f"{a}-{b}", store=store).split("\n")
        assert got == lines[a - 1 : b]
        left = [line for line in got if line not in shown]
        number = int(marker.summary.split(" ", 1)[0])
        assert number == len(left), marker.summary
    covered = {i for m in parse_markers(out) if m.lines for i in range(m.lines[0] - 1, m.lines[1])}
    assert all(i in covered or lines[i] in shown for i in range(len(lines)))


_PATHS = st.sampled_from(["./src/app.py", "./src/a-1/util.go", "./docs/guide.md", "./tests/test_x.py", "lib.rs"])
_SEARCH_LINE = st.one_of(
    st.builds("{}:{}:{}".format, _PATHS, st.integers(1, 5000), st.sampled_from(["def load(path):", "x = load(p)"])),
    st.builds("{}-{}-{}".format, _PATHS, st.integers(1, 5000), st.sampled_from(["    return 1", "import os"])),
    st.builds("{}:{}".format, st.integers(1, 900), st.sampled_from(["load()", "func load() {"])),
    st.sampled_from(["--", "", "src/heading.py"]),
    st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=60),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_SEARCH_LINE, min_size=0, max_size=200))
def test_every_line_is_shown_or_behind_a_marker_range(lines: list[str]) -> None:
    """Property: kept lines (in order) plus the markers' line ranges give back every original line."""
    text = "\n".join(lines)
    ref = make_ref(text)
    task = TaskContext(query="where is load defined", tool_args={"command": "grep -rn -w load ."})
    out = SearchCompressor().compress(text, ref=ref, task=task, detection=SEARCH)
    if out is None:
        return
    store = MemoryStore()
    store.put(ref, Entry(text, kind="search"))
    covered: set[int] = set()
    for marker in parse_markers(out):
        assert marker.ref == ref
        if marker.lines:
            a, b = marker.lines
            assert retrieve(ref, lines=f"{a}-{b}", store=store).split("\n") == lines[a - 1 : b]
            covered.update(range(a - 1, b))
    shown = iter(_kept(out))
    for i, line in enumerate(lines):
        if i not in covered:
            assert line in shown, f"line {i + 1} is neither shown nor covered by a marker"


def test_definitions_in_many_languages_rank_first() -> None:
    defs = [
        "./cmd/root.go:120:func (c *Command) Flags() *flag.FlagSet {",
        "./src/lib.rs:44:pub struct Flags {",
        "./src/core/options.ts:9:export default class Flags {",
        "./src/Flags.java:3:public final class Flags extends Base {",
        "./web/flags.js:2:const Flags = Object.freeze({",
        "./pkg/types.go:17:type Flags struct {",
    ]
    uses = [f"./src/use{i}.ts:{i + 1}:    const f = cmd.Flags().get('v{i}');" for i in range(60)]
    text = "\n".join(sorted(defs + uses))
    out, _ = _compress(text, "Where is `Flags` defined?", "rg -n -w Flags")
    kept = _kept(out)
    assert all(d in kept for d in defs)
    assert len(kept) < 25


def test_usages_are_not_taken_for_definitions() -> None:
    name = _name_re(["JsonWriter"])
    assert _is_definition("public class JsonWriter implements Closeable, Flushable {", name)
    assert _is_definition("  public JsonWriter(Writer out) {", name)
    for usage in (
        "  private final JsonWriter writer;",
        "  static JsonWriter newWriter() throws IOException {",
        "    JsonWriter w = new JsonWriter(out);",
        " * <p>Each {@code JsonWriter} may be used to write a single JSON stream.",
        "import com.google.gson.stream.JsonWriter;",
    ):
        assert not _is_definition(usage, name), usage
    fmt = _name_re(["format"])
    assert _is_definition("    let format = FormatBuilder::new()", fmt)
    assert _is_definition("    pub(crate) fn format(&self) -> &HyperlinkFormat {", fmt)
    assert not _is_definition('        let msg = format!("{}: {}", path.display(), err);', fmt)


def test_ripgrep_heading_output_keeps_file_headers_with_their_lines() -> None:
    blocks = []
    for f in range(8):
        body = [f"{10 * k + 1}:    total = compute_total(items, rate={k})" for k in range(6)]
        if f == 5:
            body[2] = "21:def compute_total(items, rate):"
        blocks.append("\n".join([f"src/billing/mod{f}.py", *body]))
    text = "\n\n".join(blocks)
    out, _ = _compress(text, "where is compute_total defined", "rg --heading -n compute_total src")
    kept = _kept(out)
    header = kept.index("src/billing/mod5.py")
    assert "21:def compute_total(items, rate):" in kept[header + 1 :]
    hits = parse(text.split("\n"))
    assert {h.path for h in hits if h.kind == "match"} == {f"src/billing/mod{f}.py" for f in range(8)}


def test_context_lines_are_parsed_with_their_file() -> None:
    text = "\n".join(
        [
            "src/a-1/util.py-9-import os",
            "src/a-1/util.py:10:def load(path):",
            "src/a-1/util.py-11-    return open(path).read()",
            "--",
            "src/b.py:4:x = load('y')",
        ]
    )
    kinds = [(h.kind, h.path) for h in parse(text.split("\n"))]
    assert kinds == [
        ("context", "src/a-1/util.py"),
        ("match", "src/a-1/util.py"),
        ("context", "src/a-1/util.py"),
        ("sep", "src/a-1/util.py"),
        ("match", "src/b.py"),
    ]


def test_context_asked_for_comes_with_its_match() -> None:
    groups = []
    for f in range(30):
        path = f"src/mod{f}.py"
        if f == 17:
            groups.append(
                "\n".join(
                    [
                        f"{path}:40:class Swallow(models.Model):",
                        f"{path}-41-    origin = models.CharField(max_length=255)",
                        f"{path}-42-    load = models.FloatField()",
                        f"{path}-43-    speed = models.FloatField()",
                    ]
                )
            )
        else:
            groups.append(
                "\n".join([f"{path}:{10 + f}:    s = Swallow(origin='x{f}')", f"{path}-{11 + f}-    s.save()"])
            )
    text = "\n--\n".join(groups)
    out, _ = _compress(text, "show me class Swallow", 'grep -rn -A 3 "class Swallow" src')
    kept = _kept(out)
    assert "src/mod17.py:40:class Swallow(models.Model):" in kept
    assert "src/mod17.py-43-    speed = models.FloatField()" in kept
    assert len(kept) < 30


def test_the_searched_name_comes_from_the_command_or_the_query() -> None:
    assert searched_names("", {"command": "grep -rn --exclude-dir=.git -w write . | sort"}) == ["write"]
    assert searched_names("", {"command": "rg -n -e 'class\\s+ProductSet' sympy"}) == ["ProductSet"]
    assert searched_names("", {"command": 'git grep -n -C 2 "def is_subset" -- sympy'}) == ["is_subset"]
    assert searched_names("Where is `JsonWriter` used?", {}) == ["JsonWriter"]
    assert searched_names("", {"pattern": "handle_request", "path": "src"}) == ["handle_request"]


def test_a_log_routed_here_by_mistake_is_still_cut_sensibly() -> None:
    lines = [f"2015-10-18 18:{i // 60 % 60:02d}:{i % 60:02d},002 INFO [main] app.Worker: tick {i}" for i in range(300)]
    lines[150] = "2015-10-18 18:02:30,002 ERROR [main] app.Worker: lost connection to broker 10.0.0.7"
    text = "\n".join(lines)
    out, _ = _compress(text, "what went wrong?", "cat app.log")
    assert lines[150] in _kept(out)
    assert len(_kept(out)) > 5


def test_end_to_end_through_compress(store: MemoryStore) -> None:
    text = _grep_output()
    messages = [
        {"role": "user", "content": "Where is parse_config defined, and who calls it?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": json.dumps({"command": "grep -rn -w parse_config ."})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": text},
    ]
    result = compress(messages, model="gpt-4o", store=store)
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status == "compressed"  # routing itself is tested with detection
    assert "def parse_config(source: str | Path" in result.messages[-1]["content"]
    assert retrieve(block.ref, store=store) == text


def test_deterministic_across_processes() -> None:
    text = _grep_output()
    code = (
        "import json, sys\n"
        "from headroom.compressors import ContentType, Detection, SearchCompressor, TaskContext\n"
        "task = TaskContext(query='who calls parse_config', tool_args={'command': 'grep -rn parse_config .'})\n"
        "out = SearchCompressor().compress(sys.stdin.read(), ref='0123456789abcdef', task=task,"
        " detection=Detection(ContentType.SEARCH))\n"
        "sys.stdout.write(json.dumps(out))\n"
    )
    outs = set()
    for seed in ("3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        outs.add(proc.stdout)
    task = TaskContext(query="who calls parse_config", tool_args={"command": "grep -rn parse_config ."})
    expected = SearchCompressor().compress(text, ref="0123456789abcdef", task=task, detection=SEARCH)
    assert outs == {json.dumps(expected)}


def test_short_outputs_are_left_alone() -> None:
    text = "\n".join(_grep_output().split("\n")[:10])
    task = TaskContext(query="x", tool_args={"command": "grep -rn parse_config ."})
    assert SearchCompressor().compress(text, ref=make_ref(text), task=task, detection=SEARCH) is None


def test_definitions_in_forms_only_the_language_grammar_knows_survive() -> None:
    """C functions with a return type only, Java methods without modifiers, C++ ``Type::method``:
    the file's grammar (the code compressor's) says they define the name."""
    defs = [
        "./src/args.c:40:int parse_args(int argc, char **argv) {",
        "./src/App.java:88:    Config parse_args(String[] argv) {",
        "./src/cli.cpp:12:std::vector<Opt> Parser::parse_args(const Args& a) {",
    ]
    calls = [f"./src/mod{i}.c:{10 + i}:    rc = parse_args(argc{i}, argv);" for i in range(60)]
    calls += [f"./src/Use{i}.java:{5 + i}:        return parse_args(argv);" for i in range(30)]
    text = "\n".join(sorted([*defs, *calls]))
    out, _ = _compress(text, "Where is parse_args defined?", "grep -rn -w parse_args .")
    assert all(d in out for d in defs)
    assert sum(1 for line in _kept(out) if "rc = parse_args" in line) < 20


def test_a_file_the_question_names_outranks_the_doc_and_test_discount() -> None:
    """ "Where does the README document X": the README's matches compete like source matches."""
    lines = [f'./src/mirror/m{i}.sh:{10 + i}:  use_mirror "$MIRROR_URL" {i}' for i in range(40)]
    lines += [f"./tests/mirror{i}.bats:{5 + i}:  export MIRROR_URL=http://localhost:{8000 + i}" for i in range(40)]
    lines += [f"./docs/guide.md:{20 + i}:The MIRROR_URL setting is read at step {i}." for i in range(10)]
    lines.append("./README.md:169:* `MIRROR_URL_SKIP_CHECKSUM`, if set, does not append the checksum to MIRROR_URL")
    text = "\n".join(sorted(lines))
    out, _ = _compress(text, "Where does the README document the checksum switch?", "grep -rn MIRROR_URL .")
    assert "./README.md:169:* `MIRROR_URL_SKIP_CHECKSUM`, if set, does not append the checksum to MIRROR_URL" in out


def test_a_definition_of_another_name_the_question_asks_about_is_kept() -> None:
    """ "Where is EWOULDBLOCK defined as EAGAIN": the search was for EAGAIN, the question defines more."""
    lines = [f"./linux/drv{i}.h:{30 + i}: * returns -EAGAIN if the queue {i} is full" for i in range(30)]
    lines += [f"./c++/bits/m{i}.h:{100 + i}:      if (errno == EAGAIN) continue;  // {i}" for i in range(30)]
    lines += ["./asm-generic/errno-base.h:15:#define\tEAGAIN\t\t11\t/* Try again */"]
    lines += ["./asm-generic/errno.h:22:#define\tEWOULDBLOCK\tEAGAIN\t/* Operation would block */"]
    text = "\n".join(sorted(lines))
    out, _ = _compress(text, "Where is EWOULDBLOCK defined as EAGAIN on Linux?", "grep -rn -w EAGAIN .")
    assert "./asm-generic/errno.h:22:#define\tEWOULDBLOCK\tEAGAIN\t/* Operation would block */" in _kept(out)


def test_in_a_file_the_question_names_each_rare_term_keeps_its_best_match() -> None:
    """ "Where does the README document X_SKIP": the README's line for each rare term, not only its best line."""
    lines = [f'./bin/build:{2500 + i}:  MIRROR_URL="${{MIRROR_URL%/}}" # step {i}' for i in range(40)]
    lines += [f"./test/mirror.bats:{5 + i}:  export MIRROR_URL=http://localhost:{8000 + i}" for i in range(30)]
    lines += [f'./bin/build:{2600 + i}:  if [ -n "$MIRROR_URL_SKIP_CHECKSUM" ]; then # {i}' for i in range(2)]
    lines += [
        "./README.md:167:* `MIRROR_URL` overrides the default mirror URL root to one of your choosing.",
        "./README.md:169:* `MIRROR_URL_SKIP_CHECKSUM`, if set, does not append the checksum to the URL.",
    ]
    lines += [f"./README.md:{170 + i}:  see MIRROR_URL example {i}" for i in range(5)]
    text = "\n".join(sorted(lines))
    query = "What is the default MIRROR_URL, and where does the README document MIRROR_URL_SKIP_CHECKSUM?"
    out, _ = _compress(text, query, "grep -rn MIRROR_URL .")
    assert "./README.md:169:* `MIRROR_URL_SKIP_CHECKSUM`, if set, does not append the checksum to the URL." in out


def test_a_marker_below_a_files_kept_lines_does_not_repeat_its_path() -> None:
    """Markers are part of what the model reads: the kept lines above already name the file."""
    lines = [f"./src/app/handlers.py:{10 + 7 * i}:    cfg = parse_config(request.body_{i})" for i in range(40)]
    lines[17] = "./src/app/handlers.py:129:def parse_config(raw: bytes) -> Config:"
    text = "\n".join(lines)
    out, _ = _compress(text, "Where is parse_config defined?", "grep -rn -w parse_config .")
    markers = [line for line in out.split("\n") if line.startswith("[headroom: ")]
    assert markers and all("./src/app/handlers.py" not in m for m in markers), markers
