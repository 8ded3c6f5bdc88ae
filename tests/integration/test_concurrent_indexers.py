"""Indexers on many machines: two workspaces, each with connections of its own (standing
in for two machines), index into one project, or into two, at once.

Against the real server and tree-sitter; vectors come from the fake Ollama server, one
request at a time with a delay, so that each run holds its locks for a while.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codelens import Project, Settings, Workspace
from codelens._index.report import IndexReport
from codelens.errors import ProjectBusy
from tests.fake_ollama import FakeOllama

EMBEDDER = "ollama:nomic-embed-text"


@pytest.fixture
def two(settings: Settings, fake_ollama: FakeOllama) -> Iterator[tuple[Workspace, Workspace]]:
    fake_ollama.delay = 0.05
    first, second = Workspace(settings), Workspace(settings)
    yield first, second
    for ws in (first, second):
        for project_id in ws.ids():
            if project_id.startswith("conc-"):
                ws.drop(project_id, force=True)
        ws.close()


def _repo(root: Path, word: str, files: int = 12) -> Path:
    for i in range(files):
        folder = root / f"pkg{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{word}_{i}.py").write_text(
            "\n\n".join(
                f'def {word}_{i}_{j}(value: int) -> int:\n    """{word} step {j}."""\n'
                f"    return value * {j} + {i}\n"
                for j in range(6)
            )
            + "\n"
        )
    return root


def _rows(project: Project, query: str) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return list(conn.execute(query))


def _per_repository(project: Project) -> dict[str, tuple[int, int]]:
    """(files, chunks) by repository name."""
    return {
        name: (files, chunks)
        for name, files, chunks in _rows(
            project,
            "SELECT r.name, (SELECT count(*) FROM files f WHERE f.repository_id = r.id),"
            " (SELECT count(*) FROM chunks c WHERE c.repository_id = r.id) FROM repositories r",
        )
    }


def _at_once(*calls: Callable[[], IndexReport]) -> list[IndexReport]:
    """Run the calls on threads that start together; raise the first error."""
    start = threading.Barrier(len(calls))
    results: list[IndexReport | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return [r for r in results if isinstance(r, IndexReport)]


def _whole(project: Project) -> None:
    """Nothing doubled, nothing half done."""
    assert _rows(project, "SELECT count(*) FROM embedding_metadata") == [(1,)]
    doubled = _rows(
        project,
        "SELECT count(*) FROM (SELECT file_id, chunk_index FROM chunks"
        " GROUP BY 1, 2 HAVING count(*) > 1) d",
    )
    assert doubled == [(0,)]
    assert _rows(project, "SELECT count(*) FROM chunks WHERE embedding IS NULL") == [(0,)]
    assert _rows(project, "SELECT DISTINCT status FROM index_runs") == [("completed",)]


def test_two_machines_index_different_repositories_into_one_project_at_once(
    two: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    a, b = _repo(tmp_path / "ledger", "ledger"), _repo(tmp_path / "tariff", "tariff", files=9)
    # Each repository alone, for the counts.
    alone = two[0].create("conc-alone", embedder=EMBEDDER)
    alone.index(a, progress=False)
    alone.index(b, progress=False)
    expected = _per_repository(alone)
    assert expected == {"ledger": (12, 12 * 6), "tariff": (9, 9 * 6)}

    first, second = (ws.create("conc-shared", embedder=EMBEDDER, exist_ok=True) for ws in two)
    started = time.monotonic()
    reports = _at_once(
        lambda: first.index(a, progress=False), lambda: second.index(b, progress=False)
    )
    elapsed = time.monotonic() - started
    assert [r.files_indexed for r in reports] == [12, 9]
    assert _per_repository(first) == expected
    _whole(first)
    # Each run took its time embedding: they ran at once, not one refused or queued.
    assert all(r.seconds["total"] > 0.3 for r in reports)
    assert elapsed < sum(r.seconds["total"] for r in reports)

    # Again, nothing changed: nothing is stored twice.
    again = _at_once(
        lambda: first.index(a, progress=False), lambda: second.index(b, progress=False)
    )
    assert [r.files_unchanged for r in again] == [12, 9]
    assert _per_repository(first) == expected


def test_two_machines_index_two_projects_at_once(
    two: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    a, b = _repo(tmp_path / "ledger", "ledger", files=6), _repo(tmp_path / "tariff", "tariff", 6)
    first = two[0].create("conc-one", embedder=EMBEDDER)
    second = two[1].create("conc-two", embedder=EMBEDDER)
    reports = _at_once(
        lambda: first.index(a, progress=False), lambda: second.index(b, progress=False)
    )
    assert [r.files_indexed for r in reports] == [6, 6]
    assert _per_repository(first) == {"ledger": (6, 36)}
    assert _per_repository(second) == {"tariff": (6, 36)}
    _whole(first)
    _whole(second)


def test_a_second_indexer_of_the_same_repository_is_told_the_holder_s_host(
    two: tuple[Workspace, Workspace], tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    a = _repo(tmp_path / "ledger", "ledger", files=6)
    first, second = (ws.create("conc-same", embedder=EMBEDDER, exist_ok=True) for ws in two)
    fake_ollama.delay = 0.3  # the first run holds its lock while it embeds
    holding = threading.Thread(target=first.index, args=(a,), kwargs={"progress": False})
    holding.start()
    try:
        deadline = time.monotonic() + 30
        while not fake_ollama.embed_bodies():
            assert time.monotonic() < deadline, "the first run never embedded"
            time.sleep(0.01)
        with pytest.raises(ProjectBusy) as busy:
            second.index(a, progress=False)
    finally:
        holding.join(timeout=120)
    message = str(busy.value)
    assert message.startswith(f"{a.resolve()} in project 'conc-same' is being indexed by")
    assert "codelens indexer, pid " in message and f" on {socket.gethostname()}" in message
    assert message.endswith("or pass wait=True to queue behind it")
    fake_ollama.delay = 0.0
    assert second.index(a, progress=False).files_unchanged == 6
    _whole(second)
