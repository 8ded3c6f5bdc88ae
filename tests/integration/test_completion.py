"""Tab completion of the magics, through IPython's completer as kernels call it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell

from codelens import Settings, Workspace
from codelens._languages import LANGUAGES
from codelens._notebook.args import COMMANDS
from codelens._notebook.completion import complete
from codelens._notebook.magics import (
    CodelensMagics,
    load_ipython_extension,
    unload_ipython_extension,
)


@pytest.fixture(scope="module")
def names(workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two projects sharing a prefix; the first holds an (empty) repository called 'shop'."""
    prefix = f"t-comp-{uuid.uuid4().hex[:6]}"
    made = [f"{prefix}-alpha", f"{prefix}-beta"]
    first = workspace.create(made[0], embedder="local")
    workspace.create(made[1])
    empty = tmp_path_factory.mktemp("comp") / "shop"
    empty.mkdir()
    first.index(empty, progress=False)
    yield made
    for name in made:
        workspace.drop(name, force=True)


@pytest.fixture
def ip(settings: Settings) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    own = Workspace(settings)
    shell.magics_manager.registry["CodelensMagics"].workspace = own
    yield shell
    unload_ipython_extension(shell)
    own.close()


def completions(shell: InteractiveShell, line: str) -> list[str]:
    """What a Jupyter frontend gets: ipykernel asks Completer.completions (API v2)."""
    with provisionalcompleter():
        return sorted({c.text for c in shell.Completer.completions(line, len(line))})


def test_subcommands(ip: InteractiveShell) -> None:
    assert completions(ip, "%codelens ") == sorted(COMMANDS)
    assert completions(ip, "%codelens st") == ["stats", "status"]
    assert completions(ip, "%codelens help cr") == ["create"]


def test_project_names(ip: InteractiveShell, names: list[str]) -> None:
    prefix = names[0].rsplit("-", 1)[0]
    for line in (
        f"%codelens use {prefix}",
        f"%codelens drop {prefix}",
        f"%codelens status -p {prefix}",
        f"%codesearch parse json -p {prefix}",
        f"%codesearch parse json --project {prefix}",
        f"%%codesearch -k 3 -p {prefix}",
        f"%%codesql -p {prefix}",
    ):
        assert completions(ip, line) == names, line
    assert completions(ip, f"%codelens use {names[1]}") == [names[1]]


def test_option_names(ip: InteractiveShell) -> None:
    assert completions(ip, "%codesearch parse json --l") == ["--lang", "--limit"]
    assert completions(ip, "%codelens create demo --e") == ["--embed", "--embedder"]
    assert completions(ip, "%codelens drop demo -") == ["--force", "--repo", "-f"]
    assert completions(ip, "df = %codesearch x --mo") == ["--mode"]
    assert completions(ip, "%%codesql --") == ["--no-refresh", "--project"]


def test_option_values(ip: InteractiveShell) -> None:
    assert completions(ip, "%codesearch x --lang py") == ["python"]
    assert completions(ip, "%codesearch x --lang ") == sorted(LANGUAGES)
    assert completions(ip, "%codesearch x --mode ") == ["hybrid", "lexical", "semantic"]
    assert completions(ip, "%codesearch x --kind ") == ["code", "docs"]
    assert completions(ip, "%codesearch x --kind d") == ["docs"]
    assert completions(ip, "%codelens create demo --embedder ") == [
        "local",
        "ollama",
        "onnx",
        "static",
    ]


def test_repository_names(ip: InteractiveShell, names: list[str]) -> None:
    assert completions(ip, f"%codesearch x -p {names[0]} --repo ") == ["shop"]
    magics = ip.magics_manager.registry["CodelensMagics"]
    assert complete(magics, f"%codesearch x -p {names[1]} --repo ", "") == []
    ip.magics_manager.registry["CodelensMagics"].workspace.use(names[0])
    assert completions(ip, "%codesearch x --repo s") == ["shop"]


def test_other_code_is_left_to_ipython(ip: InteractiveShell) -> None:
    magics = ip.magics_manager.registry["CodelensMagics"]
    for line in ("import js", "%time --lang ", "%codesearc", "%codelens", "%codesearch parse js"):
        assert complete(magics, line, line.split(" ")[-1]) == [], line
    assert "json" in completions(ip, "import js")  # IPython's own matchers still answer


def test_nothing_after_a_value_option_or_unknown_subcommand(ip: InteractiveShell) -> None:
    magics = ip.magics_manager.registry["CodelensMagics"]
    assert complete(magics, "%codesearch x -k ", "") == []
    assert complete(magics, "%codelens bogus ", "") == []
    assert complete(magics, "%codelens create demo ", "") == []
    assert complete(magics, "%%codesql ", "") == []


def test_a_server_that_fails_completes_no_projects(tmp_path: Path) -> None:
    # A file where the data folder should be: the embedded server cannot start.
    (tmp_path / "pgdata").write_text("not a folder")
    broken = Workspace(Settings(home=tmp_path))
    magics = CodelensMagics(workspace=broken)
    assert complete(magics, "%codelens use ", "") == []
    assert complete(magics, "%codesearch x --repo ", "") == []
