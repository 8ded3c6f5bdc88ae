"""Index runs against the real server, the real tree-sitter and the real local model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from codelens import Project, Workspace
from codelens._db.pool import Database
from codelens._embed.registry import clear_embedder_cache
from codelens._embed.windowed import WindowedEmbedder
from codelens._index.lock import index_lock
from codelens._index.report import IndexProgress, IndexReport
from codelens._scan.walk import ScanOptions
from codelens.errors import (
    EmbedderUnavailable,
    IndexingError,
    ModelMismatch,
    NotIndexed,
    ProjectBusy,
)
from tests.fake_ollama import FakeOllama

BILLING = '''"""Charging cards."""

import time

MAX_TRIES = 3


def retry_delay(attempt: int) -> float:
    """Seconds to wait before the next try of a failed charge."""
    return 2.0 ** attempt


class Charger:
    """Charges a card, retrying when the bank declines."""

    def charge(self, card: str, cents: int) -> bool:
        for attempt in range(MAX_TRIES):
            if self._send(card, cents):
                return True
            time.sleep(retry_delay(attempt))
        return False

    def _send(self, card: str, cents: int) -> bool:
        return cents > 0
'''

UI_JS = """// Rendering of a receipt.
export function renderReceipt(total) {
  return `<p>Total: ${total}</p>`;
}
"""

README = "# Payments\n\n## Usage\n\nCharge a card with `Charger().charge`.\n"


def make_repo(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "billing.py").write_text(BILLING)
    (root / "src" / "ui.js").write_text(UI_JS)
    (root / "README.md").write_text(README)
    (root / "broken.py").write_text("def broken(:\n    return 1\n\nx = 2\n")
    (root / "blob.dat").write_bytes(b"\x00\x00binary")
    (root / "latin1.py").write_bytes("# café\nx = 1\n".encode("latin-1"))
    (root / "empty.py").write_text("")
    (root / "data.parquet").write_text("something")  # a data file by its name
    (root / "big.py").write_text("x = 1\n" * 200)
    (root / ".gitignore").write_text("ignored/\n")
    (root / "ignored").mkdir()
    (root / "ignored" / "secret.py").write_text("TOKEN = 1\n")
    return root


SMALL = ScanOptions(max_file_bytes=1000)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "payments")


class Spy:
    """Records what the real local model is asked to embed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        original = WindowedEmbedder.embed_counted

        def spy(embedder: WindowedEmbedder, texts: Any) -> Any:
            self.texts.extend(texts)
            return original(embedder, texts)

        monkeypatch.setattr(WindowedEmbedder, "embed_counted", spy)


def _rows(project: Project, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return list(conn.execute(query, params or []))


def test_first_index_stores_chunks_skips_with_reasons_and_records_the_model(
    project: Project, repo: Path, workspace: Workspace
) -> None:
    report = project.index(repo, progress=False, scan_options=SMALL)
    assert report.files_skipped == {
        "binary": 1,
        "undecodable": 1,
        "empty": 1,
        "unsupported": 1,  # data.parquet
        "too_large": 1,
    }
    assert report.files_indexed == 5  # billing.py, ui.js, README.md, broken.py, .gitignore
    assert report.files_seen == 10 and report.files_failed == 0 and not report.interrupted
    assert report.repository == "payments"
    assert report.chunks_added == _rows(project, "SELECT count(*) FROM chunks")[0][0] > 0
    assert set(report.seconds) >= {"scan", "chunk", "embed", "store", "total"}

    files = dict(_rows(project, "SELECT path, coalesce(skip_reason, status) FROM files"))
    assert files == {
        "src/billing.py": "indexed",
        "src/ui.js": "indexed",
        "README.md": "indexed",
        "broken.py": "indexed",
        "blob.dat": "binary",
        "latin1.py": "undecodable",
        "empty.py": "empty",
        "data.parquet": "unsupported",
        ".gitignore": "indexed",  # text: windows of lines
        "big.py": "too_large",
    }
    symbols = {
        r[0] for r in _rows(project, "SELECT symbol FROM chunks WHERE path = 'src/billing.py'")
    }
    assert {"retry_delay", "Charger", "Charger.charge", "Charger._send"} <= symbols
    assert _rows(project, "SELECT count(*) FROM chunks WHERE path = 'broken.py'")[0][0] >= 1

    meta = _rows(
        project, "SELECT model_name, embedding_dimensions, max_tokens FROM embedding_metadata"
    )
    assert meta == [("local:all-MiniLM-L6-v2", 384, 256)]
    info = project.info()
    assert (info["embedding_model"], info["embedding_dimensions"]) == (
        "local:all-MiniLM-L6-v2",
        384,
    )
    vector, tokens, truncated = _rows(
        project, "SELECT embedding, token_count, truncated FROM chunks WHERE symbol = 'retry_delay'"
    )[0]
    assert np.isclose(np.linalg.norm(vector.to_numpy()), 1.0, atol=1e-3)
    assert 0 < tokens <= 256 and truncated is False
    events = _rows(project, "SELECT change, count(*) FROM change_events GROUP BY 1")
    assert events == [("added", 10)]
    runs = _rows(project, "SELECT status, report->>'files_indexed' FROM index_runs")
    assert runs == [("completed", "5")]
    assert project.embedder().name == "local:all-MiniLM-L6-v2"
    # statistics for lexical word weights are fresh after a first load
    analyzed = _rows(
        project,
        "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()"
        " AND tablename = 'chunks' AND attname = 'search_tsv'",
    )
    assert analyzed == [(1,)]
    assert "analyze" in report.seconds
    assert workspace.db.idle()


def test_a_first_index_looks_up_no_vectors_to_reuse_and_a_later_one_does(
    project: Project, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lookup costs an index probe per chunk: a seventh of a first index's work, for
    # nothing, as a project without vectors has none to give.
    from codelens._index import batch as _index_batch

    real = _index_batch.stored_vectors
    looked: list[int] = []

    def counted(conn: Any, hashes: Any) -> Any:
        looked.append(len(hashes))
        return real(conn, hashes)

    monkeypatch.setattr(_index_batch, "stored_vectors", counted)
    first = project.index(repo, progress=False, scan_options=SMALL)
    assert looked == [] and first.chunks_added > 0 and first.chunks_awaiting == 0
    source = repo / "src" / "billing.py"
    source.write_text(source.read_text() + "\n\ndef refund_fee():\n    return 0.5\n")
    second = project.index(repo, progress=False, scan_options=SMALL)
    assert sum(looked) > 0 and second.chunks_reused > 0


def test_unchanged_rerun_embeds_nothing_and_one_edit_embeds_one_chunk(
    project: Project, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.index(repo, progress=False, scan_options=SMALL)
    spy = Spy(monkeypatch)

    again = project.index(repo, progress=False, scan_options=SMALL)
    assert spy.texts == []
    assert (again.files_indexed, again.files_unchanged, again.chunks_added) == (0, 5, 0)
    assert _rows(project, "SELECT count(*) FROM change_events")[0][0] == 10

    before = dict(
        _rows(project, "SELECT symbol, content_hash FROM chunks WHERE path = 'src/billing.py'")
    )
    source = repo / "src" / "billing.py"
    source.write_text(
        source.read_text().replace("return 2.0 ** attempt", "return min(60.0, 2.0 ** attempt)")
    )
    edited = project.index(repo, progress=False, scan_options=SMALL)

    assert len(spy.texts) == 1 and "min(60.0" in spy.texts[0]
    assert spy.texts[0].startswith("src/billing.py: retry_delay")
    assert (edited.files_indexed, edited.chunks_added, edited.chunks_removed) == (1, 1, 1)
    assert edited.chunks_reused == len(before) - 1
    after = dict(
        _rows(project, "SELECT symbol, content_hash FROM chunks WHERE path = 'src/billing.py'")
    )
    assert {s for s in after if after[s] != before.get(s)} == {"retry_delay"}
    events = _rows(
        project,
        "SELECT e.change, e.path, r.name FROM change_events e JOIN repositories r"
        " ON r.id = e.repository_id WHERE e.change <> 'added'",
    )
    assert events == [("modified", "src/billing.py", "payments")]


def test_delete_and_rename_remove_chunks_and_write_events(project: Project, repo: Path) -> None:
    project.index(repo, progress=False, scan_options=SMALL)
    (repo / "src" / "ui.js").unlink()
    (repo / "README.md").rename(repo / "GUIDE.md")
    report = project.index(repo, progress=False, scan_options=SMALL)
    assert report.files_deleted == 2
    assert report.files_indexed == 1  # GUIDE.md
    paths = {r[0] for r in _rows(project, "SELECT DISTINCT path FROM chunks")}
    assert "src/ui.js" not in paths and "README.md" not in paths and "GUIDE.md" in paths
    events = sorted(
        _rows(
            project,
            "SELECT change, path FROM change_events WHERE change <> 'added' OR path = 'GUIDE.md'",
        )
    )
    assert events == [("added", "GUIDE.md"), ("deleted", "README.md"), ("deleted", "src/ui.js")]
    # the repository of an event, and the events of a repository
    repo_events = _rows(
        project,
        "SELECT count(*) FROM repositories r JOIN change_events e ON e.repository_id = r.id"
        " WHERE r.name = 'payments'",
    )
    assert repo_events == [(13,)]


def test_cancel_stops_between_batches_and_the_next_run_resumes(
    project: Project, repo: Path
) -> None:
    cancel = threading.Event()
    ticks: list[IndexProgress] = []

    def on_progress(tick: IndexProgress) -> None:
        ticks.append(tick)
        if tick.stage == "store" and tick.files_done >= 2:
            cancel.set()

    from codelens._index.run import STORE_WRITERS, index_repository

    first = index_repository(
        project.handle,
        repo,
        progress=False,
        on_progress=on_progress,
        cancel=cancel,
        scan_options=SMALL,
        batch_files=2,
    )
    assert first.interrupted
    # The batches in flight when the cancel came (one per writer, the first among them)
    # landed whole; nothing after them was written, nothing embedded.
    done = _rows(project, "SELECT count(*) FROM files")[0][0]
    assert done % 2 == 0 and 2 <= done <= 2 * STORE_WRITERS < 10
    assert first.chunks_embedded == 0 and first.chunks_awaiting == first.chunks_added > 0
    # no half-indexed file: every indexed file has its chunks
    orphans = _rows(
        project,
        "SELECT count(*) FROM files f WHERE f.status = 'indexed'"
        " AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.file_id = f.id)",
    )
    assert orphans == [(0,)]
    assert _rows(project, "SELECT status FROM index_runs") == [("interrupted",)]
    assert ticks[-1].stage == "done"

    second = project.index(repo, progress=False, scan_options=SMALL)
    assert not second.interrupted
    assert second.files_unchanged >= 1  # what the first run stored is not redone
    assert _rows(project, "SELECT count(*) FROM files")[0][0] == 10
    assert second.files_indexed + second.files_unchanged == 5


def test_a_failed_write_fails_the_run_and_keeps_the_batches_before_it(
    project: Project, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codelens._index import batch as _index_batch
    from codelens._index.run import STORE_WRITERS, index_repository

    real = _index_batch.write_files
    calls: list[int] = []

    def second_write_breaks(conn: Any, *args: Any) -> None:
        calls.append(1)
        nth = len(calls)  # taken now: the writers run at once
        real(conn, *args)
        if nth == 2:
            conn.execute("SELECT 1 / 0")  # a real server error, inside the batch's transaction

    monkeypatch.setattr(_index_batch, "write_files", second_write_breaks)
    with pytest.raises(psycopg.errors.DivisionByZero):
        index_repository(project.handle, repo, progress=False, scan_options=SMALL, batch_files=2)
    # Nothing starts after the failure; the other writer's batch in flight may still land.
    assert 2 <= len(calls) <= 1 + STORE_WRITERS
    # Every batch but the failed one landed, each whole (two files each).
    assert _rows(project, "SELECT count(*) FROM files")[0][0] == 2 * (len(calls) - 1)
    assert (
        _rows(project, "SELECT count(*) FROM chunks c JOIN files f ON f.id = c.file_id")[0][0]
        == _rows(project, "SELECT count(*) FROM chunks")[0][0]
    )
    assert _rows(project, "SELECT status FROM index_runs") == [("failed",)]
    # The batch that landed may hold only skipped files (the writers race for batches).
    landed = _rows(project, "SELECT count(*) FROM files WHERE status = 'indexed'")[0][0]
    monkeypatch.undo()
    again = project.index(repo, progress=False, scan_options=SMALL)
    assert again.files_unchanged == landed
    assert _rows(project, "SELECT count(*) FROM files")[0][0] == 10


def test_keyboard_interrupt_keeps_whole_batches_only(project: Project, repo: Path) -> None:
    from codelens._index.run import index_repository

    def interrupt(tick: IndexProgress) -> None:
        if tick.stage == "store" and tick.files_done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index_repository(
            project.handle,
            repo,
            progress=False,
            on_progress=interrupt,
            scan_options=SMALL,
            batch_files=1,
        )
    files = _rows(project, "SELECT path, status FROM files")
    orphans = _rows(
        project,
        "SELECT count(*) FROM files f WHERE f.status = 'indexed'"
        " AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.file_id = f.id)",
    )
    assert orphans == [(0,)]
    assert 1 <= len(files) < 10
    assert _rows(project, "SELECT status FROM index_runs") == [("interrupted",)]
    resumed = project.index(repo, progress=False, scan_options=SMALL)
    assert resumed.files_unchanged >= 1
    assert _rows(project, "SELECT count(*) FROM files")[0][0] == 10


def test_a_second_indexer_is_told_who_holds_the_project(project: Project, repo: Path) -> None:
    with index_lock(project.handle):
        with pytest.raises(ProjectBusy, match=r"being indexed by codelens indexer, pid \d+"):
            project.index(repo, progress=False)
        released = threading.Event()
        result: list[IndexReport] = []

        def waiter() -> None:
            result.append(project.index(repo, progress=False, wait=True, scan_options=SMALL))
            released.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        assert not released.wait(0.5)  # queued behind the holder
    thread.join(timeout=300)
    assert result and result[0].files_indexed == 5


def test_bad_paths_are_one_line_errors(project: Project, tmp_path: Path) -> None:
    with pytest.raises(IndexingError, match="does not exist"):
        project.index(tmp_path / "missing", progress=False)
    (tmp_path / "file.py").write_text("x = 1\n")
    with pytest.raises(IndexingError, match="is not a folder"):
        project.index(tmp_path / "file.py", progress=False)
    with pytest.raises(NotIndexed, match="has nothing indexed yet"):
        project.embedder()


def test_several_repositories_in_one_project(project: Project, tmp_path: Path) -> None:
    a = make_repo(tmp_path / "a" / "payments")
    b = tmp_path / "b" / "payments"
    b.mkdir(parents=True)
    (b / "tool.py").write_text("def tool():\n    return 1\n")
    project.index(a, progress=False, scan_options=SMALL)
    report = project.index(b, progress=False)
    assert report.repository == "payments-2"
    repos = project.repositories().set_index("name")
    assert repos.loc["payments-2", "files"] == 1 and repos.loc["payments", "files"] == 10
    assert repos.loc["payments-2", "last_indexed_at"] is not None
    again = project.reindex(progress=False)
    assert [r.files_unchanged for r in again] == [5, 1]


def test_a_folder_inside_or_around_a_repository_of_the_project_is_refused(
    project: Project, tmp_path: Path
) -> None:
    """Indexing a folder of an indexed repository (to refresh just that part) made a second
    repository of the same files: every result of them came twice. A folder around one
    did the same the other way."""
    shop = make_repo(tmp_path / "shop")
    project.index(shop, progress=False, embed="later")
    before = _rows(project, "SELECT count(*) FROM chunks")
    with pytest.raises(IndexingError) as caught:
        project.index(shop / "src", progress=False)
    assert str(caught.value) == (
        f"{(shop / 'src').resolve()} lies inside repository 'shop' of project {project.id!r}"
        f" ({shop.resolve()}), which indexes its files already: index {shop.resolve()} again"
        " (unchanged files take no time) and search the folder with a path filter ('src'),"
        " or drop repository 'shop' first"
        f" (`%codelens drop {project.id} --repo shop`, `codelens drop {project.id} --repo shop"
        " --yes` or Project.drop_repository('shop'))"
    )
    with pytest.raises(IndexingError) as caught:
        project.dry_run(shop / "src", progress=False)
    assert str(caught.value).startswith(f"{(shop / 'src').resolve()} lies inside repository")
    with pytest.raises(IndexingError) as caught:
        project.index(tmp_path, progress=False)
    assert str(caught.value).startswith(
        f"{tmp_path.resolve()} holds repository 'shop' of project {project.id!r}"
        f" ({shop.resolve()}): its files would be indexed twice; index {tmp_path.resolve()}"
        " into another project, or drop repository 'shop' first"
    )
    assert list(project.repositories()["name"]) == ["shop"]
    assert _rows(project, "SELECT count(*) FROM chunks") == before
    # A sibling whose name starts like the repository's is no folder of it.
    (tmp_path / "shop-admin").mkdir()
    (tmp_path / "shop-admin" / "tool.py").write_text("def tool():\n    return 1\n")
    assert project.index(tmp_path / "shop-admin", progress=False).repository == "shop-admin"


def test_a_repository_name_is_a_line_of_text_that_no_other_repository_has(
    project: Project, tmp_path: Path
) -> None:
    """A re-index with ``name=`` renames the repository: to a name another repository has,
    it failed with PostgreSQL's unique-violation text; to "" or a line break it went
    through, leaving a repository no filter or command could name."""
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for root in (a, b, c):
        root.mkdir()
        (root / "tool.py").write_text("def tool():\n    return 1\n")
    project.index(a, name="web", progress=False)
    project.index(b, name="api", progress=False)
    for root in (b, c):  # renamed, or a new repository named so
        with pytest.raises(IndexingError) as caught:
            project.index(root, name="web", progress=False)
        assert str(caught.value) == (
            f"repository name 'web' is taken in project {project.id!r} by {a.resolve()}:"
            " choose another name"
        )
    for bad, message in (
        ("", "repository name is empty: give a name such as 'payments'"),
        ("  ", "repository name is empty: give a name such as 'payments'"),
        ("a\nb", "repository name 'a\\nb' holds a control character: give one line of text"),
        ("x" * 201, "repository name is 201 characters long: at most 200"),
        (5, "repository name must be a string, not int"),
    ):
        with pytest.raises(IndexingError) as caught:
            project.index(b, name=bad, progress=False)  # type: ignore[arg-type]
        assert str(caught.value) == message
    table = project.repositories()
    assert dict(zip(table["name"], table["root_path"], strict=True)) == {
        "api": str(b.resolve()),
        "web": str(a.resolve()),
    }
    # A name with spaces is a name; surrounding blanks are not part of it.
    assert project.index(b, name=" api v2 ", progress=False).repository == "api v2"


def test_a_new_chunker_chunks_every_repository_of_the_project_again(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stored by an older codelens: each repository's files were cut by the chunker then.
    a = make_repo(tmp_path / "a" / "payments")
    b = make_repo(tmp_path / "b" / "payments")
    with monkeypatch.context() as older:
        older.setattr("codelens._db.model_record.CHUNKER_VERSION", "older")
        older.setattr("codelens._index.store.CHUNKER_VERSION", "older", raising=False)
        project.index(a, progress=False, scan_options=SMALL)
        project.index(b, progress=False, scan_options=SMALL)
    # Today's chunker: the first repository's run must not mark the second one as done.
    first = project.index(a, progress=False, scan_options=SMALL)
    second = project.index(b, progress=False, scan_options=SMALL)
    assert (first.files_unchanged, second.files_unchanged) == (0, 0)
    assert first.files_indexed == second.files_indexed > 0
    again = [project.index(root, progress=False, scan_options=SMALL) for root in (a, b)]
    assert [r.files_indexed for r in again] == [0, 0]


def test_progress_callback_and_tqdm_bars(
    project: Project, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticks: list[IndexProgress] = []
    project.index(repo, progress=True, on_progress=ticks.append, scan_options=SMALL)
    stages = [t.stage for t in ticks]
    # every file is stored before the first chunk is embedded
    assert stages[0] == "store" and stages[-1] == "done"
    assert stages.index("embed") > max(i for i, s in enumerate(stages) if s == "store")
    last = ticks[-1]
    assert last.files_done == last.files_total == 10
    assert last.chunks_done == last.chunks_total > 0
    lefts = [t.seconds_left for t in ticks if t.stage == "embed" and t.chunks_done]
    assert lefts and all(s is not None and s >= 0 for s in lefts) and lefts[-1] == 0
    err = capsys.readouterr().err  # tqdm writes to stderr
    assert "files stored" in err and "chunks embedded" in err


def test_a_file_whose_name_is_not_utf8_is_counted_as_skipped_and_stored_escaped(
    project: Project, tmp_path: Path
) -> None:
    repo = tmp_path / "names"
    repo.mkdir()
    (repo / "ok.py").write_text("def fine():\n    return 1\n")
    try:
        with open(os.path.join(os.fsencode(repo), b"caf\xe9.py"), "wb") as f:
            f.write(b"def legacy_name():\n    return 2\n")
    except OSError:  # pragma: no cover - a file system that only stores UTF-8 names
        pytest.skip("this file system rejects names that are not UTF-8")
    report = project.index(repo, progress=False)
    assert report.files_skipped == {"undecodable_name": 1}
    assert report.files_indexed == 1
    assert "undecodable_name: 1" in repr(report)
    # The path is stored as text with \xNN escapes: no lone surrogate reaches PostgreSQL.
    rows = _rows(project, "SELECT path, status, skip_reason FROM files ORDER BY path")
    assert rows == [
        ("caf\\xe9.py", "skipped", "undecodable_name"),
        ("ok.py", "indexed", None),
    ]
    again = project.index(repo, progress=False)
    assert again.files_skipped == {"undecodable_name": 1}
    assert again.files_indexed == 0
    assert _rows(project, "SELECT count(*) FROM files") == [(2,)]


def test_report_displays(project: Project, repo: Path) -> None:
    report = project.index(repo, progress=False, scan_options=SMALL)
    text = repr(report)
    assert text.startswith("<IndexReport payments: indexed 5 files")
    assert "skipped by reason: binary: 1" in text
    html = report._repr_html_()
    assert "cl-report" in html and "<table" in html
    assert "<td>files indexed</td>\n      <td>5</td>" in html  # a count, not 5.000
    frame = report.to_frame().set_index("metric")["value"]
    assert frame["files indexed"] == 5 and frame["  skipped: too_large"] == 1
    assert report.to_dict()["files_skipped"]["empty"] == 1


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    with FakeOllama({"nomic-embed-text": 768}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        clear_embedder_cache()
        yield server
    clear_embedder_cache()


def test_another_model_is_refused_then_switched_with_force(
    project: Project, repo: Path, ollama: FakeOllama
) -> None:
    project.index(repo, progress=False, scan_options=SMALL)
    with pytest.raises(
        ModelMismatch, match=r"local:all-MiniLM-L6-v2, not ollama:nomic-embed-text.*force=True"
    ):
        project.index(repo, progress=False, embedder="ollama", scan_options=SMALL)
    report = project.index(repo, progress=False, embedder="ollama", force=True, scan_options=SMALL)
    assert report.files_indexed == 5 and report.chunks_reused == 0
    dims = _rows(project, "SELECT DISTINCT vector_dims(embedding) FROM chunks")
    assert dims == [(768,)]
    assert project.embedder().name == "ollama:nomic-embed-text"
    bodies = ollama.embed_bodies()
    assert bodies and all(b["input"][0].startswith("search_document: ") for b in bodies)


def test_a_file_whose_embedding_fails_is_marked_failed_stays_searchable_by_words_and_is_retried(
    workspace: Workspace, project_id: str, repo: Path, ollama: FakeOllama
) -> None:
    project = workspace.create(project_id, embedder="ollama")
    try:
        project.index(repo, progress=False, scan_options=SMALL)
        old = _rows(project, "SELECT count(*) FROM chunks WHERE path = 'src/ui.js'")[0][0]
        (repo / "src" / "ui.js").write_text(UI_JS + "export const tax = 0.2;\n")
        ollama.wrong_length = True
        report = project.index(repo, progress=False, scan_options=SMALL)
        assert report.files_failed == 1 and "src/ui.js" in report.failures
        status = _rows(project, "SELECT status, error FROM files WHERE path = 'src/ui.js'")[0]
        assert status[0] == "failed" and status[1]
        # Its chunks are replaced: the unchanged one reuses its vector by content hash, the
        # new one is searchable by words and awaits its vector.
        assert _rows(
            project,
            "SELECT count(*), count(embedding) FROM chunks WHERE path = 'src/ui.js'",
        ) == [(old + 1, old)]
        assert report.chunks_awaiting == 1
        assert project.search("tax", mode="lexical")["path"].tolist() == ["src/ui.js"]
        ollama.wrong_length = False
        retried = project.index(repo, progress=False, scan_options=SMALL)
        assert retried.files_indexed == 1 and retried.files_failed == 0
        assert _rows(project, "SELECT status FROM files WHERE path = 'src/ui.js'") == [("indexed",)]
    finally:
        workspace.drop(project_id, force=True)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "reason"),
    [
        (200, "<html><body>Bad Gateway</body></html>", "text/html", "not JSON (text/html"),
        (200, {"embeddings": "not a list"}, None, "no list of vectors"),
        (413, "<html>413 Request Entity Too Large</html>", "text/html", "too large (HTTP 413)"),
        (400, {"error": "input length exceeds the context length"}, None, "refused the input"),
    ],
)
def test_a_malformed_or_refused_reply_fails_only_its_file_with_the_reason(
    workspace: Workspace,
    project_id: str,
    repo: Path,
    ollama: FakeOllama,
    status: int,
    body: Any,
    content_type: str | None,
    reason: str,
) -> None:
    project = workspace.create(project_id, embedder="ollama")
    try:
        project.index(repo, progress=False, scan_options=SMALL)
        old = _rows(project, "SELECT count(*) FROM chunks WHERE path = 'src/ui.js'")[0][0]
        (repo / "src" / "ui.js").write_text(UI_JS + "export const tax = 0.2;\n")
        (repo / "src" / "billing.py").write_text(BILLING + "\nFEE_CENTS = 30\n")
        # Every request holding the new line of ui.js gets the broken reply, the batch first.
        ollama.answer_when("tax = 0.2", body, status, content_type=content_type)
        report = project.index(repo, progress=False, scan_options=SMALL)
        assert (report.files_indexed, report.files_failed) == (1, 1)
        assert reason in report.failures["src/ui.js"]
        assert "embedding model" not in report.failures["src/ui.js"]
        status_row = _rows(project, "SELECT status, error FROM files WHERE path = 'src/ui.js'")
        assert status_row[0][0] == "failed" and reason in status_row[0][1]
        # Stored first, so words find the new text; the piece the model refused awaits its
        # vector, and no wrong vector stands in for it.
        tax = (
            "SELECT count(*) FILTER (WHERE embedding IS NULL) FROM chunks WHERE path = 'src/ui.js'"
        )
        assert _rows(project, tax)[0][0] >= 1
        fee = "SELECT count(*) FROM chunks WHERE path = 'src/billing.py' AND content LIKE %s"
        assert _rows(project, fee, ["%FEE_CENTS%"]) == [(1,)]
        # The next run retries the failed file, and with the model answering it is whole.
        ollama.forget_answers()
        again = project.index(repo, progress=False, scan_options=SMALL)
        assert (again.files_indexed, again.files_failed) == (1, 0)
        assert _rows(project, tax)[0][0] == 0
        assert _rows(project, "SELECT count(*) FROM chunks WHERE path = 'src/ui.js'")[0][0] > old
    finally:
        workspace.drop(project_id, force=True)


def test_an_embedder_that_is_down_stops_the_run_with_the_fix(
    workspace: Workspace, project_id: str, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", FakeOllama.refused_host())
    clear_embedder_cache()
    project = workspace.create(project_id, embedder="ollama")
    try:
        with pytest.raises(EmbedderUnavailable, match="ollama serve"):
            project.index(repo, progress=False, scan_options=SMALL)
        # Everything is stored, searchable by words, and awaits the model's return.
        stored = _rows(project, "SELECT count(*), count(embedding) FROM chunks")[0]
        assert stored[0] > 0 and stored[1] == 0
        assert _rows(project, "SELECT status FROM index_runs") == [("completed",)]
        hits = project.search("retry_delay", mode="lexical", limit=3)
        assert hits["symbol"].iloc[0] == "retry_delay"
    finally:
        clear_embedder_cache()
        workspace.drop(project_id, force=True)


@pytest.mark.parametrize(
    ("count", "n", "sizes"),
    [
        (0, 32, []),
        (1, 32, [1]),
        (10, 4, [4, 3, 2, 1]),
        (100, 32, [32, 32, 18, 9, 5, 2, 1, 1]),
        (64, 32, [32, 16, 8, 4, 2, 1, 1]),
        (5, 1, [1, 1, 1, 1, 1]),
    ],
)
def test_batches_shrink_at_the_end_and_keep_every_file_once_in_order(
    count: int, n: int, sizes: list[int]
) -> None:
    from codelens._index.batch import tapered

    items = list(range(count))
    batches = list(tapered(items, n))
    assert [len(b) for b in batches] == sizes
    assert [i for b in batches for i in b] == items


@pytest.mark.parametrize(("seconds_per_text", "early"), [(0.0, False), (0.01, True)])
def test_a_first_index_keeps_hnsw_current_behind_a_slow_model_and_builds_it_once_after_a_fast_one(
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seconds_per_text: float,
    early: bool,
) -> None:
    from codelens._index import batch as _index_batch
    from codelens._index import store as _index_store
    from codelens._index import vectors as _index_vectors
    from codelens._index.run import index_repository

    repo = tmp_path / "many"
    for i in range(6):
        body = "\n\n".join(f"def f{i}_{j}(x):\n    return x * {j}\n" for j in range(12))
        (repo / f"m{i}.py").parent.mkdir(exist_ok=True)
        (repo / f"m{i}.py").write_text(body)
    rng = np.random.default_rng(0)

    def stand_in(self: WindowedEmbedder, texts: Any) -> Any:
        time.sleep(seconds_per_text * len(texts))
        vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), [9] * len(texts)

    events: list[str] = []
    real_store, real_fill = _index_batch.write_files, _index_vectors.fill_vectors
    real_index = _index_vectors.ensure_vector_index

    def store(*args: Any) -> None:
        events.append("store")
        real_store(*args)

    def fill(*args: Any) -> int:
        events.append("fill")
        return real_fill(*args)

    def index(*args: Any, **kwargs: Any) -> bool:
        events.append("index")
        return real_index(*args, **kwargs)

    assert _index_store.fill_vectors is real_fill
    monkeypatch.setattr(WindowedEmbedder, "embed_counted", stand_in)
    monkeypatch.setattr(_index_batch, "write_files", store)
    monkeypatch.setattr(_index_vectors, "fill_vectors", fill)
    monkeypatch.setattr(_index_vectors, "ensure_vector_index", index)
    index_repository(project.handle, repo, progress=False, batch_files=1, embed_batch=16)
    assert events.count("index") == 1
    # Every file is stored before any vector is written. A slow model: the index is built
    # once its pace is known (after 16 chunks, so before the second batch of vectors) and
    # kept current from then on. A fast one: built once, after the last batch of vectors.
    assert events[:6] == ["store"] * 6
    position = events.index("index")
    assert position <= 7 if early else position == len(events) - 1
    stored = _rows(project, "SELECT count(*) FROM chunks")[0][0]
    assert events.count("fill") == -(-stored // 16)
    names = _rows(project, "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks'")
    assert ("chunks_embedding_hnsw",) in names

    # Once the project has chunks, every later run keeps the index it has.
    events.clear()
    (repo / "m0.py").write_text("def changed():\n    return 1\n")
    index_repository(project.handle, repo, progress=False, batch_files=1)
    assert events == ["store", "fill"]


_STALLED_INDEXER = """
import sys, threading, time
from pathlib import Path
from codelens import Settings, Workspace
from codelens._index.batch import Run

first = threading.Lock()  # one line however many writers stall

def stall(run, conn, batch):
    if first.acquire(blocking=False):
        print("storing", flush=True)
    time.sleep(600)

Run.write = stall
home, url, project, repo = sys.argv[1:]
Workspace(Settings(home=Path(home), database_url=url or None)).get(project).index(repo, progress=False)
"""


def test_a_run_whose_process_was_killed_is_marked_interrupted_by_the_next(
    project: Project, repo: Path
) -> None:
    settings = project.workspace.settings
    command = [sys.executable, "-c", _STALLED_INDEXER, str(settings.home)]
    command += [settings.database_url or "", project.id, str(repo)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "storing"  # mid-run, holding the lock
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    assert _rows(project, "SELECT status, finished_at FROM index_runs") == [("running", None)]
    # wait: the dead child's session, and its lock, go when the server notices the hang-up
    project.index(repo, progress=False, wait=True, scan_options=SMALL)
    runs = _rows(project, "SELECT status, finished_at IS NOT NULL FROM index_runs ORDER BY id")
    assert runs == [("interrupted", True), ("completed", True)]


def test_one_pooled_connection_serves_projects_of_different_widths(
    workspace: Workspace, project: Project, repo: Path, ollama: FakeOllama, project_id: str
) -> None:
    # One connection moves between projects by search_path. A statement the driver had
    # prepared against a 384-wide project's chunks could not run on a 768-wide one's.
    wide = workspace.create(f"{project_id}-w", embedder="ollama")
    try:
        project.index(repo, progress=False, scan_options=SMALL)
        wide.index(repo, progress=False, scan_options=SMALL)
        one = Database(workspace.settings, max_size=1)
        try:
            widths = []
            for handle in (project.handle, wide.handle):
                with one.connection(handle.schema) as conn:
                    for _ in range(8):  # past psycopg's threshold for preparing a statement
                        row = conn.execute("SELECT embedding FROM chunks LIMIT 1").fetchone()
                    assert row is not None
                    widths.append(len(row[0].to_numpy()))
            assert widths == [384, 768]
        finally:
            one.close()
    finally:
        workspace.drop(wide.id, force=True)


def test_a_linked_folder_and_a_linked_file_are_indexed_once_under_their_real_paths(
    project: Project, tmp_path: Path
) -> None:
    # As in a library whose src/core links to a sibling crate's src, and whose CLAUDE.md
    # links to AGENTS.md: each result came twice, under two paths.
    repo = tmp_path / "linked"
    (repo / "crate" / "src").mkdir(parents=True)
    (repo / "crate" / "src" / "ledger.py").write_text(
        "def settle_ledger_balance(entries):\n    return sum(e.amount for e in entries)\n"
    )
    (repo / "AGENTS.md").write_text("# Agents\n\nRun the quokka suite before every commit.\n")
    (repo / "src").mkdir()
    (repo / "src" / "core").symlink_to("../crate/src", target_is_directory=True)
    (repo / "CLAUDE.md").symlink_to("AGENTS.md")
    report = project.index(repo, progress=False, scan_options=SMALL)
    assert report.files_skipped == {
        "duplicate_of crate/src": 1,
        "duplicate_of AGENTS.md": 1,
    }
    with project.connection() as conn:
        counts = dict(conn.execute("SELECT path, count(*) FROM chunks GROUP BY path").fetchall())
    assert set(counts) == {"crate/src/ledger.py", "AGENTS.md"}
    for query in ("settle ledger balance", "quokka suite"):
        for mode in ("lexical", "hybrid"):
            results = project.search(query, mode=mode, limit=10)
            assert len(set(results.content)) == len(results), (query, mode)
            assert not results.path.str.startswith(("src/", "CLAUDE")).any()
    coverage = project.analyze().coverage(by="repository")
    assert coverage["skipped_duplicate_of"].sum() == 2
    assert not any(" " in column for column in coverage.columns)
