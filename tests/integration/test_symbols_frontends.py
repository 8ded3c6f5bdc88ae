"""Symbols through the front ends: the CLI's def/refs/callers/callees and the MCP tools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from codelens import Project, Workspace
from codelens._cli import main
from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import AllowedRoots
from codelens._mcp.server import build_server
from tests.integration.test_symbols import make_repo
from tests.mcp_helpers import payload, run, text_of


@pytest.fixture
def shop(project: Project, tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "allowed" / "shop")
    project.index(root, progress=False, embed="later")
    return root


@pytest.mark.usefixtures("cli_env", "shop")
def test_cli_answers_def_refs_callers_and_callees(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["def", "retry_delay", "-p", project.id]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "app.py:13:5  retry_delay  [function, definition]",
        "payments/billing.py:6:5  retry_delay  [function, definition]",
    ]
    assert main(["callers", "payments.billing.retry_delay", "-p", project.id]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "app.py:7:5 in checkout  retry_delay  [call, import] -> payments/billing.py:6"
    )
    assert len(lines) == 3
    assert main(["callers", "Base._send", "-p", project.id, "--depth", "2"]) == 0
    assert "[call, scope depth 2]" in capsys.readouterr().out
    assert main(["callees", "Charger.charge", "-p", project.id]) == 0
    assert "time.sleep  [call, external]" in capsys.readouterr().out
    assert main(["refs", "Base", "-p", project.id, "--kind", "inherit", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["path"], r["line"], r["kind"]) for r in rows] == [
        ("payments/billing.py", 15, "inherit")
    ]
    # --kind repeats, as in the notebook: every kind named.
    argv = ["refs", "retry_delay", "-p", project.id, "--json"]
    assert main([*argv, "--kind", "import", "--kind", "call"]) == 0
    assert {r["kind"] for r in json.loads(capsys.readouterr().out)} == {"import", "call"}
    assert main(["callers", "checkout", "-p", project.id]) == 0
    assert capsys.readouterr().out == "nothing calls 'checkout'\n"
    # A name the project does not define is not "called by nothing": a typo says so.
    for command in ("callers", "refs", "callees", "def"):
        assert main([command, "Charger.chrage", "-p", project.id]) == 0
        assert capsys.readouterr().out == (
            "no definition of 'Charger.chrage': try a shorter name or a glob such as"
            " '*Charger.chrage*'\n"
        ), command
    assert main(["callers", "x", "-p", project.id, "--depth", "0"]) == 2
    assert main(["refs", "x", "-p", project.id, "--kind", "calls"]) == 2
    capsys.readouterr()
    assert main(["callers", "x", "-p", project.id, "--depth", "11"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("codelens: error: depth must be") and err.count("\n") == 1


@pytest.fixture
def server(workspace: Workspace, shop: Path) -> Iterator[Any]:
    jobs = JobManager(workspace)
    yield build_server(workspace, AllowedRoots([shop.parent]), jobs)
    jobs.shutdown()


def test_mcp_find_definition_and_references_over_a_client(
    server: Any, project: Project, shop: Path, tmp_path: Path
) -> None:
    # A second repository of the project, indexed outside the server's allowed roots.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "extra.py").write_text(
        "from payments.billing import retry_delay\n\n\ndef later():\n    retry_delay(9)\n"
    )
    project.index(elsewhere, progress=False, embed="later")

    async def session() -> None:
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            for name in ("find_definition", "find_references"):
                assert tools[name].annotations.read_only_hint
                assert tools[name].input_schema["required"] == ["symbol", "project_id"]
            found = payload(
                await client.call_tool(
                    "find_definition", {"symbol": "Charger.charge", "project_id": project.id}
                )
            )
            assert found["count"] == 1
            hit = found["results"][0]
            assert (hit["path"], hit["line"], hit["kind"], hit["repository"]) == (
                "payments/billing.py",
                16,
                "method",
                "shop",
            )
            callers = payload(
                await client.call_tool(
                    "find_references",
                    {
                        "symbol": "payments.billing.retry_delay",
                        "project_id": project.id,
                        "kind": "call",
                    },
                )
            )
            assert [(r["place"], r["definition"], r["resolution"]) for r in callers["results"]] == [
                ("app.py:7", "checkout", "import"),
                ("app.py:8", "checkout", "import"),
                ("payments/billing.py:20", "Charger.charge", "scope"),
            ]
            assert "1 results in repositories outside the allowed roots" in callers["note"]
            hits = payload(
                await client.call_tool(
                    "search_code",
                    {"query": "retry delay", "project_id": project.id, "mode": "lexical"},
                )
            )["results"]
            counts = {(h["path"], h["symbol"]): h["callers"] for h in hits}
            assert counts[("payments/billing.py", "retry_delay")] == 4  # with extra.py's
            few = payload(
                await client.call_tool(
                    "find_references",
                    {"symbol": "retry_delay", "project_id": project.id, "limit": 1},
                )
            )
            assert few["count"] == 1 and few["truncated"] is True
            for tool in ("find_references", "find_definition"):
                typo = payload(
                    await client.call_tool(
                        tool, {"symbol": "Charger.chrage", "project_id": project.id}
                    )
                )
                assert typo["count"] == 0 and typo["note"] == (
                    "no definition of 'Charger.chrage': try a shorter name or a glob such as"
                    " '*Charger.chrage*'"
                ), tool
            unused = payload(
                await client.call_tool(
                    "find_references", {"symbol": "checkout", "project_id": project.id}
                )
            )
            assert unused["count"] == 0 and "note" not in unused
            bad = await client.call_tool(
                "find_references", {"symbol": "x", "project_id": project.id, "kind": "calls"}
            )
            assert bad.is_error and "kind" in text_of(bad)
            empty = await client.call_tool(
                "find_definition", {"symbol": " ", "project_id": project.id}
            )
            assert empty.is_error and "give a symbol" in text_of(empty)
            missing = await client.call_tool(
                "find_definition", {"symbol": "x", "project_id": "no-such-project"}
            )
            assert missing.is_error and "list_projects" in text_of(missing)

    run(session)


def test_magics_answer_def_refs_callers_and_callees(
    project: Project, shop: Path, ws: Workspace
) -> None:
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    from codelens._notebook.magics import (
        CodelensMagics,
        load_ipython_extension,
        unload_ipython_extension,
    )

    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    magics = shell.magics_manager.registry["CodelensMagics"]
    assert isinstance(magics, CodelensMagics)
    magics.workspace = ws
    try:
        ws.use(project.id)
        found = shell.run_line_magic("codelens", "def 'Charger.charge'")
        assert list(found["line"]) == [16]
        callers = shell.run_line_magic("codelens", "callers Base._send --depth 2")
        assert list(callers["depth"]) == [1, 2, 2, 2]
        callees = shell.run_line_magic("codelens", f"callees checkout -p {project.id}")
        assert "Charger" in set(callees["symbol"])
        refs = shell.run_line_magic("codelens", "refs Charger --kind import")
        assert set(refs["kind"]) == {"import"}
        with pytest.raises(UsageError, match="invalid choice"):
            shell.run_line_magic("codelens", "refs Charger --kind calls")
    finally:
        unload_ipython_extension(shell)
