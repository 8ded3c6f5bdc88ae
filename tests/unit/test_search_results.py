"""SearchResults: a DataFrame for analysis that reads well in notebooks and terminals."""

from __future__ import annotations

import pandas as pd
import pytest

from codelens._search.fusion import Fused
from codelens._search.grouping import Place, Unit, join_parts, rank_units
from codelens._search.place import match_text, place
from codelens._search.results import COLUMNS, SearchResults
from codelens.errors import SearchError


def _whole(fused: list[Fused]) -> list[Unit]:
    return [Unit(f, (f.id,)) for f in fused]


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
    return SearchResults.build("demo", query, "hybrid", _whole(fused), rows)


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
    html = SearchResults.build("p", "q", "semantic", _whole(fused), rows)._repr_html_() or ""
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
    results = SearchResults.build("p", "q", "semantic", _whole(fused), rows)
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


# A function cut in three parts (ids 7, 8, 9; the second repeats line 20, a blank line 31
# starts no part) and a whole function (id 4) in another file.
_PARTS = {
    7: (
        "r",
        "big.py",
        10,
        20,
        "Big.run",
        "method",
        "python",
        "\n".join(f"l{i}" for i in range(10, 21)),
    ),
    8: (
        "r",
        "big.py",
        20,
        30,
        "Big.run",
        "method",
        "python",
        "\n".join(f"l{i}" for i in range(20, 31)),
    ),
    9: (
        "r",
        "big.py",
        32,
        40,
        "Big.run",
        "method",
        "python",
        "\n".join(f"l{i}" for i in range(32, 41)),
    ),
    4: ("r", "small.py", 1, 2, "tiny", "function", "python", "def tiny():\n    pass"),
}


def _grouped() -> SearchResults:
    units = [Unit(Fused(8, 0.9, 1, 3), (7, 8, 9)), Unit(Fused(4, 0.5, 2, None), (4,))]
    return SearchResults.build("p", "q", "hybrid", units, _PARTS)


def test_a_definition_in_parts_is_one_row_spanning_all_of_them() -> None:
    results = _grouped()
    first = results.iloc[0]
    assert (first["start_line"], first["end_line"]) == (10, 40)
    assert (first["match_start_line"], first["match_end_line"]) == (20, 30)
    assert first["parts"] == 3
    assert first["part_ids"] == (7, 8, 9)
    assert first["part_lines"] == ((10, 20), (20, 30), (32, 40))
    lines = first["content"].split("\n")
    assert len(lines) == 31  # lines 10..40: the overlap once, the blank line back
    assert lines[0] == "l10" and lines[10] == "l20" and lines[11] == "l21"
    assert lines[21] == "" and lines[-1] == "l40"
    assert match_text(first) == "\n".join(f"l{i}" for i in range(20, 31))
    assert (first["semantic_rank"], first["lexical_rank"]) == (1, 3)
    whole = results.iloc[1]
    assert (whole["parts"], whole["match_start_line"], whole["end_line"]) == (1, 1, 2)
    assert match_text(whole) == whole["content"] == "def tiny():\n    pass"


def test_parts_of_lists_each_part_with_its_own_text() -> None:
    parts = _grouped().parts_of(0)
    assert list(parts["id"]) == [7, 8, 9]
    assert list(parts["start_line"]) == [10, 20, 32]
    for part_id, content in zip(parts["id"], parts["content"], strict=True):
        assert content == _PARTS[part_id][7]
    # A position past the results (a rank counted from 1, say) is one line, not pandas'.
    results = _grouped()
    for bad in (len(results), -len(results) - 1, "1", 1.0, True):
        with pytest.raises(SearchError) as caught:
            results.parts_of(bad)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"parts_of({bad!r}): give a row's position, 0 to {len(results) - 1} (0 = the first)"
        )
    with pytest.raises(SearchError, match=r"^parts_of\(0\): there are no results$"):
        results.head(0).parts_of(0)


def test_views_show_the_match_and_the_whole_span() -> None:
    results = _grouped()
    text = repr(results)
    assert "  1. big.py:10-40  Big.run (match 20-30 of 3 parts) (method, python)" in text
    assert "      l20" in text and "      l10" not in text
    page = results._repr_html_() or ""
    assert "big.py:10-40" in page and "match 20-30 of 3 parts" in page
    assert "<details" in page and "whole definition: lines 10-40, 3 parts" in page
    assert page.count("<details") == 1  # a whole definition has nothing to unfold


def test_missing_parts_and_units_drop_out() -> None:
    rows = {k: v for k, v in _PARTS.items() if k != 9}
    units = [Unit(Fused(8, 0.9, 1, None), (7, 8, 9)), Unit(Fused(5, 0.5, 2, None), (5,))]
    results = SearchResults.build("p", "q", "semantic", units, rows)
    assert len(results) == 1
    assert (results.iloc[0]["end_line"], results.iloc[0]["parts"]) == (30, 2)


def test_join_parts_overlaps_and_gaps() -> None:
    assert join_parts([(1, 2, "a\nb"), (2, 3, "b\nc"), (5, 5, "e")]) == "a\nb\nc\n\ne"
    assert join_parts([(3, 3, "x")]) == "x"


def test_units_rank_by_their_best_part_and_kind_weights() -> None:
    ranked = [Fused(1, 0.9, 1, None), Fused(2, 0.8, 2, None), Fused(3, 0.7, 3, None)]
    ranked.append(Fused(4, 0.6, 4, None))
    module, function = (Place(1, "a.py", "", k, "python") for k in ("module", "function"))
    unit_of = {1: ((1, 2), module), 2: ((1, 2), module), 3: ((3,), function), 4: ((4,), function)}
    plain = rank_units(ranked, unit_of, 10)
    assert [(u.best.id, u.part_ids) for u in plain] == [(1, (1, 2)), (3, (3,)), (4, (4,))]
    assert [u.best.id for u in rank_units(ranked, unit_of, 2)] == [1, 3]
    weighed = rank_units(ranked, unit_of, 2, {"module": 0.5})
    assert [u.best.id for u in weighed] == [3, 4]  # 0.9 * 0.5 falls below both functions
    assert [u.best.score for u in rank_units(ranked, unit_of, 3, {"module": 0.5})] == [
        0.7,
        0.6,
        0.45,
    ]


def _inferred(results: SearchResults) -> pd.DataFrame:
    """The same values as a frame pandas types on its own: one dict per row, the nullable
    integer columns converted to Int64 afterwards."""
    records = [
        {name: (None if pd.isna(v) else v) if not isinstance(v, tuple) else v for name, v in r}
        for r in (zip(results.columns, row, strict=True) for row in results.itertuples(False))
    ]
    frame = pd.DataFrame(records, columns=COLUMNS)
    nullable = ["semantic_rank", "lexical_rank", "cell_number", "execution_count"]
    nullable += ["cell_start_line", "cell_end_line"]
    return frame.astype(dict.fromkeys(nullable, "Int64"))


def test_columns_have_the_types_pandas_infers_for_their_values() -> None:
    # Built column by column for speed: every column must still have the type (text,
    # Int64 with <NA>, tuples as objects) that pandas gives the same values row by row.
    fused = [Fused(1, 0.5, 1, None), Fused(2, 0.25, None, 3), Fused(3, 0.125, 2, 1)]
    cell = (2, "code", None, 1, 4)
    rows = {
        1: ("repo", "a.py", 1, 9, "f", "function", "python", "def f():\n    pass", *(None,) * 5),
        2: ("repo", "n.ipynb", 3, 6, "", "module", "python", "x = 1", *cell),
        3: ("other", "b.md", 1, 2, "Title", "section", "markdown", "# Title"),
        4: ("other", "b.md", 3, 4, "Title", "section", "markdown", "text"),
    }
    units = [Unit(fused[0], (1,)), Unit(fused[1], (2,)), Unit(fused[2], (3, 4))]
    results = SearchResults.build("demo", "q", "hybrid", units, rows)
    expected = _inferred(results)
    assert results["cell_number"].tolist()[1] == 2 and pd.isna(results["cell_number"][0])
    assert results["part_ids"].tolist() == [(1,), (2,), (3, 4)]
    pd.testing.assert_frame_equal(pd.DataFrame(results), expected, check_exact=True)


def test_a_path_with_a_newline_or_other_control_character_keeps_to_one_line() -> None:
    # File names may hold any byte but "/" and NUL: a newline must not break the listing.
    row = {"path": "src/new\nline\t.py", "start_line": 1, "end_line": 2}
    assert place(row) == "src/new\\nline\\t.py:1-2"
    assert place({**row, "path": "src/données/счёт.py"}) == "src/données/счёт.py:1-2"
    results = _results(1)
    results.loc[0, "path"] = "src/new\nline.py"
    first = repr(results).splitlines()
    assert any(line.strip().startswith("1. src/new\\nline.py:10-15") for line in first), first
