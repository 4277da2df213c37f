"""Whole conversations: a repeated tool output becomes a reference to the earlier one plus what changed."""

from __future__ import annotations

import json

from headroom import MemoryStore, compress, find_refs, retrieve


def source(version: int) -> str:
    lines = [f"def handler_{i}(request):\n    return respond(request, code={200 + i})" for i in range(60)]
    if version == 2:
        lines[30] = "def handler_30(request):\n    return respond(request, code=503)  # fixed"
    return "\n".join(lines)


def read_file_turns(outputs: list[str]) -> list[dict]:
    messages: list[dict] = [{"role": "user", "content": "Fix handler_30 so it returns 503."}]
    for k, out in enumerate(outputs):
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"c{k}",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": '{"path": "app.py"}'},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": f"c{k}", "content": out})
    return messages


def test_a_file_read_twice_is_not_repeated(store: MemoryStore) -> None:
    messages = read_file_turns([source(1), "ok", source(1)])
    result = compress(messages, model="gpt-4o", store=store, query="handler_30")
    second = result.messages[-1]["content"]
    assert second.startswith("[headroom: identical to the output of read_file in message 3")
    (ref,) = find_refs(second)
    assert retrieve(ref, store=store) == source(1)
    assert [b.compressor for b in result.blocks][-1] == "dedupe"


def test_an_edited_file_shows_only_what_changed(store: MemoryStore) -> None:
    messages = read_file_turns([source(1), source(2)])
    result = compress(messages, model="gpt-4o", store=store, query="handler_30")
    second = result.messages[-1]["content"]
    assert "same as the output of read_file in message 3" in second
    assert "+    return respond(request, code=503)  # fixed" in second
    assert "-    return respond(request, code=230)" in second
    assert len(second) < len(source(2)) / 4
    assert retrieve(find_refs(second)[0], store=store) == source(2)


def test_the_earlier_occurrence_never_changes(store: MemoryStore) -> None:
    turn1 = read_file_turns([source(1)])
    turn2 = read_file_turns([source(1), source(1)])
    first = compress(turn1, model="gpt-4o", store=store).messages
    second = compress(turn2, model="gpt-4o", store=store).messages
    assert json.dumps(second[: len(first)]) == json.dumps(first)


def test_dedupe_can_be_turned_off(store: MemoryStore) -> None:
    messages = read_file_turns([source(1), source(1)])
    result = compress(messages, model="gpt-4o", store=store, dedupe=False)
    assert "dedupe" not in [b.compressor for b in result.blocks]


def numbered(first: int, last: int) -> str:
    """A window of a long source file as ``nl -ba app.py | sed -n 'first,lastp'`` prints it."""
    body = [
        f"{n:6}\t    total_{n} = ledger.balance(account_{n}, currency='EUR') + pending_{n}"
        for n in range(first, last + 1)
    ]
    return "<returncode>0</returncode>\n<output>\n" + "\n".join(body) + "\n</output>"


def test_an_overlapping_window_keeps_its_new_lines_and_points_at_the_ones_already_shown(store: MemoryStore) -> None:
    first, second = numbered(100, 140), numbered(120, 170)
    messages = read_file_turns([first, second])
    result = compress(messages, model="gpt-4o", store=store, query="total_165", min_tokens=10_000)
    out = result.messages[-1]["content"]
    assert result.messages[2]["content"] == first  # the earlier window is untouched
    kept = out.split("\n")
    marker = next(line for line in kept if line.startswith("[headroom:"))
    assert "21 lines identical to lines 23-43 of the output of read_file in message 3" in marker
    for n in range(141, 171):  # every line the first window did not show is still inline
        assert any(line.startswith(f"{n:6}\t") for line in kept)
    assert not any(line.startswith(f"{130:6}\t") for line in kept)
    (ref,) = find_refs(out)
    assert retrieve(ref, store=store) == second
    start, end = marker.split("lines=")[1].rstrip("]").split("-")
    expected = "\n".join(second.split("\n")[int(start) - 1 : int(end)])
    assert retrieve(ref, lines=f"{start}-{end}", store=store) == expected
    assert [b.compressor for b in result.blocks][-1] == "dedupe"


def test_runs_point_only_at_lines_the_model_can_see(store: MemoryStore) -> None:
    info = [f"2024-05-01 12:{i // 60:02d}:{i % 60:02d} INFO worker {i} finished job {i * 7}" for i in range(600)]
    traceback = [
        "Traceback (most recent call last):",
        '  File "/srv/app/worker.py", line 88, in run_job',
        "    result = handler(payload, retries=settings.RETRIES)",
        '  File "/srv/app/handlers.py", line 214, in charge_customer',
        "    raise PaymentDeclined(f'card declined for account {account_id}')",
        "app.errors.PaymentDeclined: card declined for account 4411",
    ]
    log = "\n".join(info[:300] + traceback + info[300:])
    rerun = "\n".join(info[296:300] + traceback + info[300:303])  # the traceback the model saw, in new company
    messages = read_file_turns([log, rerun])
    result = compress(messages, model="gpt-4o", store=store)
    shown = result.messages[2]["content"].split("\n")
    assert len(shown) < 100  # the log itself was compressed
    out = result.messages[-1]["content"].split("\n")
    rerun_lines = rerun.split("\n")
    markers = [line for line in out if "identical to lines" in line]
    assert markers
    i = 0
    for line in out:  # each marker stands for exactly the lines it names in what the model saw
        if line in markers:
            a, b = (int(x) for x in line.split("identical to lines ")[1].split(" ")[0].split("-"))
            assert shown[a - 1 : b] == rerun_lines[i : i + b - a + 1]
            i += b - a + 1
        else:
            assert line == rerun_lines[i]
            i += 1
    assert i == len(rerun_lines)
    assert any(line not in shown for line in rerun_lines)  # ...and lines it never saw stay inline


def test_json_is_never_cut_into_runs(store: MemoryStore) -> None:
    rows = [{"id": i, "name": f"customer-{i}", "email": f"c{i}@example.com", "plan": "pro"} for i in range(30)]
    first = json.dumps(rows[:20], indent=2)
    second = json.dumps(rows[10:30], indent=2)
    messages = read_file_turns([first, second])
    result = compress(messages, model="gpt-4o", store=store, min_tokens=10_000)
    out = result.messages[-1]["content"]
    assert json.loads(out) == rows[10:30]


def test_a_later_user_message_pasting_lines_the_model_saw_points_at_them(store: MemoryStore) -> None:
    output = numbered(200, 230)
    pasted = "Look at these lines again, the bug is in there:\n" + "\n".join(output.split("\n")[10:22])
    messages = [*read_file_turns([output]), {"role": "user", "content": pasted}]
    result = compress(messages, model="gpt-4o", store=store)
    out = result.messages[-1]["content"]
    first, marker = out.split("\n")[:2]
    assert first == "Look at these lines again, the bug is in there:"
    assert marker.startswith("[headroom: 12 lines identical to lines 11-22 of the output of read_file in message 3")
    (ref,) = find_refs(out)
    assert retrieve(ref, store=store) == pasted
    assert result.messages[0]["content"] == messages[0]["content"]  # the task is never touched


def test_a_repeated_json_response_stays_json(store: MemoryStore) -> None:
    rows = [{"id": i, "name": f"customer-{i}", "email": f"c{i}@example.com", "plan": "pro"} for i in range(60)]
    minified = json.dumps(rows, separators=(",", ":"))  # one line, as many APIs answer
    changed = json.dumps([*rows[:59], {**rows[59], "plan": "free"}], indent=2)
    messages = read_file_turns([minified, "ok", minified, json.dumps(rows, indent=2), changed])
    result = compress(messages, model="gpt-4o", store=store, query="customer-12")
    repeat = json.loads(result.messages[6]["content"])
    assert list(repeat) == ["_headroom"]
    assert repeat["_headroom"].startswith("[headroom: identical to the output of read_file in message 3")
    (ref,) = find_refs(repeat["_headroom"])
    assert retrieve(ref, store=store) == minified
    assert json.loads(retrieve(ref, query="customer-12", store=store)) == [rows[12]]  # its rows, by query
    for k in (8, 10):  # a near repeat is compressed as JSON, never turned into a text diff
        json.loads(result.messages[k]["content"])
