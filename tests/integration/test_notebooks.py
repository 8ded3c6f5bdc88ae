"""The shipped notebooks run top to bottom and reproduce their saved outputs (nbval).

Each runs in its own pytest process with a real kernel of this environment, against a
private CODELENS_HOME (the kernel inherits the environment), so a user's data is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from codelens._db.embedded import stop_server

pytestmark = pytest.mark.notebooks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def nbval_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "CODELENS_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env["TRANSFORMERS_OFFLINE"] = "1"
    for name in ("CODELENS_EMBEDDER", "CODELENS_DATABASE_URL", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    return env


@pytest.fixture
def home() -> Iterator[Path]:
    # Not under pytest's tmp_path: pytest keeps /tmp/pytest-of-<user> private (0700), and the
    # embedded server runs as its own system user, which must reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="codelens-nb-"))
    yield folder
    stop_server(folder / "pgdata")  # the embedded server outlives the kernel on purpose
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_matches_its_outputs(notebook: Path, home: Path) -> None:
    # A notebook with no saved outputs would pass nbval vacuously.
    book = nbformat.read(notebook, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), f"{notebook.name} has cells never run"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "--nbval-current-env",
        "--nbval-cell-timeout=600",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-q",
        str(notebook),
    ]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=nbval_env(home),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert f"{len(code)} passed" in done.stdout
