"""What a new user installs: pyproject and environment.yml name the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# conda-forge spells a few packages differently
CONDA_NAMES = {"pgvector-python": "pgvector", "python-duckdb": "duckdb", "pytorch": "torch"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_has_every_runtime_dependency() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {_name(r) for r in pyproject["project"]["dependencies"]}
    listed: set[str] = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = line.strip()
        if item.startswith("- ") and not item.endswith(":") and not item.startswith("- -e"):
            name = _name(item[2:])
            listed.add(CONDA_NAMES.get(name, name))
    assert wanted - listed == set()


def test_torch_is_pinned_to_the_cpu_build_everywhere() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"torch==2.13.0"' in pyproject
    assert 'pip install --quiet "torch==2.13.0"' in (ROOT / "Makefile").read_text()
    assert "pytorch=2.13.0=*cpu*" in (ROOT / "environment.yml").read_text()


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    first_block = readme[readme.index("```bash") + 1 : readme.index("```bash") + 3]
    assert first_block[0].startswith("make demo")
    assert first_block[1].startswith("make test")
    assert "make test" in (ROOT / ".ci" / "run").read_text()
