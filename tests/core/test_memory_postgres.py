"""`PostgresMemoryStore` passes the memory conformance suite against a real Postgres server."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from headroom.memory import Embedder, MemoryStore, PostgresMemoryStore, Scope
from headroom.testing import MemoryStoreConformance

from tests.core.postgres_server import PostgresServer

_tables = itertools.count()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class TestPostgresMemoryStore(MemoryStoreConformance):
    @pytest.fixture(autouse=True)
    def _server(self, postgres: PostgresServer) -> None:
        self.server = postgres
        self.table = f"memories_{next(_tables)}"

    def make_store(self, *, clock: Callable[[], float], embedder: Embedder | None = None) -> MemoryStore:
        self._embedder = embedder
        return PostgresMemoryStore(self.server.dsn, table=self.table, clock=clock, embedder=embedder)

    def reopen(self, store: MemoryStore) -> MemoryStore | None:
        return PostgresMemoryStore(self.server.dsn, table=self.table, clock=self.clock, embedder=self._embedder)


def test_a_bad_table_name_or_server_is_a_clear_error(postgres: PostgresServer) -> None:
    with pytest.raises(ValueError, match="table must be"):
        PostgresMemoryStore(postgres.dsn, table="memories; drop table x")
    store = PostgresMemoryStore(f"postgresql://nobody@127.0.0.1:{postgres.port + 1}/x?connect_timeout=2")
    with pytest.raises(Exception, match="cannot connect to the memory database"):
        store.remember("x", scope=Scope("ann"))
