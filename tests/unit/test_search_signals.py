"""The ranking signals of hybrid search, each on results whose order it must change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from codelens._search.fusion import Fused
from codelens._search.grouping import Place, Unit
from codelens._search.signals import NO_RULES, RULES, Rules, rerank, semantic_weight, shape_of
from codelens._search.signals.file_words import path_words, word_match
from codelens._search.signals.path_prior import path_class

_FILES: dict[str, int] = {}


def unit(path: str, symbol: str, score: float, kind: str = "function", lang: str = "") -> Unit:
    file_id = _FILES.setdefault(path, len(_FILES) + 1)
    language = lang or ("markdown" if path.endswith(".md") else "python")
    return Unit(
        Fused(len(_FILES) * 1000 + int(score * 100), score, 1, 1),
        (1,),
        Place(file_id, path, symbol, kind, language),
    )


def order(units: list[Unit], query: str, rules: Rules = RULES, **kw: Any) -> list[str]:
    ranked = sorted(units, key=lambda u: -u.best.score)
    return [
        f"{u.place.path}:{u.place.symbol}" for u in rerank(ranked, shape_of(query), rules, **kw)
    ]


def only(**on: Any) -> Rules:
    return replace(NO_RULES, **on)


@pytest.mark.parametrize(
    ("query", "symbol", "mentioned"),
    [
        ("ConnectionPool", "ConnectionPool", ()),
        ("parse_args()", "parse_args", ()),
        ("ns::Parser", "ns.Parser", ()),
        ("Router#handle", "Router.handle", ()),
        ("retry", "retry", ()),
        ("where is ConnectionPool closed?", None, ("ConnectionPool",)),
        ("how does Router.handle pick a route", None, ("Router.handle",)),
        ("what sets MAX_RETRIES", None, ("MAX_RETRIES",)),
        ("Parse a cookie header", None, ()),
        ("read the HTTP status line", None, ()),
    ],
)
def test_a_query_is_a_name_or_words_that_may_mention_names(
    query: str, symbol: str | None, mentioned: tuple[str, ...]
) -> None:
    shape = shape_of(query)
    assert (shape.symbol, shape.mentioned) == (symbol, mentioned)


def test_query_words_drop_stop_words_and_split_identifiers() -> None:
    assert shape_of("where is the retryDelay computed for a failed charge").words == (
        "retry",
        "delay",
        "computed",
        "failed",
        "charge",
    )


def test_symbol_queries_lean_on_words_as_the_rules_say() -> None:
    rules = Rules(symbol_semantic_weight=0.3, words_semantic_weight=0.9)
    assert semantic_weight(shape_of("ConnectionPool"), rules) == 0.3
    assert semantic_weight(shape_of("how is a pool of connections kept"), rules) == 0.9


@pytest.mark.parametrize(
    ("path", "language", "kind"),
    [
        ("tests/test_pool.py", "python", "test"),
        ("pool/pool_test.go", "go", "test"),
        ("src/pool.spec.ts", "typescript", "test"),
        ("spec/pool_spec.rb", "ruby", "test"),
        ("src/conftest.py", "python", "test"),
        ("docs/pool.rst", "rst", "docs"),
        ("README.md", "markdown", "docs"),
        ("examples/pool.py", "python", "example"),
        ("benches/pool.rs", "rust", "example"),
        ("vendor/github.com/x/pool.go", "go", "vendored"),
        ("src/_compat.py", "python", None),
        ("src/compat/py2.py", "python", "compat"),
        ("api/pool_pb2.py", "python", "generated"),
        ("pool/__init__.py", "python", None),
        ("types/pool.d.ts", "typescript", "stub"),
        ("pool.pyi", "python", "stub"),
        ("src/pool.py", "python", None),
        ("src/testing_utils_are_code.py", "python", None),
        # Test folders named as other ecosystems name them: a .NET test project, Gradle
        # and Kotlin source sets, Elixir's and Python's integration suites, browser
        # tests and Jest's mocks. A module named "-test" is a library others test with.
        ("Src/Newtonsoft.Json.Tests/TestObjects/Person.cs", "c_sharp", "test"),
        ("src/Dapper.UnitTests/Helpers.cs", "c_sharp", "test"),
        ("core/src/commonTest/kotlin/Fixtures.kt", "kotlin", "test"),
        ("core/src/jvmTest/kotlin/Rules.kt", "kotlin", "test"),
        ("integration_test/cases/repo.exs", "elixir", "test"),
        ("packages/app/e2e/login.ts", "typescript", "test"),
        ("src/__mocks__/fs.js", "javascript", "test"),
        ("kotlinx-coroutines-test/src/TestBuilders.kt", "kotlin", None),
        ("src/latest/release.py", "python", None),
        ("src/contest/rules.py", "python", None),
    ],
)
def test_files_are_classed_by_folders_and_names(path: str, language: str, kind: str) -> None:
    assert path_class(path, language) == kind


def test_a_file_whose_header_says_it_was_generated_is_generated_code() -> None:
    assert path_class("client/api.go", "go", True) == "generated"
    # A folder or a name says more: a generated test is a test.
    assert path_class("client/api_test.go", "go", True) == "test"


def test_tests_and_docs_rank_below_the_code_they_exercise() -> None:
    units = [
        unit("tests/test_pool.py", "test_pool_reuses_connections", 0.9),
        unit("docs/pooling.md", "Pooling", 0.85, kind="section"),
        unit("src/pool.py", "Pool.acquire", 0.5),
    ]
    query = "how are connections reused"
    assert order(units, query, only())[0].startswith("tests/")
    assert order(units, query, only(priors=RULES.priors))[0] == "src/pool.py:Pool.acquire"


def test_a_query_that_asks_for_tests_or_a_path_filter_keeps_them_first() -> None:
    units = [unit("tests/test_pool.py", "test_reuse", 0.9), unit("src/pool.py", "Pool.get", 0.5)]
    rules = only(priors=RULES.priors)
    assert order(units, "where are the tests for connection reuse", rules)[0] == (
        "tests/test_pool.py:test_reuse"
    )
    assert order(units, "connection reuse", rules, path_filtered=True)[0] == (
        "tests/test_pool.py:test_reuse"
    )


def test_a_test_word_that_names_the_projects_own_code_asks_for_no_tests() -> None:
    # A test framework: "test" is what its code is about.
    units = [
        unit("test/report_test.cc", "TEST", 0.9),
        unit("src/gtest-test-part.cc", "TestPartResult.failed", 0.6),
    ]
    rules = only(priors=RULES.priors)
    query = "how is a failure reported to the test that is running"
    assert order(units, query, rules)[0] == "src/gtest-test-part.cc:TestPartResult.failed"
    # Where no code is named so, the same words ask for the tests.
    units[1] = unit("src/report.cc", "Reporter.failed", 0.6)
    assert order(units, query, rules)[0] == "test/report_test.cc:TEST"


def test_the_definition_a_query_names_comes_first_and_its_own_file_before_others() -> None:
    units = [
        unit("src/client.py", "Client.send", 0.9),
        unit("src/util.py", "ConnectionPool", 0.5, kind="class"),
        unit("src/connection_pool.py", "ConnectionPool", 0.4, kind="class"),
        unit("src/connection_pool.py", "", 0.8, kind="module"),
    ]
    got = order(units, "ConnectionPool", only(definition=3.0, definition_stem=1.5))
    assert got[:2] == ["src/connection_pool.py:ConnectionPool", "src/util.py:ConnectionPool"]


def test_a_method_is_found_by_its_qualified_or_bare_name_and_module_code_defines_nothing() -> None:
    units = [
        unit("a.py", "Other.thing", 0.9),
        unit("b.py", "Router.handle", 0.2, kind="method"),
        unit("c.py", "handle", 0.8, kind="module"),
    ]
    rules = only(definition=3.0)
    assert order(units, "Router.handle", rules)[0] == "b.py:Router.handle"
    assert order(units, "handle", rules)[0] == "b.py:Router.handle"


def test_a_name_written_with_its_case_and_a_types_own_definition_come_first() -> None:
    rules = only(definition=3.0)
    # indexset! (a macro) against IndexSet (the type's impl block), which scores higher.
    units = [
        unit("src/set.rs", "IndexSet", 0.6, kind="impl", lang="rust"),
        unit("src/macros.rs", "indexset", 0.4, kind="macro", lang="rust"),
    ]
    assert order(units, "indexset", rules)[0] == "src/macros.rs:indexset"
    assert order(units, "IndexSet", rules)[0] == "src/set.rs:IndexSet"
    # The struct before an impl block that adds to it elsewhere.
    units = [
        unit("src/map/core.rs", "OccupiedEntry", 0.6, kind="impl", lang="rust"),
        unit("src/map/core/raw.rs", "OccupiedEntry", 0.4, kind="struct", lang="rust"),
    ]
    assert order(units, "OccupiedEntry", rules)[0] == "src/map/core/raw.rs:OccupiedEntry"
    # With no other definition, a match without case or an impl block keeps the whole boost.
    units = [unit("a.py", "pool_size", 0.6), unit("b.py", "ConnectionPool", 0.2, kind="class")]
    assert order(units, "connectionpool", rules)[0] == "b.py:ConnectionPool"
    units = [unit("a.rs", "spawn", 0.6, lang="rust"), unit("b.rs", "Pool", 0.2, kind="impl")]
    assert order(units, "Pool", rules)[0] == "b.rs:Pool"


def test_a_name_mentioned_in_a_sentence_lifts_its_definition_half_as_much() -> None:
    units = [unit("a.py", "close_all", 0.5), unit("b.py", "ConnectionPool", 0.42, kind="class")]
    rules = only(definition=0.2)
    # Mentioned: 0.42 + 0.5 * 0.2 * 0.5 = 0.47 < 0.5; the whole query: 0.42 + 0.1 > 0.5.
    assert order(units, "when does ConnectionPool close", rules)[0] == "a.py:close_all"
    assert order(units, "ConnectionPool", rules)[0] == "b.py:ConnectionPool"


def test_words_of_a_files_name_and_folder_answer_a_question_in_plain_words() -> None:
    assert path_words("src/plugins/discovery.py") == {"plugins", "discovery"}
    assert word_match("discovered", "discovery")
    assert word_match("retries", "retry")
    assert not word_match("discount", "discovery")
    units = [
        unit("src/loader.py", "load_entry_points", 0.6),
        unit("src/plugins/discovery.py", "scan", 0.5),
    ]
    got = order(units, "how are plugins discovered", only(file_words=1.0))
    assert got[0] == "src/plugins/discovery.py:scan"


def test_a_file_with_several_good_results_lifts_its_best_one() -> None:
    units = [
        unit("a.py", "lone", 0.50),
        unit("b.py", "first", 0.48),
        unit("b.py", "second", 0.45),
        unit("b.py", "third", 0.44),
    ]
    assert order(units, "anything at all", only())[0] == "a.py:lone"
    assert order(units, "anything at all", only(coherence=0.2))[0] == "b.py:first"


def test_every_result_of_the_file_nearest_the_query_as_a_whole_gains_by_its_place() -> None:
    units = [
        unit("fv/words.py", "named", 0.50),
        unit("fv/plugins.py", "load", 0.45),
        unit("fv/plugins.py", "scan", 0.44),
        unit("fv/other.py", "far", 0.40),
        unit("fv/new.py", "awaiting", 0.39),  # no vector yet
    ]
    ids = {u.place.path: u.place.file_id for u in units}
    cosines = {ids["fv/words.py"]: 0.30, ids["fv/plugins.py"]: 0.70, ids["fv/other.py"]: 0.50}
    query = "how are plugins discovered"
    assert order(units, query, only())[0] == "fv/words.py:named"
    ranked = rerank(
        sorted(units, key=lambda u: -u.best.score),
        shape_of(query),
        only(file_vector=0.2),
        file_cosines=cosines,
    )
    scores = {f"{u.place.path}:{u.place.symbol}": u.best.score for u in ranked}
    # + 0.2 x best score (0.5) x the file's place between the least and most similar.
    assert scores == pytest.approx(
        {
            "fv/plugins.py:load": 0.45 + 0.1,
            "fv/plugins.py:scan": 0.44 + 0.1,
            "fv/other.py:far": 0.40 + 0.05,
            "fv/words.py:named": 0.50,
            "fv/new.py:awaiting": 0.39,
        }
    )
    assert [u.place.symbol for u in ranked][:2] == ["load", "scan"]
    # Off by weight, without cosines (a lexical search), or when no candidate has a vector.
    assert (
        order(units, query, only(file_vector=0.0), file_cosines=cosines)[0] == "fv/words.py:named"
    )
    assert order(units, query, only(file_vector=0.2))[0] == "fv/words.py:named"
    assert order(units, query, only(file_vector=0.2), file_cosines={999: 1.0})[0] == (
        "fv/words.py:named"
    )


def test_further_results_of_one_file_weigh_less_without_a_hard_cap() -> None:
    units = [
        unit("a.py", "one", 0.9),
        unit("a.py", "two", 0.8),
        unit("a.py", "three", 0.7),
        unit("b.py", "other", 0.5),
    ]
    got = order(units, "anything at all", only(saturation=0.5))
    assert got == ["a.py:one", "b.py:other", "a.py:two", "a.py:three"]
    assert len(got) == len(units)


def test_the_final_score_is_the_results_score_and_ties_keep_the_fused_order() -> None:
    units = [unit("a.py", "x", 0.5), unit("b.py", "y", 0.5)]
    ranked = rerank(units, shape_of("anything"), only())
    assert [u.place.path for u in ranked] == ["a.py", "b.py"]
    boosted = rerank(units, shape_of("y"), only(definition=1.0))
    assert boosted[0].place.symbol == "y"
    assert boosted[0].best.score == pytest.approx(1.0)


def test_docs_after_the_first_rank_below_code_of_similar_score_unless_asked_for() -> None:
    units = [
        unit("README.md", "Retries", 0.9, kind="section"),
        unit("docs/guide.md", "Retrying", 0.85, kind="section"),
        unit("CHANGES.rst", "", 0.8, kind="window", lang="rst"),
        unit("notes.txt", "", 0.75, kind="window", lang="text"),
        unit("src/retry.py", "retry", 0.5),
    ]
    query = "how are failed requests retried"
    assert order(units, query, only())[-1] == "src/retry.py:retry"
    assert order(units, query, only(docs=0.3)) == [
        "README.md:Retries",
        "src/retry.py:retry",
        "docs/guide.md:Retrying",
        "CHANGES.rst:",
        "notes.txt:",
    ]
    assert order(units, query, only(docs=0.3, docs_kept=0))[0] == "src/retry.py:retry"
    # Code scoring under ``factor`` times a docs result stays below it: "of similar score".
    assert order(units, query, only(docs=0.7))[1] == "docs/guide.md:Retrying"
    for asks in ("where do the docs explain retries", "the README section on retries"):
        assert order(units, asks, only(docs=0.3))[-1] == "src/retry.py:retry"
    assert RULES.docs < 1.0 and NO_RULES.docs == 1.0
