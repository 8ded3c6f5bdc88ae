"""This repository's own notebooks, indexed once, asked a plain-words question in every front
end: each shows the hit by its place (``quickstart.ipynb · cell 21 [12] · lines 1-3``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from mcp import Client

from codelens import Settings, Workspace
from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import AllowedRoots
from codelens._mcp.server import build_server
from codelens._notebook.magics import load_ipython_extension, unload_ipython_extension
from codelens._notebook.search_panel import ui
from codelens._search.place import place
from tests.frontend_helpers import find_all
from tests.mcp_helpers import child_env, codelens_command, payload, run

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
QUESTION = "escape non-ASCII characters"
# The cell of quickstart.ipynb that answers QUESTION: its search for exactly that.
KNOWN_SOURCE = 'project.search("escape non-ASCII characters"'


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of notebooks/ (the repository indexed), one folder below a working folder."""
    copy = tmp_path_factory.mktemp("frontends") / "notebooks"
    shutil.copytree(NOTEBOOKS, copy)
    return copy


@pytest.fixture(scope="module")
def indexed(workspace: Workspace, folder: Path) -> Iterator[str]:
    """A project holding the copy of notebooks/, indexed once for the module."""
    name = f"t-nbfront-{uuid.uuid4().hex[:8]}"
    report = workspace.create(name, embedder="local").index(folder, progress=False)
    assert report.files_indexed == len(list(NOTEBOOKS.glob("*.ipynb")))
    yield name
    workspace.drop(name, force=True)


@pytest.fixture(scope="module")
def expected(workspace: Workspace, indexed: str) -> str:
    """The place of the known cell, as the API's top hit has it."""
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    number, cell = next((i, c) for i, c in enumerate(nb.cells, 1) if KNOWN_SOURCE in c.source)
    top: Any = workspace.get(indexed).search(QUESTION, limit=3).iloc[0]
    assert (top["path"], top["cell_number"], top["cell_kind"]) == (
        "quickstart.ipynb", number, "code"
    )  # fmt: skip
    where = place(top)
    assert where.startswith(f"quickstart.ipynb · cell {number} [{cell.execution_count}] · line")
    return where


def test_codesearch_shows_the_cell_and_links_to_its_notebook(
    ws: Workspace, indexed: str, expected: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kernel runs in its notebook's folder: here, the folder that holds notebooks/.
    monkeypatch.chdir(folder.parent)
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    shell.magics_manager.registry["CodelensMagics"].workspace = ws  # type: ignore[attr-defined]
    try:
        result = shell.run_cell(f"%codesearch {QUESTION} -p {indexed} -k 3")
        assert result.success
        # What a kernel sends the notebook for the cell's value: both renderings.
        shown, _ = shell.display_formatter.format(result.result)
    finally:
        unload_ipython_extension(shell)
    link = '<a href="notebooks/quickstart.ipynb" title="open quickstart.ipynb">'
    assert f"{link}<code>{expected}</code></a>" in shown["text/html"]
    assert expected in shown["text/plain"]
    assert shown["text/plain"].splitlines()[1].lstrip().startswith(f"1. {expected}")


def test_the_search_panel_shows_the_cell(ws: Workspace, indexed: str, expected: str) -> None:
    widget = ui(indexed, ws, limit=3)
    widget.panel.query.value = QUESTION
    headers = [b.description for b in find_all(widget, "cl-result-header")]
    assert headers and headers[0].startswith(f"1. {expected}")


def test_the_cli_shows_the_cell(
    settings: Settings, workspace: Workspace, indexed: str, expected: str
) -> None:
    command, args = codelens_command()
    env = {"PATH": os.environ.get("PATH", ""), **child_env(settings, workspace)}
    done = subprocess.run(
        [command, *args, "search", QUESTION, "-p", indexed, "-k", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(f" 1. {expected}  [notebooks, python,")


def test_the_mcp_tool_shows_the_cell(
    workspace: Workspace, indexed: str, expected: str, tmp_path: Path
) -> None:
    jobs = JobManager(workspace)
    server = build_server(workspace, AllowedRoots([tmp_path]), jobs)

    async def session() -> dict[str, Any]:
        async with Client(server) as client:
            arguments = {"query": QUESTION, "project_id": indexed, "limit": 3}
            reply: dict[str, Any] = payload(await client.call_tool("search_code", arguments))
            return reply

    try:
        reply = run(session)
    finally:
        jobs.shutdown()
    top = reply["results"][0]
    assert top["place"] == expected
    assert (top["path"], top["cell_kind"], top["language"]) == (
        "quickstart.ipynb",
        "code",
        "python",
    )
    assert isinstance(top["cell_number"], int) and isinstance(top["execution_count"], int)
