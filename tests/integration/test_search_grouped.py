"""Grouped results: a definition cut in parts is one result, on a real indexed repository."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from codelens import Project, Settings, Workspace
from codelens._cli import main
from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import AllowedRoots
from codelens._mcp.server import build_server
from codelens._search.engine import MODES
from codelens._search.grouping import STRETCH_REACH
from codelens._search.place import match_text
from tests.mcp_helpers import child_env, payload, run

# One long function (far more than the model's window: stored in many parts) whose name
# every part carries, with one telling line deep inside; a long module-level table; and
# short functions that share a word with the long one.
MARK = "    held = quarantine_suspicious_transfers(entries)  # wire fraud check"
HELPERS = 6


def _ledger() -> str:
    body = [
        "def reconcile_ledger(entries, accounts):",
        '    """Match each ledger entry with its account and total the balances."""',
        "    totals = {}",
    ]
    for i in range(300):
        body.append(f"    balance_{i} = totals.get('account_{i}', 0) + entries[{i % 7}] * {i}")
        if i == 200:
            body.append(MARK)
    body.append("    return totals")
    helpers = [
        f'def ledger_helper_{k}(value):\n    """Ledger helper {k}."""\n    return value + {k}\n'
        for k in range(HELPERS)
    ]
    return "\n".join(body) + "\n\n\n" + "\n\n".join(helpers)


def _settings() -> str:
    rows = "".join(
        f'    "option_{i}": {{"size": {i}, "label": "choice {i}"}},\n' for i in range(120)
    )
    return f"import os\n\nSETTINGS = {{\n{rows}}}\n\n\ndef load():\n    return SETTINGS\n"


def _table() -> str:
    # Unnamed code far longer than a result shows: windows around each match, not all.
    rows = "".join(f"    ({i}, 'entry_{i}', {i * 3}, 'slot {i}'),\n" for i in range(600))
    return f"TABLE = [\n{rows}]\n"


@pytest.fixture(scope="module")
def indexed(workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("grouped") / "books"
    root.mkdir()
    (root / "ledger.py").write_text(_ledger())
    (root / "config.py").write_text(_settings())
    (root / "table.py").write_text(_table())
    project = workspace.create(f"grouped-{uuid.uuid4().hex[:8]}")
    project.index(root, embedder="local", progress=False)
    yield project
    workspace.drop(project.id, force=True)


def _chunks(project: Project, path: str, symbol: str) -> list[tuple[int, int, int]]:
    with project.connection() as conn:
        rows = conn.execute(
            "SELECT id, start_line, end_line FROM chunks WHERE path = %s AND symbol = %s"
            " ORDER BY chunk_index",
            [path, symbol],
        ).fetchall()
    return [(int(a), int(b), int(c)) for a, b, c in rows]


def _file_lines(project: Project, path: str, first: int, last: int) -> str:
    (repo,) = project.repositories()["root_path"]
    return "\n".join((Path(repo) / path).read_text().split("\n")[first - 1 : last])


def test_a_long_function_is_one_result_spanning_its_parts(indexed: Project) -> None:
    parts = _chunks(indexed, "ledger.py", "reconcile_ledger")
    assert len(parts) > 10  # the premise: the function was cut in many parts
    results = indexed.search("quarantine suspicious transfers", mode="lexical", limit=5)
    top = results.iloc[0]
    assert top["symbol"] == "reconcile_ledger"
    assert top["parts"] == len(parts)
    assert list(top["part_ids"]) == [p[0] for p in parts]
    assert [tuple(p) for p in top["part_lines"]] == [(s, e) for _, s, e in parts]
    assert (top["start_line"], top["end_line"]) == (1, parts[-1][2])
    assert top["content"] == _file_lines(indexed, "ledger.py", 1, parts[-1][2])
    # Where the match is: the part holding the telling line, not the function's start.
    mark_line = _ledger().split("\n").index(MARK) + 1
    assert top["match_start_line"] <= mark_line <= top["match_end_line"]
    assert top["match_start_line"] > top["start_line"]
    assert MARK in match_text(top)
    assert (top["match_start_line"], top["match_end_line"]) in [(s, e) for _, s, e in parts]
    listed = results.parts_of(0)
    assert list(listed["id"]) == [p[0] for p in parts]
    assert all(
        text == _file_lines(indexed, "ledger.py", s, e)
        for s, e, text in zip(
            listed["start_line"], listed["end_line"], listed["content"], strict=True
        )
    )


@pytest.mark.parametrize("mode", MODES)
def test_freed_slots_are_refilled_with_other_definitions(indexed: Project, mode: str) -> None:
    # Every part of reconcile_ledger bears both words, so its parts fill the first
    # candidates: only a deeper fetch finds `limit` distinct definitions.
    results = indexed.search("reconcile ledger", mode=mode, limit=HELPERS + 1)
    assert len(results) == HELPERS + 1
    ids = [i for row in results["part_ids"] for i in row]
    assert len(ids) == len(set(ids))  # no chunk in two results
    symbols = list(results["symbol"])
    assert symbols.count("reconcile_ledger") == 1
    if mode == "hybrid":
        # Hybrid's rules weigh further results of one file less (per-file saturation), so
        # definitions of other files may take the freed slots before the helpers.
        mine = [s for p, s in zip(results["path"], symbols, strict=True) if p == "ledger.py"]
        assert len(mine) == len(set(mine)) >= 3
    else:
        assert {f"ledger_helper_{k}" for k in range(HELPERS)} <= set(symbols) | {"load", ""}
    assert set(symbols) >= {"reconcile_ledger"}
    assert list(results["rank"]) == list(range(1, HELPERS + 2))


def test_adjacent_module_code_is_one_result(indexed: Project) -> None:
    windows = _chunks(indexed, "config.py", "")
    assert len(windows) > 3
    results = indexed.search("option_100 choice 100", mode="lexical", limit=3)
    top = results.iloc[0]
    assert (top["path"], top["kind"], top["parts"]) == ("config.py", "module", len(windows))
    line = _settings().split("\n").index('    "option_100": {"size": 100, "label": "choice 100"},')
    assert top["match_start_line"] <= line + 1 <= top["match_end_line"]
    assert top["content"] == _file_lines(indexed, "config.py", 1, windows[-1][2])
    assert list(results["path"]).count("config.py") <= 2  # load() may follow; SETTINGS once


def test_a_long_stretch_of_module_code_gives_the_windows_around_each_match(
    indexed: Project,
) -> None:
    windows = _chunks(indexed, "table.py", "")
    assert len(windows) > 4 * STRETCH_REACH  # the premise: far more than a result shows
    lines = _table().split("\n")
    near = lines.index("    (300, 'entry_300', 900, 'slot 300'),") + 1
    results = indexed.search("entry_300 slot", mode="lexical", limit=3)
    top = results.iloc[0]
    at = next(i for i, (_, s, e) in enumerate(windows) if s <= near <= e)
    around = windows[at - STRETCH_REACH : at + STRETCH_REACH + 1]
    assert (top["path"], top["kind"]) == ("table.py", "module")
    assert list(top["part_ids"]) == [w[0] for w in around]
    assert (top["start_line"], top["end_line"]) == (around[0][1], around[-1][2])
    assert top["match_start_line"] <= near <= top["match_end_line"]
    assert top["content"] == _file_lines(indexed, "table.py", around[0][1], around[-1][2])
    # Matches far apart in one stretch: a result each, no window in two of them.
    both = indexed.search("entry_40 entry_560", mode="lexical", limit=5)
    from_table = [
        list(ids)
        for path, ids in zip(both["path"], both["part_ids"], strict=True)
        if path == "table.py"
    ]
    shown = [i for ids in from_table for i in ids]
    assert len(shown) == len(set(shown))
    order = [w[0] for w in windows]
    for entry in (40, 560):
        line = lines.index(f"    ({entry}, 'entry_{entry}', {entry * 3}, 'slot {entry}'),") + 1
        assert next(i for i, s, e in windows if s <= line <= e) in shown
    for ids in from_table:  # each still one run of consecutive windows
        first = order.index(ids[0])
        assert ids == order[first : first + len(ids)]


@pytest.fixture
def cli_env(settings: Settings, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in child_env(settings, workspace).items():
        monkeypatch.setenv(key, value)


@pytest.mark.usefixtures("cli_env")
def test_cli_prints_the_whole_span_and_the_matching_part(
    indexed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "quarantine suspicious transfers"
    assert main(["search", query, "-p", indexed.id, "-k", "2", "--mode", "lexical"]) == 0
    out = capsys.readouterr().out
    top = indexed.search(query, mode="lexical", limit=1).iloc[0]
    assert (
        f"ledger.py:1-{top['end_line']}  reconcile_ledger (match {top['match_start_line']}"
        f"-{top['match_end_line']} of {top['parts']} parts)"
    ) in out
    assert "quarantine_suspicious_transfers(entries)" in out
    assert "def reconcile_ledger" not in out  # the match, not the function's start


def test_mcp_search_code_returns_one_hit_per_definition(
    indexed: Project, workspace: Workspace, tmp_path: Path
) -> None:
    jobs = JobManager(workspace)
    server = build_server(workspace, AllowedRoots([tmp_path]), jobs)

    async def session() -> dict[str, Any]:
        async with Client(server) as client:
            args = {"query": "reconcile ledger", "project_id": indexed.id, "limit": 3}
            return dict(payload(await client.call_tool("search_code", args)))

    try:
        reply = run(session)
    finally:
        jobs.shutdown()
    hits = reply["results"]
    assert len(hits) == 3
    assert [h["symbol"] for h in hits].count("reconcile_ledger") == 1
    ledger = next(h for h in hits if h["symbol"] == "reconcile_ledger")
    parts = _chunks(indexed, "ledger.py", "reconcile_ledger")
    assert (ledger["start_line"], ledger["end_line"], ledger["parts"]) == (
        1,
        parts[-1][2],
        len(parts),
    )
    span = (ledger["match_start_line"], ledger["match_end_line"])
    assert span in [(s, e) for _, s, e in parts]
    assert ledger["content"] == _file_lines(indexed, "ledger.py", *span)
