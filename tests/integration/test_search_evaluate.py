"""codelens.evaluate: Recall@k and MRR@10 per mode, on a project with known answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd
import pytest

from codelens import Project, Workspace
from codelens._search.evaluate import answer_gains, evaluate, score_files
from codelens.errors import SearchError
from tests.search_helpers import LEVENSHTEIN, PARSE, Chunk, load


@pytest.fixture(scope="module")
def known(workspace: Workspace) -> Iterator[Project]:
    project = workspace.create(f"search-eval-{uuid.uuid4().hex[:8]}")
    load(
        project,
        [
            Chunk("text/distance.py", "levenshtein", LEVENSHTEIN, start_line=10),
            Chunk("net/http.py", "parseHttpResponse", PARSE, start_line=1),
            Chunk(
                "net/http.py",
                "HttpClient.send",
                "    def send(self, data):\n        ...\n",
                start_line=30,
            ),
            Chunk("docs/a.md", "A", "# Colours\nRed, green and blue.\n", language="markdown"),
        ],
    )
    yield project
    workspace.drop(project.id, force=True)


QUERIES = pd.DataFrame(
    {
        "question": [
            "how many single character edits turn one string into another",
            "parse_http_response",
        ],
        "path": ["text/distance.py", "./net/http.py"],
        "line": [12, None],
        "symbol": [None, "parseHttpResponse"],
        "kind": ["wordless", "identifier"],
    }
)


def test_scores_each_mode_by_where_the_expected_chunk_ranks(known: Project) -> None:
    scores = evaluate(known.handle, QUERIES)
    assert list(scores.index) == ["hybrid", "semantic", "lexical"]
    assert list(scores.columns) == ["queries", "recall@1", "recall@5", "recall@10", "mrr@10"]
    assert scores.loc["hybrid"].tolist() == [2, 1.0, 1.0, 1.0, 1.0]
    assert scores.loc["semantic", "recall@10"] == 1.0
    # No word of the first question is in the code: lexical finds only the second.
    assert scores.loc["lexical"].tolist() == [2, 0.5, 0.5, 0.5, 0.5]
    ranks = scores.attrs["ranks"]
    assert set(ranks.columns) >= {"question", "mode", "rank"}
    lexical = ranks[ranks["mode"] == "lexical"].set_index("query")["rank"]
    assert pd.isna(lexical[0])
    assert lexical[1] == 1


def test_scores_split_by_a_column_of_the_queries(known: Project) -> None:
    scores = evaluate(known.handle, QUERIES, modes=["lexical", "semantic"], by="kind")
    assert scores.index.names == ["kind", "mode"]
    assert scores.loc[("wordless", "lexical"), "recall@10"] == 0.0
    assert scores.loc[("identifier", "lexical"), "mrr@10"] == 1.0
    assert scores.loc[("wordless", "semantic"), "queries"] == 1


def test_a_symbol_matches_by_dotted_suffix_and_a_line_by_range(known: Project) -> None:
    queries = pd.DataFrame(
        {
            "question": ["send data over the client", "send data over the client"],
            "path": ["net/http.py", "net/http.py"],
            "symbol": ["send", "HttpClient.send"],
            "line": [None, 31],
        }
    )
    scores = evaluate(known.handle, queries, modes=["semantic"])
    assert scores.loc["semantic", "recall@10"] == 1.0
    # One mode may be given as a name alone, not a list of its letters.
    assert list(evaluate(known.handle, queries, modes="semantic").index) == ["semantic"]
    wrong_line = queries.assign(line=[None, 29], symbol=[None, None])
    assert (
        evaluate(known.handle, wrong_line, modes=["semantic"]).loc["semantic", "recall@10"] == 0.0
    )


@pytest.mark.parametrize(
    ("queries", "by", "message"),
    [
        ("not a frame", None, "^queries must be a pandas DataFrame: question with path and"),
        (pd.DataFrame({"question": ["q"], "line": [1]}), None, "missing: path"),
        # Questions answered by a file, with the file under the definitions' column name.
        (
            pd.DataFrame({"question": ["q"], "path": ["p"]}),
            None,
            r"missing: line or symbol \(for questions answered by files, name their column"
            r" 'relevant'\)$",
        ),
        (QUERIES, "nope", "not a column"),
        (QUERIES.iloc[:0], None, "queries is empty"),
    ],
)
def test_unusable_query_sets_say_what_is_missing(
    known: Project, queries: object, by: str | None, message: str
) -> None:
    with pytest.raises(SearchError, match=message):
        evaluate(known.handle, queries, by=by)  # type: ignore[arg-type]


FILE_QUERIES = pd.DataFrame(
    {
        "question": [
            "how many single character edits turn one string into another",
            "send a request and split the response",
            "where are the colours described",
        ],
        "relevant": ["text/distance.py", "net/http.py", "docs/a.md"],
        "secondary": ["", "text/distance.py", "nowhere/else.py;text/distance.py"],
        "kind": ["behaviour", "architecture", "docs"],
    }
)


def test_file_questions_score_the_files_of_the_top_results_by_ndcg(known: Project) -> None:
    scores = evaluate(known.handle, FILE_QUERIES, modes=["hybrid"], by="kind")
    assert list(scores.columns) == ["queries", "ndcg@10", "recall@1", "recall@10", "mrr@10"]
    assert scores.loc[("behaviour", "hybrid"), "recall@1"] == 1.0
    ranks = scores.attrs["ranks"].set_index("question")
    for question, row in ranks.iterrows():
        assert 0.0 < row["ndcg"] <= 1.0, question
    # A relevant file first, nothing else that counts: the best possible list.
    assert ranks.loc[FILE_QUERIES.loc[0, "question"], "ndcg"] == pytest.approx(1.0)


def test_ndcg_weighs_secondary_files_half_and_rewards_order() -> None:
    gains = answer_gains("a.py", "b.py;c.py")
    assert gains == {"a.py": 1.0, "b.py": 0.5, "c.py": 0.5}
    best = score_files(["a.py", "b.py", "c.py"], gains)
    assert best == {"rank": 1, "ndcg": pytest.approx(1.0)}
    late = score_files(["x.py", "b.py", "a.py"], gains)
    assert late["rank"] == 3
    assert 0.0 < late["ndcg"] < score_files(["a.py", "x.py", "b.py"], gains)["ndcg"] < 1.0
    assert score_files(["x.py"], gains) == {"rank": None, "ndcg": 0.0}
    with pytest.raises(SearchError, match="at least one relevant file"):
        answer_gains("", "b.py")
