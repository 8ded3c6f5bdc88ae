"""The MCP server: its tool contract over stdio and HTTP, its jobs, its permission checks."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from codelens import Project, Settings, Workspace
from codelens._embed.static import DEFAULT_STATIC_SPEC
from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import ENV_ALLOWED_ROOTS, AllowedRoots
from codelens._mcp.server import build_server
from codelens._search.modes import BY, MODES
from codelens.errors import CodelensError, ConfigError, IndexingError, PermissionDenied
from tests.mcp_helpers import (
    child_env,
    codelens_command,
    free_port,
    make_repo,
    payload,
    poll_job,
    run,
    text_of,
)

TOOLS = {
    "list_projects",
    "index_repository",
    "get_indexing_status",
    "search_code",
    "find_definition",
    "find_references",
}


# -- allowed roots -----------------------------------------------------------------------


def test_roots_accept_folders_below_a_root_by_their_real_path(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "repo" / "src").mkdir(parents=True)
    (root / "alias").symlink_to(root / "repo")
    roots = AllowedRoots([root])
    assert roots.check(str(root / "repo")) == (root / "repo").resolve()
    assert roots.check(str(root)) == root.resolve()
    # A link that stays inside the root, and a `..` that comes back into it, are fine.
    assert roots.check(str(root / "alias")) == (root / "repo").resolve()
    assert roots.check(str(root / "repo" / "src" / ".." / "src")) == (root / "repo/src").resolve()


def test_roots_refuse_escapes_through_dotdot_and_symlinks(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    roots = AllowedRoots([root])
    with pytest.raises(PermissionDenied, match="outside the allowed roots"):
        roots.check(str(outside))
    with pytest.raises(PermissionDenied, match="outside the allowed roots"):
        roots.check(str(root / ".." / "outside"))
    with pytest.raises(PermissionDenied, match=f"-> {outside.resolve()}"):
        roots.check(str(root / "escape"))
    # A sibling whose name merely starts like the root is outside it.
    (tmp_path / "root2").mkdir()
    with pytest.raises(PermissionDenied):
        roots.check(str(tmp_path / "root2"))


def test_roots_refuse_everything_when_none_are_configured(tmp_path: Path) -> None:
    roots = AllowedRoots.from_sources([], environ={})
    assert roots.roots == ()
    with pytest.raises(PermissionDenied, match="--root DIR"):
        roots.check(str(tmp_path))
    assert "refused" in roots.describe()


def test_roots_come_from_options_and_environment(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in "abc")
    for folder in (a, b, c):
        folder.mkdir()
    env = {ENV_ALLOWED_ROOTS: f"{b}{os.pathsep}{os.pathsep}{c}{os.pathsep}{a}"}
    roots = AllowedRoots.from_sources([str(a)], environ=env)
    assert roots.roots == (a.resolve(), b.resolve(), c.resolve())
    assert str(b.resolve()) in roots.describe()
    assert repr(roots).startswith("AllowedRoots(")
    with pytest.raises(ConfigError, match="is not a folder"):
        AllowedRoots([tmp_path / "missing"])


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "repo_path is empty"),
        ("   ", "repo_path is empty"),
        ("relative/repo", "is relative"),
        ("/tmp/a\x00b", "not a valid path"),
    ],
)
def test_roots_reject_malformed_paths(tmp_path: Path, given: str, message: str) -> None:
    with pytest.raises(IndexingError, match=message):
        AllowedRoots([tmp_path]).check(given)


def test_roots_check_existence_only_inside(tmp_path: Path) -> None:
    (tmp_path / "file.py").write_text("x = 1\n")
    roots = AllowedRoots([tmp_path])
    with pytest.raises(IndexingError, match="not an existing folder"):
        roots.check(str(tmp_path / "missing"))
    with pytest.raises(IndexingError, match="not an existing folder"):
        roots.check(str(tmp_path / "file.py"))


# -- the tools in-process ----------------------------------------------------------------


@pytest.fixture
def server_parts(workspace: Workspace, tmp_path: Path) -> Iterator[tuple[Any, JobManager, Path]]:
    root = tmp_path / "allowed"
    root.mkdir()
    jobs = JobManager(workspace)
    yield build_server(workspace, AllowedRoots([root]), jobs), jobs, root
    jobs.shutdown()


@pytest.fixture
def local_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODELENS_EMBEDDER", "local")


@pytest.fixture
def cleanup_ids(workspace: Workspace) -> Iterator[list[str]]:
    ids: list[str] = []
    yield ids
    for project_id in ids:
        if workspace.exists(project_id):
            workspace.drop(project_id, force=True)


def _check_schemas(tools: list[Any]) -> None:
    by_name = {t.name: t for t in tools}
    assert set(by_name) == TOOLS
    for t in tools:
        assert t.description
        assert "\n    " not in t.description
        for name, prop in t.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{t.name}.{name} has no description"
    # Clients may run read-only tools without asking; indexing writes to the database.
    assert {n for n, t in by_name.items() if t.annotations.read_only_hint} == TOOLS - {
        "index_repository"
    }
    schema = {name: t.input_schema for name, t in by_name.items()}
    assert schema["list_projects"].get("required", []) == []
    assert schema["index_repository"]["required"] == ["repo_path", "project_id"]
    props = schema["index_repository"]["properties"]
    assert (props["repo_path"]["type"], props["project_id"]["type"]) == ("string", "string")
    assert props["force_reindex"] == {**props["force_reindex"], "type": "boolean", "default": False}
    assert schema["get_indexing_status"]["required"] == ["job_id"]
    assert schema["search_code"]["required"] == ["query", "project_id"]
    props = schema["search_code"]["properties"]
    assert list(props) == [
        "query",
        "project_id",
        "repository",
        "file_type",
        "directory",
        "language",
        "kind",
        "limit",
        "mode",
        "by",
    ]
    assert props["by"]["enum"] == list(BY)
    assert props["by"]["default"] == "definition"
    assert props["limit"]["type"] == "integer"
    assert (props["limit"]["minimum"], props["limit"]["maximum"], props["limit"]["default"]) == (
        1,
        100,
        10,
    )
    assert props["mode"]["enum"] == list(MODES)
    assert props["mode"]["default"] == "hybrid"
    for optional in ("repository", "file_type", "directory", "language", "kind"):
        assert {"type": "string"} in props[optional]["anyOf"]
        assert props[optional]["default"] is None


async def _error(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    text = text_of(result)
    assert result.is_error, f"{tool}({args}) did not fail: {text}"
    assert "\n" not in text, text
    assert text.startswith(f"Error executing tool {tool}: ")
    return text


async def _check_errors(client: Client, root: Path, outside: Path, project_id: str) -> None:
    """Every error a client can cause: one line that says what to do, and the server lives on."""
    assert "invalid project id" in await _error(
        client, "search_code", {"query": "x", "project_id": "Not_Valid"}
    )
    assert "invalid project id" in await _error(
        client, "index_repository", {"repo_path": str(root), "project_id": "a--b"}
    )
    unknown = await _error(client, "search_code", {"query": "x", "project_id": "no-such-project"})
    assert "no project 'no-such-project': list_projects" in unknown
    assert "permission denied" in await _error(
        client, "index_repository", {"repo_path": str(outside), "project_id": project_id}
    )
    (root / "escape").symlink_to(outside)
    escaped = await _error(
        client, "index_repository", {"repo_path": str(root / "escape"), "project_id": project_id}
    )
    assert "permission denied" in escaped
    assert str(outside.resolve()) in escaped
    assert "is relative" in await _error(
        client, "index_repository", {"repo_path": "src", "project_id": project_id}
    )
    assert "query is empty" in await _error(
        client, "search_code", {"query": "  ", "project_id": project_id}
    )
    for limit in (0, 101, "ten"):
        text = await _error(
            client, "search_code", {"query": "x", "project_id": project_id, "limit": limit}
        )
        assert "invalid arguments: limit:" in text
    assert "mode:" in await _error(
        client, "search_code", {"query": "x", "project_id": project_id, "mode": "fuzzy"}
    )
    assert "query: Field required" in await _error(
        client, "search_code", {"project_id": project_id}
    )
    # An argument the tool does not take (an agent's guess at a name) is not ignored: the
    # search would run unfiltered while the agent believes it filtered.
    guessed = await _error(
        client, "search_code", {"query": "x", "project_id": project_id, "path": "src/api"}
    )
    assert guessed == (
        "Error executing tool search_code: unknown argument 'path': search_code takes query,"
        " project_id, repository, file_type, directory, language, kind, limit, mode, by"
        " (see the tool's input schema)"
    )
    assert "no job 'nope'" in await _error(client, "get_indexing_status", {"job_id": "nope"})
    long_id = await _error(client, "get_indexing_status", {"job_id": "x" * 5000})
    assert len(long_id) < 300
    assert "language filter is empty" in await _error(
        client, "search_code", {"query": "x", "project_id": project_id, "language": " "}
    )
    bad_kind = await _error(
        client, "search_code", {"query": "x", "project_id": project_id, "kind": "code+docs"}
    )
    assert "kind filter 'code+docs' is neither 'code' nor 'docs'" in bad_kind
    assert isinstance(payload(await client.call_tool("list_projects", {}))["projects"], list)


async def _index_and_search(
    client: Client, repo: Path, project_id: str, *, expect_moving: bool
) -> None:
    started = payload(
        await client.call_tool(
            "index_repository", {"repo_path": str(repo), "project_id": project_id}
        )
    )
    assert started["state"] in ("pending", "running")
    assert started["repo_path"] == str(repo.resolve())
    final, seen = await poll_job(client, started["job_id"])
    assert final["state"] == "completed", final
    assert final["error"] is None
    assert final["warning"] is None
    report = final["report"]
    assert report["files_indexed"] >= 3
    assert report["files_skipped"] == {"empty": 1}
    assert final["progress"]["stage"] == "done"
    assert final["progress"]["files_done"] == final["progress"]["files_total"]
    assert final["started_at"]
    assert final["finished_at"]
    assert final["created_at"]
    if expect_moving:
        running = {s["progress"]["files_done"] for s in seen if s["state"] == "running"}
        assert len(running) >= 2, f"counts did not move while running: {seen}"

    async def search(**args: Any) -> list[dict[str, Any]]:
        reply = payload(await client.call_tool("search_code", {"project_id": project_id, **args}))
        assert reply["count"] == len(reply["results"])
        return list(reply["results"])

    hits = await search(query="add sales tax to the invoice total")
    top = hits[0]
    assert top["path"] == "pkg/billing.py"
    assert top["symbol"] == "compute_invoice_total"
    assert (top["start_line"], top["end_line"], top["language"]) == (1, 4, "python")
    assert "subtotal" in top["content"]
    assert isinstance(top["score"], float)
    assert top["repository"] == repo.name
    for mode in MODES:
        assert (await search(query="parse_iso_date", mode=mode))[0]["path"] == "pkg/sub/dates.py"
    assert [h["path"] for h in await search(query="invoice total", file_type="js")] == [
        "web/app.js"
    ]
    assert {h["language"] for h in await search(query="invoice", language="javascript")} == {
        "javascript"
    }
    assert {h["path"] for h in await search(query="date", directory="pkg/sub")} == {
        "pkg/sub/dates.py"
    }
    # An agent knows the workspace's absolute folder.
    absolute = str(repo.resolve() / "pkg" / "sub")
    assert {h["path"] for h in await search(query="date", directory=absolute)} == {
        "pkg/sub/dates.py"
    }
    assert len(await search(query="invoice", repository=repo.name, limit=1)) == 1
    assert await search(query="invoice", repository="other-repo") == []
    unmatched = payload(
        await client.call_tool(
            "search_code", {"project_id": project_id, "query": "invoice", "language": "pyhton"}
        )
    )
    assert (unmatched["count"], unmatched["note"]) == (
        0,
        "language filter 'pyhton' matches no chunk of this project (its languages: "
        + ", ".join(sorted({h["language"] for h in hits}))
        + ")",
    )
    files = await search(query="invoice total", by="file")
    assert len({f["path"] for f in files}) == len(files)
    assert files[0]["file_results"] == len(files[0]["definitions"]) >= 1
    assert files[0]["definitions"][0]["symbol"] == files[0]["symbol"]
    assert {"start_line", "end_line"} <= set(files[0]["definitions"][0])
    assert "definitions" not in hits[0]
    if (repo / "README.md").exists():
        await _search_by_kind(search)

    listed = payload(await client.call_tool("list_projects", {}))
    mine = next(p for p in listed["projects"] if p["id"] == project_id)
    assert mine["model"]
    assert mine["chunks"] >= 3
    assert mine["dimensions"]
    assert [r["name"] for r in mine["repositories"]] == [repo.name]
    assert mine["repositories"][0]["last_indexed_at"]


async def _search_by_kind(search: Callable[..., Awaitable[list[dict[str, Any]]]]) -> None:
    """The README is docs, the rest code; documentation ranks below the code it describes."""
    query = "invoice total with the sales tax"
    everything = await search(query=query, limit=20)
    category = {h["path"]: h["category"] for h in everything}
    assert category["README.md"] == "docs"
    assert {c for p, c in category.items() if p != "README.md"} == {"code"}
    assert everything[0]["path"] == "pkg/billing.py"
    assert {h["path"] for h in await search(query=query, kind="docs")} == {"README.md"}
    code = await search(query=query, kind="code", limit=20)
    assert code and "README.md" not in {h["path"] for h in code}
    files = await search(query=query, kind="docs", by="file")
    assert [f["path"] for f in files] == ["README.md"]
    assert {h["kind"] for h in await search(query=query, kind="function")} == {"function"}


@pytest.mark.usefixtures("local_embedder")
def test_tools_in_process(
    server_parts: tuple[Any, JobManager, Path],
    workspace: Workspace,
    tmp_path: Path,
    cleanup_ids: list[str],
) -> None:
    server, _, root = server_parts
    repo = make_repo(root / "shop", docs=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    cleanup_ids.extend(["mcp-inproc", "mcp-empty"])
    workspace.create("mcp-empty", description="never indexed")

    async def session() -> None:
        async with Client(server) as client:
            _check_schemas((await client.list_tools()).tools)
            await _check_errors(client, root, outside, "mcp-inproc")
            listed = payload(await client.call_tool("list_projects", {}))
            empty = next(p for p in listed["projects"] if p["id"] == "mcp-empty")
            assert empty == {
                "id": "mcp-empty",
                "description": "never indexed",
                "model": None,
                "dimensions": None,
                "repositories": [],
                "files": 0,
                "chunks": 0,
            }
            assert listed["allowed_roots"] == [str(root.resolve())]
            await _index_and_search(client, repo, "mcp-inproc", expect_moving=False)
            # Nothing changed: done, and it says why nothing was indexed.
            again = payload(
                await client.call_tool(
                    "index_repository", {"repo_path": str(repo), "project_id": "mcp-inproc"}
                )
            )
            final, _ = await poll_job(client, again["job_id"])
            assert final["state"] == "completed"
            assert final["warning"].startswith("no file changed since the last run")

    run(session)


@pytest.mark.usefixtures("local_embedder")
def test_a_folder_swapped_for_an_outside_link_while_its_job_waits_is_not_indexed(
    server_parts: tuple[Any, JobManager, Path], tmp_path: Path, cleanup_ids: list[str]
) -> None:
    """The issue's attack: the job fails, saying why, and nothing from outside is searchable.

    Failing is what a user expects: the path they asked for now leads somewhere else, and
    indexing the folder that was checked (now named victim-old) under the name `victim`
    would record a root whose files are not the ones there; asking again checks anew.
    """
    server, jobs, root = server_parts
    shop = make_repo(root / "shop")
    victim = make_repo(root / "victim")
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "pkg" / "vault.py").write_text(
        "def exfiltrated_vault_secret():\n    return 'hunter2-outside-the-roots'\n"
    )
    cleanup_ids.append("mcp-swap")
    swapped: list[str] = []

    def swap_when_victim_starts(job: Any) -> None:
        # Between the check (queued) and the use (run): mv victim victim-old; ln -s outside victim
        if job.repo_path == str(victim.resolve()):
            victim.rename(root / "victim-old")
            victim.symlink_to(outside, target_is_directory=True)
            swapped.append(job.id)

    jobs.before_run = swap_when_victim_starts

    async def session() -> None:
        async with Client(server) as client:
            first = payload(
                await client.call_tool(
                    "index_repository", {"repo_path": str(shop), "project_id": "mcp-swap"}
                )
            )
            queued = payload(
                await client.call_tool(
                    "index_repository", {"repo_path": str(victim), "project_id": "mcp-swap"}
                )
            )
            assert (await poll_job(client, first["job_id"]))[0]["state"] == "completed"
            final, _ = await poll_job(client, queued["job_id"])
            assert swapped == [queued["job_id"]]
            assert final["state"] == "failed", final
            assert "changed after it was checked" in final["error"]
            assert "\n" not in final["error"]
            for mode in MODES:
                reply = payload(
                    await client.call_tool(
                        "search_code",
                        {
                            "query": "exfiltrated_vault_secret hunter2",
                            "project_id": "mcp-swap",
                            "mode": mode,
                        },
                    )
                )
                assert not any("hunter2" in hit["content"] for hit in reply["results"]), reply
                assert {hit["repository"] for hit in reply["results"]} <= {"shop"}
            listed = payload(await client.call_tool("list_projects", {}))
            mine = next(p for p in listed["projects"] if p["id"] == "mcp-swap")
            assert [r["name"] for r in mine["repositories"]] == ["shop"]
            # Asked again, the path is checked anew, and now it leads outside the roots.
            again = await _error(
                client, "index_repository", {"repo_path": str(victim), "project_id": "mcp-swap"}
            )
            assert "permission denied" in again

    run(session)


@pytest.mark.usefixtures("local_embedder")
def test_jobs_warn_when_nothing_was_indexed(
    workspace: Workspace, tmp_path: Path, cleanup_ids: list[str]
) -> None:
    empty, junk = tmp_path / "empty", tmp_path / "junk"
    empty.mkdir()
    (junk / "data").mkdir(parents=True)
    (junk / "data" / "blob.bin").write_bytes(b"\x00\x01\x02")
    (junk / "notes.py").write_text("   \n")
    jobs = JobManager(workspace)
    cleanup_ids.append("mcp-warn")
    workspace.project("mcp-warn")
    try:
        first, _ = jobs.start("mcp-warn", empty)
        second, _ = jobs.start("mcp-warn", junk)
        for job in (first, second):
            deadline = time.monotonic() + 120
            while not job.finished and time.monotonic() < deadline:
                time.sleep(0.05)
        assert jobs.status(first.id)["state"] == "completed"
        assert jobs.status(first.id)["warning"].startswith("no file was found to index")
        warning = jobs.status(second.id)["warning"]
        assert warning.startswith("no file was indexed:")
        assert "1 skipped as empty" in warning
    finally:
        jobs.shutdown()


@pytest.mark.usefixtures("local_embedder")
def test_jobs_queue_deduplicate_and_stop(
    workspace: Workspace, tmp_path: Path, cleanup_ids: list[str]
) -> None:
    big = make_repo(tmp_path / "big", extra_modules=120)
    small = make_repo(tmp_path / "small")
    jobs = JobManager(workspace)
    cleanup_ids.append("mcp-queue")
    workspace.project("mcp-queue")
    first, new = jobs.start("mcp-queue", big)
    again, new_again = jobs.start("mcp-queue", big)
    queued, _ = jobs.start("mcp-queue", small)
    assert new
    assert not new_again
    assert again is first
    assert jobs.status(queued.id)["state"] == "pending"
    jobs.shutdown(timeout=120)
    stopped = jobs.status(first.id)
    assert stopped["state"] in ("failed", "completed")
    if stopped["state"] == "failed":
        assert "interrupted" in stopped["error"]
    assert jobs.status(queued.id)["state"] == "failed"
    assert "cancelled" in jobs.status(queued.id)["error"]


def test_jobs_forget_the_oldest_finished_ones(
    workspace: Workspace, tmp_path: Path, cleanup_ids: list[str]
) -> None:
    cleanup_ids.append("mcp-forget")
    workspace.project("mcp-forget")
    jobs = JobManager(workspace, keep_finished=2)
    started = []
    try:
        for i in range(4):
            (tmp_path / f"empty{i}").mkdir()
            job, _ = jobs.start("mcp-forget", tmp_path / f"empty{i}")
            deadline = time.monotonic() + 60
            while not job.finished and time.monotonic() < deadline:
                time.sleep(0.02)
            started.append(job.id)
        # Two finished jobs are kept when the fourth starts, and the fourth itself.
        with pytest.raises(CodelensError, match="no job"):
            jobs.status(started[0])
        assert [jobs.status(j)["state"] for j in started[1:]] == ["completed"] * 3
    finally:
        jobs.shutdown()


def test_job_of_a_dropped_project_fails_with_the_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    jobs = JobManager(workspace)
    try:
        job, _ = jobs.start("mcp-never-created", tmp_path)
        deadline = time.monotonic() + 60
        while not job.finished and time.monotonic() < deadline:
            time.sleep(0.02)
        status = jobs.status(job.id)
        assert status["state"] == "failed"
        assert "no project 'mcp-never-created'" in status["error"]
    finally:
        jobs.shutdown()


# -- the real server, as an editor starts it ---------------------------------------------


@pytest.mark.usefixtures("local_embedder")
def test_stdio_server_contract(
    settings: Settings, workspace: Workspace, tmp_path: Path, cleanup_ids: list[str]
) -> None:
    root = tmp_path / "allowed"
    repo = make_repo(root / "shop", extra_modules=70)
    outside = tmp_path / "outside"
    outside.mkdir()
    cleanup_ids.append("mcp-stdio")
    command, args = codelens_command()
    params = StdioServerParameters(
        command=command,
        args=[*args, "mcp", "--root", str(root)],
        env=child_env(settings, workspace),
    )

    log_path = tmp_path / "server.log"

    async def session() -> None:
        with open(log_path, "w") as log:
            transport = stdio_client(params, errlog=log)
            async with Client(transport, read_timeout_seconds=120) as client:
                _check_schemas((await client.list_tools()).tools)
                await _check_errors(client, root, outside, "mcp-stdio")
                await _index_and_search(client, repo, "mcp-stdio", expect_moving=True)

    try:
        run(session)
    finally:
        print(log_path.read_text())  # shown by pytest when the test fails
    assert "Traceback" not in log_path.read_text()


@pytest.mark.usefixtures("local_embedder")
def test_http_server_answers_a_search_on_loopback(
    settings: Settings, workspace: Workspace, project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "shop")
    project.index(repo, progress=False)
    port = free_port()
    command, args = codelens_command()
    env = {**os.environ, **child_env(settings, workspace)}
    child = subprocess.Popen(
        [command, *args, "mcp", "--http", "--port", str(port), "--root", str(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert child.poll() is None, child.communicate()[1]
                assert time.monotonic() < deadline, "the HTTP server did not start"
                time.sleep(0.2)

        async def session() -> None:
            async with Client(url) as client:
                reply = payload(
                    await client.call_tool(
                        "search_code",
                        # lexical: the child needs no model to answer it
                        {"query": "parse_iso_date", "project_id": project.id, "mode": "lexical"},
                    )
                )
                assert reply["results"][0]["path"] == "pkg/sub/dates.py"

        run(session)
    finally:
        child.terminate()
        _, stderr = child.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/mcp" in stderr


def test_stdio_server_survives_a_message_that_is_not_unicode(
    settings: Settings, workspace: Workspace, tmp_path: Path
) -> None:
    """A JSON "\\ud800" escape decodes to a lone surrogate. The MCP SDK drops such a
    message without a reply (a client waiting for it waits forever: not codelens' to fix);
    the server must live on and answer the next call."""
    import json
    import queue
    import threading

    command, args = codelens_command()
    env = {"PATH": os.environ.get("PATH", ""), **child_env(settings, workspace)}
    child = subprocess.Popen(
        [command, *args, "mcp", "--root", str(tmp_path)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    replies: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert child.stdout is not None
        for raw in child.stdout:
            replies.put(json.loads(raw))

    threading.Thread(target=read, daemon=True).start()

    def send(message: dict[str, Any]) -> None:
        assert child.stdin is not None
        # ensure_ascii writes the surrogate as the escape "\ud800", as a JSON client would.
        child.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
        child.stdin.flush()

    def reply_to(request_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                message = replies.get(timeout=1)
            except queue.Empty:
                continue
            if message.get("id") == request_id:
                return message
            if message.get("id") == 2:  # should the SDK ever answer it: one clean line
                text = message["result"]["content"][0]["text"]
                assert message["result"]["isError"] and "not valid Unicode" in text
        raise AssertionError(f"no reply to request {request_id} within 60 s")

    def search(request_id: int, query: str) -> None:
        arguments = {"query": query, "project_id": "mcp-no-such-project"}
        send(
            {
                "id": request_id,
                "method": "tools/call",
                "params": {"name": "search_code", "arguments": arguments},
            }
        )

    try:
        client = {"name": "test", "version": "0"}
        init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client}
        send({"id": 1, "method": "initialize", "params": init})
        assert "result" in reply_to(1)
        send({"method": "notifications/initialized"})
        search(2, "decode \ud800 x")
        search(3, "decode x")
        answer = reply_to(3)["result"]
        assert answer["isError"]
        assert "no project 'mcp-no-such-project'" in answer["content"][0]["text"]
        assert child.poll() is None
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        assert child.stderr is not None
        log = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
    assert "Traceback" not in log, log


def test_a_search_answered_by_the_first_pass_says_so_in_its_note(
    server_parts: tuple[Any, JobManager, Path], workspace: Workspace, cleanup_ids: list[str]
) -> None:
    server, _, root = server_parts
    cleanup_ids.append("mcp-first-pass")
    project = workspace.create("mcp-first-pass", embedder="local")
    project.index(make_repo(root / "shop"), progress=False, embed="later")

    async def session() -> dict[str, Any]:
        async with Client(server) as client:
            reply: dict[str, Any] = payload(
                await client.call_tool(
                    "search_code",
                    {"query": "charge a card", "project_id": "mcp-first-pass", "mode": "semantic"},
                )
            )
            return reply

    reply = run(session)
    assert reply["count"] > 0
    assert reply["note"].startswith(
        f"meaning by the fast first-pass model ({DEFAULT_STATIC_SPEC}) until"
        " local:all-MiniLM-L6-v2's vectors are in: 0% so far"
    )
    project.embed_pending(progress=False)
    assert "note" not in run(session)
