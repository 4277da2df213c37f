"""Parse unified diffs (``git diff``, ``git show --stat -p``, ``git log -p``, ``diff -u``) into files and hunks.

The parser only locates structure; it never changes a line. Everything it does not recognise as part
of a file's diff (commit headers, messages, ``--stat`` blocks, shell noise) is left to the caller as
"other" lines. Hunk bodies are delimited by the line counts in their ``@@`` header, so a removed line
that happens to start with ``--- `` is not mistaken for a file header. Cost is linear in the number
of lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^(@{2,}) (-\d+(?:,\d+)? )+\+(\d+)(?:,(\d+))? \1(.*)$")
_FILE_START = re.compile(r"^(?:diff --git |diff --cc |diff --combined |diff -\S.* \S|Index: \S)")
_EXTENDED = re.compile(
    r"^(?:index [0-9a-f]+(?:,[0-9a-f]+)*\.\.[0-9a-f]+|old mode |new mode |deleted file mode |new file mode |"
    r"similarity index |dissimilarity index |rename from |rename to |copy from |copy to |"
    r"Binary files |GIT binary patch|={20,}$|mode change )"
)
_INDEX = re.compile(r"^index [0-9a-f]+(?:,[0-9a-f]+)*\.\.[0-9a-f]+")
_GIT_PATHS = re.compile(r"^diff --git (?:\"?a/(.+?)\"?) (?:\"?b/(.+?)\"?)$")


@dataclass
class Hunk:
    """One ``@@`` hunk: its header line, its body lines, and which of them are changes."""

    header: int
    end: int
    changed: list[int] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    section: str = ""  # the text after the closing @@ (often the enclosing function)

    @property
    def body(self) -> range:
        """Indices of the body lines."""
        return range(self.header + 1, self.end)


@dataclass
class FileDiff:
    """One file's part of a diff: header lines, hunks, and what kind of change it is."""

    start: int
    end: int
    path: str = ""
    old_path: str = ""
    index_lines: list[int] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False
    binary_patch: tuple[int, int] | None = None  # line range of GIT binary patch data

    @property
    def added(self) -> int:
        """Lines added in this file."""
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        """Lines removed in this file."""
        return sum(h.removed for h in self.hunks)


def _strip_prefix(path: str) -> str:
    path = path.strip().strip('"')
    path = path.split("\t", 1)[0]
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def _hunk_end(lines: list[str], start: int, old: int, new: int, width: int) -> int:
    """Index just past a hunk body that starts at ``start``."""
    k, n = start, len(lines)
    if width == 1:
        while k < n and (old > 0 or new > 0):
            first = lines[k][:1]
            if first == "+":
                new -= 1
            elif first == "-":
                old -= 1
            elif first in (" ", ""):
                old, new = old - 1, new - 1
            elif first != "\\":
                break
            k += 1
    else:  # combined diff (merge commits): one prefix column per parent
        while k < n and len(lines[k]) >= width and set(lines[k][:width]) <= {" ", "+", "-"}:
            k += 1
    while k < n and lines[k].startswith("\\"):  # "\ No newline at end of file"
        k += 1
    return k


def _parse_hunk(lines: list[str], i: int) -> Hunk | None:
    m = _HUNK.match(lines[i])
    if not m:
        return None
    width = len(m[1]) - 1
    old_ranges = m[0][len(m[1]) + 1 :].split(" +", 1)[0].split()
    old = sum(int(r.split(",")[1]) if "," in r else 1 for r in old_ranges)
    new = int(m[4]) if m[4] is not None else 1
    end = _hunk_end(lines, i + 1, old, new, width)
    hunk = Hunk(header=i, end=end, section=m[5].strip())
    for k in range(i + 1, end):
        prefix = lines[k][:width]
        if "+" in prefix:
            hunk.added += 1
            hunk.changed.append(k)
        elif "-" in prefix:
            hunk.removed += 1
            hunk.changed.append(k)
    return hunk


def _parse_headers(lines: list[str], f: FileDiff, j: int) -> int:
    """Consume extended header lines and the ``---``/``+++`` pair; return the next index."""
    n = len(lines)
    while j < n and _EXTENDED.match(lines[j]):
        line = lines[j]
        if _INDEX.match(line):
            f.index_lines.append(j)
        elif line.startswith("Binary files "):
            f.binary = True
        elif line.startswith("GIT binary patch"):
            f.binary = True
            k = j + 1
            while k < n and lines[k].strip():
                k += 1
            # the forward patch, a blank line, then (usually) the reverse patch
            if k + 1 < n and lines[k + 1].startswith(("literal ", "delta ")):
                k += 1
                while k < n and lines[k].strip():
                    k += 1
            f.binary_patch = (j, k)
            j = k
            continue
        elif line.startswith("rename to "):
            f.path = line[len("rename to ") :]
        j += 1
    if j + 1 < n and lines[j].startswith("--- ") and lines[j + 1].startswith("+++ "):
        old, new = _strip_prefix(lines[j][4:]), _strip_prefix(lines[j + 1][4:])
        f.old_path = old
        f.path = old if new == "/dev/null" else new
        j += 2
    return j


def _parse_file(lines: list[str], i: int) -> FileDiff:
    f = FileDiff(start=i, end=i + 1)
    line = lines[i]
    m = _GIT_PATHS.match(line)
    if m:
        f.old_path, f.path = m[1], m[2]
    elif line.startswith("Index: "):
        f.path = line[len("Index: ") :].strip()
    j = i if line.startswith("--- ") else i + 1
    j = _parse_headers(lines, f, j)
    while j < len(lines):
        hunk = _parse_hunk(lines, j)
        if hunk is None:
            break
        f.hunks.append(hunk)
        j = hunk.end
    f.end = max(j, i + 1)
    return f


def parse_diff(lines: list[str]) -> list[FileDiff]:
    """The file sections of a diff, in order; lines outside them are the caller's "other" lines."""
    files: list[FileDiff] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        headerless = line.startswith("--- ") and i + 1 < n and lines[i + 1].startswith("+++ ")
        if _FILE_START.match(line) or headerless:
            f = _parse_file(lines, i)
            files.append(f)
            i = f.end
        else:
            i += 1
    return files
