"""The first pass: the static model's vectors answer meaning search until the project's own
model has embedded the chunks, and one ranking never mixes the two models' vectors.

Against the real server, tree-sitter, the bundled static model and the local MiniLM.
"""

from __future__ import annotations

import html
import threading
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from codelens import Project, Workspace
from codelens._chunk.types import embedding_text_of
from codelens._db.awaiting import vector_coverage
from codelens._embed import static as static_module
from codelens._embed.registry import clear_embedder_cache, get_embedder
from codelens._embed.static import DEFAULT_STATIC_SPEC, StaticEmbedder
from codelens._index.lock import embed_lock
from codelens._index.report import IndexProgress
from codelens._index.run import index_repository
from codelens._search.query import query_cache
from codelens._status import status_lines
from codelens.errors import ModelMismatch
from tests.integration.test_indexer import make_repo
from tests.integration.test_progressive import _many_files, stop_embedding_after

MINILM = "local:all-MiniLM-L6-v2"
# billing.py's Charger retries a declined charge after retry_delay's wait; nothing else
# in the repository speaks of cards or retries.
QUESTION = "wait before trying a declined card charge again"


def _new(workspace: Workspace, **options: Any) -> Iterator[Project]:
    name = f"t-first-{uuid.uuid4().hex[:12]}"
    created = workspace.create(name, embedder="local", **options)
    yield created
    if workspace.exists(name):
        workspace.drop(name, force=True)


@pytest.fixture
def project(workspace: Workspace) -> Iterator[Project]:
    yield from _new(workspace)


@pytest.fixture
def no_first_pass(workspace: Workspace) -> Iterator[Project]:
    yield from _new(workspace, first_pass=False)


def _rows(project: Project, query: str) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return list(conn.execute(query))


def _scores_are(project: Project, results: Any, column: str, model: str, query: str) -> None:
    """Every score of a semantic ranking is the cosine of ``model``'s query vector to the
    chunk's vector in ``column``: one model ranked them all."""
    vector = get_embedder(model).embed_query(query)
    ids = [int(r["part_ids"][0]) if r["parts"] == 1 else None for _, r in results.iterrows()]
    stored = {
        int(i): np.asarray(v.to_numpy(), np.float32)
        for i, v in _rows(project, f"SELECT id, {column} FROM chunks WHERE {column} IS NOT NULL")
    }
    checked = 0
    for cid, score in zip(ids, results["score"], strict=True):
        if cid is None:
            continue
        assert cid in stored, cid
        doc = stored[cid] / np.linalg.norm(stored[cid])
        # Half precision for the first pass: cosines agree to about 1e-3.
        assert abs(float(doc @ vector) - score) < 2e-3, (cid, score)
        checked += 1
    assert checked > 0


def test_a_fresh_project_answers_meaning_from_the_first_pass_before_the_worker_embeds(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    # The worker waits for the embedding lock this test holds: nothing of the project's
    # own model lands until it is released.
    with embed_lock(project.handle):
        report = project.index(repo, progress=False, embed="background")
        assert report.embedding is not None and report.chunks_awaiting > 0
        early = project.search(QUESTION, mode="semantic", limit=3)
        hybrid = project.search(QUESTION, limit=3)
        with project.connection() as conn:
            covered = vector_coverage(conn)
    assert covered.embedded == 0 and covered.first_pass == covered.total > 0
    assert early.attrs["semantic_model"] == DEFAULT_STATIC_SPEC
    assert early.attrs["first_pass"] == {
        "model": DEFAULT_STATIC_SPEC,
        "until": MINILM,
        "embedded": 0,
        "total": covered.total,
    }
    assert "src/billing.py" in list(early["path"])
    assert "src/billing.py" in list(hybrid["path"])[:2]
    note = early.meaning_note
    assert note is not None and "first-pass model" in note and "0% so far" in note
    assert note in repr(early) and html.escape(note) in early._repr_html_()
    _scores_are(project, early, "first_vector", DEFAULT_STATIC_SPEC, QUESTION)

    report.embedding.wait(120)
    late = project.search(QUESTION, mode="semantic", limit=3)
    assert late.attrs["semantic_model"] == MINILM and late.attrs["first_pass"] is None
    assert late.meaning_note is None and late.semantic_coverage is None
    assert late["path"].iloc[0] == "src/billing.py"
    _scores_are(project, late, "embedding", MINILM, QUESTION)


def test_the_first_pass_answers_until_the_projects_model_covers_every_chunk_never_a_mix(
    project: Project, tmp_path: Path
) -> None:
    project.index(_many_files(tmp_path / "mods", files=6, functions=10), embed="later")
    query = "serve route 3 of module 2"
    cancel, stop_after_a_batch = stop_embedding_after(1)
    project.embed_pending(progress=False, on_progress=stop_after_a_batch, cancel=cancel)
    with project.connection() as conn:
        covered = vector_coverage(conn)
    assert 0 < covered.embedded < covered.total  # part of the project has MiniLM's vectors
    partial = project.search(query, mode="semantic", limit=10)
    assert partial.attrs["semantic_model"] == DEFAULT_STATIC_SPEC
    assert partial.attrs["first_pass"]["embedded"] == covered.embedded
    _scores_are(project, partial, "first_vector", DEFAULT_STATIC_SPEC, query)
    lines = "\n".join(status_lines(project.workspace, project))
    assert f"first pass: {DEFAULT_STATIC_SPEC}, {covered.total:,} of {covered.total:,}" in lines
    assert "answers meaning search until" in lines
    # The chunks awaiting MiniLM are found by meaning all the same, through the first pass.
    assert "found by words only" not in lines
    assert "found by meaning through the first pass until embedded" in lines

    project.embed_pending(progress=False)
    done = project.search(query, mode="semantic", limit=10)
    assert done.attrs["semantic_model"] == MINILM
    _scores_are(project, done, "embedding", MINILM, query)
    assert "the project's model answers meaning search" in "\n".join(
        status_lines(project.workspace, project)
    )


def test_with_the_first_pass_off_meaning_search_waits_for_the_projects_model(
    no_first_pass: Project, tmp_path: Path
) -> None:
    no_first_pass.index(make_repo(tmp_path / "payments"), progress=False, embed="later")
    assert _rows(no_first_pass, "SELECT count(*) FROM chunks WHERE first_vector IS NOT NULL") == [
        (0,)
    ]
    meaning = no_first_pass.search(QUESTION, mode="semantic", limit=3)
    total = meaning.semantic_coverage[1] if meaning.semantic_coverage else 0
    assert len(meaning) == 0 and meaning.semantic_coverage == (0, total) and total > 0
    assert meaning.attrs["semantic_model"] == MINILM and meaning.attrs["first_pass"] is None
    assert meaning.meaning_note is not None and "meaning search covers 0 of" in (
        meaning.meaning_note
    )
    assert "first pass" not in "\n".join(status_lines(no_first_pass.workspace, no_first_pass))


def test_the_workspace_setting_turns_the_first_pass_off_for_new_projects(
    settings: Any, tmp_path: Path
) -> None:
    from dataclasses import replace

    ws = Workspace(replace(settings, first_pass=False))
    try:
        for created in _new(ws):
            created.index(make_repo(tmp_path / "payments"), progress=False, embed="later")
            hits = created.search(QUESTION, mode="semantic", limit=3)
            assert hits.attrs["semantic_model"] == MINILM and len(hits) == 0
    finally:
        ws.close()


def test_an_interrupted_run_leaves_whole_batches_each_with_its_first_pass_vectors(
    project: Project, tmp_path: Path
) -> None:
    repo = _many_files(tmp_path / "mods", files=12, functions=4)
    cancel = threading.Event()

    def stop_after_a_batch(tick: IndexProgress) -> None:
        if tick.stage == "store" and tick.files_done > 0:
            cancel.set()

    report = index_repository(
        project.handle,
        repo,
        progress=False,
        embed="later",
        batch_files=2,
        cancel=cancel,
        on_progress=stop_after_a_batch,
    )
    assert report.interrupted
    files = _rows(project, "SELECT count(*) FROM files")[0][0]
    assert 0 < files < 12
    # Every stored chunk came with its first-pass vector, in the same write, and each
    # stored file has all its chunks (four functions each).
    assert _rows(project, "SELECT count(*), count(first_vector) FROM chunks") == [
        (files * 4, files * 4)
    ]
    # Each is the static model's vector of its chunk's own text.
    model = StaticEmbedder()
    rows = _rows(project, "SELECT path, symbol, embed_header, content, first_vector FROM chunks")
    texts = [embedding_text_of(p, s, h, c) for p, s, h, c, _ in rows]
    for row, vector in zip(rows, model.embed_documents(texts), strict=True):
        assert np.allclose(row[4].to_numpy(), vector, atol=2e-3), row[0]
    project.index(repo, progress=False, embed="later")
    assert _rows(project, "SELECT count(*), count(first_vector) FROM chunks") == [(48, 48)]


def test_a_broken_static_model_file_indexes_as_without_a_first_pass_with_one_warning(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "static-code-v1.npz"
    broken.write_bytes(b"not a zip")
    monkeypatch.setattr(static_module, "STATIC_MODEL_FILE", broken)
    clear_embedder_cache()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = project.index(make_repo(tmp_path / "payments"), progress=False, embed="later")
        said = [str(w.message) for w in caught if "first pass" in str(w.message)]
        assert len(said) == 1 and "damaged" in said[0], said
        assert not report.interrupted and report.files_failed == 0
        assert _rows(project, "SELECT count(first_vector), count(*) FROM chunks")[0][0] == 0
        hits = project.search(QUESTION, mode="semantic", limit=3)
        assert hits.attrs["semantic_model"] == MINILM and len(hits) == 0
    finally:
        monkeypatch.undo()
        clear_embedder_cache()
        query_cache.clear()


def test_a_project_whose_first_pass_file_breaks_later_searches_with_its_own_model(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.index(make_repo(tmp_path / "payments"), progress=False, embed="later")
    broken = tmp_path / "missing.npz"
    monkeypatch.setattr(static_module, "STATIC_MODEL_FILE", broken)
    clear_embedder_cache()
    query_cache.clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hits = project.search(QUESTION, mode="semantic", limit=3)
        assert [w for w in caught if "first pass" in str(w.message)]
        assert hits.attrs["semantic_model"] == MINILM and len(hits) == 0
    finally:
        monkeypatch.undo()
        clear_embedder_cache()


def test_a_changed_first_pass_model_is_a_model_mismatch_until_a_forced_reindex(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False, embed="later")
    with project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET first_pass_model = 'static:older-model'")
        conn.commit()
    with pytest.raises(ModelMismatch, match="first-pass model static:older-model"):
        project.index(repo, progress=False, embed="later")
    project.index(repo, progress=False, embed="later", force=True)
    assert _rows(project, "SELECT first_pass_model FROM embedding_metadata") == [
        (DEFAULT_STATIC_SPEC,)
    ]
    assert _rows(project, "SELECT count(*) = count(first_vector) FROM chunks") == [(True,)]


def test_an_inline_model_gets_no_first_pass(workspace: Workspace, tmp_path: Path) -> None:
    name = f"t-first-static-{uuid.uuid4().hex[:8]}"
    created = workspace.create(name, embedder="static")
    try:
        created.index(make_repo(tmp_path / "payments"), progress=False, embed="wait")
        assert _rows(created, "SELECT first_pass_model FROM embedding_metadata") == [(None,)]
        hits = created.search(QUESTION, mode="semantic", limit=3)
        assert hits.attrs["semantic_model"] == DEFAULT_STATIC_SPEC
        assert hits.attrs["first_pass"] is None
    finally:
        workspace.drop(name, force=True)


def test_a_second_repository_reuses_the_first_pass_vectors_of_the_same_texts(
    project: Project, tmp_path: Path
) -> None:
    project.index(make_repo(tmp_path / "a" / "payments"), progress=False, embed="later")
    first = project.index(make_repo(tmp_path / "b" / "payments"), progress=False, embed="later")
    # Same relative paths and contents: every text has its first-pass vector already.
    assert "first pass" not in first.seconds
    rows = _rows(
        project,
        "SELECT content_hash, count(DISTINCT first_vector::text), count(*) FROM chunks"
        " GROUP BY content_hash",
    )
    assert rows and all(kinds == 1 and n == 2 for _, kinds, n in rows)


def _retire_first_pass(project: Project) -> list[tuple[Any, ...]]:
    """Make the project as an earlier codelens left it: a first pass it no longer ships,
    with that model's vectors (one for all, as good as any for a model nothing loads)."""
    with project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET first_pass_model = 'static:static-code-v1'")
        conn.execute("UPDATE chunks SET first_vector = (SELECT first_vector FROM chunks LIMIT 1)")
    return _rows(project, "SELECT id, first_vector::text FROM chunks ORDER BY id")


def _current_first_pass_everywhere(project: Project) -> None:
    rows = _rows(project, "SELECT path, symbol, embed_header, content, first_vector FROM chunks")
    assert rows and all(r[4] is not None for r in rows), [r[0] for r in rows if r[4] is None]
    static = StaticEmbedder()
    for row in rows:
        text = embedding_text_of(*row[:4])
        assert np.allclose(row[4].to_numpy(), static.embed_query(text), atol=2e-3), row[0]


def test_a_retired_first_pass_is_replaced_by_the_next_index_run_the_projects_vectors_kept(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False, embed="wait")
    mine_query = (
        "SELECT path, chunk_index, embedding::text FROM chunks"
        " WHERE path <> 'src/refunds.py' ORDER BY path, chunk_index"
    )
    mine = _rows(project, mine_query)
    assert mine and all(vector is not None for *_, vector in mine)
    _retire_first_pass(project)
    (repo / "src" / "refunds.py").write_text(
        "def refund_charge(charge):\n    return gateway.refund(charge.id)\n"
    )
    ticks: list[IndexProgress] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = project.index(repo, progress=False, embed="later", on_progress=ticks.append)
    assert [str(w.message) for w in caught if "first pass" in str(w.message)] == []
    assert _rows(project, "SELECT first_pass_model FROM embedding_metadata") == [
        (DEFAULT_STATIC_SPEC,)
    ]
    renewal = [t for t in ticks if t.stage == "first pass"]
    assert renewal and renewal[-1].chunks_done == renewal[-1].chunks_total > 0
    # The project's own vectors stay; every chunk, not only those the run wrote, has the
    # current first pass's vector of its text.
    assert _rows(project, mine_query) == mine
    _current_first_pass_everywhere(project)
    assert _rows(
        project,
        "SELECT count(*) FROM file_vectors WHERE first_vector IS NULL",
    ) == [(0,)]
    # refunds.py awaits MiniLM, so the first pass answers meaning search: over the whole
    # project, the files stored before the renewal included.
    query_cache.clear()
    hits = project.search(QUESTION, mode="semantic", limit=3)
    assert hits.attrs["semantic_model"] == DEFAULT_STATIC_SPEC
    assert "src/billing.py" in list(hits["path"])
    refund = project.search("give the money of a charge back", mode="semantic", limit=3)
    assert refund.attrs["semantic_model"] == DEFAULT_STATIC_SPEC
    assert "refund_charge" in list(refund["symbol"])
    assert not report.interrupted and report.seconds["first-pass renewal"] > 0


def test_an_interrupted_renewal_of_a_retired_first_pass_changes_nothing_the_next_run_renews(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False, embed="wait")
    old = _retire_first_pass(project)
    cancel = threading.Event()

    def stop_at_the_renewal(tick: IndexProgress) -> None:
        if tick.stage == "first pass":
            cancel.set()

    report = project.index(
        repo, progress=False, embed="later", on_progress=stop_at_the_renewal, cancel=cancel
    )
    assert report.interrupted and report.files_indexed == 0
    assert _rows(project, "SELECT first_pass_model FROM embedding_metadata") == [
        ("static:static-code-v1",)
    ]
    assert _rows(project, "SELECT id, first_vector::text FROM chunks ORDER BY id") == old
    capsys.readouterr()
    assert project.index(repo, embed="later").interrupted is False
    chunks = len(old)
    assert "first-pass vectors: 100%" in capsys.readouterr().err
    _current_first_pass_everywhere(project)
    assert len(_rows(project, "SELECT id FROM chunks")) == chunks


def test_a_retired_first_pass_with_the_first_pass_turned_off_goes_with_its_vectors(
    no_first_pass: Project, tmp_path: Path
) -> None:
    project = no_first_pass
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False, embed="wait")
    with project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET first_pass_model = 'static:static-code-v1'")
        conn.execute(
            "UPDATE chunks SET first_vector = ('[0.5' || repeat(',0.5', 255) || ']')::halfvec"
        )
    assert (
        "first pass: static:static-code-v1 is no longer shipped; the project's model answers"
        " meaning search, and the next index run drops its vectors (the first pass is turned"
        " off)" in status_lines(project.workspace, project)
    )
    report = project.index(repo, progress=False, embed="later")
    assert not report.interrupted
    assert _rows(project, "SELECT first_pass_model FROM embedding_metadata") == [(None,)]
    assert _rows(project, "SELECT count(*) FROM chunks WHERE first_vector IS NOT NULL") == [(0,)]
    hits = project.search(QUESTION, mode="semantic", limit=3)
    assert hits.attrs["semantic_model"] == MINILM
    assert hits["path"].iloc[0] == "src/billing.py"


def test_a_retired_first_pass_answers_no_search_the_projects_model_does(
    project: Project, tmp_path: Path
) -> None:
    project.index(make_repo(tmp_path / "payments"), progress=False, embed="later")
    with project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET first_pass_model = 'static:static-code-v1'")
    query_cache.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hits = project.search(QUESTION, mode="semantic", limit=3)
    said = [str(w.message) for w in caught if "first pass" in str(w.message)]
    assert len(said) == 1 and "static:static-code-v1 is no longer shipped" in said[0], said
    assert hits.attrs["semantic_model"] == MINILM and len(hits) == 0
    # Status says which model answers, and what the next run does about the old one.
    lines = status_lines(project.workspace, project)
    assert (
        "first pass: static:static-code-v1 is no longer shipped; the project's model answers"
        f" meaning search, and the next index run gives every chunk {DEFAULT_STATIC_SPEC}'s"
        " vectors" in lines
    ), lines
