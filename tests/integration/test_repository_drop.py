"""One repository dropped from a project, and a re-index that finds a repository's folder gone.

A folder that moved, or was indexed into the wrong project, stayed in every search, with
no way out but dropping the whole project, and made `%codelens index` (every repository
again) stop at it halfway."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from IPython.core.error import StdinNotImplementedError
from IPython.core.interactiveshell import InteractiveShell
from psycopg import sql

from codelens import Project
from codelens._cli import main
from codelens._db.pool import Connection
from codelens._index.lock import index_lock
from codelens.errors import CodelensError, IndexingError, ProjectBusy


def _repo(root: Path, name: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / f"{name}.py").write_text(
        f"import decimal\n\n\ndef {name}_refund(order):\n"
        f'    """Refund the {name} order."""\n    return decimal.Decimal(order.total)\n'
    )
    (root / "README.md").write_text(f"# {name}\n\nRefunds of {name} orders.\n")
    return root


@pytest.fixture
def two(project: Project, tmp_path: Path) -> tuple[Project, Path, Path]:
    shop = _repo(tmp_path / "shop", "shop")
    admin = _repo(tmp_path / "admin", "admin")
    project.index(shop, progress=False, embed="later")
    project.index(admin, progress=False, embed="later")
    return project, shop, admin


def _rows_of(conn: Connection, table: str, repository_id: int) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE repository_id = %s").format(sql.Identifier(table)),
        [repository_id],
    ).fetchone()
    assert row is not None
    return int(row[0])


def _counts(project: Project) -> dict[str, tuple[int, int]]:
    table = project.repositories()
    return {
        str(r.name): (int(r.files), int(r.chunks))
        for r in table[["name", "files", "chunks"]].itertuples(index=False)
    }


def test_a_dropped_repository_leaves_no_trace_and_the_rest_untouched(
    two: tuple[Project, Path, Path],
) -> None:
    project, shop, _ = two
    assert set(project.search("refund an order", mode="lexical").repository) == {"shop", "admin"}
    before = _counts(project)["admin"]
    table = project.repositories()
    shop_id = int(table.loc[table["name"] == "shop", "id"].iloc[0])
    tables = ("files", "chunks", "definitions", "symbol_refs", "symbol_imports", "index_runs")
    with project.connection() as conn:
        held = {t: _rows_of(conn, t, shop_id) for t in tables}
    assert all(held.values()), held  # each table held some of it

    dropped = project.drop_repository("shop")

    assert str(dropped) == (
        f"dropped repository 'shop' ({shop.resolve()}: 2 files, {before[1]} chunks)"
        f" from project {project.id!r}"
    )
    assert _counts(project) == {"admin": before}
    for mode in ("lexical", "semantic", "hybrid"):
        assert set(project.search("refund an order", mode=mode).repository) == {"admin"}
    assert project.definitions("shop_refund").empty
    assert list(project.definitions("admin_refund")["path"]) == ["src/admin.py"]
    with project.connection() as conn:
        assert {t: _rows_of(conn, t, shop_id) for t in tables} == dict.fromkeys(tables, 0)
        assert conn.execute(
            "SELECT count(*) FROM file_vectors v WHERE NOT EXISTS"
            " (SELECT FROM files f WHERE f.id = v.file_id)"
        ).fetchone() == (0,)
    # Its folder is still there: indexing it again brings it back.
    project.index(shop, progress=False, embed="later")
    assert _counts(project)["shop"] == (2, before[1])


def test_an_unknown_repository_is_named_with_the_project_s(
    two: tuple[Project, Path, Path],
) -> None:
    project, _, _ = two
    with pytest.raises(IndexingError) as caught:
        project.drop_repository("shpo")
    assert str(caught.value) == (
        f"project {project.id!r} has no repository 'shpo' (its repositories: admin, shop)"
    )
    assert set(_counts(project)) == {"admin", "shop"}


def test_a_repository_is_not_dropped_while_the_project_is_indexed(
    two: tuple[Project, Path, Path],
) -> None:
    project, _, admin = two
    with (
        index_lock(project.handle, repository=str(admin.resolve())),
        pytest.raises(ProjectBusy, match="is being indexed by"),
    ):
        project.drop_repository("shop")
    assert set(_counts(project)) == {"admin", "shop"}


def test_reindex_stops_before_anything_when_a_folder_is_gone(
    two: tuple[Project, Path, Path],
) -> None:
    project, shop, admin = two
    # Repositories are indexed again in their names' order: admin's folder is there, the
    # later shop's is not.
    (admin / "src" / "late.py").write_text("def late():\n    return 1\n")
    shutil.rmtree(shop)
    with pytest.raises(IndexingError) as caught:
        project.reindex(progress=False, embed="later")
    assert str(caught.value) == (
        f"repository 'shop' of project {project.id!r} has no folder at {shop.resolve()} on"
        f" this machine: put it back, or drop the repository (`%codelens drop {project.id} --repo shop`,"
        f" `codelens drop {project.id} --repo shop --yes` or Project.drop_repository('shop'))"
    )
    # Nothing was indexed: not even the repository whose folder is there.
    assert project.definitions("late").empty
    project.drop_repository("shop")
    (report,) = project.reindex(progress=False, embed="later")
    assert report.files_indexed == 1
    assert list(project.definitions("late")["path"]) == ["src/late.py"]


@pytest.mark.usefixtures("cli_env")
def test_the_magic_asks_and_the_cli_wants_yes(
    two: tuple[Project, Path, Path],
    ip: InteractiveShell,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, _, _ = two
    monkeypatch.setattr("builtins.input", lambda prompt: print(prompt) or "n")
    ip.run_line_magic("codelens", f"drop {project.id} --repo shop")
    out = capsys.readouterr().out
    assert (
        f"Drop repository 'shop' and everything indexed of it from project {project.id!r}?" in out
    )
    assert "repository 'shop' kept" in out
    assert set(_counts(project)) == {"admin", "shop"}

    def cannot_ask(prompt: str) -> str:
        raise StdinNotImplementedError

    monkeypatch.setattr("builtins.input", cannot_ask)
    with pytest.raises(CodelensError) as caught:
        ip.run_line_magic("codelens", f"drop {project.id} --repo shop")
    assert str(caught.value) == (
        f"repository 'shop' of project {project.id!r} was not dropped: this frontend cannot ask"
        f" for confirmation; run `%codelens drop {project.id} --repo shop --force`"
    )
    with pytest.raises(IndexingError, match="no repository 'nope'"):
        ip.run_line_magic("codelens", f"drop {project.id} --repo nope --force")
    ip.run_line_magic("codelens", f"drop {project.id} --repo shop --force")
    assert capsys.readouterr().out.startswith("dropped repository 'shop' (")
    assert set(_counts(project)) == {"admin"}

    assert main(["drop", project.id, "--repo", "admin"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"codelens: error: repository 'admin' of project {project.id!r} was not dropped: it"
        " would delete everything indexed of it: add --yes"
    )
    assert main(["drop", project.id, "--repo", "admin", "--yes"]) == 0
    assert capsys.readouterr().out.startswith("dropped repository 'admin' (")
    assert _counts(project) == {}
    assert project.handle.exists()
