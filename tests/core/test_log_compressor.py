"""LogCompressor: failures survive with their details, repeats collapse, markers bring back the rest."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from headroom import MemoryStore, compress, find_refs, retrieve
from headroom.compressors import ContentType, Detection, LogCompressor, TaskContext
from headroom.markers import parse_markers
from headroom.refs import make_ref
from headroom.store import Entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.helpers import build_log, openai_conversation

LOG = Detection(ContentType.LOG)


def _compress(text: str, query: str = "", **args: str) -> tuple[str, str]:
    ref = make_ref(text)
    out = LogCompressor().compress(text, ref=ref, task=TaskContext(query=query, tool_args=args), detection=LOG)
    assert out is not None
    return out, ref


def _kept(out: str) -> list[str]:
    return [line for line in out.split("\n") if not line.startswith("[headroom: ")]


def _pytest_log() -> str:
    lines = [
        "============================= test session starts ==============================",
        "platform linux -- Python 3.11.7, pytest-8.3.2, pluggy-1.5.0",
        "collected 240 items",
        "",
    ]
    failing = {40: "test_refund_after_timeout", 170: "test_token_expiry_uses_utc"}
    for i in range(240):
        name = failing.get(i, f"test_case_{i}")
        status = "FAILED" if i in failing else "PASSED"
        lines.append(f"tests/test_billing.py::{name} {status} [{100 * (i + 1) // 240:3d}%]")
    lines += [
        "",
        "=================================== FAILURES ===================================",
        "__________________________ test_refund_after_timeout ___________________________",
        "",
        "    def test_refund_after_timeout(client, stripe_stub):",
        "        stripe_stub.fail_next(timeout=True)",
        "        resp = client.post('/charges/8812/refund', json={'amount': 1200})",
        ">       assert resp.status_code == 202",
        "E       assert 500 == 202",
        "E        +  where 500 = <WrapperTestResponse streamed [500 INTERNAL SERVER ERROR]>.status_code",
        "",
        "tests/test_billing.py:214: AssertionError",
        "__________________________ test_token_expiry_uses_utc __________________________",
        "",
        "    def test_token_expiry_uses_utc():",
        "        tok = issue_token(user_id=42, ttl=3600)",
        ">       assert tok.expires_at.tzinfo is timezone.utc",
        "E       AssertionError: assert None is datetime.timezone.utc",
        "",
        "tests/test_auth.py:77: AssertionError",
        "=========================== short test summary info ============================",
        "FAILED tests/test_billing.py::test_refund_after_timeout - assert 500 == 202",
        "FAILED tests/test_auth.py::test_token_expiry_uses_utc - AssertionError: assert None is datetime.timezone.utc",
        "==================== 2 failed, 238 passed in 12.84s ====================",
    ]
    return "\n".join(lines)


def test_pytest_failures_survive_with_every_detail_and_passing_noise_goes() -> None:
    text = _pytest_log()
    out, _ = _compress(text, "why do the billing tests fail?")
    kept = _kept(out)
    for line in text.split("\n"):
        if line.startswith(("E  ", ">", "FAILED ", "tests/test_billing.py:214", "tests/test_auth.py:77", "=====")):
            assert line in kept, line
    assert "tests/test_billing.py::test_refund_after_timeout FAILED [ 17%]" in kept
    assert "        resp = client.post('/charges/8812/refund', json={'amount': 1200})" in kept
    passed = [line for line in kept if line.endswith("%]") and " PASSED " in line]
    assert len(passed) < 20  # of 238
    assert len(out) < len(text) / 2


def _app_log_with_traceback(n: int = 800) -> str:
    lines = []
    for i in range(n):
        ts = f"2026-11-23 10:{i // 60 % 60:02d}:{i % 60:02d},{i * 7 % 1000:03d}"
        if i == 500:
            lines += [
                f"{ts} ERROR worker-3 payment 8812 failed: upstream timeout after 30s",
                "Traceback (most recent call last):",
                '  File "/srv/app/payments.py", line 88, in charge',
                "    resp = client.post(url, json=body, timeout=30)",
                '  File "/srv/app/http.py", line 41, in post',
                "    return self._send(req)",
                "TimeoutError: upstream did not answer within 30s",
            ]
        else:
            lines.append(f"{ts} INFO worker-{i % 4} heartbeat ok seq={i} latency_ms={(i * 13) % 50}")
    return "\n".join(lines)


def test_a_traceback_is_kept_whole_and_routine_lines_collapse_to_examples() -> None:
    text = _app_log_with_traceback()
    out, ref = _compress(text, "Why did payment 8812 fail?")
    kept = _kept(out)
    block = text.split("\n")[500:507]
    assert all(line in kept for line in block)
    assert kept.index(block[0]) + 6 == kept.index(block[-1])  # in order, nothing between
    heartbeats = [line for line in kept if "heartbeat ok" in line]
    assert 1 <= len(heartbeats) <= 20  # of 799
    summary = parse_markers(out)[0]
    assert summary.ref == ref and "heartbeat ok" in summary.summary  # the most omitted template is named
    assert len(out) < len(text) / 5


def test_repeated_errors_keep_several_verbatim_instances_spread_over_the_log() -> None:
    lines = []
    for i in range(1000):
        if i % 20 == 7:
            lines.append(
                f"2026-11-23T10:00:{i % 60:02d}Z ERROR disk /dev/sd{chr(97 + i % 5)} io error on block {i * 977}"
            )
        else:
            lines.append(f"2026-11-23T10:00:{i % 60:02d}Z INFO request {i} served in {i % 30}ms")
    text = "\n".join(lines)
    out, _ = _compress(text, "what is wrong with the disks?")
    errors = [line for line in _kept(out) if " ERROR " in line]
    routine = [line for line in _kept(out) if " INFO " in line]
    assert len(errors) >= 8 and len(errors) > len(routine)  # several instances, with different values
    positions = [lines.index(line) for line in errors]
    assert positions[0] < 100 and positions[-1] > 900  # spread over the whole log


def test_a_log_without_levels_keeps_its_rare_templates() -> None:
    rng = random.Random(7)
    lines = [
        f"Jun {1 + i // 300:2d} 0{i % 10}:12:{i % 60:02d} combo sshd[{1000 + i}]: session opened for user "
        f"u{rng.randrange(50)}"
        for i in range(600)
    ]
    lines[123] = "Jun  1 03:12:03 combo kernel: eth0: link down, renegotiating speed"
    lines[456] = "Jun  2 06:12:36 combo cron[4412]: (root) CMD (run-parts /etc/cron.hourly)"
    text = "\n".join(lines)
    out, _ = _compress(text, "anything unusual?")
    kept = _kept(out)
    assert lines[123] in kept and lines[456] in kept
    assert len(kept) > 6  # never "only a marker"
    assert len(out) < len(text) / 3


def test_lines_matching_a_rare_task_term_are_kept() -> None:
    text = build_log(900)
    lines = text.split("\n")
    target = next(line for line in lines if "seq=321 " in line)
    out, _ = _compress(text, "what happened around seq 321?")
    assert target in _kept(out)


def test_android_logcat_levels_are_read_from_their_column() -> None:
    lines = []
    for i in range(600):
        ts = f"03-17 16:13:{i % 60:02d}.{i:03d}"
        if i in (111, 222, 333):
            lines.append(f"{ts}  1702  2395 W ActivityManager: Unable to start service Intent {{ act=a{i} }} U=0")
        elif i == 444:
            lines.append(f"{ts}  2227  2794 E KeyguardUpdateMonitor: isSimPinSecure mSimDatas is null or empty")
        else:
            lines.append(f"{ts}  1702  {2000 + i % 7} D PowerManagerService: acquire lock={i * 31}, flags=0x1")
    text = "\n".join(lines)
    out, _ = _compress(text, "which warnings or errors were logged?")
    kept = _kept(out)
    assert all(lines[i] in kept for i in (111, 222, 333, 444))


def test_http_server_errors_stand_out_in_an_access_log() -> None:
    rng = random.Random(11)
    lines = [
        f"10.0.{i % 7}.{i % 251} - - [23/Nov/2026:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET /api/items/{rng.randrange(9999)} HTTP/1.1" {500 if i in (100, 420, 421) else 200} '
        f'{rng.randrange(100, 9000)} "-" "curl/8.4.0"'
        for i in range(800)
    ]
    text = "\n".join(lines)
    out, _ = _compress(text, "any failing requests?")
    kept = _kept(out)
    assert all(lines[i] in kept for i in (100, 420, 421))
    assert len(kept) < 40


def test_compiler_errors_keep_their_source_excerpt() -> None:
    lines = [f"[{i * 100 // 300:3d}%] Building C object src/CMakeFiles/core.dir/mod_{i}.c.o" for i in range(300)]
    excerpt = [
        "/src/net/socket.c:142:17: error: 'struct sockaddr_in' has no member named 'sin_addr_v6'",
        "  142 |     memcpy(&sa.sin_addr_v6, host->h_addr, host->h_length);",
        "      |                 ^~~~~~~~~~~",
        "make[2]: *** [src/CMakeFiles/core.dir/build.make:1234: src/net/socket.c.o] Error 1",
    ]
    text = "\n".join(lines[:200] + excerpt + lines[200:])
    out, _ = _compress(text, "fix the build")
    kept = _kept(out)
    assert all(line in kept for line in excerpt)
    assert len(kept) < 40


def test_a_compiler_error_keeps_its_whole_report_among_many_warnings() -> None:
    """rustc/clippy: the help below the one error says how to fix it; the warnings' reports may go."""
    lines = ["    Checking shipping v0.1.0 (/tmp/shipping)"]
    for i in range(40):
        lines += [
            f"warning: this expression borrows a value the compiler would borrow anyway ({i})",
            f"  --> src/m{i}.rs:{10 + i}:5",
            "   |",
            f"{10 + i} |     let total = compute(&values_{i});",
            "   |                         ^^^^^^^^^^",
            "   |",
            "   = help: for further information visit https://rust-lang.github.io/rust-clippy/index.html#needless_borrow",
            "",
        ]
    report = [
        "error: approximate value of `f{32, 64}::consts::PI` found",
        " --> src/rates.rs:3:31",
        "  |",
        "3 | pub const PI_SURCHARGE: f64 = 3.14;",
        "  |                               ^^^^",
        "  |",
        "  = help: consider using the constant directly",
        "  = note: `#[deny(clippy::approx_constant)]` on by default",
    ]
    text = "\n".join([*lines[:200], *report, "", *lines[200:], "error: could not compile `shipping` (lib)"])
    out, _ = _compress(text, "What exactly makes it fail and what should the fix be?")
    kept = _kept(out)
    assert all(line in kept for line in report)


def test_output_is_original_lines_in_original_order() -> None:
    text = _app_log_with_traceback()
    out, _ = _compress(text, "payment 8812")
    originals = text.split("\n")
    positions = [originals.index(line) for line in _kept(out)]
    assert positions == sorted(positions)


def _assert_recoverable(out: str, original: str, store: MemoryStore) -> None:
    """Every original line is either shown (in order) or inside a marker range that brings it back."""
    lines = original.split("\n")
    covered: set[int] = set()
    for marker in parse_markers(out):
        if marker.lines:
            a, b = marker.lines
            assert retrieve(marker.ref, lines=f"{a}-{b}", store=store).split("\n") == lines[a - 1 : b]
            covered.update(range(a - 1, b))
    shown = iter(_kept(out))
    for i, line in enumerate(lines):
        if i not in covered:
            assert line in shown, f"line {i + 1} is neither shown nor covered by a marker"


_LOG_LINE = st.one_of(
    st.builds(
        "2026-11-23 10:{:02d}:{:02d} {} svc-{} {} id={}".format,
        st.integers(0, 59),
        st.integers(0, 59),
        st.sampled_from(["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"]),
        st.integers(0, 3),
        st.sampled_from(["heartbeat ok", "cache miss", "db timeout", "user login", "disk full"]),
        st.integers(0, 10**6),
    ),
    st.sampled_from(["Traceback (most recent call last):", '  File "a.py", line 3, in f', "KeyError: 'x'", ""]),
    st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=80),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_LOG_LINE, min_size=0, max_size=300),
    query=st.sampled_from(["", "why the timeout?", "disk full on svc-2"]),
)
def test_marker_ranges_bring_back_every_omitted_line(lines: list[str], query: str) -> None:
    """Property: kept lines plus the markers' line ranges give back every original line."""
    text = "\n".join(lines)
    ref = make_ref(text)
    out = LogCompressor().compress(text, ref=ref, task=TaskContext(query=query), detection=LOG)
    if out is None:
        return
    store = MemoryStore()
    store.put(ref, Entry(text, kind="log"))
    _assert_recoverable(out, text, store)


def test_end_to_end_markers_are_redeemable(store: MemoryStore) -> None:
    log = _app_log_with_traceback(1500)
    result = compress(openai_conversation(log), model="gpt-4o", store=store)
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status == "compressed"  # routing itself is tested with detection
    text = result.messages[-1]["content"]
    assert "TimeoutError: upstream did not answer within 30s" in text
    assert find_refs(json.dumps(result.messages)) == [block.ref]
    assert retrieve(block.ref, store=store) == log


def test_deterministic_across_runs_and_processes() -> None:
    text = _app_log_with_traceback() + "\n" + _pytest_log()
    first, _ = _compress(text, "payment 8812 refund")
    assert _compress(text, "payment 8812 refund")[0] == first
    code = (
        "import json, sys\n"
        "from headroom.compressors import ContentType, Detection, LogCompressor, TaskContext\n"
        "text = sys.stdin.read()\n"
        "out = LogCompressor().compress(text, ref='0123456789abcdef', task=TaskContext(query='payment 8812 refund'),"
        " detection=Detection(ContentType.LOG))\n"
        "sys.stdout.write(json.dumps(out))\n"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        outs.add(proc.stdout)
    expected = LogCompressor().compress(
        text, ref="0123456789abcdef", task=TaskContext(query="payment 8812 refund"), detection=LOG
    )
    assert outs == {json.dumps(expected)}


def test_short_logs_are_left_alone() -> None:
    text = build_log(20)
    assert LogCompressor().compress(text, ref=make_ref(text), task=TaskContext(), detection=LOG) is None


def test_a_log_made_of_failures_keeps_the_asked_ones_and_still_shrinks() -> None:
    """A type checker's run where every line is an error: the asked-about errors stay, the rest
    compete for the budget instead of all being kept as failures."""
    syllables = ["ka", "lo", "mi", "nu", "pe", "ri", "so", "tu", "va", "ze", "bo", "di", "fa", "gu", "he", "jo"]
    names = [a + b + c for a in syllables for b in syllables for c in syllables[:2]]
    lines = [
        f"src/lib/file{i}.js({i},{i % 40}): error TS2339: Property {names[i]} does not exist on type."
        for i in range(400)
    ]
    lines[217] = "src/lib/linter.js(1056,20): error TS2554: Expected 3 arguments, but got 2."
    text = "\n".join(lines)
    task = TaskContext(query="Where does tsc report TS2554 (wrong argument count)?")
    out = LogCompressor().compress(text, ref=make_ref(text), task=task, detection=Detection(ContentType.LOG))
    assert out is not None and len(out) < 0.5 * len(text)
    assert lines[217] in out
