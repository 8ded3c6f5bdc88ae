"""Lexical candidates: bounded by term rarity, from the statistics PostgreSQL keeps."""

from __future__ import annotations

import time

import numpy as np
import pytest

import codelens._search.lexical as lexical
from codelens import Project
from codelens._search.engine import search
from codelens._search.filters import Filters
from codelens._search.lexical import lexical_hits, plan_query, plan_terms
from codelens._search.query import query_terms
from tests.search_helpers import Chunk, load


def _corpus(project: Project, *, analyze: bool) -> None:
    chunks = [
        Chunk(
            f"m{i}.py",
            f"f{i}",
            f"def f{i}():\n    common shared words {'zebra' if i == 7 else ''}\n",
        )
        for i in range(40)
    ]
    vectors = np.eye(40, 384, dtype=np.float32).tolist()  # no need to embed for this
    load(project, chunks, vectors=vectors, analyze=analyze)


def test_candidates_must_hold_the_rare_words_once_the_table_is_analysed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(project, analyze=True)
    monkeypatch.setattr(lexical, "BUDGET", 5)
    with project.connection() as conn:
        plan = plan_terms(conn, ["common", "zebra"])
        assert plan.match == ["zebra"]
        assert not plan.match_all
        assert plan.idf["zebra"] > plan.idf["common"]
        hits = lexical_hits(conn, "common zebra", plan, Filters(), 10)
        assert len(hits) == 1
        assert hits[0][1] == pytest.approx(1.0)  # the common word counts in its score
        # Only common words: a chunk must hold all of them.
        both = plan_terms(conn, ["common", "share"])
        assert both.match_all
        assert both.match_query() == "common share"
        assert len(lexical_hits(conn, "common share", both, Filters(), 100)) == 40
        # Common words no chunk holds together: any one of them will do.
        monkeypatch.setattr(lexical, "BUDGET", 0)
        apart = plan_terms(conn, ["common", "share", "nowher"])
        assert apart.match_all
        assert len(lexical_hits(conn, "common share nowhere", apart, Filters(), 100)) == 40
    results = search(project.handle, "zebra common", mode="lexical")
    assert list(results.path) == ["m7.py"]


def test_before_any_analyse_every_word_may_match_and_weighs_the_same(project: Project) -> None:
    _corpus(project, analyze=False)
    with project.connection() as conn:
        plan = plan_terms(conn, ["common", "zebra"])
    assert plan.match == ["common", "zebra"]
    assert plan.match_query() == "common or zebra"
    assert plan.idf == {"common": 1.0, "zebra": 1.0}
    assert len(search(project.handle, "zebra common", mode="lexical", limit=100)) == 40


def test_new_statistics_replace_the_cached_ones(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(project, analyze=True)
    monkeypatch.setattr(lexical, "BUDGET", 5)
    with project.connection() as conn:
        assert plan_terms(conn, ["zebra", "common"]).match == ["zebra"]
        conn.execute("UPDATE chunks SET content = content || ' zebra'")
        conn.execute("ANALYZE chunks")
        conn.commit()
        assert plan_terms(conn, ["zebra", "common"]).match_all


def test_a_query_is_planned_from_its_own_terms_in_one_statement(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(project, analyze=True)
    monkeypatch.setattr(lexical, "BUDGET", 5)
    with project.connection() as conn:
        plan = plan_query(conn, "Common ZEBRAS, of the")
        assert plan == plan_terms(conn, query_terms(conn, "Common ZEBRAS, of the"))
        assert plan is not None and plan.match == ["zebra"]
        assert plan_query(conn, "of the and") is None  # stop words only: nothing to match


def test_the_cap_bounds_the_rows_ranked(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    _corpus(project, analyze=True)
    monkeypatch.setattr(lexical, "CAP", 3)
    assert len(search(project.handle, "common", mode="lexical", limit=50)) == 3


def test_among_equal_matches_the_chunk_named_by_the_query_comes_first(project: Project) -> None:
    # The same words in another order, stored first: they tie on every score but the name.
    chunks = [
        Chunk("routes.py", name, f"def {name}(request):\n    return request.get('v', 0)\n")
        for name in ("handler_5_3", "handler_3_5")
    ]
    chunks.append(
        Chunk(
            "views.py",
            "Views.render_page_1",
            "def render_page_1(self):\n    return self.page(1)\n",
        )
    )
    chunks.append(
        Chunk("views.py", "page_1_render", "def page_1_render(self):\n    return self.page(1)\n")
    )
    load(project, chunks, vectors=np.eye(4, 384, dtype=np.float32).tolist(), analyze=True)
    for query, first in [
        ("handler_3_5", "handler_3_5"),
        ("handler_5_3", "handler_5_3"),
        ("render_page_1", "Views.render_page_1"),  # a method, named without its class
        ("Views.render_page_1", "Views.render_page_1"),
    ]:
        results = search(project.handle, query, mode="lexical", limit=2)
        assert results["symbol"].iloc[0] == first, query


def test_letters_typed_in_full_width_find_the_code_and_the_prose_that_spell_them(
    project: Project,
) -> None:
    # An input method types ＣＨＡＲＧＥ; code spells charge, and prose in the same script
    # may spell ＡＰＩ in full width too: each form finds its own.
    chunks = [
        Chunk("billing.py", "charge", "def charge(card):\n    return card.bill()\n"),
        Chunk("docs/api.md", "", "ＡＰＩの使い方\n", language="markdown", kind="section"),
        Chunk("client.py", "call_api", "def call_api(path):\n    return get(path)\n"),
    ]
    load(project, chunks, vectors=np.eye(3, 384, dtype=np.float32).tolist(), analyze=True)
    found = search(project.handle, "ＣＨＡＲＧＥ", mode="lexical", limit=3)
    assert list(found["path"]) == ["billing.py"]
    assert found.attrs["query"] == "ＣＨＡＲＧＥ"
    found = search(project.handle, "ＡＰＩ", mode="lexical", limit=3)
    assert set(found["path"]) == {"docs/api.md", "client.py"}


def _timed(project: Project, query: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        results = search(project.handle, query, mode="lexical", limit=10)
        times.append(time.perf_counter() - start)
        assert len(results)
    return sorted(times)


def test_a_chunk_holding_a_block_for_a_symbol_costs_a_search_no_more_than_a_name(
    project: Project,
) -> None:
    # A C header's declaration block once came out as one "function" cut in 722 parts,
    # each with the whole 42,000-character block as its symbol: a search that matched
    # them took a minute. The same chunks with a name for symbol set the normal cost.
    names = [f"Module_HandleFileEvent{i}" for i in range(400)]
    block = "\n".join(f"API int (*{name})(Ctx *ctx, long when) API_ATTR;" for name in names)
    chunks = [
        Chunk(
            "module.h",
            "Module_Api",
            f"API void (*{name})(Ctx *ctx, EventLoop *loop, long time) API_ATTR;",
            language="c",
            start_line=n + 1,
        )
        for n, name in enumerate(names[:120])
    ]
    chunks += [
        Chunk(f"m{i}.py", f"f{i}", f"def f{i}():\n    return handle(file, loop)\n")
        for i in range(100)
    ]
    load(project, chunks, vectors=np.eye(len(chunks), 384, dtype=np.float32).tolist())
    query = "how the event loop handles file events and time events"
    _timed(project, query, 2)  # warm: statements prepared, pages cached
    normal = _timed(project, query, 7)
    with project.connection() as conn:
        conn.execute("UPDATE chunks SET symbol = %s WHERE path = 'module.h'", [block])
        conn.execute("ANALYZE chunks")
        conn.commit()
    _timed(project, query, 1)
    monster = _timed(project, query, 5)
    # The median against the normal p95 (the slowest of 7), with room for a loaded machine.
    assert monster[len(monster) // 2] < 5 * normal[-1], (monster, normal)
