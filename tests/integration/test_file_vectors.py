"""File vectors: each file's normalised mean chunk vector, per model, kept with its chunks.

Against the real server, tree-sitter, the local MiniLM and the bundled static model (the
first pass).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from psycopg import sql

from codelens import Project, Workspace
from codelens._db.migrations import latest, migrate_project
from codelens._embed.registry import get_embedder
from codelens._embed.static import DEFAULT_STATIC_SPEC
from codelens._index.lock import embed_lock
from codelens._index.run import index_repository
from codelens._search.answering import answering
from codelens._search.file_cosines import file_cosines_later
from codelens._search.query import query_cache
from tests.integration.test_indexer import BILLING, make_repo
from tests.integration.test_progressive import _many_files, stop_embedding_after


@pytest.fixture
def project(workspace: Workspace) -> Iterator[Project]:
    name = f"t-fvec-{uuid.uuid4().hex[:12]}"
    created = workspace.create(name, embedder="local")  # with the default first pass
    yield created
    if workspace.exists(name):
        workspace.drop(name, force=True)


def _rows(project: Project, query: str) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return list(conn.execute(query))


def _means(project: Project, column: str) -> dict[str, np.ndarray]:
    """Path -> the normalised mean of the file's chunk vectors in ``column``, computed
    here, for the files whose every chunk has one."""
    found: dict[str, list[Any]] = {}
    for path, vector in _rows(project, f"SELECT path, {column} FROM chunks"):
        found.setdefault(path, []).append(vector)
    means = {}
    for path, vectors in found.items():
        if any(v is None for v in vectors):
            continue
        mean = np.mean([np.asarray(v.to_numpy(), np.float64) for v in vectors], axis=0)
        means[path] = mean / np.linalg.norm(mean)
    return means


def _stored(project: Project, column: str) -> dict[str, np.ndarray]:
    """Path -> the file's stored vector for ``column``'s model."""
    rows = _rows(
        project,
        f"SELECT f.path, v.{column} FROM file_vectors v JOIN files f ON f.id = v.file_id"
        f" WHERE v.{column} IS NOT NULL",
    )
    return {path: np.asarray(vector.to_numpy(), np.float64) for path, vector in rows}


def _agree(project: Project, column: str) -> set[str]:
    """The stored vectors are exactly the files whose chunks all have one, each its mean;
    those files."""
    means, stored = _means(project, column), _stored(project, column)
    assert stored.keys() == means.keys()
    tolerance = 2e-3 if column == "first_vector" else 1e-5  # half precision
    for path, mean in means.items():
        assert np.allclose(stored[path], mean, atol=tolerance), path
    return set(stored)


def test_the_store_writes_each_files_first_pass_vector_and_the_embedding_pass_its_models(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False, embed="later")
    with_chunks = {r[0] for r in _rows(project, "SELECT DISTINCT path FROM chunks")}
    assert "src/billing.py" in with_chunks
    # Stored with the chunks: the first pass's mean of every file; the model's of none.
    assert _agree(project, "first_vector") == with_chunks
    assert _agree(project, "embedding") == set()

    project.embed_pending(progress=False)
    assert _agree(project, "embedding") == with_chunks
    assert _agree(project, "first_vector") == with_chunks


def test_a_changed_file_gets_its_new_mean_and_a_deleted_file_loses_its_vector(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False)
    before = _stored(project, "embedding")
    (repo / "src" / "billing.py").write_text(
        BILLING.replace("Charges a card", "Renders an HTML receipt of a card payment")
    )
    (repo / "src" / "ui.js").unlink()
    project.index(repo, progress=False, embed="later")
    # The changed file awaits its model's vectors: no mean of its old chunks is left...
    stored = _stored(project, "embedding")
    assert "src/billing.py" not in stored and "src/ui.js" not in stored
    assert stored.keys() == before.keys() - {"src/billing.py", "src/ui.js"}
    assert "src/ui.js" not in _stored(project, "first_vector")
    # ... while its first-pass mean is the new chunks', stored with them.
    assert "src/billing.py" in _agree(project, "first_vector")

    project.embed_pending(progress=False)
    assert "src/billing.py" in _agree(project, "embedding")
    assert not np.allclose(
        _stored(project, "embedding")["src/billing.py"], before["src/billing.py"]
    )
    assert _rows(
        project,
        "SELECT count(*) FROM file_vectors v LEFT JOIN files f"
        " ON f.id = v.file_id WHERE f.id IS NULL",
    ) == [(0,)]


def test_an_interrupted_embedding_pass_leaves_means_only_of_files_it_finished(
    project: Project, tmp_path: Path
) -> None:
    repo = _many_files(tmp_path / "mods", files=6, functions=10)
    cancel, stop_midway = stop_embedding_after(24)
    report = index_repository(
        project.handle, repo, progress=False, on_progress=stop_midway, cancel=cancel, embed_batch=8
    )
    assert report.interrupted
    finished = _agree(project, "embedding")
    partly = {
        r[0] for r in _rows(project, "SELECT DISTINCT path FROM chunks WHERE embedding IS NULL")
    }
    # Ten chunks a file, batches of 8: some files whole, at least one not.
    assert finished and partly and not finished & partly
    project.embed_pending(progress=False)
    assert _agree(project, "embedding") == {f"mod{i}.py" for i in range(6)}


def test_the_migration_fills_the_vectors_of_a_project_indexed_before_it(
    project: Project, workspace: Workspace, tmp_path: Path
) -> None:
    project.index(make_repo(tmp_path / "payments"), progress=False)
    schema = sql.Identifier(project.handle.schema)
    with workspace.db.connection() as conn, conn.transaction():
        # As the project was before migration 0009.
        conn.execute(sql.SQL("DROP TABLE {}.file_vectors").format(schema))
        conn.execute(sql.SQL("DELETE FROM {}.schema_migrations WHERE version >= 9").format(schema))
    with workspace.db.connection() as conn:
        assert migrate_project(conn, project.id) == list(range(9, latest("project") + 1))
    with_chunks = {r[0] for r in _rows(project, "SELECT DISTINCT path FROM chunks")}
    assert _agree(project, "embedding") == with_chunks
    assert _agree(project, "first_vector") == with_chunks


def test_replacing_the_projects_model_drops_the_old_models_file_vectors(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False)
    assert _stored(project, "embedding")
    project.index(repo, progress=False, embedder="static", force=True)
    # The new model's means (static: 256 wide) replace the old model's (384).
    stored = _stored(project, "embedding")
    assert stored and {len(v) for v in stored.values()} == {256}
    _agree(project, "embedding")


# billing.py's Charger retries a declined charge after retry_delay's wait.
QUESTION = "wait before trying a declined card charge again"


def _cosines(project: Project, model: str, column: str) -> dict[int, float]:
    """File id -> the cosine of ``model``'s query vector with the file's mean, here."""
    query = get_embedder(model).embed_query(QUESTION)
    ids = dict(_rows(project, "SELECT path, id FROM files"))
    return {ids[p]: float(m @ query) for p, m in _means(project, column).items()}


def _file_cosines(project: Project) -> dict[int, float]:
    """What search reads: by the answering model, for every file of the project."""
    with project.connection() as conn:
        answer = answering(conn, project.handle)
        # One chunk of each file stands for its candidates.
        chunks = [r[0] for r in conn.execute("SELECT min(id) FROM chunks GROUP BY file_id")]
        query = query_cache.embed(answer.embedder, QUESTION)
        return file_cosines_later(conn, answer, query, chunks)()


def test_search_reads_the_files_cosines_of_the_model_that_answers_never_the_other(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    with embed_lock(project.handle):
        project.index(repo, progress=False, embed="later")
        # The first pass answers: its query vector against its own means.
        early = _file_cosines(project)
        assert early and early == pytest.approx(
            _cosines(project, DEFAULT_STATIC_SPEC, "first_vector"), abs=2e-3
        )
    project.embed_pending(progress=False)
    late = _file_cosines(project)
    assert late == pytest.approx(_cosines(project, "local:all-MiniLM-L6-v2", "embedding"), abs=1e-4)
    with project.connection() as conn:
        assert file_cosines_later(conn, None, None, [1])() == {}  # lexical: no query vector


def test_hybrid_search_lifts_the_results_of_the_file_nearest_the_query_and_skips_files_without(
    project: Project, tmp_path: Path
) -> None:
    project.index(make_repo(tmp_path / "payments"), progress=False)
    with_vectors = project.search(QUESTION, limit=10)
    words = project.search(QUESTION, mode="lexical", limit=10)
    with project.connection() as conn:
        conn.execute("DELETE FROM file_vectors")  # as while every file awaits its vectors
    without = project.search(QUESTION, limit=10)
    assert project.search(QUESTION, mode="lexical", limit=10).equals(words)
    cosines = _cosines(project, "local:all-MiniLM-L6-v2", "embedding")
    ids = dict(_rows(project, "SELECT path, id FROM files"))
    shown = set(with_vectors["path"]) & set(without["path"])
    nearest = max(shown, key=lambda p: cosines[ids[p]])
    assert nearest == "src/billing.py"

    def best(results: Any, path: str) -> float:
        return float(results.loc[results["path"] == path, "score"].max())

    assert best(with_vectors, nearest) > best(without, nearest)
    # Without vectors the search still answers, from the same candidates.
    assert set(without["path"]) == set(with_vectors["path"])
