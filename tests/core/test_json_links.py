"""Linked facts in JSON: what the kept part or the question names pulls in what it keys."""

from __future__ import annotations

import json

import headroom
from headroom import MemoryStore

from .helpers import openai_conversation


def _compressed(doc: object, question: str, store: MemoryStore) -> str:
    text = json.dumps(doc)
    out = headroom.compress(openai_conversation(text, question=question), model="gpt-4o", store=store).messages[-1][
        "content"
    ]
    assert isinstance(out, str) and len(out) < len(text)
    json.loads(out)
    return out


def _registry_doc(latest: str) -> dict[str, object]:
    versions = [f"4.{m}.{p}" for m in range(10, 18) for p in range(22)]
    return {
        "name": "lodash",
        "dist-tags": {"latest": latest},
        "versions": {
            v: {"version": v, "dist": {"tarball": f"https://registry.example/lodash-{v}.tgz", "fileCount": 600 + k}}
            for k, v in enumerate(versions)
        },
        "time": {v: f"20{10 + k // 30}-0{1 + k % 9}-1{k % 10}T00:00:00Z" for k, v in enumerate(versions)},
    }


def test_a_value_in_the_kept_part_keeps_the_map_entries_it_keys(store: MemoryStore) -> None:
    out = _compressed(_registry_doc("4.16.4"), "What is the tarball URL of the latest release?", store)
    assert "lodash-4.16.4.tgz" in out  # versions["4.16.4"], keyed by dist-tags.latest


def test_a_reference_field_in_a_kept_row_keeps_the_row_it_names(store: MemoryStore) -> None:
    orders = [{"id": 1000 + i, "customer_id": 7000 + (i * 13) % 60, "total": i * 3} for i in range(800)]
    customers = [{"id": 7000 + c, "name": f"Customer {c}", "email": f"c{c}@example.com"} for c in range(60)]
    out = _compressed({"orders": orders, "customers": customers}, "Who placed order 1042?", store)
    customer = 7000 + (42 * 13) % 60
    assert f'"customer_id":{customer}' in out.replace(" ", "") or str(customer) in out
    assert f"c{customer - 7000}@example.com" in out  # the customers row whose id the order names


def test_each_named_item_keeps_its_row_even_when_another_name_contains_it(store: MemoryStore) -> None:
    names = ["pydantic", "pydantic-core", "pydantic-settings", "uvicorn", *(f"pkg-{i}" for i in range(150))]
    rows = [{"name": n, "version": f"{i % 9}.{i % 13}.{i % 7}"} for i, n in enumerate(names)]
    out = _compressed(rows, "Which versions of pydantic, pydantic-core and uvicorn are installed?", store)
    for name in ("pydantic", "pydantic-core", "uvicorn"):
        assert f'"{name}"' in out  # its row (the marker quotes terms with single quotes)


def test_a_set_question_keeps_every_matching_row(store: MemoryStore) -> None:
    rows = [
        {"name": f"lib{i}", "version": f"1.{i}", "depends": "libc6, perl" if i % 9 == 0 else "libc6, zlib1g"}
        for i in range(200)
    ]
    out = _compressed(rows, "Which packages list perl in their depends?", store)
    assert all(f'"lib{i}"' in out for i in range(0, 200, 9))


def test_a_kept_row_keeps_the_field_that_names_it_when_another_field_answers(store: MemoryStore) -> None:
    # Long dependency strings use up a brief row's budget: the row must still say which package it is.
    rows = [
        {
            "package": f"tool-{i}",
            "version": f"{i}.0-1",
            "size": 100 + i,
            "depends": ", ".join(f"libdep{(i + k) % 40} (>= {k}.0)" for k in range(12))
            + (", libssl3 (>= 3.0.0)" if i % 9 == 0 else ""),
        }
        for i in range(120)
    ]
    out = _compressed(rows, "Which packages depend on libssl3?", store)
    for i in range(0, 120, 9):
        assert f'"tool-{i}"' in out


def test_a_map_entry_whose_key_path_ends_in_a_named_term_is_kept_whole(store: MemoryStore) -> None:
    def entry(name: str, i: int) -> dict[str, object]:
        return {
            "version": f"1.{i}.0",
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-1.{i}.0.tgz",
            "integrity": f"sha512-{name}-" + "x" * 80,
            "license": "MIT",
            "dependencies": {f"dep{(i + k) % 50}": f"^{k}.0.0" for k in range(5)},
            "engines": {"node": ">= 0.8.0"},
        }

    packages = {f"node_modules/pkg{i}": entry(f"pkg{i}", i) for i in range(300)}
    for name, i in (("eslint", 1), ("optionator", 7), ("levn", 8), ("type-check", 9), ("prelude-ls", 10)):
        packages[f"node_modules/{name}"] = entry(name, i)
    for name in ("optionator", "levn", "type-check"):
        packages[f"node_modules/{name}"]["dependencies"] = {"prelude-ls": "^1.2.1"}
    packages["node_modules/eslint"]["dependencies"] = {"optionator": "^0.9.3"}
    doc = {"name": "app", "lockfileVersion": 3, "packages": packages}
    question = "eslint asks for optionator ^0.9.3. Which version is locked, with which integrity? Who needs prelude-ls?"
    out = _compressed(doc, question, store)
    assert "sha512-optionator-" + "x" * 80 in out
    assert "sha512-prelude-ls-" + "x" * 80 in out
