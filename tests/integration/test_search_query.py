"""Query text: validation, the words the index sees, and the embedding cache."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from codelens import Project
from codelens._search.engine import search
from codelens._search.query import MAX_TERMS, QueryCache, clean_query, query_terms
from codelens.errors import DatabaseError, SearchError
from tests.search_helpers import Chunk, load


class CountingEmbedder:
    """A real (if tiny) embedder: one-hot vectors by text length, counting its calls."""

    name = "test:counting"
    dimensions = 8
    max_tokens = 16
    document_prefix = ""
    query_prefix = ""

    def __init__(self) -> None:
        self.calls = 0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.stack([self.embed_query(t) for t in texts])

    def embed_counted(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        return self.embed_documents(texts), self.count_tokens(texts)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        self.calls += 1
        vector = np.zeros(self.dimensions, dtype=np.float32)
        vector[len(text) % self.dimensions] = 1.0
        return vector


def test_the_cache_embeds_each_query_once_and_forgets_the_oldest() -> None:
    cache, embedder = QueryCache(maxsize=2), CountingEmbedder()
    first = cache.embed(embedder, "a")
    assert cache.embed(embedder, "a") is first
    assert not first.flags.writeable  # shared between searches: nobody may change it
    cache.embed(embedder, "bb")
    cache.embed(embedder, "a")  # "a" is now the most recent
    cache.embed(embedder, "ccc")  # evicts "bb"
    assert len(cache) == 2
    assert embedder.calls == 3
    cache.embed(embedder, "bb")
    assert embedder.calls == 4
    assert (cache.hits, cache.misses) == (2, 4)
    cache.clear()
    assert len(cache) == 0
    assert (cache.hits, cache.misses) == (0, 0)


def test_the_cache_keys_by_model() -> None:
    cache, one, other = QueryCache(), CountingEmbedder(), CountingEmbedder()
    other.name = "test:other"  # type: ignore[misc]
    cache.embed(one, "same text")
    cache.embed(other, "same text")
    assert (one.calls, other.calls) == (1, 1)
    cache.put("test:counting", "given", [1.0, 0.0])
    assert cache.embed(one, "given").tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    ("query", "cleaned"),
    [("  parse  ", "parse"), ("a\x00b", "a b"), ("x" * 20_000, "x" * 20_000)],
)
def test_clean_query_keeps_searchable_text(query: str, cleaned: str) -> None:
    assert clean_query(query) == cleaned


def test_identifiers_split_into_the_words_the_index_holds(project: Project) -> None:
    with project.connection() as conn:
        forms = [
            query_terms(conn, q)
            for q in ("parseHttpResponse", "parse_http_response", "parse http response")
        ]
        assert forms[0] == forms[1] == forms[2] == ["pars", "http", "respons"]
        assert query_terms(conn, "HTTPResponse.readChunks()") == [
            "http",
            "respons",
            "read",
            "chunk",
        ]
        assert query_terms(conn, "the of and") == []  # stop words only
        assert query_terms(conn, "& | ! <-> :* ' \\\\") == []
        many = " ".join(f"word{i}" for i in range(100))
        assert len(query_terms(conn, many)) == MAX_TERMS


def test_a_query_of_stop_words_finds_nothing_lexically(project: Project) -> None:
    load(project, [Chunk("a.py", "a", "def a():\n    return the_answer\n")])
    assert search(project.handle, "the of and", mode="lexical").empty
    assert len(search(project.handle, "the of and", mode="hybrid")) == 1  # semantic still answers


def test_a_schema_from_an_older_codelens_says_how_to_migrate(project: Project) -> None:
    load(project, [Chunk("a.py", "a", "def a():\n    pass\n")])
    with project.connection() as conn:
        conn.execute("DROP FUNCTION code_words(text) CASCADE")
        conn.commit()
    with pytest.raises(DatabaseError, match="outdated schema"):
        search(project.handle, "anything", mode="lexical")


def test_too_long_queries_name_the_limit() -> None:
    with pytest.raises(SearchError, match="20,001 characters long, at most 20,000"):
        clean_query("x" * 20_001)
