"""Which model's vectors answer a meaning search: the project's own, or its first pass's.

A project with a first pass (:mod:`codelens._db.first_pass`) holds two models' vectors
while its own model embeds behind the store. One ranking uses one model's vectors, with
the query embedded by that model: cosines of two models do not compare, and a mixed list
would rank by whichever model scores higher, not by meaning.

The rule: the project's model answers once it has embedded every chunk that has a
first-pass vector; until then the first pass answers. Asked project-wide, not per search
scope, so that every search of a moment (filtered or not, semantic or hybrid) answers with
the same model and the switch happens once. Not at a share such as 90%: the chunks still
awaiting the project's model would vanish from meaning search while the first pass has
them all, and a first pass covers a library in seconds, so the wait for the last 10% is
the whole gain. One statement, on the search's own snapshot: it also reads the model
name, which the search needs anyway, and probes the partial index of chunks awaiting a
vector (empty, hence free, once the project is embedded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pgvector import HalfVector

from codelens._db.first_pass import load_first_pass
from codelens._embed.registry import get_embedder
from codelens.errors import NotIndexed

if TYPE_CHECKING:
    from codelens._db.awaiting import VectorCoverage
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder
    from codelens._search.query import Vector

__all__ = ["Answering", "answering", "answering_later"]

_ASK = """
SELECT model_name, first_pass_model,
    first_pass_model IS NOT NULL
    AND EXISTS (SELECT FROM chunks WHERE embedding IS NULL AND first_vector IS NOT NULL)
FROM embedding_metadata
"""


@dataclass(frozen=True, slots=True)
class Answering:
    """The model that answers, the column its vectors are in, and the project's model."""

    embedder: Embedder
    column: str  # "embedding" or "first_vector"
    model: str  # the project's own model
    first_pass: bool  # the first-pass model answers (the project's model is still behind)

    def parameter(self, vector: Vector) -> object:
        """The query vector as the column's type: half precision for the first pass."""
        return HalfVector(vector) if self.first_pass else vector

    def covered(self, coverage: VectorCoverage) -> tuple[int, int]:
        """(chunks the answering model has a vector for, all chunks)."""
        return (coverage.first_pass if self.first_pass else coverage.embedded, coverage.total)

    def describe(self, coverage: VectorCoverage | None) -> dict[str, Any]:
        """What results carry in ``attrs``: ``semantic_model`` and, while the first pass
        answers, ``first_pass`` (its model, the project's, and how far the latter is)."""
        described: dict[str, Any] = {"semantic_model": self.embedder.name, "first_pass": None}
        if self.first_pass and coverage is not None:
            described["first_pass"] = {
                "model": self.embedder.name,
                "until": self.model,
                "embedded": coverage.embedded,
                "total": coverage.total,
            }
        return described


def answering(conn: Connection, project: ProjectHandle) -> Answering:
    """Which model answers a meaning search of ``project`` now (see the module's rule).

    A first-pass model that cannot load (its file gone or damaged) leaves the answer to the
    project's model, over the chunks it has embedded so far: one warning, no failed search.
    """
    return answering_later(conn, project)()


def answering_later(conn: Connection, project: ProjectHandle) -> Callable[[], Answering]:
    """:func:`answering` in two steps: the statement is sent now, its answer read when the
    returned function is called (in pipeline mode, with the statements sent meanwhile)."""
    cursor = conn.execute(_ASK, prepare=True)

    def answer() -> Answering:
        row = cursor.fetchone()
        if row is None:
            raise NotIndexed.project(project.id)
        model_name, first_name, behind = row
        main = get_embedder(model_name, settings=project.settings)
        if behind:
            first = load_first_pass(first_name)
            if first is not None:
                return Answering(first, "first_vector", model_name, True)
        return Answering(main, "embedding", model_name, False)

    return answer
