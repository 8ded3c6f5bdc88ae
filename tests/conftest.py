"""Shared fixtures: one real PostgreSQL for the session, a fresh project per test that asks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

# Before anything imports transformers or matplotlib: no hub access, no GUI backend.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("CODELENS_EMBEDDER", None)

import pytest

from codelens import Settings, Workspace
from codelens._server import stop_server


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings for the whole run: a private CODELENS_HOME, or CODELENS_TEST_DATABASE_URL."""
    home = Path(os.environ.get("CODELENS_TEST_HOME") or tmp_path_factory.mktemp("codelens-home"))
    external = os.environ.get("CODELENS_TEST_DATABASE_URL") or None
    yield Settings(home=home, database_url=external)
    if external is None and not os.environ.get("CODELENS_TEST_HOME"):
        stop_server(home / "pgdata")


@pytest.fixture(scope="session")
def workspace(settings: Settings) -> Iterator[Workspace]:
    ws = Workspace(settings)
    yield ws
    ws.close()


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
