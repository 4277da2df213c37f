"""`MemoryStoreConformance`: the tests every `headroom.memory.MemoryStore` backend must pass.

Example:
    A backend's test module::

        from headroom.memory import SQLiteMemoryStore
        from headroom.testing import MemoryStoreConformance


        class TestSQLiteMemoryStore(MemoryStoreConformance):
            def make_store(self, *, clock, embedder=None):
                return SQLiteMemoryStore(self.tmp / "m.sqlite3", clock=clock, embedder=embedder)

Like `StoreConformance`, the base class is not named ``Test...`` and needs no pytest at import time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from headroom.memory import Embedder, MemoryNotFoundError, MemoryStore, Scope
from headroom.testing.store_conformance import FakeClock

__all__ = ["ConceptEmbedder", "MemoryStoreConformance"]

ANN_SHOP = Scope("ann", "shop")
ANN_BLOG = Scope("ann", "blog")


class ConceptEmbedder:
    """A deterministic `Embedder` for tests: one axis per group of words that mean the same thing.

    ``ConceptEmbedder([["car", "automobile"], ["deploy", "release", "ship"]])`` maps "ship it" and
    "release it" to the same unit vector, so paraphrases with no word in common are found by vector
    search alone. Texts with no known word map to a unit vector on an extra axis.
    """

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        self._axis = {w.casefold(): i for i, group in enumerate(groups) for w in group}
        self.dim = len(groups) + 1

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            v = [0.0] * self.dim
            for word in text.casefold().replace(".", " ").replace(",", " ").split():
                if word in self._axis:
                    v[self._axis[word]] += 1.0
            if not any(v):
                v[-1] = 1.0
            norm = math.sqrt(sum(x * x for x in v))
            out.append([x / norm for x in v])
        return out


_CONCEPTS = ConceptEmbedder([["automobile", "car", "vehicle"], ["deploy", "release", "ship", "rollout"]])


class MemoryStoreConformance:
    """The `MemoryStore` contract as tests. Subclass it as ``Test<Backend>MemoryStore``.

    Stores made by the tests are closed after each test; a subclass that defines its own
    ``teardown_method`` must call ``super().teardown_method(method)``.
    """

    def make_store(self, *, clock: Callable[[], float], embedder: Embedder | None = None) -> MemoryStore:
        """Return a new, empty store of the backend under test using ``clock`` and ``embedder``."""
        raise NotImplementedError

    def reopen(self, store: MemoryStore) -> MemoryStore | None:
        """A second handle on the same data (another process's view), or None for a non-persistent backend."""
        return None

    def setup_method(self, method: object) -> None:
        self.clock = FakeClock()
        self._opened: list[MemoryStore] = []

    def teardown_method(self, method: object) -> None:
        for store in self._opened:
            store.close()

    def store(self, embedder: Embedder | None = None) -> MemoryStore:
        s = self.make_store(clock=self.clock, embedder=embedder)
        self._opened.append(s)
        return s

    # -- saving and finding ----------------------------------------------------------------------

    def test_a_saved_fact_is_recalled_from_a_later_session_of_the_project(self) -> None:
        s = self.store()
        saved = s.remember("Run the tests with `uv run pytest`, not bare pytest", scope=ANN_SHOP, meta={"by": "t"})
        hits = s.recall("how do I run the tests?", scope=ANN_SHOP.child("session-2"))
        assert [m.id for m in hits] == [saved.id], hits
        assert hits[0].text == "Run the tests with `uv run pytest`, not bare pytest"
        assert hits[0].scope == ANN_SHOP and hits[0].meta == {"by": "t"} and hits[0].score > 0
        assert s.get(saved.id).text == saved.text

    def test_unicode_and_markup_round_trip(self) -> None:
        s = self.store()
        text = 'naïve café — 日本語 — emoji 🎉 — quotes "x" \'y\' — code `a[0] = {"k": 1}` — NOT OR AND * -x'
        saved = s.remember(text, scope=ANN_SHOP)
        assert s.get(saved.id).text == text
        assert [m.id for m in s.recall("café 日本語", scope=ANN_SHOP)] == [saved.id]

    def test_queries_with_search_syntax_are_plain_words(self) -> None:
        s = self.store()
        saved = s.remember("the port is 8080", scope=ANN_SHOP)
        for query in [
            '"port',
            "port*",
            "NOT port",
            "port AND (",
            "-port",
            "port:8080",
            "port'; DROP TABLE memories; --",
        ]:
            assert [m.id for m in s.recall(query, scope=ANN_SHOP)] == [saved.id], query
        assert s.get(saved.id).text == "the port is 8080"

    def test_the_most_relevant_fact_ranks_first_and_limit_is_kept(self) -> None:
        s = self.store()
        for i in range(12):
            s.remember(f"note {i}: the build cache for job {i * 7} lives in /tmp/cache-{i}", scope=ANN_SHOP)
        target = s.remember("the payments service needs STRIPE_KEY set before it starts", scope=ANN_SHOP)
        hits = s.recall("what does the payments service need before it starts", scope=ANN_SHOP, limit=3)
        assert hits[0].id == target.id and len(hits) <= 3
        assert len(s.recall("build cache", scope=ANN_SHOP, limit=5)) == 5
        assert s.recall("build cache", scope=ANN_SHOP) == s.recall("build cache", scope=ANN_SHOP)  # deterministic

    def test_an_empty_query_returns_the_most_recent(self) -> None:
        s = self.store()
        first = s.remember("first fact", scope=ANN_SHOP)
        self.clock.advance(1)
        second = s.remember("second fact", scope=ANN_SHOP)
        assert [m.id for m in s.recall("", scope=ANN_SHOP)] == [second.id, first.id]

    # -- scopes --------------------------------------------------------------------------------

    def test_no_bleed_between_projects_of_one_user(self) -> None:
        s = self.store()
        s.remember("the deploy key is in vault path shop/deploy", scope=ANN_SHOP)
        s.remember("session note: deploy key rotated", scope=ANN_SHOP.child("s1"))
        assert s.recall("deploy key", scope=ANN_BLOG) == []
        assert s.recall("deploy key", scope=ANN_BLOG.child("s1")) == []
        assert s.recall("", scope=ANN_BLOG) == []

    def test_user_level_memories_are_shared_with_every_project_of_that_user_only(self) -> None:
        s = self.store()
        shared = s.remember("ann prefers tabs over spaces", scope=Scope("ann"))
        assert [m.id for m in s.recall("tabs or spaces", scope=ANN_BLOG.child("s9"))] == [shared.id]
        assert [m.id for m in s.recall("tabs or spaces", scope=ANN_SHOP)] == [shared.id]
        assert s.recall("tabs or spaces", scope=Scope("bob", "shop")) == []

    def test_a_scope_sees_the_scopes_above_it_but_not_below_or_beside(self) -> None:
        s = self.store()
        session = ANN_SHOP.child("s1")
        agent = session.child("reviewer")
        in_agent = s.remember("reviewer: the flaky test is test_rounding", scope=agent)
        in_session = s.remember("the flaky test was skipped in this session", scope=session)
        assert {m.id for m in s.recall("flaky test", scope=agent.child("turn-3"))} == {in_agent.id, in_session.id}
        assert [m.id for m in s.recall("flaky test", scope=session)] == [in_session.id]
        assert [m.id for m in s.recall("flaky test", scope=session.child("planner"))] == [in_session.id]
        assert s.recall("flaky test", scope=ANN_SHOP) == []
        assert s.recall("flaky test", scope=ANN_SHOP.child("s2")) == []

    def test_scope_names_that_share_a_prefix_stay_apart(self) -> None:
        s = self.store()
        s.remember("shop fact alpha", scope=ANN_SHOP)
        assert s.recall("alpha", scope=Scope("ann", "shopping")) == []
        assert s.forget(scope=Scope("ann", "sho")) == 0
        assert len(s.recall("alpha", scope=ANN_SHOP)) == 1

    # -- dedupe, update, TTL, forget ---------------------------------------------------------------

    def test_the_same_fact_twice_is_one_memory(self) -> None:
        s = self.store()
        a = s.remember("Use Node 20 for the frontend.", scope=ANN_SHOP)
        self.clock.advance(5)
        b = s.remember("use node 20   for the FRONTEND", scope=ANN_SHOP)
        assert b.id == a.id and b.updated > a.updated and b.created == a.created
        assert len(s.recall("node frontend", scope=ANN_SHOP, limit=5)) == 1
        other = s.remember("Use Node 20 for the frontend.", scope=ANN_BLOG)  # another scope: its own memory
        assert other.id != a.id

    def test_a_near_identical_fact_updates_the_existing_memory(self) -> None:
        s = self.store()
        long = (
            "the staging database host is db-staging-1 and it {} connections from the app,"
            " the workers, cron jobs and the nightly backup script on weekdays"
        )
        a = s.remember(long.format("recieves"), scope=ANN_SHOP)  # a typo, fixed below: one word of many
        b = s.remember(long.format("receives"), scope=ANN_SHOP)
        hits = s.recall("staging database host", scope=ANN_SHOP)
        assert b.id == a.id and [m.text for m in hits] == [long.format("receives")]
        port = s.remember("the staging database port is 5432", scope=ANN_SHOP)  # short: one word is a new fact
        assert port.id != a.id and s.remember("the staging database port is 5433", scope=ANN_SHOP).id != port.id
        c = s.remember("the production database host is db-prod-1", scope=ANN_SHOP)
        assert c.id != a.id
        orbit = s.remember("the orbit service must not be restarted during the Friday release freeze", scope=ANN_SHOP)
        ledger = s.remember("the ledger service must not be restarted during the Friday release freeze", scope=ANN_SHOP)
        assert orbit.id != ledger.id and len(s.recall("restarted Friday freeze", scope=ANN_SHOP)) == 2

    def test_expired_memories_are_not_found_and_others_stay(self) -> None:
        s = self.store()
        short = s.remember("temporary: the CI runner is down", scope=ANN_SHOP, ttl_seconds=60)
        keep = s.remember("permanent: the CI config is in .ci/run", scope=ANN_SHOP)
        assert {m.id for m in s.recall("CI", scope=ANN_SHOP)} == {short.id, keep.id}
        self.clock.advance(61)
        assert [m.id for m in s.recall("CI", scope=ANN_SHOP)] == [keep.id]
        _raises_not_found(lambda: s.get(short.id))
        again = s.remember("temporary: the CI runner is down", scope=ANN_SHOP, ttl_seconds=60)
        assert s.get(again.id).expires == self.clock() + 60

    def test_forget_by_id_and_by_scope(self) -> None:
        s = self.store()
        a = s.remember("fact a about widgets", scope=ANN_SHOP)
        b = s.remember("fact b about widgets", scope=ANN_SHOP.child("s1"))
        c = s.remember("fact c about widgets", scope=ANN_BLOG)
        assert s.forget(a.id) == 1 and s.forget(a.id) == 0
        _raises_not_found(lambda: s.get(a.id))
        assert s.forget(scope=ANN_SHOP) == 1  # b, in a session below it
        assert s.recall("widgets", scope=ANN_SHOP.child("s1")) == []
        assert [m.id for m in s.recall("widgets", scope=ANN_BLOG)] == [c.id]
        _raises_not_found(lambda: s.get(b.id))

    def test_bad_input_is_a_clear_error_and_stores_nothing(self) -> None:
        s = self.store()
        bad: list[Callable[[], object]] = [
            lambda: s.remember("", scope=ANN_SHOP),
            lambda: s.remember("   ", scope=ANN_SHOP),
            lambda: s.remember("x" * 9000, scope=ANN_SHOP),
            lambda: s.remember("lone \udcff surrogate", scope=ANN_SHOP),
            lambda: s.remember("fine", scope=ANN_SHOP, ttl_seconds=0),
            lambda: s.remember("fine", scope="ann/shop"),  # type: ignore[arg-type]
            lambda: s.remember("fine", scope=ANN_SHOP, meta={"n": 1}),  # type: ignore[dict-item]
            lambda: s.recall("x", scope=ANN_SHOP, limit=0),
            lambda: s.forget(),
            lambda: Scope("ann", None, "s1"),
            lambda: Scope(""),
        ]
        for call in bad:
            try:
                call()
            except ValueError as e:
                assert str(e)
            else:
                raise AssertionError("bad input was accepted")
        assert s.recall("", scope=ANN_SHOP) == []

    # -- vectors, processes, threads ------------------------------------------------------------

    def test_with_an_embedder_a_paraphrase_with_no_shared_word_is_found(self) -> None:
        s = self.store(_CONCEPTS)
        saved = s.remember("Releases go out with make ship", scope=ANN_SHOP)
        s.remember("The car park closes at 6pm", scope=ANN_SHOP)
        assert [m.id for m in s.recall("how do we deploy", scope=ANN_SHOP.child("s2"))][:1] == [saved.id]
        assert s.recall("how do we deploy", scope=ANN_BLOG) == []  # vectors respect scopes too
        s.forget(saved.id)
        assert saved.id not in {m.id for m in s.recall("deploy", scope=ANN_SHOP)}

    def test_another_handle_sees_writes_and_forgets(self) -> None:
        s = self.store(_CONCEPTS)
        other = self.reopen(s)
        if other is None:
            return
        self._opened.append(other)
        other.recall("deploy", scope=ANN_SHOP)  # warm its caches before the write
        saved = s.remember("Releases go out with make ship", scope=ANN_SHOP)
        assert [m.id for m in other.recall("deploy", scope=ANN_SHOP)] == [saved.id]
        s.forget(saved.id)
        assert other.recall("deploy", scope=ANN_SHOP) == []

    def test_concurrent_writers_lose_nothing(self) -> None:
        s = self.store()
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda i: s.remember(f"parallel fact number {i} zq{i}", scope=ANN_SHOP).id, range(40)))
        assert len(set(ids)) == 40
        assert all(s.get(i) for i in ids)


def _raises_not_found(call: Callable[[], object]) -> None:
    try:
        call()
    except MemoryNotFoundError as e:
        assert "no memory" in str(e)
    else:
        raise AssertionError("expected MemoryNotFoundError")
