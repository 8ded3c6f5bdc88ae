"""Store first, embed behind: searchable by words at once, by meaning as vectors land.

Against the real server, tree-sitter and the local model; a child process that is
killed with SIGKILL runs the real ``codelens index`` (slowed where a phase must last).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from codelens import Project, Settings, Workspace
from codelens._chunk.types import embedding_text_of
from codelens._index.report import IndexProgress, IndexReport
from codelens._index.run import STORE_WRITERS, index_repository
from codelens._index.vector_index import ensure_vector_index
from codelens._index.vectors import EmbedReport
from codelens._notebook.magics import load_ipython_extension, unload_ipython_extension
from codelens._search import coverage
from codelens._search.answering import answering
from codelens._search.engine import _semantic
from codelens._search.filters import Filters
from codelens._search.query import query_cache
from codelens._search.results import coverage_note
from tests.integration.test_indexer import BILLING, make_repo


def _rows(project: Project, query: str) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return list(conn.execute(query))


def _state(project: Project) -> dict[tuple[str, int], tuple[str, Any, Any, Any]]:
    """Every chunk by (path, index): its hash, token count, truncation and vector."""
    rows = _rows(
        project,
        "SELECT path, chunk_index, content_hash, token_count, truncated, embedding FROM chunks",
    )
    return {
        (p, i): (h, n, t, None if v is None else np.asarray(v.to_numpy()))
        for p, i, h, n, t, v in rows
    }


def _same(a: dict[Any, Any], b: dict[Any, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        (ha, na, ta, va), (hb, nb, tb, vb) = a[key], b[key]
        assert (ha, na, ta) == (hb, nb, tb), key
        assert va is not None and vb is not None, key
        # The same text in another batch is padded to another width: float noise only.
        assert np.allclose(va, vb, atol=1e-5), key


def _every_vector_is_its_texts(project: Project) -> None:
    """No chunk carries a vector of another text: each stored text still gives its hash."""
    rows = _rows(
        project,
        "SELECT path, symbol, embed_header, content, content_hash FROM chunks"
        " WHERE embedding IS NOT NULL",
    )
    for path, symbol, header, content, content_hash in rows:
        text = embedding_text_of(path, symbol, header, content)
        assert hashlib.sha256(text.encode()).hexdigest() == content_hash


def stop_embedding_after(chunks: int) -> tuple[threading.Event, Callable[[IndexProgress], None]]:
    """A cancel event and a progress callback that sets it once the embedding stage has
    embedded at least ``chunks`` chunks: an embedding pass interrupted part-way."""
    cancel = threading.Event()

    def on_progress(tick: IndexProgress) -> None:
        if tick.stage == "embed" and tick.chunks_done >= chunks:
            cancel.set()

    return cancel, on_progress


def _many_files(root: Path, files: int = 6, functions: int = 10) -> Path:
    root.mkdir(parents=True)
    for i in range(files):
        body = "\n\n".join(
            f"def handler_{i}_{j}(request):\n    '''Serve route {j} of module {i}.'''\n"
            f"    return request.get('v{j}', {i * j})\n"
            for j in range(functions)
        )
        (root / f"mod{i}.py").write_text(body)
    return root


@pytest.fixture
def project(workspace: Workspace, project_id: str) -> Iterator[Project]:
    """A project without a first pass: these tests pin what meaning search does while only
    the project's own model's vectors exist (test_first_pass.py covers the first pass)."""
    created = workspace.create(project_id, embedder="local", first_pass=False)
    yield created
    if workspace.exists(project_id):
        workspace.drop(project_id, force=True)


@pytest.fixture
def clean(workspace: Workspace) -> Iterator[Project]:
    name = f"t-clean-{os.getpid()}-{random.randrange(10**8)}"
    created = workspace.create(name, embedder="local", first_pass=False)
    yield created
    workspace.drop(name, force=True)


def test_words_find_a_file_before_its_vectors_exist_and_results_say_how_much_meaning_covers(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    report = project.index(repo, progress=False, embed="later")
    total = _rows(project, "SELECT count(*) FROM chunks")[0][0]
    assert report.chunks_awaiting == total > 0 and report.chunks_embedded == 0
    assert _rows(project, "SELECT count(embedding) FROM chunks") == [(0,)]
    assert project.counts()["chunks_awaiting_vectors"] == total

    words = project.search("retry_delay", mode="lexical", limit=3)
    assert words["symbol"].iloc[0] == "retry_delay"
    assert words.semantic_coverage is None

    meaning = project.search("seconds to wait before trying a charge again", mode="semantic")
    assert len(meaning) == 0 and meaning.semantic_coverage == (0, total)
    hybrid = project.search("retry_delay", mode="hybrid")
    assert hybrid["symbol"].iloc[0] == "retry_delay"
    note = coverage_note(0, total)
    assert note in repr(hybrid) and "meaning search covers 0 of" in note
    assert note in (hybrid._repr_html_() or "")

    done = project.embed_pending(progress=False)
    assert isinstance(done, EmbedReport)
    assert (done.chunks_embedded, done.chunks_awaiting) == (total, 0)
    after = project.search("seconds to wait before trying a charge again", mode="semantic")
    assert after.semantic_coverage is None  # complete: nothing to say, nothing counted
    assert "retry_delay" in after["symbol"].head(3).tolist()
    assert "meaning search covers" not in repr(after)
    _every_vector_is_its_texts(project)


def test_meaning_search_of_a_partly_embedded_project_walks_the_graph_not_every_chunk(
    project: Project, tmp_path: Path
) -> None:
    """Statistics taken while every chunk awaited its vector (autovacuum analyses a freshly
    stored table) made the planner expect no embedded row and scan the whole table on
    every search: 150 ms at 560k chunks, and 2.9 s p95 with eight searchers."""
    # Big enough that the planner would rather walk the graph than scan every row.
    project.index(_many_files(tmp_path / "many", 20, 100), progress=False, embed="later")
    total = _rows(project, "SELECT count(*) FROM chunks")[0][0]
    with project.connection() as conn:
        conn.execute("ANALYZE chunks")  # what autovacuum does after a big store
        conn.commit()
    assert _rows(
        project,
        "SELECT null_frac FROM pg_stats WHERE schemaname = current_schema()"
        " AND tablename = 'chunks' AND attname = 'embedding'",
    ) == [(1.0,)]
    _embed_one_batch(project)
    embedded = _rows(project, "SELECT count(embedding) FROM chunks")[0][0]
    assert 0 < embedded < total
    with project.connection() as conn:
        conn.autocommit = True
        ensure_vector_index(conn, project.embedder().dimensions)  # as a slow model has it early
        conn.autocommit = False
        vector = query_cache.embed(project.embedder(), "serve a route of a module")
        # Counters of this backend's scans not yet flushed: read before and after.
        counters = (
            "SELECT pg_stat_get_xact_numscans('chunks'::regclass),"
            " pg_stat_get_xact_numscans('chunks_embedding_hnsw'::regclass)"
        )
        with conn.transaction():
            before = conn.execute(counters).fetchone()
            found = _semantic(conn, answering(conn, project.handle), vector, Filters.of(), 50)
            after = conn.execute(counters).fetchone()
    assert before is not None and after is not None
    scans = (after[0] - before[0], after[1] - before[1])
    assert scans == (0, 1)  # no scan of the table; one walk of the graph
    assert len(found) == embedded  # every embedded chunk, and none that awaits
    ids = [cid for cid, _ in found]
    with project.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM chunks WHERE embedding IS NULL AND id = ANY(%s)", [ids]
        ).fetchone()
    assert row == (0,)


def _embed_one_batch(project: Project) -> None:
    cancel = threading.Event()

    def stop(tick: IndexProgress) -> None:
        if tick.chunks_done:
            cancel.set()

    project.embed_pending(progress=False, on_progress=stop, cancel=cancel)


def test_a_slow_coverage_count_is_reused_for_seconds_and_a_quick_one_never(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.index(_many_files(tmp_path / "many"), progress=False, embed="later")
    total = _rows(project, "SELECT count(*) FROM chunks")[0][0]

    def embedded() -> int:
        return int(_rows(project, "SELECT count(embedding) FROM chunks")[0][0])

    query = "serve a route of a module"
    # Every count quick, as a small project's (however loaded the machine running this).
    monkeypatch.setattr(coverage, "SLOW_COUNT_SECONDS", 60.0)
    _embed_one_batch(project)
    assert project.search(query).semantic_coverage == (embedded(), total)
    _embed_one_batch(project)  # a quick count is taken again at once
    assert project.search(query).semantic_coverage == (embedded(), total)

    monkeypatch.setattr(coverage, "SLOW_COUNT_SECONDS", 0.0)  # as on a big project
    # The clock stands still unless moved here: embedding a batch on a loaded machine
    # can take longer than the seconds a count is reused.
    now = [coverage.monotonic()]
    monkeypatch.setattr(coverage, "monotonic", lambda: now[0])
    kept = (embedded(), total)
    assert project.search(query).semantic_coverage == kept
    _embed_one_batch(project)
    assert embedded() > kept[0]
    now[0] += coverage.REUSE_SECONDS / 2
    assert project.search(query).semantic_coverage == kept  # reused, seconds old at most
    now[0] += coverage.REUSE_SECONDS / 2
    assert project.search(query).semantic_coverage == (embedded(), total)


def test_a_cancelled_embedding_resumes_with_exactly_the_awaiting_chunks_and_equals_a_clean_run(
    project: Project, clean: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _many_files(tmp_path / "many")
    cancel, on_progress = stop_embedding_after(8)
    first = index_repository(
        project.handle, repo, progress=False, on_progress=on_progress, cancel=cancel, embed_batch=8
    )
    assert first.interrupted and 8 <= first.chunks_embedded < first.chunks_added
    assert first.chunks_awaiting == first.chunks_added - first.chunks_embedded
    awaiting = {
        r[0] for r in _rows(project, "SELECT content_hash FROM chunks WHERE embedding IS NULL")
    }
    assert len(awaiting) == first.chunks_awaiting
    _every_vector_is_its_texts(project)

    from codelens._embed.windowed import WindowedEmbedder

    asked: list[str] = []
    real = WindowedEmbedder.embed_counted

    def spy(self: WindowedEmbedder, texts: Any) -> Any:
        asked.extend(texts)
        return real(self, texts)

    monkeypatch.setattr(WindowedEmbedder, "embed_counted", spy)
    resumed = project.embed_pending(progress=False)
    assert isinstance(resumed, EmbedReport) and resumed.chunks_awaiting == 0
    assert {hashlib.sha256(t.encode()).hexdigest() for t in asked} == awaiting
    monkeypatch.undo()

    clean.index(repo, progress=False)
    _same(_state(project), _state(clean))


def test_a_changed_files_stale_vectors_never_serve_a_meaning_search(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "payments")
    project.index(repo, progress=False)
    source = repo / "src" / "billing.py"
    source.write_text(
        BILLING.replace(
            '    """Seconds to wait before the next try of a failed charge."""\n'
            "    return 2.0 ** attempt",
            '    """Render a receipt as an HTML table."""\n    return float(len("<table>"))',
        )
    )
    report = project.index(repo, progress=False, embed="later")
    assert report.chunks_awaiting == 1
    hits = project.search("seconds to wait before the next try of a failed charge", mode="semantic")
    # The old vector went with the old text; the new text is not found by meaning yet...
    assert "retry_delay" not in hits["symbol"].tolist()
    assert (
        hits.semantic_coverage is not None
        and hits.semantic_coverage[1] - 1 == (hits.semantic_coverage[0])
    )
    # ... but by words at once.
    words = project.search("receipt HTML table", mode="lexical")
    assert words["symbol"].iloc[0] == "retry_delay"
    _every_vector_is_its_texts(project)


# Prints a marker as each write of the phase starts, and slows it a little, so a test can
# act in the middle of that phase; a kernel test runs it in its kernel with ``phase`` set.
SLOW_PHASE = textwrap.dedent(
    """
    import time
    from codelens._index import batch, run, vectors

    if phase == "store":
        real_write = batch.Run.write
        def slow_write(self, conn, b):
            print("store", flush=True)
            time.sleep(0.05)
            return real_write(self, conn, b)
        batch.Run.write = slow_write
    else:
        run.index_repository.__kwdefaults__["embed_batch"] = 8
        real_fill = vectors.fill_vectors
        def slow_fill(conn, found):
            print("embed", flush=True)
            filled = real_fill(conn, found)
            time.sleep(0.05)
            return filled
        vectors.fill_vectors = slow_fill
    """
)

_CHILD = (
    "import sys\nfrom codelens._cli import main\nphase = sys.argv[1]\n"
    + SLOW_PHASE
    + "sys.exit(main(sys.argv[2:]))\n"
)


@pytest.mark.parametrize("phase", ["store", "embed"])
def test_kill_9_at_a_random_point_of_each_phase_then_a_rerun_equals_a_clean_run(
    project: Project, clean: Project, tmp_path: Path, settings: Settings, phase: str
) -> None:
    repo = _many_files(tmp_path / "many", files=24, functions=6)
    env = dict(os.environ, CODELENS_HOME=str(settings.home), PYTHONPATH=os.getcwd())
    if settings.database_url:
        env["CODELENS_DATABASE_URL"] = settings.database_url
    with subprocess.Popen(
        [sys.executable, "-c", _CHILD, phase, "index", str(repo), "-p", project.id, "-q"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        seen = 0
        # A marker is printed as a write starts, and a writer starts a batch once its last
        # one landed: past the markers of the first batches (one per writer) at least one
        # batch has landed. Of the 5 batches the last remain.
        first = STORE_WRITERS if phase == "store" else 1
        wanted = random.Random(os.getpid()).randrange(first + 1, 5)
        for marker in child.stdout:
            seen += marker.count(phase)  # two writers' prints can share a line
            if seen >= wanted:
                time.sleep(random.uniform(0.0, 0.05))
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=300)
    assert child.returncode == -signal.SIGKILL, "the child ended before it was killed"

    orphans = _rows(
        project,
        "SELECT count(*) FROM files f WHERE f.status = 'indexed'"
        " AND NOT EXISTS (SELECT FROM chunks c WHERE c.file_id = f.id)",
    )
    assert orphans == [(0,)]
    files, chunks, embedded = _rows(
        project,
        "SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM chunks),"
        " (SELECT count(embedding) FROM chunks)",
    )[0]
    if phase == "store":
        assert 0 < files < 24 and embedded == 0
    else:
        assert files == 24 and 0 < embedded < chunks
    _every_vector_is_its_texts(project)

    project.index(repo, progress=False)
    clean.index(repo, progress=False)
    _same(_state(project), _state(clean))


def test_the_magic_returns_once_stored_and_status_shows_what_awaits(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from codelens._notebook.magics import CodelensMagics

    repo = _many_files(tmp_path / "many", files=8, functions=8)
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    magics = shell.magics_manager.registry["CodelensMagics"]
    assert isinstance(magics, CodelensMagics)
    magics.workspace = ws
    magics.quiet = True
    name = f"t-magic-{os.getpid()}-{random.randrange(10**8)}"
    gate = threading.Event()
    from codelens._embed.windowed import WindowedEmbedder

    real = WindowedEmbedder.embed_counted

    def held(self: WindowedEmbedder, texts: Any) -> Any:
        gate.wait(120)  # the worker embeds only once the test has looked
        return real(self, texts)

    WindowedEmbedder.embed_counted = held  # type: ignore[method-assign]
    try:
        report = shell.run_line_magic("codelens", f"create {name} --path {repo}")
        job = report.embedding
        assert job is not None and job.running  # the cell returned; embedding goes on
        project = ws.get(name)
        total = _rows(project, "SELECT count(*) FROM chunks")[0][0]
        hits = project.search("handler_3_5", mode="lexical", limit=1)
        assert hits["symbol"].iloc[0] == "handler_3_5"
        capsys.readouterr()
        shell.run_line_magic("codelens", "status")
        out = capsys.readouterr().out
        assert f"0 of {total:,} chunks embedded, {total:,} await vectors" in out
        assert "embedding: 0 of" in out and "in the background" in out
        gate.set()
        done = job.wait(300)
        assert done.chunks_awaiting == 0 and not job.running
        shell.run_line_magic("codelens", "status")
        assert f"vectors: all {total:,} chunks embedded" in capsys.readouterr().out
    finally:
        gate.set()
        WindowedEmbedder.embed_counted = real  # type: ignore[method-assign]
        unload_ipython_extension(shell)
        if ws.exists(name):
            ws.drop(name, force=True)


def _a_helper_twice(root: Path, functions: int = 200) -> Path:
    """One file whose first and last functions are the same text: one vector serves both,
    and the second gets it when the first batch is written, so no later batch reads it."""
    root.mkdir(parents=True)
    helper = "def repeated_helper(value):\n    return value * 2\n"
    small = "\n\n".join(f"def small_{i}(x):\n    return x + {i}\n" for i in range(functions))
    (root / "twice.py").write_text(f"{helper}\n\n{small}\n\n\n{helper}")
    return root


@pytest.mark.parametrize("way", ["wait", "embed_pending", "background"])
def test_a_run_that_embeds_a_repeated_text_reports_what_counts_says(
    project: Project, tmp_path: Path, way: str
) -> None:
    ticks: list[IndexProgress] = []
    repo = _a_helper_twice(tmp_path / "twice")
    done: IndexReport | EmbedReport
    if way == "wait":
        done = project.index(repo, progress=False, on_progress=ticks.append)
    else:
        stored = project.index(repo, progress=False, embed="later")
        assert stored.chunks_awaiting == stored.chunks_added
        if way == "embed_pending":
            pending = project.embed_pending(progress=False, on_progress=ticks.append)
            assert isinstance(pending, EmbedReport)
            done = pending
        else:
            job = project.embed_pending(progress=False, on_progress=ticks.append, background=True)
            assert not isinstance(job, EmbedReport)
            done = job.wait(timeout=300)
            assert job.summary() == (
                f"embedding done: {done.chunks_embedded:,} chunks embedded, 0 await vectors"
            )
    total = project.counts()["chunks"]
    assert project.counts()["chunks_awaiting_vectors"] == 0
    assert (done.chunks_embedded, done.chunks_awaiting) == (total, 0)
    assert "await vectors" not in repr(done)
    embedded = [t for t in ticks if t.chunks_total]
    assert embedded[-1].chunks_done == embedded[-1].chunks_total == total
