"""SearchResults: a DataFrame for analysis that reads well in notebooks and terminals."""

from __future__ import annotations

import pandas as pd
import pytest

from codelens._search.fusion import Fused
from codelens._search.results import COLUMNS, SearchResults


def _results(n: int = 3, query: str = "parse a date") -> SearchResults:
    fused = [
        Fused(i, 1.0 / (60 + i), i if i % 2 else None, i if i > 1 else None)
        for i in range(1, n + 1)
    ]
    rows = {
        i: (
            "repo",
            f"pkg/mod{i}.py",
            10 * i,
            10 * i + 5,
            f"Parser.parse{i}",
            "method",
            "python",
            f"def parse{i}(text):\n    '''<b>not bold</b>'''\n"
            + "".join(f"    x{j} = {j}\n" for j in range(20))
            + "    return text\n",
        )
        for i in range(1, n + 1)
    }
    return SearchResults.build("demo", query, "hybrid", fused, rows)


def test_is_a_plain_dataframe_with_the_documented_columns() -> None:
    results = _results()
    assert isinstance(results, pd.DataFrame)
    assert list(results.columns) == COLUMNS
    assert list(results["rank"]) == [1, 2, 3]
    assert str(results.semantic_rank.dtype) == "Int64"
    assert results.semantic_rank.isna().tolist() == [False, True, False]
    assert results.attrs == {
        "query": "parse a date",
        "mode": "hybrid",
        "project": "demo",
        "semantic_coverage": None,
    }


def test_slicing_and_filtering_keep_working() -> None:
    results = _results(5)
    top = results.head(2)
    assert isinstance(top, SearchResults)
    assert len(top) == 2
    assert "pkg/mod1.py:10-15" in repr(top)
    picked = results[results.start_line > 20]
    assert list(picked.path) == ["pkg/mod3.py", "pkg/mod4.py", "pkg/mod5.py"]
    assert picked.attrs["query"] == "parse a date"
    column = results["path"]
    assert not isinstance(column, pd.DataFrame)
    narrow = results[["path", "score"]]
    assert "path" in repr(narrow)  # pandas' own table, as the snippet view needs content
    assert "<table" in (narrow._repr_html_() or "")
    assert narrow.to_string().splitlines()[0].split() == ["path", "score"]
    assert results.groupby("language").size().to_dict() == {"python": 5}


def test_plain_text_lists_location_symbol_and_a_few_lines() -> None:
    text = repr(_results(2))
    lines = text.splitlines()
    assert lines[0] == "SearchResults: 2 results for 'parse a date' (hybrid)"
    assert lines[1].startswith("  1. pkg/mod1.py:10-15  Parser.parse1 (method, python)  score")
    assert lines[1].endswith("[semantic #1]")
    assert lines[2] == "      def parse1(text):"
    assert "... 19 more lines" in text
    assert "[lexical #2]" in text
    assert str(_results(2)) == text
    assert _results(2).to_string() == text


def test_plain_text_footer_when_rows_exceed_the_display_limit() -> None:
    results = _results(12)
    assert results.display_limit == 10
    text = repr(results)
    assert text.endswith("showing 10 of 12")
    assert " 11. " not in text
    results.display_limit = 20
    assert "showing" not in repr(results)
    assert " 12. pkg/mod12.py" in repr(results)


def test_html_has_highlighted_snippets_headers_and_a_footer() -> None:
    results = _results(12)
    html = results._repr_html_()
    assert html is not None
    assert "<code>pkg/mod1.py:10-15</code>" in html
    assert html.count("<code>pkg/") == 10
    assert "showing 10 of 12" in html
    assert 'style="color: #008000; font-weight: bold">def</span>' in html  # pygments, inline
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<b>not bold</b>" not in html
    assert "more lines" in html
    assert ">10</span>" in html  # line numbers start at the chunk's first line


def test_html_of_unknown_languages_falls_back_to_file_name_then_plain_text() -> None:
    fused = [Fused(1, 0.5, 1, None), Fused(2, 0.4, 2, None)]
    rows = {
        1: ("r", "deploy/run.sh", 1, 1, "", "window", "no-such-lexer", "echo <hi>\n"),
        2: ("r", "data/blob.zzz", 1, 1, "", "window", None, "plain <text>\n"),
    }
    html = SearchResults.build("p", "q", "semantic", fused, rows)._repr_html_() or ""
    assert "&lt;hi&gt;" in html
    assert "plain &lt;text&gt;" in html
    assert "run.sh:1-1" in html


def test_empty_results_say_so() -> None:
    results = SearchResults.build("p", "nothing here", "lexical", [], {})
    assert results.empty
    assert list(results.columns) == COLUMNS
    assert repr(results) == "SearchResults: 0 results for 'nothing here' (lexical)"
    assert "showing 0 of 0" in (results._repr_html_() or "")


def test_long_queries_are_shortened_in_titles() -> None:
    text = repr(_results(1, query="word " * 40))
    assert text.splitlines()[0].endswith("...' (hybrid)")
    assert "1 result " in text


def test_rows_deleted_meanwhile_drop_out_and_ranks_stay_dense() -> None:
    fused = [Fused(1, 0.9, 1, None), Fused(2, 0.8, 2, None), Fused(3, 0.7, 3, None)]
    rows = {i: ("r", f"f{i}.py", 1, 2, "", "function", "python", "x = 1") for i in (1, 3)}
    results = SearchResults.build("p", "q", "semantic", fused, rows)
    assert list(results["rank"]) == [1, 2]
    assert list(results.semantic_rank) == [1, 3]


@pytest.mark.parametrize("frame", [pd.DataFrame({"a": [1]}), SearchResults({"a": [1]})])
def test_a_frame_without_the_columns_still_prints(frame: pd.DataFrame) -> None:
    assert "a" in repr(frame)


def test_a_frame_built_by_hand_still_lists_its_rows() -> None:
    frame = SearchResults(
        {"path": ["a.py"], "start_line": [3], "end_line": [4], "content": ["x = 1\ny = 2"]}
    )
    text = repr(frame)
    assert text.splitlines()[0] == "SearchResults: 1 result"
    assert "  1. a.py:3-4" in text
