"""A search query made safe: validated text, its full-text terms, and its cached embedding."""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from psycopg import sql

from codelens._chunk.identifier_words import identifier_words
from codelens._unicode import check_unicode
from codelens.errors import SearchError

if TYPE_CHECKING:
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "TERMS",
    "QueryCache",
    "clean_query",
    "query_cache",
    "query_terms",
    "query_words",
]

MAX_QUERY_CHARS = 20_000
# Past a few dozen words a query is a pasted document; its first terms say enough, and a
# bounded tsquery keeps the lexical scan cheap whatever is pasted.
MAX_TERMS = 32


def query_words(text: str) -> str:
    """The text lexical search reads for ``text``: itself, and its NFKC form beside it where
    that differs. An input method types letters in full width (``ＣＨＡＲＧＥ``), which no
    code spells, while prose in the same script may; both forms find their words."""
    normal = unicodedata.normalize("NFKC", text)
    return text if normal == text else f"{text} {normal}"


def clean_query(query: object) -> str:
    """The query as searchable text, or a SearchError saying what is wrong with it."""
    if not isinstance(query, str):
        raise SearchError(f"query must be a string, not {type(query).__name__}")
    check_unicode("query", query)
    # PostgreSQL text cannot hold NUL; for a query it is just a separator.
    text = query.replace("\x00", " ").strip()
    if not text:
        raise SearchError("query is empty: describe what you are looking for, e.g. 'parse a date'")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(
            f"query is {len(text):,} characters long, at most {MAX_QUERY_CHARS:,}: "
            "search with a shorter passage"
        )
    return text


# The query's terms as an SQL expression of (text, MAX_TERMS): lexical search reads them in
# the statement that reads its statistics' version, one round trip for both.
TERMS = sql.SQL(
    "ARRAY(SELECT t.lexeme FROM unnest(to_tsvector('english', code_words(%s))) t"
    " ORDER BY t.positions[1] LIMIT %s)"
)


def query_terms(conn: Connection, text: str) -> list[str]:
    """The query's distinct full-text lexemes in order of appearance, split and stemmed
    exactly as the index splits chunks (``code_words`` then the english configuration)."""
    row = conn.execute(
        sql.SQL("SELECT {}").format(TERMS), [text, MAX_TERMS], prepare=True
    ).fetchone()
    assert row is not None
    return list(row[0])


Vector = npt.NDArray[np.float32]


class QueryCache:
    """A bounded LRU of query embeddings keyed by (model, query): a notebook re-runs the
    same cell often, and embedding is the slowest step of a search."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[str, str], Vector] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed(self, embedder: Embedder, text: str) -> Vector:
        key = (embedder.name, text)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        # Embedded outside the lock: a slow model must not serialise unrelated queries.
        # Its camelCase names read as words, as the chunks' names were embedded.
        vector = embedder.embed_query(identifier_words(text))
        return self.put(embedder.name, text, vector)

    def put(self, model: str, text: str, vector: npt.ArrayLike) -> Vector:
        """Remember ``vector`` as ``model``'s embedding of ``text`` (e.g. precomputed ones)."""
        stored = np.array(vector, dtype=np.float32)
        stored.setflags(write=False)
        with self._lock:
            self._items[(model, text)] = stored
            self._items.move_to_end((model, text))
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return stored

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


query_cache = QueryCache()
