"""CodeCompressor: outlines that keep signatures, relevant bodies, and still parse, in 13 languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from headroom import MemoryStore, compress, retrieve
from headroom.compressors import CodeCompressor, ContentType, Detection, LineCompressor, TaskContext
from headroom.compressors._code_detect import candidates
from headroom.compressors._code_langs import parser
from headroom.markers import parse_markers

REF = "0123456789abcdef"
SMALL = CodeCompressor(min_lines=30)  # the samples below are ~80-100 lines


def _rep(n: int, template: str) -> str:
    return "\n".join(template.format(i=i) for i in range(n))


# Each sample defines `load_config`, `checksum_rows` and a render method, each with a 15-line body.
SAMPLES: dict[str, str] = {
    "python": '''"""Report helpers."""

import os
from typing import Any


class Report:
    """A report over rows."""

    title: str = "report"

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    @property
    def size(self) -> int:
        return len(self.rows)

    def render_page(self, width: int = 80) -> str:
        """Render the rows as a page."""
        lines = []
        total = 0
@B1@
        return "\\n".join(lines)


def load_config(path: str) -> dict[str, Any]:
    """Read the configuration file.

    Lines are key=value pairs; comments start with a hash.
    """
    config: dict[str, Any] = {}
@B2@
    return config


def checksum_rows(rows: list[int]) -> int:
    result = 0
@B3@
    return result
''',
    "javascript": """import fs from "fs";

class Report {
  constructor(rows) {
    this.rows = rows;
  }

  renderPage(width) {
    const lines = [];
@B4@
    return lines.join("\\n");
  }
}

function load_config(path) {
  const config = {};
@B5@
  return config;
}

const checksum_rows = (rows) => {
  let result = 0;
@B6@
  return result;
};

export { Report, load_config, checksum_rows };
""",
    "typescript": """import * as fs from "fs";

export interface Row {
  id: number;
  value: number;
}

export class Report {
  private rows: Row[];

  constructor(rows: Row[]) {
    this.rows = rows;
  }

  renderPage(width: number): string {
    const lines: string[] = [];
@B7@
    return lines.join("\\n");
  }
}

export function load_config(path: string): Record<string, string> {
  const config: Record<string, string> = {};
@B8@
  return config;
}

export const checksum_rows = (rows: number[]): number => {
  let result = 0;
@B9@
  return result;
};
""",
    "go": """package report

import (
\t"fmt"
\t"os"
)

// Row is one line of a report.
type Row struct {
\tID    int
\tValue int
}

// RenderPage renders the rows as a page.
func (r *Report) RenderPage(width int) string {
\tlines := []string{}
@B10@
\treturn fmt.Sprint(lines)
}

// Report holds rows.
type Report struct {
\trows []Row
}

func load_config(path string) map[string]string {
\tconfig := map[string]string{}
@B11@
\treturn config
}

func checksum_rows(rows []int) int {
\tresult := 0
@B12@
\treturn result
}
""",
    "rust": """use std::collections::HashMap;
use std::env;

/// One line of a report.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: u32,
    pub value: i64,
}

pub struct Report {
    rows: Vec<Row>,
}

impl Report {
    pub fn new(rows: Vec<Row>) -> Self {
        Report { rows }
    }

    pub fn render_page(&self, width: usize) -> String {
        let mut lines = Vec::new();
@B13@
        lines.join("\\n")
    }
}

pub fn load_config(path: &str) -> HashMap<String, String> {
    let mut config = HashMap::new();
@B14@
    config
}

fn checksum_rows(rows: &[i64]) -> i64 {
    let mut result = 0;
@B15@
    result
}
""",
    "java": """package com.example.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class Report {
  private final List<Integer> rows;

  public Report(List<Integer> rows) {
    this.rows = rows;
  }

  public String renderPage(int width) {
    List<String> lines = new ArrayList<>();
@B16@
    return String.join("\\n", lines);
  }

  public static Map<String, String> load_config(String path) {
    Map<String, String> config = new HashMap<>();
@B17@
    return config;
  }

  static int checksum_rows(int[] rows) {
    int result = 0;
@B18@
    return result;
  }
}
""",
    "c": """#include <stdio.h>
#include <stdlib.h>

struct row {
    int id;
    long value;
};

static long render_page(const struct row *rows, int n, int width) {
    long total = 0;
@B19@
    return total;
}

int load_config(const char *path, char **config) {
    int count = 0;
@B20@
    return count;
}

long checksum_rows(const long *rows, int n) {
    long result = 0;
@B21@
    return result;
}
""",
    "cpp": """#include <map>
#include <string>
#include <vector>

namespace report {

class Report {
 public:
  explicit Report(std::vector<long> rows) : rows_(rows) {}

  std::string render_page(int width) const {
    std::string out;
@B22@
    return out;
  }

 private:
  std::vector<long> rows_;
};

std::map<std::string, std::string> load_config(const std::string& path) {
  std::map<std::string, std::string> config;
@B23@
  return config;
}

long checksum_rows(const std::vector<long>& rows) {
  long result = 0;
@B24@
  return result;
}

}  // namespace report
""",
    "csharp": """using System;
using System.Collections.Generic;

namespace Example.Reports
{
    public class Report
    {
        private readonly List<long> rows;

        public int Size { get; set; }

        public Report(List<long> rows)
        {
            this.rows = rows;
        }

        public string RenderPage(int width)
        {
            var lines = new List<string>();
@B25@
            return string.Join("\\n", lines);
        }

        public static Dictionary<string, string> load_config(string path)
        {
            var config = new Dictionary<string, string>();
@B26@
            return config;
        }

        internal static long checksum_rows(long[] rows)
        {
            long result = 0;
@B27@
            return result;
        }
    }
}
""",
    "ruby": """require "json"

module Reports
  class Report
    attr_reader :rows

    def initialize(rows)
      @rows = rows
    end

    def render_page(width)
      lines = []
@B28@
      lines.join("\\n")
    end
  end
end

def load_config(path)
  config = {}
@B29@
  config
end

def checksum_rows(rows)
  result = 0
@B30@
  result
end
""",
    "php": """<?php

namespace App\\Reports;

class Report
{
    private array $rows;

    public function __construct(array $rows)
    {
        $this->rows = $rows;
    }

    public function renderPage(int $width): string
    {
        $lines = [];
@B31@
        return implode("\\n", $lines);
    }
}

function load_config(string $path): array
{
    $config = [];
@B32@
    return $config;
}

function checksum_rows(array $rows): int
{
    $result = 0;
@B33@
    return $result;
}
""",
    "bash": """#!/usr/bin/env bash
set -euo pipefail

render_page() {
  local width="$1"
@B34@
}

load_config() {
  local path="$1"
@B35@
}

function checksum_rows {
  local result=0
@B36@
  echo "$result"
}

load_config /etc/report.conf
render_page 80
""",
}
_BODIES = {
    "@B1@": _rep(14, "        total += self.rows[{i}] if len(self.rows) > {i} else 0"),
    "@B2@": _rep(14, "    config['key_{i}'] = os.environ.get('KEY_{i}', '{i}')"),
    "@B3@": _rep(14, "    result = (result * 31 + rows[{i} % len(rows)]) % 1000003"),
    "@B4@": _rep(14, "    lines.push(String(this.rows[{i}] || 0).padStart(width));"),
    "@B5@": _rep(14, "  config.key_{i} = process.env.KEY_{i} || '{i}';"),
    "@B6@": _rep(14, "  result = (result * 31 + rows[{i} % rows.length]) % 1000003;"),
    "@B7@": _rep(14, "    lines.push(String(this.rows[{i}]?.value ?? 0).padStart(width));"),
    "@B8@": _rep(14, "  config.key_{i} = process.env.KEY_{i} ?? '{i}';"),
    "@B9@": _rep(14, "  result = (result * 31 + rows[{i} % rows.length]) % 1000003;"),
    "@B10@": _rep(14, '\tlines = append(lines, fmt.Sprintf("%*d", width, r.rows[{i}%len(r.rows)].Value))'),
    "@B11@": _rep(14, '\tconfig["key_{i}"] = os.Getenv("KEY_{i}")'),
    "@B12@": _rep(14, "\tresult = (result*31 + rows[{i}%len(rows)]) % 1000003"),
    "@B13@": _rep(14, '        lines.push(format!("{{:>w$}}", self.rows[{i} % self.rows.len()].value, w = width));'),
    "@B14@": _rep(14, '    config.insert("key_{i}".to_string(), env::var("KEY_{i}").unwrap_or_default());'),
    "@B15@": _rep(14, "    result = (result * 31 + rows[{i} % rows.len()]) % 1000003;"),
    "@B16@": _rep(14, '    lines.add(String.format("%" + width + "d", rows.get({i} % rows.size())));'),
    "@B17@": _rep(14, '    config.put("key_{i}", System.getenv().getOrDefault("KEY_{i}", "{i}"));'),
    "@B18@": _rep(14, "    result = (result * 31 + rows[{i} % rows.length]) % 1000003;"),
    "@B19@": _rep(14, '    total += rows[{i} % n].value; printf("%*ld\\n", width, total);'),
    "@B20@": _rep(14, '    config[count++] = getenv("KEY_{i}");'),
    "@B21@": _rep(14, "    result = (result * 31 + rows[{i} % n]) % 1000003;"),
    "@B22@": _rep(14, '    out += std::to_string(rows_[{i} % rows_.size()]) + "\\n";'),
    "@B23@": _rep(14, '  config["key_{i}"] = std::getenv("KEY_{i}") ? std::getenv("KEY_{i}") : "";'),
    "@B24@": _rep(14, "  result = (result * 31 + rows[{i} % rows.size()]) % 1000003;"),
    "@B25@": _rep(14, "            lines.Add(rows[{i} % rows.Count].ToString().PadLeft(width));"),
    "@B26@": _rep(14, '            config["key_{i}"] = Environment.GetEnvironmentVariable("KEY_{i}") ?? "{i}";'),
    "@B27@": _rep(14, "            result = (result * 31 + rows[{i} % rows.Length]) % 1000003;"),
    "@B28@": _rep(14, "      lines << rows[{i} % rows.size].to_s.rjust(width)"),
    "@B29@": _rep(14, '  config["key_{i}"] = ENV.fetch("KEY_{i}", "{i}")'),
    "@B30@": _rep(14, "  result = (result * 31 + rows[{i} % rows.size]) % 1000003"),
    "@B31@": _rep(
        14, "        $lines[] = str_pad((string) $this->rows[{i} % count($this->rows)], $width, ' ', STR_PAD_LEFT);"
    ),
    "@B32@": _rep(14, "    $config['key_{i}'] = getenv('KEY_{i}') ?: '{i}';"),
    "@B33@": _rep(14, "    $result = ($result * 31 + $rows[{i} % count($rows)]) % 1000003;"),
    "@B34@": _rep(14, "  printf '%*d\\n' \"$width\" {i}"),
    "@B35@": _rep(14, '  export KEY_{i}="${{KEY_{i}:-{i}}}"'),
    "@B36@": _rep(14, "  result=$(( (result * 31 + {i}) % 1000003 ))"),
}
for _lang, _text in SAMPLES.items():
    for _token, _body in _BODIES.items():
        _text = _text.replace(_token, _body)
    SAMPLES[_lang] = _text
SAMPLES["tsx"] = (
    SAMPLES["typescript"]
    + """
export function ReportView(props: { rows: Row[] }): JSX.Element {
  return (
    <div className="report">
      {props.rows.map((r) => (
        <span key={r.id}>{r.value}</span>
      ))}
    </div>
  );
}
"""
)
SIGNATURES = {
    "python": ["def load_config(path: str) -> dict[str, Any]:", "def checksum_rows(rows: list[int]) -> int:"],
    "javascript": ["function load_config(path) {", "const checksum_rows = (rows) => {"],
    "typescript": ["export function load_config(path: string): Record<string, string> {", "export interface Row {"],
    "tsx": ["export function load_config(path: string): Record<string, string> {", "export function ReportView("],
    "go": ["func load_config(path string) map[string]string {", "func (r *Report) RenderPage(width int) string {"],
    "rust": ["pub fn load_config(path: &str) -> HashMap<String, String> {", "pub struct Row {"],
    "java": ["public static Map<String, String> load_config(String path) {", "public class Report {"],
    "c": ["int load_config(const char *path, char **config) {", "struct row {"],
    "cpp": ["std::map<std::string, std::string> load_config(const std::string& path) {", "class Report {"],
    "csharp": ["public static Dictionary<string, string> load_config(string path)", "public int Size { get; set; }"],
    "ruby": ["def load_config(path)", "class Report"],
    "php": ["function load_config(string $path): array", "class Report"],
    "bash": ["load_config() {", "function checksum_rows {"],
}


def _compress(text: str, query: str = "", *, language: str | None = None, cc: CodeCompressor = SMALL) -> str:
    out = cc.compress(text, ref=REF, task=TaskContext(query=query), detection=Detection(ContentType.CODE, language))
    assert out is not None
    return out


def _has_errors(text: str, language: str) -> bool:
    return bool(parser(language).parse(text.encode()).root_node.has_error)


def _omitted(original: str, out: str) -> list[str]:
    """The original lines each marker stands for (the marker names them)."""
    lines = original.split("\n")
    return ["\n".join(lines[m.lines[0] - 1 : m.lines[1]]) for m in parse_markers(out) if m.lines]


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_signatures_stay_bodies_go_and_the_outline_still_parses(language: str) -> None:
    text = SAMPLES[language]
    assert not _has_errors(text, language)
    out = _compress(text, "what does this module export?", language=language)
    assert not _has_errors(out, language), out
    for signature in SIGNATURES[language]:
        assert signature in out
    markers = parse_markers(out)
    assert len(markers) >= 2 and all(m.ref == REF and m.lines for m in markers)
    assert "checksum_rows" in " ".join(m.summary for m in markers)
    assert "result * 31 + rows[7" not in out.replace("result*31 + rows[7", "result * 31 + rows[7")
    assert len(out) < 0.7 * len(text)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_the_language_is_found_without_a_hint(language: str) -> None:
    out = _compress(SAMPLES[language], "what does this module export?", language=None)
    assert parse_markers(out)
    assert not _has_errors(out, language)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_the_body_the_task_names_is_kept_verbatim(language: str) -> None:
    text = SAMPLES[language]
    out = _compress(text, "Why does load_config ignore the path argument?", language=language)
    for i in range(14):
        assert f"KEY_{i}" in out  # every line of load_config's body
    assert not any("KEY_" in part for part in _omitted(text, out))
    assert not _has_errors(out, language)


def test_markers_cover_exactly_the_lines_they_replace() -> None:
    text = SAMPLES["go"]
    out = _compress(text, language="go")
    kept = [ln for ln in out.split("\n") if "[headroom:" not in ln]
    omitted = "\n".join(_omitted(text, out)).split("\n")
    assert sorted(kept + omitted) == sorted(text.split("\n"))  # every line: kept verbatim or behind a marker
    marker = next(m for m in parse_markers(out) if "checksum_rows" in m.summary)
    assert marker.summary.startswith("body of checksum_rows")


def test_end_to_end_the_store_gives_back_the_original_and_each_body() -> None:
    text = SAMPLES["python"] * 3  # ~300 lines: long enough for the default compressor
    messages = [
        {"role": "user", "content": "Why does checksum_rows overflow?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": json.dumps({"path": "report.py"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": text},
    ]
    store = MemoryStore()
    result = compress(messages, model="gpt-4o", store=store)
    out = result.messages[2]["content"]
    assert result.tokens_after < result.tokens_before
    assert "def render_page(self, width: int = 80) -> str:" in out
    assert "result = (result * 31 + rows[13 % len(rows)]) % 1000003" in out  # the body the user asked about
    (ref,) = result.refs
    assert retrieve(ref, store=store) == text
    marker = next(m for m in parse_markers(out) if "render_page" in m.summary and m.lines)
    body = retrieve(ref, store=store, lines=f"{marker.lines[0]}-{marker.lines[1]}")
    assert "total += self.rows[13]" in body and "def " not in body


def test_callers_and_callees_of_the_named_function_are_kept() -> None:
    helpers = "\n\n\n".join(
        f"def {name}(value: int) -> int:\n" + _rep(12, f"    value = value * {{i}} + {n}") + "\n    return value"
        for n, name in enumerate(["normalize", "apply_discount", "unrelated_report", "total_price"])
    )
    text = helpers.replace(
        "    return value\n\n\ndef unrelated_report", "    return normalize(value)\n\n\ndef unrelated_report"
    ).replace(
        "def total_price(value: int) -> int:\n",
        "def total_price(value: int) -> int:\n    value = apply_discount(value)\n",
    )
    out = _compress(text, "fix apply_discount rounding")
    summaries = " ".join(m.summary for m in parse_markers(out))
    assert "apply_discount" not in summaries  # named by the task
    assert "normalize" not in summaries  # called by apply_discount
    assert "total_price" not in summaries  # calls apply_discount
    assert "unrelated_report" in summaries


def test_short_bodies_decorators_fields_and_docstring_heads_stay() -> None:
    out = _compress(SAMPLES["python"], "what does this module export?", language="python")
    for line in [
        "    @property",
        "        return len(self.rows)",  # a two-line body costs less than a marker
        '    title: str = "report"',
        '        """Render the rows as a page."""',
    ]:
        assert line in out
    marker = next(m for m in parse_markers(out) if "load_config" in m.summary)
    assert "Read the configuration file." in marker.summary  # a long docstring's first line


def test_nested_definitions_keep_their_signatures() -> None:
    inner = _rep(12, "            total = total + {i}")
    text = f'''def retry(times: int):
    """Retry a call."""
    count = times

    def decorator(func):
        def wrapper(*args, **kwargs):
            total = 0
{inner}
            return func(*args, **kwargs)

        return wrapper

    return decorator
''' + "\n".join(f"# padding line {i}" for i in range(20))
    out = _compress(text, "what does this module export?", language="python")
    assert "    def decorator(func):" in out and "        def wrapper(*args, **kwargs):" in out
    assert "total = total + 7" not in out
    assert not _has_errors(out, "python")


def test_doc_comment_and_body_share_one_marker() -> None:
    doc = "\n".join(f"/// Detail {i} of how checksums are computed over rows." for i in range(6))
    text = SAMPLES["rust"].replace(
        "fn checksum_rows(", f"/// Compute a checksum of the rows.\n{doc}\nfn checksum_rows("
    )
    out = _compress(text, language="rust")
    assert "/// Compute a checksum of the rows." in out and "Detail 3" not in out
    (marker,) = [m for m in parse_markers(out) if "checksum_rows" in m.summary]
    assert marker.summary.startswith("doc and body of checksum_rows")
    assert marker.lines is not None
    behind = "\n".join(text.split("\n")[marker.lines[0] - 1 : marker.lines[1]])
    assert "/// Detail 3 of how" in behind and "result * 31 + rows[7 %" in behind
    assert not _has_errors(out, "rust")


def test_a_comment_naming_the_task_identifier_stays_whole() -> None:
    note = "\n".join(f"# note {i}: the cache is rebuilt here" for i in range(10))
    text = SAMPLES["python"].replace("\n\nclass Report:", f"\n\n# Why `rebuild_index` exists:\n{note}\n\nclass Report:")
    named = _compress(text, "where is `rebuild_index` described?", language="python")
    assert "# note 9: the cache is rebuilt here" in named
    other = _compress(text, "where is `reload_cache` described?", language="python")
    assert "# note 9: the cache is rebuilt here" not in other  # a long comment the task does not name


def test_text_that_does_not_parse_falls_back_to_the_line_compressor() -> None:
    text = "\n".join(
        f"WARNING: step {i} of the deploy did {{not finish )) ((" if i % 7 else f"def broken({i}:" for i in range(300)
    )
    task = TaskContext(query="why did the deploy fail?")
    detection = Detection(ContentType.CODE, "python")
    expected = LineCompressor().compress(text, ref=REF, task=task, detection=detection)
    assert CodeCompressor().compress(text, ref=REF, task=task, detection=detection) == expected


def test_an_unknown_language_hint_is_tried_then_ignored() -> None:
    out = _compress(SAMPLES["go"], language="cobol")
    assert parse_markers(out) and not _has_errors(out, "go")


def test_short_texts_are_left_alone() -> None:
    text = SAMPLES["java"]
    assert CodeCompressor().compress(text, ref=REF, task=TaskContext(), detection=Detection(ContentType.CODE)) is None


def test_deep_nesting_and_large_files_do_not_break_it() -> None:
    deep = "x = " + "(" * 400 + "1" + ")" * 400 + "\n"
    text = deep + "\n".join(SAMPLES["python"] for _ in range(60))
    out = CodeCompressor().compress(text, ref=REF, task=TaskContext(), detection=Detection(ContentType.CODE))
    assert out is not None and len(out) < len(text) / 2


def test_same_input_same_bytes_in_another_process() -> None:
    text = "\n".join(SAMPLES[lang] for lang in ("python",)) * 3
    here = CodeCompressor().compress(
        text, ref=REF, task=TaskContext(query="fix checksum_rows"), detection=Detection(ContentType.CODE)
    )
    code = (
        "import sys\n"
        "from headroom.compressors import CodeCompressor, ContentType, Detection, TaskContext\n"
        "text = sys.stdin.read()\n"
        f"out = CodeCompressor().compress(text, ref='{REF}', task=TaskContext(query='fix checksum_rows'),"
        " detection=Detection(ContentType.CODE))\n"
        "sys.stdout.write(out)\n"
    )
    for seed in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        there = subprocess.run(
            [sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True, env=env
        )
        assert there.stdout == here


def test_python_markers_sit_at_the_body_indentation_even_after_a_flush_left_comment() -> None:
    body = _rep(16, "        total = total + {i}")
    text = f"def outer(total: int) -> int:\n# legacy: was computed elsewhere\n{body}\n        return total\n"
    text = text.replace("        ", "    ") + "\n".join(f"# padding {i}" for i in range(30))
    out = _compress(text, language="python")
    assert "    ...  # [headroom: body of outer omitted" in out
    assert not _has_errors(out, "python")


def test_implicitly_concatenated_docstrings_are_not_cut_in_the_middle() -> None:
    pieces = "\n".join(f'    "part {i} of a long docstring "' for i in range(12))
    text = f"class Holder:\n{pieces}\n\n    name: str = 'x'\n" + "\n".join(f"# padding {i}" for i in range(30))
    out = SMALL.compress(text, ref=REF, task=TaskContext(), detection=Detection(ContentType.CODE, "python"))
    assert out is None or not _has_errors(out, "python")


def test_the_doc_comment_of_a_declaration_the_question_names_stays_whole_when_it_answers() -> None:
    fields = "".join(
        f"\t// Option{i} is option number {i} of the reader.\n"
        f"\t// It is read once, when the reader starts, and never again.\n"
        f"\t// Callers set it before the first call to Read.\n"
        f"\t// Changing it later has no effect on records already read.\n"
        f"\t// The zero value means the default.\n\tOption{i} int\n\n"
        for i in range(30)
    )
    doc = (
        "\t// FieldsPerRecord is the number of expected fields per record.\n"
        "\t// If FieldsPerRecord is positive, Read requires each record to have that many fields.\n"
        "\t// If it is 0, Read sets it to the number of fields in the first record.\n"
        "\t// If FieldsPerRecord is negative, no check is made.\n"
        "\t// Records may then have a variable number of fields.\n\tFieldsPerRecord int\n"
    )
    body = "".join(f"\tx{i} := r.Option{i} + r.FieldsPerRecord\n" for i in range(30))  # a common name
    read = f"func (r *Reader) Read() int {{\n{body}\treturn 0\n}}\n"
    text = f"package csv\n\ntype Reader struct {{\n{fields}{doc}}}\n\n{read}"
    out = _compress(text, "What does a negative FieldsPerRecord mean?", language="go")
    assert "\t// If FieldsPerRecord is negative, no check is made." in out
    assert "\t// Changing it later has no effect on records already read." not in out  # other docs are still cut


def test_a_shell_script_is_never_read_as_php_text() -> None:
    """The PHP grammar takes anything outside ``<?php`` for inline HTML, so it parses every text
    without an error; without a ``<?`` in the text it is no candidate (a bash script full of ``$var``
    would otherwise be "PHP" with nothing to outline, and stay whole)."""
    script = "\n".join(f'  local v{i}="${{PREFIX}}/lib/$name-{i}"; echo "$v{i}"' for i in range(200))
    assert "php" not in list(candidates(script, hint=None, tool_args={}))
    assert "php" in list(candidates("<?php\n$x = 1;\n" + script, hint=None, tool_args={}))
