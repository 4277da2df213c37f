"""`headroom bench`: benchmarks that print tables (not tests: nothing here asserts a number)."""

from __future__ import annotations

import click

from headroom.bench.compression import compression
from headroom.bench.proxy import proxy


@click.group("bench")
def bench() -> None:
    """Measure compression quality and speed, or the proxy's overhead."""


bench.add_command(compression)
bench.add_command(proxy)
