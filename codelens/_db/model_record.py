"""Which embedding model a project uses, recorded in its embedding metadata on first index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psycopg import sql
from psycopg.rows import class_row

from codelens._chunk.chunker import CHUNKER_VERSION
from codelens._db.access import owns_chunks
from codelens._db.first_pass import FIRST_PASS_SPEC, load_first_pass, wanted_first_pass
from codelens._embed.base import Embedder
from codelens._embed.registry import get_embedder, resolve_embedder_spec
from codelens._embed.static import DEFAULT_STATIC_SPEC, retired_static_model
from codelens.errors import ModelMismatch, NotIndexed

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection

__all__ = [
    "EmbedderChoice",
    "EmbeddingMetadata",
    "choose_embedder",
    "clear_first_pass",
    "first_pass_model",
    "first_pass_retired",
    "index_embedder",
    "index_first_pass",
    "next_embedder",
    "read_metadata",
    "search_embedder",
]


@dataclass(frozen=True, slots=True)
class EmbeddingMetadata:
    model_name: str
    embedding_dimensions: int
    max_tokens: int
    document_prefix: str
    query_prefix: str
    chunker_version: str
    first_pass_model: str | None = None


def read_metadata(conn: Connection) -> EmbeddingMetadata | None:
    with conn.cursor(row_factory=class_row(EmbeddingMetadata)) as cur:
        cur.execute(
            "SELECT model_name, embedding_dimensions, max_tokens, document_prefix, query_prefix,"
            " chunker_version, first_pass_model FROM embedding_metadata"
        )
        return cur.fetchone()


def first_pass_retired(first: str | None) -> bool:
    """Whether ``first``, a project's first-pass model (None: none), is a static model this
    codelens no longer ships."""
    return first is not None and retired_static_model(first) is not None


def first_pass_model(project: ProjectHandle) -> str | None:
    """The first-pass model a project was indexed with; None: none, or not indexed yet."""
    with project.connection() as conn:
        meta = read_metadata(conn)
    return None if meta is None else meta.first_pass_model


def search_embedder(project: ProjectHandle) -> Embedder:
    """The model a project was indexed with, for embedding queries."""
    with project.connection() as conn:
        meta = read_metadata(conn)
    if meta is None:
        raise NotIndexed.project(project.id)
    return get_embedder(meta.model_name, settings=project.settings)


@dataclass(frozen=True, slots=True)
class EmbedderChoice:
    """The model an index run would use, and what that choice costs."""

    spec: str | None  # None: the default rule picks (a first index that names no model)
    record: bool  # the project has no model yet, or switches to this one
    replace: bool  # a switch: every stored vector is dropped
    rechunk: bool  # every file is chunked again
    # The first pass's model was retired: its vectors go, the current one's replace them
    # (codelens._index.first_pass_renewal).
    renew_first_pass: bool = False


def choose_embedder(
    project: ProjectHandle, meta: EmbeddingMetadata | None, requested: str | None, *, force: bool
) -> EmbedderChoice:
    """What :func:`index_embedder` will do, decided without writing anything.

    A project keeps the model it was first indexed with. Asking for another one is refused
    unless ``force``, which switches the model and drops every stored vector. A project
    whose model is a static model this codelens no longer ships (its vectors answer no
    query any more) switches unasked, to the current static model unless another is asked
    for; a retired first pass is replaced, the project's own vectors kept.
    """
    explicit = requested or project.info().get("embedder")
    if meta is None:
        return EmbedderChoice(explicit, record=True, replace=False, rechunk=True)
    if retired_static_model(meta.model_name) is not None:
        asked = explicit if explicit and retired_static_model(explicit) is None else None
        wanted = resolve_embedder_spec(asked) if asked else DEFAULT_STATIC_SPEC
        return EmbedderChoice(wanted, record=True, replace=True, rechunk=True)
    wanted = resolve_embedder_spec(explicit) if explicit else meta.model_name
    first = meta.first_pass_model
    renew = first_pass_retired(first)
    if wanted != meta.model_name or (first not in (None, FIRST_PASS_SPEC) and not renew):
        if not force:
            had, now = (
                (meta.model_name, wanted)
                if wanted != meta.model_name
                else (f"the first-pass model {first}", FIRST_PASS_SPEC)
            )
            raise ModelMismatch(
                f"project {project.id!r} is indexed with {had}, not {now}: "
                "re-index with index(..., force=True) to re-embed everything with the new model"
            )
        return EmbedderChoice(wanted, record=True, replace=True, rechunk=True)
    rechunk = meta.chunker_version != CHUNKER_VERSION
    return EmbedderChoice(
        meta.model_name, record=False, replace=False, rechunk=rechunk, renew_first_pass=renew
    )


def next_embedder(project: ProjectHandle) -> Embedder:
    """The model the project's next index run will use (that asks for none), writing nothing."""
    with project.connection() as conn:
        meta = read_metadata(conn)
    choice = choose_embedder(project, meta, None, force=False)
    return get_embedder(choice.spec, settings=project.settings)


def index_embedder(
    project: ProjectHandle, conn: Connection, requested: str | None, *, force: bool
) -> tuple[Embedder, bool, bool]:
    """The embedder for an index run, whether every chunk must be embedded again, and
    whether the project's retired first pass is to be replaced (which this leaves to the
    run: :mod:`codelens._index.first_pass_renewal`)."""
    choice = choose_embedder(project, read_metadata(conn), requested, force=force)
    embedder = get_embedder(choice.spec, settings=project.settings)
    if choice.record:
        _record(project, conn, embedder, replace=choice.replace)
    return embedder, choice.rechunk, choice.renew_first_pass


def index_first_pass(conn: Connection) -> Embedder | None:
    """The first-pass model of an index run (recorded at the project's first index), or None:
    the project has none, or it cannot load (one warning; the run goes on without it)."""
    meta = read_metadata(conn)
    if meta is None or meta.first_pass_model is None:
        return None
    return load_first_pass(meta.first_pass_model)


def _record(project: ProjectHandle, conn: Connection, embedder: Embedder, *, replace: bool) -> None:
    # The HNSW index is built by the indexer after the run's rows are in: one build is
    # much cheaper than maintaining the graph row by row through a first, large load.
    dims = embedder.dimensions
    with conn.transaction():
        owner = owns_chunks(conn)
        if replace:
            conn.execute("DELETE FROM chunks")
            conn.execute("DELETE FROM file_vectors")
            conn.execute("DELETE FROM embedding_metadata")
            if owner:
                conn.execute("DROP INDEX IF EXISTS chunks_embedding_hnsw")
                conn.execute("DROP INDEX IF EXISTS chunks_first_vector_hnsw")
        conn.execute(
            "INSERT INTO embedding_metadata (model_name, embedding_dimensions, max_tokens,"
            " document_prefix, query_prefix, chunker_version, first_pass_model)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                embedder.name,
                dims,
                embedder.max_tokens,
                embedder.document_prefix,
                embedder.query_prefix,
                CHUNKER_VERSION,
                wanted_first_pass(project, embedder),
            ],
        )
        if owner:
            # The dimension is a type modifier, which cannot be a bound parameter.
            conn.execute(
                sql.SQL("ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({})").format(
                    sql.Literal(int(dims))
                )
            )
        else:
            # Only the owner may alter the table: a writer asks the registry's function,
            # which also drops the HNSW index of the old model.
            conn.execute("SELECT codelens.type_embeddings(current_schema(), %s)", [int(dims)])
        conn.execute(
            "UPDATE codelens.projects SET embedding_model = %s, embedding_dimensions = %s"
            " WHERE id = %s",
            [embedder.name, dims, project.id],
        )


def clear_first_pass(project: ProjectHandle, conn: Connection, embedder: Embedder) -> str | None:
    """Drop every first-pass vector and record the first pass the project wants now (for
    its model ``embedder``); that first pass's name, or None for none. The project's own
    vectors stay. The caller gives the chunks their new vectors in the same transaction."""
    wanted = wanted_first_pass(project, embedder)
    with conn.transaction():
        conn.execute("UPDATE chunks SET first_vector = NULL WHERE first_vector IS NOT NULL")
        conn.execute("DELETE FROM file_vectors WHERE embedding IS NULL")
        conn.execute("UPDATE file_vectors SET first_vector = NULL WHERE first_vector IS NOT NULL")
        if owns_chunks(conn):
            # Built again once the new vectors are in: one build, not a row-by-row upkeep.
            conn.execute("DROP INDEX IF EXISTS chunks_first_vector_hnsw")
        conn.execute("UPDATE embedding_metadata SET first_pass_model = %s", [wanted])
    return wanted


def update_chunker_version(conn: Connection) -> None:
    conn.execute("UPDATE embedding_metadata SET chunker_version = %s", [CHUNKER_VERSION])
