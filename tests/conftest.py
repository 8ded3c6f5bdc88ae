"""Shared fixtures: one real PostgreSQL for the session, a fresh project per test that asks."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Before anything imports transformers or matplotlib: no hub access, no GUI backend.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("CODELENS_EMBEDDER", None)

import pytest
from IPython.core.interactiveshell import InteractiveShell

from codelens import Settings, Workspace
from codelens._db.embedded import stop_server
from codelens._notebook.magics import load_ipython_extension, unload_ipython_extension
from tests.fake_ollama import FakeOllama
from tests.mcp_helpers import child_env

# No test may reach a real Ollama: the default rule then sees nothing listening.
os.environ["OLLAMA_HOST"] = FakeOllama.refused_host()


def make_home() -> Path:
    """A private CODELENS_HOME outside pytest's basetemp.

    The embedded server runs as its own system user and must traverse every parent of
    its data dir; pytest chmods /tmp/pytest-of-USER back to 0700 whenever another pytest
    starts (the notebook tests start one), which would lock a running server out.
    """
    return Path(tempfile.mkdtemp(prefix="codelens-test-"))


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    home = make_home()
    yield home
    stop_server(home / "pgdata")
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    """Settings for the whole run: a private CODELENS_HOME, or CODELENS_TEST_DATABASE_URL."""
    given = os.environ.get("CODELENS_TEST_HOME")
    home = Path(given) if given else make_home()
    external = os.environ.get("CODELENS_TEST_DATABASE_URL") or None
    yield Settings(home=home, database_url=external)
    if not given:
        stop_server(home / "pgdata")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def workspace(settings: Settings) -> Iterator[Workspace]:
    ws = Workspace(settings)
    yield ws
    ws.close()


@pytest.fixture
def ws(settings: Settings) -> Iterator[Workspace]:
    """A Workspace of its own on the session's server: the current project is per workspace,
    so a test that switches projects cannot leak that into another."""
    own = Workspace(settings)
    yield own
    own.close()


@pytest.fixture
def project_id() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def project(workspace: Workspace, project_id: str) -> Iterator[object]:
    """A fresh, empty project, dropped afterwards."""
    created = workspace.create(project_id, embedder="local")
    yield created
    if workspace.exists(project_id):
        workspace.drop(project_id, force=True)


@pytest.fixture
def ip(ws: Workspace) -> Iterator[InteractiveShell]:
    """IPython's shell with the codelens magics, on this test's workspace."""
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    shell.magics_manager.registry["CodelensMagics"].workspace = ws
    yield shell
    unload_ipython_extension(shell)
    shell.config.pop("CodelensMagics", None)  # %config lands in the shared shell's config


@pytest.fixture
def cli_env(settings: Settings, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads its settings from the environment: point it at the session's server."""
    for key, value in child_env(settings, workspace).items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def fake_ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    """A fake Ollama with nomic-embed-text (768 dims) that OLLAMA_HOST points at."""
    with FakeOllama({"nomic-embed-text": 768}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server
