"""Dry runs: what an index run would do, from every front end, with nothing written."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from mcp import Client
from psycopg import sql

import codelens
from codelens import DryRunReport, Project, Workspace
from codelens._cli import main
from codelens._index.dry_run import NOMINAL_CHUNKS_PER_SECOND, STORE_CHUNKS_PER_SECOND
from codelens._index.dry_run_report import FolderSize
from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import AllowedRoots
from codelens._mcp.server import build_server
from codelens._notebook.index_panel import IndexPanel
from codelens._notebook.magics import (
    CodelensMagics,
    load_ipython_extension,
    unload_ipython_extension,
)
from codelens.errors import ModelMismatch, ProjectExists
from tests.frontend_helpers import find
from tests.mcp_helpers import child_env, payload, run, text_of

SOURCES = {
    "src/app.py": "def main(argv):\n    return run(argv[1:])\n\n\ndef run(args):\n    return len(args)\n",
    "src/util.py": "def slugify(text):\n    return text.lower().replace(' ', '-')\n",
    "src/models.py": "class Invoice:\n    def total(self):\n        return sum(self.items)\n",
    "web/main.js": "function start() {\n  return fetch('/api');\n}\n",
    "README.md": "# Shop\n\nA small shop.\n",
    "empty.py": "",
    ".gitignore": "*.log\n",
    "debug.log": "ignored by the .gitignore\n",
    "build/bundle.js": "function compiled() { return 1; }\n",
}
RAW = b"\x00\x01 a dump with NUL bytes"  # no name to tell: binary by its content
LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def write_repo(root: Path) -> Path:
    for rel, text in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "assets").mkdir()
    (root / "assets" / "logo.png").write_bytes(LOGO)  # media by its name: unsupported
    (root / "assets" / "raw.dat").write_bytes(RAW)
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "shop")


@pytest.fixture
def fresh(workspace: Workspace) -> Iterator[str]:
    """A project id nobody uses; dropped afterwards if something created it after all."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    yield name
    if workspace.exists(name):
        workspace.drop(name, force=True)


def tables(workspace: Workspace) -> dict[str, int]:
    """Row counts of every table of every codelens schema: what a dry run must leave alone."""
    counts: dict[str, int] = {}
    with workspace.db.connection() as conn:
        found = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema = 'codelens' OR table_schema LIKE 'project\\_%'"
            " ORDER BY 1, 2"
        ).fetchall()
        for schema, table in found:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[f"{schema}.{table}"] = int(row[0])
    return counts


def test_a_dry_run_counts_what_a_run_indexes_and_writes_nothing(
    workspace: Workspace, project: Project, fresh: str, repo: Path
) -> None:
    before = tables(workspace)
    listed = workspace.projects()
    plan = Project(workspace, fresh).dry_run(repo, progress=False, measure=False)
    existing = project.dry_run(repo, progress=False, measure=False)
    assert tables(workspace) == before
    assert workspace.projects().equals(listed)
    assert not workspace.exists(fresh)

    assert isinstance(plan, DryRunReport)
    assert (plan.project, plan.repository, plan.root) == (fresh, "shop", str(repo.resolve()))
    assert not plan.project_exists and existing.project_exists
    assert not plan.repository_known and not existing.repository_known
    assert plan.embedder == "onnx:all-MiniLM-L6-v2-int8"  # the default rule, Ollama down
    assert plan.files_by_language == {"python": 3, "javascript": 1, "markdown": 1, "gitignore": 1}
    assert plan.files_skipped == {"binary": 1, "empty": 1, "unsupported": 1}
    assert (plan.files_seen, plan.files_to_index, plan.files_unchanged) == (9, 6, 0)
    assert plan.bytes_to_index == sum(
        len(SOURCES[p]) for p in ("src/app.py", "src/util.py", "src/models.py")
    ) + len(SOURCES["web/main.js"]) + len(SOURCES["README.md"]) + len(SOURCES[".gitignore"])
    assert plan.ignored_paths == 2
    assert plan.ignore_rules == {"default: build/": 1, ".gitignore: *.log": 1}
    src = sum(len(SOURCES[f"src/{n}.py"]) for n in ("app", "util", "models"))
    assert plan.folders[0] == FolderSize("src/", 3, src)
    assert {f.folder for f in plan.folders} == {"src/", "web/", "."}
    assert "build/" not in {f.folder for f in plan.folders}

    # Its chunks are the ones a run writes and embeds.
    report = project.index(repo, progress=False)
    assert plan.chunks == existing.chunks == report.chunks_added + report.chunks_reused
    assert plan.chunks_to_embed == report.chunks_added
    assert plan.chunks_by_language["python"] >= 3


def test_against_an_indexed_repository_it_counts_unchanged_changed_and_deleted_files(
    workspace: Workspace, project: Project, repo: Path
) -> None:
    project.index(repo, name="storefront", progress=False)
    before = tables(workspace)
    again = project.dry_run(repo, progress=False, measure=False)
    assert again.repository_known and again.repository == "storefront"
    assert (again.files_to_index, again.files_unchanged, again.files_to_delete) == (0, 6, 0)
    assert (again.chunks, again.chunks_to_embed) == (0, 0)
    assert again.embed_rate_source == "nothing to embed"

    (repo / "src" / "util.py").write_text(
        SOURCES["src/util.py"] + "\n\ndef shout(t):\n    return t.upper()\n"
    )
    (repo / "web" / "main.js").unlink()
    changed = project.dry_run(repo, progress=False, measure=False)
    assert (changed.files_to_index, changed.files_unchanged, changed.files_to_delete) == (1, 4, 1)
    assert changed.files_by_language == {"python": 3, "markdown": 1, "gitignore": 1}
    forced = project.dry_run(repo, force=True, progress=False, measure=False)
    assert (forced.files_to_index, forced.files_unchanged) == (5, 0)
    assert forced.chunks_to_embed == forced.chunks  # force re-embeds: nothing is reused
    assert tables(workspace) == before

    report = project.index(repo, progress=False)
    assert (report.files_indexed, report.files_deleted) == (1, 1)
    assert report.chunks_added == changed.chunks_to_embed
    assert report.chunks_added + report.chunks_reused == changed.chunks

    with pytest.raises(ModelMismatch, match="force=True"):  # as the run itself would refuse
        project.dry_run(repo, embedder="ollama:nomic-embed-text", progress=False)


def test_time_estimates_measure_the_model_on_the_repositorys_own_chunks(
    workspace: Workspace, fresh: str, repo: Path
) -> None:
    measured = Project(workspace, fresh).dry_run(repo, progress=False)
    assert measured.embed_rate is not None and measured.embed_rate > 0
    assert measured.embed_rate_source.startswith(f"measured on {measured.chunks_to_embed} chunks")
    assert measured.seconds_to_embedded == pytest.approx(
        max(measured.seconds_to_words, measured.chunks_to_embed / measured.embed_rate)
    )
    assert measured.seconds_to_words == pytest.approx(
        measured.cut_seconds + measured.chunks / STORE_CHUNKS_PER_SECOND
    )
    nominal = Project(workspace, fresh).dry_run(repo, progress=False, measure=False)
    assert nominal.embed_rate == NOMINAL_CHUNKS_PER_SECOND["onnx:all-MiniLM-L6-v2-int8"]
    assert nominal.embed_rate_source.startswith("nominal figure")
    assert not workspace.exists(fresh)


def test_the_report_reads_as_text_html_and_json(
    workspace: Workspace, fresh: str, repo: Path
) -> None:
    plan = Project(workspace, fresh).dry_run(repo, progress=False, measure=False)
    text = str(plan)
    assert text.startswith("shop: would index 6 files (")
    assert "nothing written" in text.splitlines()[0]
    assert "languages: python 3, gitignore 1, markdown 1, javascript 1" in text  # most first
    assert "skipped 3: binary 1, empty 1, unsupported 1" in text
    assert "biggest folders: src/ 3 files" in text
    assert repr(plan).startswith("<DryRunReport shop: would index 6 files")
    page = plan._repr_html_()
    assert "cl-dry-run" in page and "fully embedded in" in page and "folder src/" in page
    assert plan.to_dict()["folders"][0] == {
        "folder": "src/",
        "files": 3,
        "bytes": plan.folders[0].bytes,
    }


def test_index_with_dry_run_returns_the_report_and_creates_no_project(
    workspace: Workspace, fresh: str, repo: Path
) -> None:
    previous = codelens.workspace()
    codelens.workspace(workspace)
    try:
        plan = codelens.index(repo, project=fresh, dry_run=True, progress=False)
    finally:
        codelens.workspace(previous)
    assert isinstance(plan, DryRunReport) and plan.files_to_index == 6
    assert Project(workspace, fresh).index(repo, dry_run=True, progress=False).chunks == plan.chunks
    assert not workspace.exists(fresh)


def test_cli_dry_run_prints_the_summary_and_exits_0(
    workspace: Workspace,
    settings: codelens.Settings,
    fresh: str,
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in child_env(settings, workspace).items():
        monkeypatch.setenv(key, value)
    assert main(["index", str(repo), "-p", fresh, "--dry-run", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("shop: would index 6 files")
    assert "nothing written" in out
    assert "searchable by words in" in out and "fully embedded in" in out
    assert not workspace.exists(fresh)


@pytest.fixture
def ip(ws: Workspace) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    found = shell.magics_manager.registry["CodelensMagics"]
    assert isinstance(found, CodelensMagics)
    found.workspace = ws
    found.quiet = True
    yield shell
    unload_ipython_extension(shell)
    shell.config.pop("CodelensMagics", None)


def test_magics_show_the_dry_run(
    ip: InteractiveShell, ws: Workspace, project: Project, fresh: str, repo: Path
) -> None:
    ws.use(project.id)
    plan = ip.run_line_magic("codelens", f"index {repo} --dry-run")
    assert isinstance(plan, DryRunReport)
    assert (plan.project, plan.files_to_index) == (project.id, 6)
    assert project.counts()["indexed_files"] == 0

    created = ip.run_line_magic("codelens", f"create {fresh} --path {repo} --dry-run")
    assert isinstance(created, DryRunReport)
    assert created.project == fresh and not created.project_exists
    assert not ws.exists(fresh)
    assert ws.current_id == project.id  # nothing was created, so nothing became current
    with pytest.raises(UsageError, match="--dry-run needs --path"):
        ip.run_line_magic("codelens", f"create {fresh} --dry-run")
    with pytest.raises(ProjectExists):
        ip.run_line_magic("codelens", f"create {project.id} --path {repo} --dry-run")


def test_the_index_panels_dry_run_button_shows_the_report(
    ws: Workspace, fresh: str, repo: Path
) -> None:
    panel = IndexPanel(workspace=ws)
    assert find(panel.widget, "cl-dry-run") is panel.dry_run_button
    panel.path.value, panel.project.value = str(repo), fresh
    panel.dry_run_button.click()
    assert panel.index_button.disabled and panel.dry_run_button.disabled
    panel.wait(300)
    assert not panel.running
    (output,) = panel.report.outputs
    assert output["data"]["text/plain"].startswith("<DryRunReport shop: would index 6 files")
    assert "cl-dry-run" in output["data"]["text/html"]
    assert isinstance(panel.last_report, DryRunReport)
    assert "dry run, nothing written: 6 files" in panel.status.value
    assert panel.stage.value == "dry run: done"
    assert not panel.index_button.disabled and panel.cancel_button.disabled
    assert not ws.exists(fresh)


def test_mcp_index_repository_dry_run(
    workspace: Workspace, fresh: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODELENS_EMBEDDER", "local")
    root = tmp_path / "allowed"
    repo = write_repo(root / "shop")
    outside = write_repo(tmp_path / "outside")
    jobs = JobManager(workspace)
    server = build_server(workspace, AllowedRoots([root]), jobs)

    async def session() -> None:
        async with Client(server) as client:
            args: dict[str, Any] = {"repo_path": str(repo), "project_id": fresh, "dry_run": True}
            reply = payload(await client.call_tool("index_repository", args))
            plan = reply["dry_run"]
            assert plan["files_to_index"] == 6
            assert plan["files_skipped"] == {"binary": 1, "empty": 1, "unsupported": 1}
            assert plan["folders"][0]["folder"] == "src/"
            assert plan["embed_rate"] > 0
            assert reply["summary"].startswith("shop: would index 6 files")
            refused = await client.call_tool(
                "index_repository", {**args, "repo_path": str(outside)}
            )
            assert refused.is_error and "allowed root" in text_of(refused)

    try:
        run(session)
    finally:
        jobs.shutdown()
    assert not workspace.exists(fresh)


def test_an_ollama_model_is_measured_or_its_time_is_unknown(
    workspace: Workspace, fresh: str, repo: Path, fake_ollama: Any
) -> None:
    planned = Project(workspace, fresh)
    unmeasured = planned.dry_run(repo, embedder="ollama", progress=False, measure=False)
    assert unmeasured.embedder == "ollama:nomic-embed-text"
    assert unmeasured.embed_rate is None and unmeasured.seconds_to_embedded is None
    assert unmeasured.embed_rate_source == "no figure for ollama:nomic-embed-text: measure it"
    assert "fully embedded in unknown" in str(unmeasured)
    measured = planned.dry_run(repo, embedder="ollama", progress=False)
    assert measured.embed_rate is not None and measured.seconds_to_embedded is not None
    assert not workspace.exists(fresh)


def test_cancel_stops_the_dry_run_and_says_so(workspace: Workspace, fresh: str, repo: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    plan = Project(workspace, fresh).dry_run(repo, progress=False, measure=False, cancel=cancel)
    assert plan.interrupted and plan.files_seen == 0
    assert "interrupted, so far" in str(plan)


def test_index_dry_run_without_a_path_plans_every_repository_of_the_project(
    ip: InteractiveShell, ws: Workspace, project: Project, tmp_path: Path
) -> None:
    first, second = write_repo(tmp_path / "one"), write_repo(tmp_path / "two")
    project.index(first, progress=False)
    ws.use(project.id)
    only = ip.run_line_magic("codelens", "index --dry-run")
    assert isinstance(only, DryRunReport) and only.files_unchanged == 6
    project.index(second, progress=False)
    (tmp_path / "two" / "src" / "new.py").write_text("def added():\n    return 1\n")
    both = ip.run_line_magic("codelens", "index --dry-run")
    assert [(p.repository, p.files_to_index) for p in both] == [("one", 0), ("two", 1)]
