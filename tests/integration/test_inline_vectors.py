"""An inline embedder (the static model): vectors stored with the chunks, in the same write.

Against the real server, tree-sitter and the bundled static model: no chunk of a run
awaits a vector when ``index()`` returns, whatever the embed mode but ``"later"``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from codelens import Project, Workspace
from codelens._chunk.types import embedding_text_of
from codelens._db.awaiting import any_awaiting, awaiting_count, vector_coverage
from codelens._embed.base import embeds_inline
from codelens._embed.onnx import OnnxEmbedder
from codelens._embed.static import StaticEmbedder
from codelens._index.report import IndexProgress
from codelens._index.run import index_repository
from codelens._index.vector_index import has_vector_index
from codelens._index.vectors import EmbedReport
from codelens.errors import EmbedderError
from tests.integration.test_indexer import make_repo
from tests.integration.test_progressive import _many_files, _rows, _state


@pytest.fixture
def static(workspace: Workspace) -> Iterator[Project]:
    name = f"t-static-{uuid.uuid4().hex[:12]}"
    created = workspace.create(name, embedder="static")
    yield created
    if workspace.exists(name):
        workspace.drop(name, force=True)


def _vectors_are_the_models(project: Project) -> int:
    """Every chunk has its vector, the static model's for its text; how many chunks."""
    rows = _rows(
        project,
        "SELECT path, symbol, embed_header, content, embedding, token_count, truncated FROM chunks",
    )
    model = StaticEmbedder()
    texts = [embedding_text_of(p, s, h, c) for p, s, h, c, *_ in rows]
    vectors, counts = model.embed_counted(texts)
    for row, vector, count in zip(rows, vectors, counts, strict=True):
        stored, tokens, truncated = row[4], row[5], row[6]
        assert stored is not None, row[0]
        assert np.allclose(stored.to_numpy(), vector, atol=1e-6), row[0]
        assert (tokens, truncated) == (count, count > model.max_tokens)
    return len(rows)


def test_only_the_static_model_embeds_inline() -> None:
    assert embeds_inline(StaticEmbedder())
    assert not embeds_inline(OnnxEmbedder())


def test_a_static_project_has_every_vector_when_index_returns_in_the_background_mode(
    static: Project, tmp_path: Path
) -> None:
    ticks: list[IndexProgress] = []
    report = static.index(
        make_repo(tmp_path / "payments"),
        progress=False,
        embed="background",
        on_progress=ticks.append,
    )
    # Right away, before any background worker could have done anything.
    with static.connection() as conn:
        assert not any_awaiting(conn) and awaiting_count(conn) == 0
        coverage = vector_coverage(conn)
    total = coverage.total
    assert total > 0 and coverage.complete
    assert report.chunks_awaiting == 0
    assert report.chunks_added == report.chunks_embedded == total
    assert report.chunks_reused == 0
    assert static.counts()["chunks_awaiting_vectors"] == 0
    stored = [t for t in ticks if t.stage == "store"]
    assert stored[-1].chunks_done == stored[-1].chunks_total == total

    found = static.search("seconds to wait before trying a charge again", mode="semantic")
    assert found.semantic_coverage is None  # complete: nothing to say
    assert "retry_delay" in found["symbol"].head(3).tolist()
    assert _vectors_are_the_models(static) == total

    # What the worker has left to do on a first load is the HNSW index, nothing to embed.
    job = report.embedding
    assert job is not None
    done = job.wait(60)
    assert (done.chunks_embedded, done.chunks_awaiting) == (0, 0)
    with static.connection() as conn:
        assert has_vector_index(conn)


def test_wait_builds_the_index_and_a_rerun_reuses_every_unchanged_vector(
    static: Project, tmp_path: Path
) -> None:
    repo = _many_files(tmp_path / "many", files=8, functions=6)
    first = static.index(repo, progress=False, embed="wait")
    with static.connection() as conn:
        assert has_vector_index(conn) and awaiting_count(conn) == 0
    total = _rows(static, "SELECT count(*) FROM chunks")[0][0]
    assert first.chunks_embedded == first.chunks_added == total
    before = _state(static)

    assert static.index(repo, progress=False).chunks_added == 0  # nothing changed

    (repo / "mod0.py").write_text((repo / "mod0.py").read_text() + "\nLIMIT = 5\n")
    (repo / "copy.py").write_text((repo / "mod1.py").read_text())  # known texts, a new path
    again = static.index(repo, progress=False, embed="background")
    assert again.embedding is None  # no chunk awaits and the index exists: no worker
    assert again.chunks_awaiting == 0
    after = _state(static)
    rewritten = sum(1 for path, _ in after if path in ("mod0.py", "copy.py"))
    copied = sum(1 for path, _ in after if path == "copy.py")
    # mod0's unchanged functions keep their texts (and vectors); a chunk's text names its
    # path, so copy.py's are new texts, embedded as they are stored.
    assert again.chunks_embedded == again.chunks_added
    assert again.chunks_reused + again.chunks_embedded == rewritten
    assert again.chunks_reused > 0 and again.chunks_embedded >= copied
    for key, value in before.items():
        if key[0] != "mod0.py":
            assert np.array_equal(after[key][3], value[3]), key  # untouched rows keep theirs
    assert all(v[3] is not None for v in after.values())
    _vectors_are_the_models(static)


def test_later_stores_without_vectors_even_for_the_static_model(
    static: Project, tmp_path: Path
) -> None:
    report = static.index(make_repo(tmp_path / "payments"), progress=False, embed="later")
    total = _rows(static, "SELECT count(*) FROM chunks")[0][0]
    assert report.chunks_embedded == 0 and report.chunks_awaiting == report.chunks_added == total
    assert report.embedding is None
    done = static.embed_pending(progress=False)
    assert isinstance(done, EmbedReport)
    assert (done.chunks_embedded, done.chunks_awaiting) == (total, 0)
    _vectors_are_the_models(static)


def test_an_interrupted_static_run_leaves_whole_batches_each_with_its_vectors(
    static: Project, tmp_path: Path
) -> None:
    repo = _many_files(tmp_path / "many", files=40, functions=3)
    cancel = threading.Event()

    def stop(tick: IndexProgress) -> None:
        if tick.stage == "store" and tick.files_done:
            cancel.set()

    report = index_repository(
        static.handle, repo, progress=False, batch_files=4, cancel=cancel, on_progress=stop
    )
    assert report.interrupted
    files = _rows(static, "SELECT count(*) FROM files")[0][0]
    assert 0 < files < 40
    # Every stored file has all its chunks (3 functions each) and every chunk its vector.
    assert _rows(static, "SELECT count(*) FROM chunks")[0][0] == 3 * files
    with static.connection() as conn:
        assert awaiting_count(conn) == 0
    assert report.chunks_embedded == 3 * files

    rest = static.index(repo, progress=False)
    assert not rest.interrupted and rest.chunks_awaiting == 0
    assert _rows(static, "SELECT count(*) FROM files")[0][0] == 40
    assert _vectors_are_the_models(static) == 120
    with static.connection() as conn:
        assert has_vector_index(conn)


def test_a_text_the_inline_model_fails_on_awaits_the_embed_phase(
    static: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = StaticEmbedder.embed_counted

    def fails_while_storing(self: StaticEmbedder, texts: Any) -> Any:
        if threading.current_thread().name.startswith("codelens-chunk"):
            raise EmbedderError("the model could not embed this batch")
        return real(self, texts)

    monkeypatch.setattr(StaticEmbedder, "embed_counted", fails_while_storing)
    report = static.index(make_repo(tmp_path / "payments"), progress=False, embed="wait")
    total = _rows(static, "SELECT count(*) FROM chunks")[0][0]
    # Stored awaiting, then embedded by the second phase, as with any other model.
    assert report.chunks_added == report.chunks_embedded == total
    assert report.chunks_awaiting == 0 and not report.failures
    _vectors_are_the_models(static)


def test_a_background_reindex_of_several_repositories_leaves_nothing_awaiting(
    static: Project, tmp_path: Path
) -> None:
    one = _many_files(tmp_path / "one", files=3, functions=2)
    two = make_repo(tmp_path / "two")
    static.index(one, progress=False, embed="wait")
    static.index(two, progress=False, embed="wait")
    (one / "mod0.py").write_text("def fresh_handler(x):\n    return x * 7\n")
    (two / "src" / "new.py").write_text("def another_fresh_one(y):\n    return y - 1\n")
    reports = static.reindex(progress=False, embed="background")
    assert [r.chunks_awaiting for r in reports] == [0, 0]
    assert all(r.chunks_embedded > 0 for r in reports)
    with static.connection() as conn:
        assert awaiting_count(conn) == 0
    _vectors_are_the_models(static)
