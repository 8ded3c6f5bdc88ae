"""The ``codelens`` command: each subcommand, its output, its errors and exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from codelens import Settings, Workspace
from codelens._cli import DEMO_PACKAGES, ExitCode, main
from codelens._db.embedded import stop_server
from codelens._embed.static import DEFAULT_STATIC_SPEC
from codelens._search.modes import MODES
from tests.fake_ollama import FakeOllama
from tests.frontend_helpers import with_password
from tests.mcp_helpers import child_env, codelens_command, make_repo


@pytest.fixture
def drop_after(workspace: Workspace) -> Iterator[list[str]]:
    ids: list[str] = []
    yield ids
    for project_id in ids:
        if workspace.exists(project_id):
            workspace.drop(project_id, force=True)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("codelens: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_help_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codelens", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    commands = ("db", "projects", "create", "drop", "status", "stats", "index", "search", "demo")
    for command in (*commands, "mcp"):
        assert command in done.stdout
    assert done.stderr == ""


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("codelens ")
    assert main([]) == 2
    assert "usage: codelens" in capsys.readouterr().err
    assert main(["search", "x"]) == 2  # no --project
    assert "--project" in capsys.readouterr().err
    assert main(["search", "x", "-p", "p", "-k", "0"]) == 2
    assert "not a positive number" in capsys.readouterr().err
    assert main(["search", "x", "-p", "p", "-k", "many"]) == 2
    assert "not a whole number" in capsys.readouterr().err
    assert main(["search", "x", "-p", "p", "--mode", "fuzzy"]) == 2
    assert main(["demo", "--packages", " , "]) == 2
    assert "at least one package" in capsys.readouterr().err
    assert main(["db"]) == 2
    # An option the command does not take: that command's usage, and the option meant.
    assert main(["callers", "f", "-p", "p", "-k", "3"]) == 2
    err = capsys.readouterr().err
    assert "usage: codelens callers" in err
    assert err.splitlines()[-1] == "codelens callers: error: unrecognized arguments: -k 3"
    assert main(["def", "f", "-p", "p", "--jsn"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "codelens def: error: unrecognized arguments: --jsn (did you mean --json?)"
    )


@pytest.mark.usefixtures("cli_env")
def test_db_status_and_stop_of_an_external_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "status"]) == 0
    assert "external PostgreSQL" in capsys.readouterr().out
    assert main(["db", "stop"]) == 1
    assert "does not stop" in _one_error_line(capsys)


def test_db_status_of_the_embedded_server(
    settings: Settings,
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CODELENS_DATABASE_URL", raising=False)
    if settings.database_url is None:
        workspace.db.url()  # the session's server is up
        monkeypatch.setenv("CODELENS_HOME", str(settings.home))
        assert main(["db", "status"]) == 0
        assert "embedded PostgreSQL: running, pid" in capsys.readouterr().out
    # A home whose server never started: status and stop say so, and start nothing.
    monkeypatch.setenv("CODELENS_HOME", str(tmp_path / "home"))
    assert main(["db", "status"]) == 0
    assert "embedded PostgreSQL: stopped" in capsys.readouterr().out
    assert main(["db", "stop"]) == 0
    assert "not running" in capsys.readouterr().out
    assert not (tmp_path / "home" / "pgdata").exists()


def test_db_stop_stops_a_running_embedded_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from codelens._db.embedded import ensure_server, server_status

    pgdata = tmp_path / "home" / "pgdata"
    ensure_server(pgdata)
    monkeypatch.delenv("CODELENS_DATABASE_URL", raising=False)
    monkeypatch.setenv("CODELENS_HOME", str(tmp_path / "home"))
    try:
        assert main(["db", "stop"]) == 0
        assert "embedded PostgreSQL: stopped (data kept in" in capsys.readouterr().out
        assert not server_status(pgdata).running
    finally:
        stop_server(pgdata)


@pytest.mark.usefixtures("cli_env")
def test_create_list_status_drop(
    capsys: pytest.CaptureFixture[str], drop_after: list[str], workspace: Workspace
) -> None:
    drop_after.append("cli-life")
    assert main(["create", "cli-life", "--description", "made by the CLI test"]) == 0
    assert "created project 'cli-life'" in capsys.readouterr().out
    assert main(["create", "cli-life"]) == 1
    assert "exists already" in _one_error_line(capsys)
    assert main(["projects"]) == 0
    out = capsys.readouterr().out
    assert "cli-life" in out
    assert "made by the CLI test" in out
    assert main(["status", "-p", "cli-life"]) == 0
    out = capsys.readouterr().out
    assert "project: cli-life\ndescription: made by the CLI test" in out
    assert "chunks: 0" in out
    assert main(["drop", "cli-life"]) == 1
    assert "--yes" in _one_error_line(capsys)
    assert workspace.exists("cli-life")
    assert main(["drop", "cli-life", "--yes"]) == 0
    assert not workspace.exists("cli-life")
    assert main(["status", "-p", "cli-life"]) == 1
    assert "no project 'cli-life'" in _one_error_line(capsys)


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "Bad_Name"], "invalid project id"),
        (["create", "cli-bad-embedder", "--embedder", "word2vec"], "word2vec"),
        (["drop", "cli-not-there", "--yes"], "no project 'cli-not-there'"),
        (["search", "anything", "-p", "cli-not-there"], "no project 'cli-not-there'"),
        (["index", "/no/such/folder", "-p", "cli-bad-path"], "does not exist"),
        (["demo", "--packages", "json,not_a_stdlib_pkg", "-q"], "not_a_stdlib_pkg"),
        (["mcp", "--root", "/no/such/root"], "is not a folder"),
    ],
)
def test_user_errors_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], drop_after: list[str]
) -> None:
    drop_after.append("cli-bad-path")
    assert main(argv) == 1
    assert message in _one_error_line(capsys)


def test_projects_when_there_are_none(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An empty registry: a fresh database on the session's server.
    name = f"cli_empty_{uuid.uuid4().hex[:8]}"
    url = psycopg.conninfo.make_conninfo(workspace.db.url(), dbname=name)
    with psycopg.connect(workspace.db.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    monkeypatch.setenv("CODELENS_DATABASE_URL", url)
    try:
        assert main(["projects"]) == 0
        assert "no projects yet: run `codelens demo`" in capsys.readouterr().out
    finally:
        with psycopg.connect(workspace.db.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.usefixtures("cli_env")
def test_create_with_a_path_creates_and_indexes_as_in_a_notebook(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    workspace: Workspace,
    drop_after: list[str],
) -> None:
    drop_after.append("cli-made")
    argv = ["create", "cli-made", "--path", str(tmp_path / "shpo"), "--embedder", "local"]
    assert main([*argv, "-q"]) == 1
    assert "/shpo' does not exist" in _one_error_line(capsys)
    assert not workspace.exists("cli-made")  # the same command, the folder fixed, works
    repo = make_repo(tmp_path / "shop")
    argv[3] = str(repo)
    assert main([*argv, "-q", "--embed", "later"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("created project 'cli-made'\n<IndexReport shop: indexed 3 files")
    made = workspace.get("cli-made")
    assert made.info()["embedder"] == "local"
    assert made.coverage().awaiting == made.counts()["chunks"] > 0


@pytest.mark.usefixtures("cli_env")
def test_index_of_a_missing_folder_fails_in_one_line_and_creates_no_project(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    workspace: Workspace,
    drop_after: list[str],
) -> None:
    drop_after.append("cli-typo")
    assert main(["index", str(tmp_path / "typo"), "-p", "cli-typo", "-q"]) == 1
    assert _one_error_line(capsys) == (
        f"codelens: error: {str(tmp_path / 'typo')!r} does not exist: pass the folder of a"
        " repository to index\n"
    )
    assert not workspace.exists("cli-typo")
    assert main(["index", str(tmp_path), "-p", "cli-typo", "--name", " ", "-q"]) == 1
    assert _one_error_line(capsys) == (
        "codelens: error: repository name is empty: give a name such as 'payments'\n"
    )
    assert not workspace.exists("cli-typo")


@pytest.mark.usefixtures("cli_env")
def test_index_then_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], drop_after: list[str]
) -> None:
    drop_after.append("cli-search")
    repo = make_repo(tmp_path / "shop")
    assert main(["index", str(repo), "-p", "cli-search", "-q"]) == 0
    out = capsys.readouterr().out
    assert "<IndexReport shop: indexed 3 files" in out
    assert "empty: 1" in out

    assert main(["search", "add the sales tax to an invoice", "-p", "cli-search", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(" 1. pkg/billing.py:1-4  compute_invoice_total  [shop,")
    assert "def compute_invoice_total(items, tax_rate):" in out
    # Unquoted words are one query, as a shell user types them.
    words = ["add", "the", "sales", "tax", "to", "an", "invoice"]
    assert main(["search", *words, "-p", "cli-search"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == out.splitlines()[0]
    # Words after an option are the query's too, and a word that is no option of the
    # command (a flag of the searched code's own command line) is a query word.
    assert main(["search", *words[:3], "-p", "cli-search", *words[3:]]) == 0
    assert capsys.readouterr().out.splitlines()[0] == out.splitlines()[0]
    assert main(["search", "where", "is", "--tax-rate", "read", "-p", "cli-search", "-k", "1"]) == 0
    assert "compute_invoice_total" in capsys.readouterr().out
    assert main(["search", "--lnag", "python", "invoice", "-p", "cli-search"]) == 2
    err = capsys.readouterr().err
    assert "usage: codelens search" in err
    assert err.splitlines()[-1] == (
        "codelens search: error: unknown option --lnag: did you mean --lang?"
        " (to search for '--lnag', put it after --)"
    )
    assert main(["search", "-p", "cli-search", "-k", "1", "--", "--lnag", "invoice"]) == 0
    assert "compute_invoice_total" in capsys.readouterr().out
    # -k's long name, as in %codesearch and the MCP tool (limit), is not a query word.
    assert main(["search", "invoice", "-p", "cli-search", "--limit", "1", "--json"]) == 0
    assert [r["rank"] for r in json.loads(capsys.readouterr().out)] == [1]

    argv = ["search", "invoice", "-p", "cli-search", "--type", "js", "--json"]
    assert main(argv) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in records] == ["web/app.js"]
    assert {"rank", "score", "start_line", "end_line", "symbol", "content"} <= set(records[0])

    assert main(["search", "invoice", "-p", "cli-search", "--by", "file", "--json"]) == 0
    files = json.loads(capsys.readouterr().out)
    assert len({r["path"] for r in files}) == len(files)
    assert all(r["file_results"] == len(r["definitions"]) for r in files)

    argv = ["search", "date", "-p", "cli-search", "--path", "pkg/sub", "--lang", "python"]
    assert main([*argv, "--repo", "shop", "--mode", "lexical", "--json"]) == 0
    assert {r["path"] for r in json.loads(capsys.readouterr().out)} == {"pkg/sub/dates.py"}

    assert main(["search", "invoice", "-p", "cli-search", "--repo", "elsewhere"]) == 0
    assert capsys.readouterr().out == (
        "no results: repository filter 'elsewhere' names no repository of this project"
        " (its repositories: shop)\n"
    )
    assert main(["search", "invoice", "-p", "cli-search", "--lang", "python", "--type", "js"]) == 0
    assert capsys.readouterr().out == (
        "no results: try other words, --mode semantic, or fewer filters\n"
    )

    assert main(["status", "-p", "cli-search"]) == 0
    out = capsys.readouterr().out
    assert "model: local:all-MiniLM-L6-v2" in out
    assert "files: 3 indexed, 1 skipped" in out
    assert str(repo.resolve()) in out

    # The notebook's `%codelens stats`, in a terminal: the same DuckDB table.
    assert main(["stats", "-p", "cli-search"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["repository", "on_disk", "indexed", "skipped"]
    assert [line.split()[:4] for line in lines[1:]] == [
        ["shop", "4", "3", "1"],
        ["(all)", "4", "3", "1"],
    ]
    assert main(["stats", "-p", "cli-search", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["repository"], r["indexed"], r["coverage_pct"]) for r in rows] == [
        ("shop", 3, 100.0),
        ("(all)", 3, 100.0),
    ]
    assert rows[0]["chunks"] == rows[1]["chunks"] > 0
    assert main(["stats", "-p", "cli-nowhere"]) == 1
    assert "no project 'cli-nowhere'" in _one_error_line(capsys)
    # Absolute folders, as a shell completes them, are read under the repository's root.
    argv = ["search", "date", "-p", "cli-search", "--path", str(repo.resolve() / "pkg" / "sub")]
    assert main([*argv, "--json"]) == 0
    assert {r["path"] for r in json.loads(capsys.readouterr().out)} == {"pkg/sub/dates.py"}

    # Unchanged files are not redone; --force redoes them.
    assert main(["index", str(repo), "-p", "cli-search", "-q"]) == 0
    assert "indexed 0 files, 3 unchanged" in capsys.readouterr().out
    assert main(["index", str(repo), "-p", "cli-search", "-q", "--force"]) == 0
    assert "indexed 3 files" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
def test_search_kind_keeps_code_or_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], drop_after: list[str]
) -> None:
    drop_after.append("cli-kind")
    repo = make_repo(tmp_path / "shop", docs=True)
    assert main(["index", str(repo), "-p", "cli-kind", "-q"]) == 0
    capsys.readouterr()
    query = ["search", "invoice total with the sales tax", "-p", "cli-kind", "--json"]

    def found(*options: str) -> dict[str, str]:
        assert main([*query, *options]) == 0
        return {r["path"]: r["category"] for r in json.loads(capsys.readouterr().out)}

    everything = found("-k", "20")
    assert everything["README.md"] == "docs"
    assert {c for p, c in everything.items() if p != "README.md"} == {"code"}
    assert found("--kind", "docs") == {"README.md": "docs"}
    code = found("--kind", "CODE", "-k", "20")
    assert code and set(code.values()) == {"code"}
    assert found("--kind", "docs", "--by", "file") == {"README.md": "docs"}
    assert main([*query, "--kind", "functions!"]) == 1
    assert "kind filter 'functions!' is neither 'code' nor 'docs'" in _one_error_line(capsys)


@pytest.mark.usefixtures("cli_env")
def test_search_prints_long_snippets_shortened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], drop_after: list[str]
) -> None:
    drop_after.append("cli-long")
    repo = tmp_path / "long"
    repo.mkdir()
    body = "\n".join(f"    total = total + {i}" for i in range(12))
    (repo / "sums.py").write_text(
        f"def add_many_numbers():\n    total = 0\n{body}\n    return total\n"
    )
    assert main(["index", str(repo), "-p", "cli-long", "-q"]) == 0
    capsys.readouterr()
    assert main(["search", "add many numbers", "-p", "cli-long", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "add_many_numbers" in out
    assert "... (11 more lines)" in out


@pytest.mark.usefixtures("cli_env")
def test_demo_with_the_static_model_searches_by_meaning_with_no_wait_for_vectors(
    capsys: pytest.CaptureFixture[str],
    drop_after: list[str],
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CODELENS_EMBEDDER", "static")
    drop_after.append("cli-demo-static")
    assert main(["demo", "--project", "cli-demo-static", "--packages", "json", "-q"]) == 0
    out = capsys.readouterr().out
    stored, rest = out.split("3. searchable by words already")
    assert "chunks await vectors" not in stored  # stored with every vector
    assert "4. meaning at once: every vector was stored with its chunk" in rest
    meaning = rest.split("4. meaning")[1]
    assert "codelens search 'decode a JSON document into Python objects'" in meaning
    assert "[json, python, score" in meaning
    project = workspace.get("cli-demo-static")
    assert project.embedder().name == DEFAULT_STATIC_SPEC
    assert project.counts()["chunks_awaiting_vectors"] == 0


@pytest.mark.usefixtures("cli_env")
def test_demo_indexes_stdlib_and_points_to_the_next_step(
    capsys: pytest.CaptureFixture[str], drop_after: list[str]
) -> None:
    drop_after.append("cli-demo")
    assert all((Path(sysconfig.get_paths()["stdlib"]) / p).is_dir() for p in DEMO_PACKAGES)
    assert main(["demo", "--project", "cli-demo", "--packages", "sqlite3", "-q"]) == 0
    out = capsys.readouterr().out
    assert "1. database:" in out
    assert "2. project 'cli-demo': storing sqlite3" in out
    assert "<IndexReport sqlite3: indexed" in out
    # words, then meaning at once: stored with the project's own vectors still to come,
    # searched by words, then by meaning with the first pass's vectors, and only then
    # embedded by the project's model
    stored, rest = out.split("3. searchable by words already")
    assert "chunks await vectors" in stored
    words, meaning = rest.split("4. meaning at once, by the fast first-pass model")
    assert "--mode lexical" in words
    searches, embedded = meaning.split("7. local:all-MiniLM-L6-v2's vectors")
    assert "codelens search 'decode a JSON document into Python objects'" in searches
    assert "[sqlite3, python, score" in searches
    assert searches.count(f"(meaning by the fast first-pass model ({DEFAULT_STATIC_SPEC})") == 2
    assert "0% so far" in searches  # no vector of the project's model was waited for
    assert "cli-demo" in embedded.split("8. the workspace")[1]
    assert out.rstrip().endswith(
        "Next: run `make lab` to open notebooks/quickstart.ipynb in JupyterLab."
    )


@pytest.mark.usefixtures("cli_env")
def test_demo_without_a_first_pass_embeds_before_searching_by_meaning(
    capsys: pytest.CaptureFixture[str],
    drop_after: list[str],
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CODELENS_FIRST_PASS", "0")
    drop_after.append("cli-demo-nofp")
    assert main(["demo", "--project", "cli-demo-nofp", "--packages", "tomllib", "-q"]) == 0
    out = capsys.readouterr().out
    stored, meaning = out.split("4. meaning, as the vectors arrive: codelens embed")
    assert "chunks await vectors" in stored
    assert "first-pass" not in out
    assert "[tomllib, python, score" in meaning
    assert "cli-demo-nofp" in out.split("7. the workspace")[1]
    assert workspace.get("cli-demo-nofp").info()["settings"] == {}


@pytest.mark.usefixtures("cli_env")
def test_create_with_no_first_pass_records_it_for_the_project(
    capsys: pytest.CaptureFixture[str], drop_after: list[str], workspace: Workspace
) -> None:
    drop_after.append("cli-nofp")
    assert main(["create", "cli-nofp", "--no-first-pass"]) == 0
    assert workspace.get("cli-nofp").info()["settings"] == {"first_pass": False}


# -- exit codes and arguments, as a shell or CI sees them ------------------------------------


def _codelens(
    env: dict[str, str], *argv: str | bytes, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    command, args = codelens_command()
    return subprocess.run(
        [command, *args, *argv],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=timeout,
    )


def _one_line_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == ExitCode.ERROR == 1, done.stderr
    assert done.stderr.startswith("codelens: error: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr


def test_exit_codes_are_fixed() -> None:
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0,
        "ERROR": 1,
        "USAGE": 2,
        "FILES_FAILED": 3,
        "INTERRUPTED": 130,
    }


def test_index_exits_3_when_files_failed_and_0_once_they_are_indexed(
    settings: Settings, workspace: Workspace, tmp_path: Path, drop_after: list[str]
) -> None:
    drop_after.append("cli-exit-failed")
    repo = make_repo(tmp_path / "shop")
    with FakeOllama() as ollama:
        ollama.fail_next(10_000)  # every embedding request answers 500
        env = child_env(settings, workspace, CODELENS_EMBEDDER="ollama", OLLAMA_HOST=ollama.host)
        done = _codelens(env, "index", str(repo), "-p", "cli-exit-failed", "-q")
    assert done.returncode == ExitCode.FILES_FAILED == 3, done.stderr
    assert "indexed 0 files" in done.stdout and "3 failed" in done.stdout
    assert "Traceback" not in done.stderr
    with FakeOllama() as ollama:
        env = child_env(settings, workspace, CODELENS_EMBEDDER="ollama", OLLAMA_HOST=ollama.host)
        done = _codelens(env, "index", str(repo), "-p", "cli-exit-failed", "-q")
    assert done.returncode == ExitCode.OK == 0, done.stderr
    assert "indexed 3 files" in done.stdout and "0 failed" in done.stdout


def test_user_and_usage_errors_exit_1_and_2(settings: Settings, workspace: Workspace) -> None:
    env = child_env(settings, workspace)
    _one_line_error(_codelens(env, "status", "-p", "cli-not-there"), "no project")
    done = _codelens(env, "search", "x", "-p", "p", "-k", "0")
    assert done.returncode == ExitCode.USAGE == 2
    assert "usage: codelens" in done.stderr


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_an_index_run_exits_130(
    settings: Settings, workspace: Workspace, tmp_path: Path, drop_after: list[str]
) -> None:
    drop_after.append("cli-exit-interrupted")
    repo = make_repo(tmp_path / "shop")
    command, args = codelens_command()
    with FakeOllama() as ollama:
        ollama.stall_next(1, 5.0)  # the run waits on the model: press Ctrl-C then
        env = child_env(settings, workspace, CODELENS_EMBEDDER="ollama", OLLAMA_HOST=ollama.host)
        parent_sigint = signal.getsignal(signal.SIGINT)
        child = subprocess.Popen(
            [command, *args, "index", str(repo), "-p", "cli-exit-interrupted", "-q"],
            env={"PATH": os.environ.get("PATH", ""), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A child inherits an ignored SIGINT, and Python then keeps ignoring it: a user's
            # shell gives codelens the default, whatever this test process was left with.
            preexec_fn=_default_sigint,
        )
        try:
            deadline = time.monotonic() + 120
            while not ollama.embed_bodies():
                assert child.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == ExitCode.INTERRUPTED == 130, (
        f"{err!r} (SIGINT here: {parent_sigint})"
    )
    assert err.strip().splitlines()[-1] == "codelens: interrupted"
    assert "Traceback" not in err


# Bytes that are not UTF-8, as a Latin-1 shell passes "é": Python decodes them to lone
# surrogates, which neither PostgreSQL nor the tokenizer takes.
LATIN1 = "caf\xe9".encode("latin-1")


@pytest.mark.parametrize("mode", MODES)
def test_search_arguments_that_are_not_utf8_fail_in_one_line(
    settings: Settings, workspace: Workspace, mode: str, drop_after: list[str]
) -> None:
    drop_after.append("cli-latin1")
    if not workspace.exists("cli-latin1"):
        workspace.create("cli-latin1", embedder="local")
    env = child_env(settings, workspace)
    done = _codelens(env, "search", b"decode " + LATIN1, "-p", "cli-latin1", "--mode", mode)
    _one_line_error(done, "query argument is not valid Unicode")
    for option in ("--path", "--lang", "--repo", "--type"):
        done = _codelens(env, "search", "decode", "-p", "cli-latin1", option, LATIN1)
        _one_line_error(done, "argument is not valid Unicode")


def test_other_arguments_that_are_not_utf8_fail_in_one_line(
    settings: Settings, workspace: Workspace, tmp_path: Path, drop_after: list[str]
) -> None:
    drop_after.extend(["cli-latin1-index", "cli-latin1-create"])
    folder = os.fsencode(tmp_path) + b"/" + LATIN1
    os.mkdir(folder)
    with open(folder + b"/mod.py", "w") as f:
        f.write("def f():\n    return 1\n")
    env = child_env(settings, workspace)
    done = _codelens(env, "index", folder, "-p", "cli-latin1-index", "-q")
    _one_line_error(done, "the path argument is not valid Unicode")
    ok = str(tmp_path)
    done = _codelens(env, "index", ok, "-p", "cli-latin1-index", "--name", LATIN1, "-q")
    _one_line_error(done, "the name argument is not valid Unicode")
    done = _codelens(env, "create", "cli-latin1-create", "--description", LATIN1)
    _one_line_error(done, "the description argument is not valid Unicode")
    assert not workspace.exists("cli-latin1-create")
    _one_line_error(_codelens(env, "create", LATIN1), "not valid Unicode")


def test_an_unknown_embedder_is_refused_at_create_from_the_option_or_the_variable(
    settings: Settings, workspace: Workspace, drop_after: list[str]
) -> None:
    drop_after.append("cli-quantum")
    env = child_env(settings, workspace)
    before = workspace.ids()
    done = _codelens(env, "create", "cli-quantum", "--embedder", "quantum")
    _one_line_error(done, "unknown embedder 'quantum': use 'local'")
    done = _codelens({**env, "CODELENS_EMBEDDER": "quantum"}, "create", "cli-quantum")
    _one_line_error(done, "unknown embedder 'quantum' in CODELENS_EMBEDDER: use 'local'")
    assert workspace.ids() == before


def test_a_password_in_the_database_url_is_shown_by_no_command(
    settings: Settings, workspace: Workspace, drop_after: list[str]
) -> None:
    if settings.database_url is not None:
        pytest.skip("the embedded server's URL is the one a password is added to")
    secret = "s3cretpw"
    url = with_password(workspace.db.url(), secret)
    drop_after.append("cli-secret")
    env = child_env(settings, workspace, CODELENS_DATABASE_URL=url)
    for argv in (["create", "cli-secret"], ["status", "-p", "cli-secret"], ["projects"]):
        done = _codelens(env, *argv)
        assert done.returncode == 0, done.stderr
        assert secret not in done.stdout + done.stderr
    for broken in (
        f"postgresql://postgres:{secret}@/postgres?host=/no/such/dir",
        f"host=/no/such/dir user=postgres password={secret} dbname=postgres",
    ):
        done = _codelens({**env, "CODELENS_DATABASE_URL": broken}, "projects")
        _one_line_error(done, "cannot connect to PostgreSQL")
        assert secret not in done.stdout + done.stderr


def test_a_database_url_libpq_cannot_parse_fails_every_command_in_one_line(
    tmp_path: Path,
) -> None:
    secret = "s3cretpw"
    env = {
        "CODELENS_HOME": str(tmp_path / "home"),
        # An unknown query parameter: libpq refuses the URL before connecting.
        "CODELENS_DATABASE_URL": f"postgresql://u:{secret}@127.0.0.1:1/db?h=1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    for argv in (["projects"], ["status", "-p", "any"], ["create", "any"]):
        done = _codelens(env, *argv)
        _one_line_error(done, "check CODELENS_DATABASE_URL")
        assert secret not in done.stdout + done.stderr
