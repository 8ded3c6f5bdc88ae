"""The IPython magics, driven in an in-process shell as a notebook user would."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.interactiveshell import InteractiveShell

from codelens import Settings, Workspace
from codelens._notebook.args import COMMANDS
from codelens._notebook.magics import (
    CodelensMagics,
    load_ipython_extension,
    unload_ipython_extension,
)
from codelens.errors import (
    CodelensError,
    DatabaseError,
    IndexingError,
    ProjectNotFound,
    SearchError,
)
from tests.frontend_helpers import FILES, README, find, with_password, write_repo
from tests.mcp_helpers import free_port


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("magics") / "shop")


@pytest.fixture(scope="module")
def indexed(workspace: Workspace, repo: Path) -> Iterator[str]:
    """A project holding the sample repository, indexed once for the module."""
    name = f"t-magics-{uuid.uuid4().hex[:8]}"
    workspace.create(name, embedder="local").index(repo, progress=False)
    yield name
    workspace.drop(name, force=True)


@pytest.fixture
def fresh(ws: Workspace) -> Iterator[str]:
    """A project name nobody uses yet; dropped after the test if it was created."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    yield name
    if ws.exists(name):
        ws.drop(name, force=True)


def magics(shell: InteractiveShell) -> CodelensMagics:
    found = shell.magics_manager.registry["CodelensMagics"]
    assert isinstance(found, CodelensMagics)
    return found


def line(shell: InteractiveShell, magic: str, text: str = "") -> object:
    return shell.run_line_magic(magic, text)


# -- the contract: every documented magic and subcommand exists, has help, and works ---------


def test_every_magic_is_registered_with_help(ip: InteractiveShell) -> None:
    registered = ip.magics_manager.magics
    assert {"codesearch", "codelens"} <= set(registered["line"])
    assert {"codesearch", "codesql"} <= set(registered["cell"])
    documented = [
        ("line", "codesearch"),
        ("cell", "codesearch"),
        ("line", "codelens"),
        ("cell", "codesql"),
    ]
    for kind, name in documented:
        assert registered[kind][name].__doc__.strip()


def test_help_lists_every_subcommand(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    line(ip, "codelens", "help")
    listing = capsys.readouterr().out
    for name in ("projects", "create", "use", "drop", "index", "status", "stats", "help"):
        assert f"  {name} " in listing
    assert "usage: %codesearch" in listing
    assert "usage: %%codesql" in listing
    line(ip, "codelens")  # no subcommand: the same listing
    assert capsys.readouterr().out == listing


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_subcommand_has_its_own_help(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    line(ip, "codelens", f"help {name}")
    text = capsys.readouterr().out
    assert text.startswith(f"usage: %codelens {name}")
    assert COMMANDS[name].summary in text
    line(ip, "codelens", f"{name} --help")
    assert capsys.readouterr().out == text


def test_codesearch_help(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    line(ip, "codesearch", "-h")
    text = capsys.readouterr().out
    assert text.startswith("usage: %codesearch")
    for option in ("--project", "--limit", "--lang", "--path", "--repo", "--kind", "--mode"):
        assert option in text


def test_help_of_an_unknown_topic(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="no subcommand 'nope'"):
        line(ip, "codelens", "help nope")


def test_unknown_subcommand_lists_the_known_ones_and_guesses(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError) as caught:
        line(ip, "codelens", "creat demo")
    message = str(caught.value)
    assert "unknown subcommand 'creat'" in message
    assert ", ".join(COMMANDS) in message
    assert "Did you mean `%codelens create`?" in message


def test_bad_arguments_raise_usage_error_with_the_usage_line(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match=r"required: name\nusage: %codelens create"):
        line(ip, "codelens", "create")
    with pytest.raises(UsageError, match=r"invalid choice: 'fuzzy'.*\nusage: %codesearch"):
        line(ip, "codesearch", "x --mode fuzzy")
    with pytest.raises(UsageError, match=r"invalid int value: 'many'"):
        line(ip, "codesearch", "x -k many")
    # A mistyped option is named with the one meant, as in the terminal.
    pattern = r"^unrecognized arguments: --forse \(did you mean --force\?\)\nusage: %codelens index"
    with pytest.raises(UsageError, match=pattern):
        line(ip, "codelens", "index . --forse")


# -- project subcommands --------------------------------------------------------------------


def test_create_makes_the_project_current(
    ip: InteractiveShell, ws: Workspace, fresh: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert line(ip, "codelens", f'create {fresh} --description "my demo"') is None
    assert "now the current project" in capsys.readouterr().out
    assert ws.current_id == fresh
    assert ws.get(fresh).info()["description"] == "my demo"


def test_create_with_path_indexes_it(
    ip: InteractiveShell, ws: Workspace, fresh: str, repo: Path
) -> None:
    magics(ip).quiet = True
    report = line(ip, "codelens", f"create {fresh} --path {repo} --embedder local")
    assert report.files_indexed == 3  # type: ignore[attr-defined]
    assert ws.get(fresh).counts()["chunks"] > 0
    assert ws.get(fresh).info()["embedder"] == "local"


def test_create_with_a_missing_folder_fails_in_one_line_and_creates_nothing(
    ip: InteractiveShell, ws: Workspace, fresh: str, repo: Path, tmp_path: Path
) -> None:
    magics(ip).quiet = True
    before = ws.ids()
    result = ip.run_cell(f"%codelens create {fresh} --path {tmp_path / 'typo'}")
    error = result.error_in_exec
    assert type(error).__name__ == "IndexingError"
    assert error is not None and error._render_traceback_() == [  # type: ignore[attr-defined]
        f"IndexingError: {str(tmp_path / 'typo')!r} does not exist: pass the folder of a"
        " repository to index"
    ]
    assert ws.ids() == before
    # The same command with the folder fixed: the name is still free.
    report = line(ip, "codelens", f"create {fresh} --path {repo} --embedder local")
    assert report.files_indexed == 3  # type: ignore[attr-defined]


def test_create_without_a_first_pass_searches_by_the_projects_model_alone(
    ip: InteractiveShell,
    ws: Workspace,
    fresh: str,
    repo: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    magics(ip).quiet = True
    line(ip, "codelens", f"create {fresh} --no-first-pass --embedder local")
    assert ws.get(fresh).info()["settings"] == {"first_pass": False}
    line(ip, "codelens", f"index {repo} --embed later")
    capsys.readouterr()
    line(ip, "codelens", "status")
    status = capsys.readouterr().out
    assert "vectors: 0 of" in status and "first pass" not in status
    hits = ws.get(fresh).search("render a receipt", mode="semantic")
    assert hits.attrs["semantic_model"] == "local:all-MiniLM-L6-v2" and len(hits) == 0


def test_create_rejects_a_bad_name_in_one_line(ip: InteractiveShell) -> None:
    result = ip.run_cell("%codelens create Not_Valid")
    assert type(result.error_in_exec).__name__ == "InvalidProjectId"


def test_projects_lists_them(ip: InteractiveShell, indexed: str) -> None:
    table = line(ip, "codelens", "projects")
    assert isinstance(table, pd.DataFrame)
    row = table.set_index("id").loc[indexed]
    assert row["files"] == 3
    assert row["chunks"] > 0


def test_use_switches_the_current_project(
    ip: InteractiveShell, ws: Workspace, indexed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line(ip, "codelens", f"use {indexed}")
    assert ws.current_id == indexed
    assert capsys.readouterr().out.strip() == f"current project: {indexed}"


def test_user_errors_fail_the_cell_with_one_line(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    result = ip.run_cell("%codelens use t-no-such-project")
    assert isinstance(result.error_in_exec, ProjectNotFound)
    shown = capsys.readouterr().out.strip().splitlines()
    assert len(shown) == 1
    assert shown[0].startswith("ProjectNotFound: no project 't-no-such-project'")


def test_drop_with_force(
    ip: InteractiveShell, ws: Workspace, fresh: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.create(fresh)
    line(ip, "codelens", f"drop {fresh} --force")
    assert not ws.exists(fresh)
    assert capsys.readouterr().out.strip() == f"dropped project {fresh!r}"


@pytest.mark.parametrize(
    ("answer", "kept"), [("y", False), ("yes", False), ("n", True), ("", True)]
)
def test_drop_asks_first(
    ip: InteractiveShell,
    ws: Workspace,
    fresh: str,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    kept: bool,
) -> None:
    ws.create(fresh)
    questions: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda q: questions.append(q) or answer)
    line(ip, "codelens", f"drop {fresh}")
    assert questions == [f"Drop project {fresh!r} and everything indexed in it? [y/N] "]
    assert ws.exists(fresh) is kept


def test_drop_without_a_way_to_ask_keeps_the_project(
    ip: InteractiveShell, ws: Workspace, fresh: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What ipykernel does when the frontend has no stdin (nbclient, nbval, some UIs).
    def no_stdin(question: str) -> str:
        raise StdinNotImplementedError(
            "raw_input was called, but this frontend does not support input requests."
        )

    ws.create(fresh)
    monkeypatch.setattr(builtins, "input", no_stdin)
    with pytest.raises(CodelensError, match=f"run `%codelens drop {fresh} --force`"):
        line(ip, "codelens", f"drop {fresh}")
    assert ws.exists(fresh)


def test_drop_of_an_unknown_project_asks_nothing(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtins, "input", lambda q: pytest.fail("asked"))
    with pytest.raises(ProjectNotFound):
        line(ip, "codelens", "drop t-never-created")


def test_index_path_into_the_current_project(
    ip: InteractiveShell, ws: Workspace, fresh: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.create(fresh, embedder="local")
    ws.use(fresh)
    report = line(ip, "codelens", f"index {repo} --name shop-renamed")
    assert report.repository == "shop-renamed"
    assert report.files_indexed == 3
    assert "files" in capsys.readouterr().err  # progress bars, as quiet is off
    # no PATH: every repository again; nothing changed, so nothing is re-embedded
    again = line(ip, "codelens", "index")
    assert again.files_unchanged == 3
    assert again.chunks_added == 0
    forced = line(ip, "codelens", f"index -p {fresh} --force")
    assert forced.files_indexed == 3  # type: ignore[attr-defined]


def test_index_without_path_needs_repositories(
    ip: InteractiveShell, ws: Workspace, fresh: str
) -> None:
    ws.create(fresh)
    ws.use(fresh)
    with pytest.raises(CodelensError, match="has no repositories yet"):
        line(ip, "codelens", "index")
    with pytest.raises(UsageError, match="--name needs a PATH"):
        line(ip, "codelens", "index --name x")


def test_index_of_a_missing_folder(
    ip: InteractiveShell, ws: Workspace, fresh: str, tmp_path: Path
) -> None:
    ws.create(fresh)
    with pytest.raises(IndexingError, match="does not exist"):
        line(ip, "codelens", f"index {tmp_path / 'nowhere'} -p {fresh}")


def test_index_reports_many_repositories_as_a_list(
    ip: InteractiveShell, ws: Workspace, fresh: str, repo: Path, tmp_path: Path
) -> None:
    magics(ip).quiet = True
    other = write_repo(tmp_path / "other", {"a.py": "def alpha():\n    return 1\n"})
    project = ws.create(fresh, embedder="local")
    project.index(repo, progress=False)
    project.index(other, progress=False)
    reports = line(ip, "codelens", f"index -p {fresh}")
    assert isinstance(reports, list)
    assert sorted(r.repository for r in reports) == ["other", "shop"]


def test_status_of_the_current_project(
    ip: InteractiveShell, ws: Workspace, indexed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line(ip, "codelens", "status")
    assert capsys.readouterr().out.startswith("project: none;")
    ws.use(indexed)
    line(ip, "codelens", "status")
    text = capsys.readouterr().out
    assert f"project: {indexed} (current)" in text
    assert "model: local:all-MiniLM-L6-v2, 384 dimensions" in text
    assert "repositories: 1; files: 3 indexed, 0 skipped, 0 failed; chunks: " in text
    assert "  shop: " in text
    assert "last indexed" in text
    assert "server: " in text


def test_status_of_a_project_never_indexed(
    ip: InteractiveShell, ws: Workspace, fresh: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.create(fresh, description="empty one")
    line(ip, "codelens", f"status -p {fresh}")
    text = capsys.readouterr().out
    assert f"project: {fresh}\n" in text
    assert "description: empty one" in text
    assert "model: default (not indexed yet)" in text


def test_ui_opens_the_search_panel(ip: InteractiveShell, ws: Workspace, indexed: str) -> None:
    magics(ip).limit = 4
    panel = line(ip, "codelens", f"ui -p {indexed}")
    assert find(panel, "cl-project").value == indexed
    assert find(panel, "cl-limit").value == 4
    ws.use(indexed)
    assert find(line(ip, "codelens", "ui"), "cl-project").value == indexed


def test_stats(ip: InteractiveShell, indexed: str) -> None:
    table = line(ip, "codelens", f"stats -p {indexed}")
    assert isinstance(table, pd.DataFrame)
    assert list(table["repository"]) == ["shop", "(all)"]
    assert table.set_index("repository").loc["shop", "indexed"] == 3


# -- %%codesql ------------------------------------------------------------------------------


def test_codesql_runs_the_cell_over_the_snapshot(
    ip: InteractiveShell, ws: Workspace, indexed: str
) -> None:
    ws.use(indexed)
    sql = "SELECT language, count(*) AS n FROM files GROUP BY language ORDER BY language"
    table = ip.run_cell_magic("codesql", "", sql)
    assert table.to_dict("records") == [
        {"language": "javascript", "n": 1},
        {"language": "python", "n": 2},
    ]
    again = ip.run_cell_magic(
        "codesql", f"-p {indexed} --no-refresh", "SELECT count(*) AS n FROM chunks"
    )
    assert again["n"].iloc[0] == ws.get(indexed).counts()["chunks"]


def test_codesql_usage(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert ip.run_cell_magic("codesql", "--help", "\n") is None
    assert capsys.readouterr().out.startswith("usage: %codesql")
    with pytest.raises(UsageError, match="needs SQL in the cell"):
        ip.run_cell_magic("codesql", "", "  ")


# -- %codesearch ----------------------------------------------------------------------------


def test_codesearch_returns_the_results_frame(
    ip: InteractiveShell, ws: Workspace, indexed: str
) -> None:
    ws.use(indexed)
    found = line(ip, "codesearch", "split an HTTP response into headers and body")
    assert isinstance(found, pd.DataFrame)
    assert found.iloc[0]["path"] == "net/http.py"
    assert found.iloc[0]["symbol"] == "parse_http_response"
    assert found.attrs["query"] == "split an HTTP response into headers and body"


def test_assigning_the_value_of_codesearch(
    ip: InteractiveShell, ws: Workspace, indexed: str
) -> None:
    ws.use(indexed)
    result = ip.run_cell("df = %codesearch invoice total with tax -k 2")
    assert result.success
    df = ip.user_ns.pop("df")
    assert len(df) == 2
    assert df.iloc[0]["path"] == "billing/invoice.py"


def test_codesearch_options(ip: InteractiveShell, indexed: str) -> None:
    found = line(ip, "codesearch", f"draw a chart -p {indexed} --lang javascript")
    assert set(found["language"]) == {"javascript"}
    found = line(ip, "codesearch", f"total -p {indexed} --path 'billing/*' -k 1")
    assert list(found["path"]) == ["billing/invoice.py"]
    found = line(ip, "codesearch", f"parse_http_response -p {indexed} --mode lexical --repo shop")
    assert found.attrs["mode"] == "lexical"
    assert set(found["repository"]) == {"shop"}
    found = line(ip, "codesearch", f'"compute invoice total" -p {indexed}')
    assert found.attrs["query"] == "compute invoice total"
    assert line(ip, "codesearch", f"invoice -p {indexed} --repo nowhere").empty
    files = line(ip, "codesearch", f"invoice total -p {indexed} --by file")
    assert files.attrs["by"] == "file"
    assert files["path"].is_unique
    # The extension filter the terminal and the MCP tool offer (--type, file_type).
    found = line(ip, "codesearch", f"invoice -p {indexed} --type js")
    assert found.attrs["query"] == "invoice"
    assert set(found["path"]) == {"web/chart.js"}


def test_codesearch_query_words_may_start_with_a_dash(ip: InteractiveShell, indexed: str) -> None:
    # A question about a command line names its flags; the magic's own options still work
    # wherever they stand, abbreviated as argparse allows, and after -- everything is query.
    found = line(ip, "codesearch", f"where is --dry-run handled -p {indexed} -k 2")
    assert (found.attrs["query"], len(found)) == ("where is --dry-run handled", 2)
    found = line(ip, "codesearch", f"-k1 what does -x do --mo lexical -p={indexed}")
    assert (found.attrs["query"], found.attrs["mode"], len(found)) == (
        "what does -x do",
        "lexical",
        1,
    )
    found = line(ip, "codesearch", f"-p {indexed} --by=file invoice -- -k 2 --lang")
    assert (found.attrs["query"], found.attrs["by"]) == ("invoice -k 2 --lang", "file")
    # A mistyped option is not searched for: one line names the option meant.
    with pytest.raises(UsageError, match=r"^unknown option --lnag: did you mean --lang\? \(to s"):
        line(ip, "codesearch", f"invoice --lnag python -p {indexed}")
    with pytest.raises(UsageError, match=r"^ambiguous option --p: --path or --project\? \(to s"):
        line(ip, "codesearch", f"invoice --p {indexed}")
    with pytest.raises(UsageError, match="argument -k/--limit: expected one argument"):
        line(ip, "codesearch", f"invoice -p {indexed} -k")


def test_codesearch_kind(ip: InteractiveShell, ws: Workspace, fresh: str, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "shop", FILES | README)
    ws.create(fresh, embedder="local").index(repo, progress=False)
    query = f"invoice total with the sales tax -p {fresh} -k 20"
    everything = line(ip, "codesearch", query)
    assert set(everything.loc[everything["path"] == "README.md", "category"]) == {"docs"}
    docs = line(ip, "codesearch", f"{query} --kind docs")
    assert list(docs["path"]) == ["README.md"]
    code = line(ip, "codesearch", f"{query} --kind 'code'")
    assert len(code) and set(code["category"]) == {"code"}
    assert set(line(ip, "codesearch", f"{query} --kind method")["kind"]) == {"method"}
    with pytest.raises(SearchError, match="neither 'code' nor 'docs'"):
        line(ip, "codesearch", f"{query} --kind code/docs")


def test_codesearch_cell_magic_takes_code_as_the_query(ip: InteractiveShell, indexed: str) -> None:
    code = "for line in lines[1:]:\n    name, _, value = line.partition(':')\n    headers[name] = value\n"
    found = ip.run_cell_magic("codesearch", f"-p {indexed} -k 3", code)
    assert found.iloc[0]["symbol"] == "parse_http_response"
    assert found.attrs["query"] == code.strip()
    with pytest.raises(UsageError, match="takes options only"):
        ip.run_cell_magic("codesearch", f"-p {indexed} extra words", code)
    with pytest.raises(UsageError, match="needs a query"):
        ip.run_cell_magic("codesearch", f"-p {indexed}", "  \n")


def test_codesearch_needs_a_query_and_a_project(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="needs a query"):
        line(ip, "codesearch", "-k 3")
    with pytest.raises(CodelensError, match="no current project"):
        line(ip, "codesearch", "anything")
    with pytest.raises(ProjectNotFound):
        line(ip, "codesearch", "anything -p t-no-such-project")


def test_search_errors_propagate(ip: InteractiveShell, indexed: str) -> None:
    with pytest.raises(SearchError):
        line(ip, "codesearch", f"anything -p {indexed} -k 0")


@pytest.mark.parametrize("query", ["decode \ud800 x", "caf\udce9"])
def test_text_that_is_not_unicode_fails_the_cell_in_one_line(
    ip: InteractiveShell, indexed: str, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SearchError, match="query is not valid Unicode"):
        line(ip, "codesearch", f"{query} -p {indexed}")
    with pytest.raises(SearchError, match="path filter is not valid Unicode"):
        line(ip, "codesearch", f"parse -p {indexed} --path src/caf\udce9")
    result = ip.run_cell(f"%codesearch {query} -p {indexed}")
    assert isinstance(result.error_in_exec, SearchError)
    shown = capsys.readouterr().out.strip().splitlines()
    assert len(shown) == 1 and shown[0].startswith("SearchError: query is not valid Unicode")


# -- options as traitlets -------------------------------------------------------------------


def test_config_options(ip: InteractiveShell, ws: Workspace, indexed: str) -> None:
    ws.use(indexed)
    ip.run_line_magic("config", "CodelensMagics.limit = 2")
    ip.run_line_magic("config", "CodelensMagics.display_limit = 1")
    ip.run_line_magic("config", "CodelensMagics.mode = 'lexical'")
    found = line(ip, "codesearch", "invoice")
    assert len(found) <= 2
    assert found.attrs["mode"] == "lexical"
    assert found.display_limit == 1  # type: ignore[attr-defined]
    assert "showing 1 of" in found._repr_html_()  # type: ignore[attr-defined]
    assert len(line(ip, "codesearch", "invoice -k 3 --mode hybrid")) == 3


def test_default_project(
    ip: InteractiveShell, ws: Workspace, indexed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_line_magic("config", f"CodelensMagics.default_project = {indexed!r}")
    line(ip, "codelens", "status")
    assert f"project: {indexed} (current)" in capsys.readouterr().out
    assert ws.current_id == indexed
    assert not line(ip, "codesearch", "invoice").empty


def test_quiet_hides_progress(
    ip: InteractiveShell, ws: Workspace, fresh: str, repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    ip.run_line_magic("config", "CodelensMagics.quiet = True")
    ws.create(fresh, embedder="local")
    line(ip, "codelens", f"index {repo} -p {fresh}")
    assert capfd.readouterr().err == ""


def test_config_is_listed_and_typed(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    ip.run_line_magic("config", "CodelensMagics")
    listing = capsys.readouterr().out
    for option in ("limit", "display_limit", "mode", "default_project", "quiet"):
        assert f"CodelensMagics.{option}=" in listing
    ip.run_line_magic("config", "CodelensMagics.mode = 'fuzzy'")
    assert "expected any of ['hybrid', 'semantic', 'lexical']" in caplog.text
    assert magics(ip).mode == "hybrid"


def test_ipython_config_file(tmp_path: Path, settings: Settings) -> None:
    profile = tmp_path / "profile_default"
    profile.mkdir()
    (profile / "ipython_config.py").write_text(
        "c.InteractiveShellApp.extensions = ['codelens']\n"
        "c.CodelensMagics.limit = 7\n"
        "c.CodelensMagics.quiet = True\n"
    )
    code = "m = get_ipython().magics_manager.registry['CodelensMagics']; print(m.limit, m.quiet)"
    env = {**os.environ, "CODELENS_HOME": str(settings.home)}
    done = subprocess.run(
        [sys.executable, "-m", "IPython", f"--ipython-dir={tmp_path}", "--no-banner", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1] == "7 True", done.stderr


# -- loading ----------------------------------------------------------------------------------


def test_load_ext_by_package_name() -> None:
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "codelens")
        assert "codesearch" in shell.magics_manager.magics["line"]
    finally:
        shell.run_line_magic("unload_ext", "codelens")
    assert "codesearch" not in shell.magics_manager.magics["line"]
    assert "CodelensMagics" not in shell.magics_manager.registry


def test_loading_twice_keeps_one_instance(ip: InteractiveShell, ws: Workspace) -> None:
    first = magics(ip)
    load_ipython_extension(ip)
    assert magics(ip) is first
    assert first.workspace is ws
    matchers = [
        m
        for m in ip.Completer.custom_matchers
        if getattr(m, "matcher_identifier", "") == "codelens.magics"
    ]
    assert len(matchers) == 1


def test_unload_removes_everything(ws: Workspace) -> None:
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    unload_ipython_extension(shell)
    unload_ipython_extension(shell)  # twice is harmless
    assert "codelens" not in shell.magics_manager.magics["line"]
    assert not any(isinstance(c, CodelensMagics) for c in shell.configurables)
    assert not any(
        getattr(m, "matcher_identifier", "") == "codelens.magics"
        for m in shell.Completer.custom_matchers
    )


def test_default_workspace_is_the_sessions(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from codelens import _api

    monkeypatch.setattr(_api._Default, "workspace", ws)
    assert CodelensMagics().workspace is ws


def test_create_with_an_unknown_embedder_fails_in_one_line_and_registers_nothing(
    ip: InteractiveShell, ws: Workspace, fresh: str
) -> None:
    before = ws.ids()
    result = ip.run_cell(f"%codelens create {fresh} --embedder tfidf")
    error = result.error_in_exec
    assert type(error).__name__ == "ConfigError"
    assert error is not None and error._render_traceback_() == [  # type: ignore[attr-defined]
        "ConfigError: unknown embedder 'tfidf': use 'local', 'local:all-MiniLM-L6-v2',"
        " 'onnx', 'static', 'ollama' or 'ollama:<model>'"
    ]
    assert ws.ids() == before


def test_a_password_in_the_database_url_is_shown_by_no_magic(
    ip: InteractiveShell,
    settings: Settings,
    ws: Workspace,
    indexed: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if settings.database_url is not None:
        pytest.skip("the embedded server's URL is the one a password is added to")
    secret = "s3cretpw"
    url = with_password(ws.db.url(), secret)
    # Nothing listens on a free loopback port: each call fails to connect.
    refused = f"postgresql://postgres:{secret}@127.0.0.1:{free_port()}/postgres"
    for database_url, works in ((url, True), (refused, False)):
        own = Workspace(Settings(home=settings.home, database_url=database_url))
        magics(ip).workspace = own
        ip.user_ns["own"] = own
        try:
            for cell in ("%codelens status", f"%codelens status -p {indexed}"):
                result = ip.run_cell(cell)
                shown = capsys.readouterr()
                assert secret not in shown.out + shown.err
                if works:
                    assert result.success and "server: " in shown.out
                else:
                    assert isinstance(result.error_in_exec, DatabaseError)
                    assert "cannot connect to PostgreSQL" in shown.out + shown.err
            # What a cell shows of the workspace and its settings.
            result = ip.run_cell("own, own.settings")
            shown = capsys.readouterr()
            assert result.success and "Settings(" in shown.out
            assert secret not in shown.out + shown.err + repr(result.result)
        finally:
            ip.user_ns.pop("own", None)
            own.close()
