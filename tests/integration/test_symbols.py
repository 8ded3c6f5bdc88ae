"""Definitions, references, callers, callees and imports of real index runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import codelens
from codelens import Project
from codelens.errors import SymbolError

BILLING = '''"""Charging cards."""

import time


def retry_delay(attempt: int) -> float:
    return 2.0 ** attempt


class Base:
    def _send(self, cents: int) -> bool:
        return cents > 0


class Charger(Base):
    def charge(self, cents: int) -> bool:
        for attempt in range(3):
            if self._send(cents):
                return True
            time.sleep(retry_delay(attempt))
        return False
'''

INIT = "from .billing import retry_delay as delay\nfrom .billing import Charger\n"

APP = """import payments.billing as billing
from payments import delay
from payments.billing import Charger


def checkout(cents):
    delay(1)
    billing.retry_delay(2)
    charger = Charger()
    return charger.charge(cents)


def retry_delay():
    return 0


def refund(charger: Charger, other):
    charger.charge(-1)
    other.charge(0)
"""


def make_repo(root: Path) -> Path:
    (root / "payments").mkdir(parents=True)
    (root / "payments" / "__init__.py").write_text(INIT)
    (root / "payments" / "billing.py").write_text(BILLING)
    (root / "app.py").write_text(APP)
    return root


def _places(frame) -> list[tuple[str, int, str, str]]:  # type: ignore[no-untyped-def]
    return [(r.path, r.line, r.definition, r.resolution) for r in frame.itertuples(index=False)]


@pytest.fixture
def indexed(project: Project, tmp_path: Path) -> tuple[Project, Path]:
    root = make_repo(tmp_path / "shop")
    project.index(root, progress=False, embed="later")
    return project, root


def test_definitions_by_name_qualified_name_module_and_glob(
    indexed: tuple[Project, Path],
) -> None:
    project, _ = indexed
    found = project.definitions("retry_delay")
    assert list(found.columns) == codelens._symbols.queries.COLUMNS  # type: ignore[attr-defined]
    assert [(r.path, r.line, r.column, r.kind) for r in found.itertuples()] == [
        ("app.py", 13, 5, "function"),
        ("payments/billing.py", 6, 5, "function"),
    ]
    assert list(project.definitions("Charger.charge")["line"]) == [16]
    assert list(project.definitions("payments.billing.retry_delay")["path"]) == [
        "payments/billing.py"
    ]
    assert list(project.definitions("Charger.*")["symbol"]) == ["Charger.charge"]
    assert project.definitions("nothing_like_it").empty


def test_python_callers_are_resolved_through_imports_scope_and_self(
    indexed: tuple[Project, Path],
) -> None:
    project, _ = indexed
    callers = project.callers("payments.billing.retry_delay")
    assert _places(callers) == [
        ("app.py", 7, "checkout", "import"),  # delay, re-exported by the package's __init__
        ("app.py", 8, "checkout", "import"),  # billing.retry_delay, a module attribute
        ("payments/billing.py", 20, "Charger.charge", "scope"),
    ]
    # The other retry_delay, in app.py, is called by nobody.
    assert project.callers("app.retry_delay").empty
    # self._send() found on the base class.
    assert _places(project.callers("Base._send")) == [
        ("payments/billing.py", 18, "Charger.charge", "self")
    ]
    # charger.charge(), where charger = Charger(): the variable's type says which charge.
    # A parameter's annotation does too; other.charge(), on a value of unknown type, is
    # matched by name and marked so.
    assert _places(project.callers("Charger.charge")) == [
        ("app.py", 10, "checkout", "scope"),
        ("app.py", 18, "refund", "scope"),
        ("app.py", 19, "refund", "name-only"),
    ]


def test_callers_with_depth_walk_the_graph(indexed: tuple[Project, Path]) -> None:
    project, _ = indexed
    found = project.callers("Base._send", depth=3)
    assert [(r.definition, r.symbol, r.depth) for r in found.itertuples()] == [
        ("Charger.charge", "Base._send", 1),
        ("checkout", "Charger.charge", 2),
        ("refund", "Charger.charge", 2),
        ("refund", "Charger.charge", 2),
    ]


def test_callees_include_calls_out_of_the_project(indexed: tuple[Project, Path]) -> None:
    project, _ = indexed
    found = project.callees("Charger.charge")
    rows = [(r.symbol, r.resolution, r.target_path) for r in found.itertuples()]
    assert ("Base._send", "self", "payments/billing.py") in rows
    assert ("retry_delay", "scope", "payments/billing.py") in rows
    assert ("time.sleep", "external", None) in rows
    assert ("range", "external", None) in rows  # a builtin
    deeper = project.callees("checkout", depth=2)
    assert ("Base._send", 2) in [(r.symbol, r.depth) for r in deeper.itertuples()]


def test_references_by_kind(indexed: tuple[Project, Path]) -> None:
    project, _ = indexed
    refs = project.references("Charger")
    kinds = sorted({(r.path, r.kind) for r in refs.itertuples()})
    assert kinds == [
        ("app.py", "call"),
        ("app.py", "import"),
        ("payments/__init__.py", "import"),
    ]
    assert list(project.references("Base", kind="inherit")["line"]) == [15]
    assert project.references("Base", kind=["call"]).empty


def test_the_import_graph(indexed: tuple[Project, Path]) -> None:
    project, _ = indexed
    graph = project.imports()
    edges = {(r.importer, r.imported, r.imported_path) for r in graph.itertuples()}
    assert ("app", "payments", "payments/__init__.py") in edges
    assert ("app", "payments.billing", "payments/billing.py") in edges
    assert ("payments", "payments.billing", "payments/billing.py") in edges
    assert ("payments.billing", "time", None) in edges
    only = project.imports("app")
    assert set(only["importer"]) == {"app"}


def test_incremental_runs_keep_resolution_right_both_ways(
    indexed: tuple[Project, Path],
) -> None:
    project, root = indexed
    # The caller moves to a new file; billing.py, which holds the definition, is unchanged.
    (root / "app.py").write_text("def retry_delay():\n    return 0\n")
    (root / "jobs.py").write_text(
        "from payments.billing import retry_delay\n\n\ndef nightly():\n    retry_delay(5)\n"
    )
    project.index(root, progress=False, embed="later")
    assert _places(project.callers("payments.billing.retry_delay")) == [
        ("jobs.py", 5, "nightly", "import"),
        ("payments/billing.py", 20, "Charger.charge", "scope"),
    ]
    # The definition is renamed and moved down; jobs.py, which calls it, is unchanged and
    # now calls a name billing.py no longer has.
    renamed = BILLING.replace("retry_delay", "backoff").replace(
        '"""Charging cards."""', '"""\n\n"""'
    )
    (root / "payments" / "billing.py").write_text(renamed)
    (root / "payments" / "__init__.py").write_text("from .billing import backoff\n")
    report = project.index(root, progress=False, embed="later")
    assert report.files_unchanged == 2
    assert project.definitions("payments.billing.retry_delay").empty
    assert project.callers("payments.billing.retry_delay").empty
    backoff = project.callers("backoff")
    assert _places(backoff) == [("payments/billing.py", 22, "Charger.charge", "scope")]
    assert list(project.definitions("backoff")["line"]) == [8]
    # Deleted files take their symbols with them.
    (root / "jobs.py").unlink()
    project.index(root, progress=False, embed="later")
    with project.connection() as conn:
        row = conn.execute("SELECT count(*) FROM symbol_refs WHERE path = 'jobs.py'").fetchone()
    assert row is not None and row[0] == 0


def test_a_project_indexed_before_symbols_gets_them_without_rechunking(
    indexed: tuple[Project, Path],
) -> None:
    project, root = indexed
    with project.connection() as conn:
        chunks_before = conn.execute("SELECT id, content_hash FROM chunks ORDER BY id").fetchall()
        # As a project indexed before migration 0006 looks after it.
        conn.execute("DELETE FROM definitions")
        conn.execute("DELETE FROM symbol_refs")
        conn.execute("DELETE FROM symbol_imports")
        conn.execute("UPDATE files SET symbols_version = NULL")
        conn.execute("SELECT nextval('symbols_generation')")
    assert project.definitions("retry_delay").empty
    report = project.index(root, progress=False, embed="later")
    assert report.files_unchanged == 3
    assert report.files_indexed == 0
    assert report.chunks_added == 0 and report.chunks_removed == 0
    with project.connection() as conn:
        chunks_after = conn.execute("SELECT id, content_hash FROM chunks ORDER BY id").fetchall()
    assert chunks_after == chunks_before
    assert len(project.callers("payments.billing.retry_delay")) == 3


def test_a_notebook_cell_calling_a_function_of_the_project(
    project: Project, tmp_path: Path
) -> None:
    root = make_repo(tmp_path / "shop")
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Trying it\n", "out\n"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "outputs": [],
            "source": ["%matplotlib inline\n", "from payments.billing import retry_delay\n"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 2,
            "outputs": [],
            "source": ["retry_delay(4)"],
        },
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "try.ipynb").write_text(json.dumps(notebook))
    project.index(root, progress=False, embed="later")
    found = project.callers("payments.billing.retry_delay")
    assert ("try.ipynb", 5, "", "import") in _places(found)


def test_other_languages_match_by_name_preferring_the_same_file(
    project: Project, tmp_path: Path
) -> None:
    root = tmp_path / "web"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "a.js").write_text(
        "function format(s) { return s; }\nfunction show(x) { return format(x); }\n"
    )
    (root / "lib" / "b.js").write_text("function format(s) { return s + '!'; }\n")
    (root / "main.go").write_text("package main\n\nfunc run() {}\n\nfunc main() { run() }\n")
    project.index(root, progress=False, embed="later")
    found = project.callers("format")
    assert [(r.path, r.target_path, r.resolution) for r in found.itertuples()] == [
        ("lib/a.js", "lib/a.js", "name-only")
    ]
    assert _places(project.callers("run")) == [("main.go", 5, "main", "name-only")]


def test_the_languages_without_tags_of_their_own_have_callers_too(
    project: Project, tmp_path: Path
) -> None:
    root = tmp_path / "shop"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "Orders.kt").write_text("class Orders {\n    fun total(): Int = 1\n}\n")
    (root / "Main.kt").write_text("fun main() {\n    println(Orders().total())\n}\n")
    (root / "deploy.sh").write_text("#!/bin/bash\nbuild() { make all; }\nbuild\n")
    (root / "Cart.cs").write_text(
        "class Cart {\n    int Sum() { return Round(1); }\n    int Round(int x) { return x; }\n}\n"
    )
    project.index(root, progress=False, embed="later")
    found = project.callers("Orders.total")
    assert [(r.path, r.line, r.definition, r.target_path) for r in found.itertuples()] == [
        ("Main.kt", 2, "main", "lib/Orders.kt")
    ]
    assert _places(project.callers("build")) == [("deploy.sh", 3, "", "name-only")]
    assert _places(project.callers("Cart.Round")) == [("Cart.cs", 2, "Cart.Sum", "name-only")]


def test_search_results_carry_how_many_places_call_them(
    indexed: tuple[Project, Path],
) -> None:
    project, _ = indexed
    results = project.search("retry delay attempt", mode="lexical", limit=10)
    counts = {(r.path, r.symbol): r.callers for r in results.itertuples()}
    assert counts[("payments/billing.py", "retry_delay")] == 3
    assert counts[("app.py", "retry_delay")] == 0


def test_module_level_calls_and_bad_questions(
    indexed: tuple[Project, Path], workspace: codelens.Workspace
) -> None:
    project, _ = indexed
    codelens.workspace(workspace)
    assert len(codelens.callers("Base._send", project=project.id)) == 1
    assert len(codelens.definitions("Charger", project=project)) == 1
    assert len(codelens.references("Charger", kind="call", project=project)) == 1
    assert len(codelens.callees("checkout", project=project)) >= 4
    assert not codelens.imports(project=project).empty
    with pytest.raises(SymbolError, match="give a symbol"):
        project.definitions("  ")
    with pytest.raises(SymbolError, match="depth must be"):
        project.callers("retry_delay", depth=0)
    with pytest.raises(SymbolError, match="unknown reference kind 'calls'"):
        project.references("retry_delay", kind="calls")
    assert project.callers("no_such_function").empty
    assert project.callees("no_such_function").empty
    assert project.references("no_such_function").empty


LIB = {
    "lib/__init__.py": "from lib import tools\n",
    "lib/tools.py": """from typing import Optional


class Store:
    def save(self) -> None:
        pass

    @classmethod
    def make(cls) -> "Store":
        return cls.build()

    @classmethod
    def build(cls) -> "Store":
        return cls()


class Cache(Store):
    def save(self) -> None:
        super().save()


def open_store() -> Store:
    return Store()
""",
    "lib/helpers.py": "def helper():\n    return 1\n\n\n__all__ = ['helper']\n",
    "use.py": """from lib.helpers import *
import lib
from lib.tools import Cache, Optional, open_store, Store


class Keeper:
    def __init__(self, store: Optional[Store]) -> None:
        self.store = Cache()

    def keep(self) -> None:
        self.store.save()


def run(items):
    def inner():
        return helper()

    inner()
    lib.tools.open_store().save()
    made = open_store()
    made.save()
    Store.make()
    len(items)
    items.save()
    [Store()][0].save()
""",
}


def test_python_resolution_through_classes_modules_and_types(
    project: Project, tmp_path: Path
) -> None:
    root = tmp_path / "lib-repo"
    for rel, text in LIB.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    project.index(root, progress=False, embed="later")
    # super().save() in Cache means Store.save; self.store is a Cache, so keep() calls
    # Cache.save; a factory's return annotation types `made` and the chained call.
    store_save = _places(project.callers("lib.tools.Store.save"))
    assert ("lib/tools.py", 19, "Cache.save", "self") in store_save
    assert ("use.py", 19, "run", "import") in store_save
    assert ("use.py", 21, "run", "scope") in store_save
    # items.save() and [Store()][0].save(): values of unknown type, matched by name.
    assert ("use.py", 24, "run", "name-only") in store_save
    assert ("use.py", 25, "run", "name-only") in store_save
    cache_save = _places(project.callers("Cache.save"))
    assert ("use.py", 11, "Keeper.keep", "self") in cache_save
    # cls.build() inside a classmethod; Store.make() through the class's name.
    assert _places(project.callers("Store.build")) == [("lib/tools.py", 10, "Store.make", "self")]
    assert _places(project.callers("Store.make")) == [("use.py", 22, "run", "import")]
    # A nested function; a name from a star import.
    assert _places(project.callers("run.inner")) == [("use.py", 18, "run", "scope")]
    assert _places(project.callers("helper")) == [("use.py", 16, "run.inner", "import")]
    # The builtin len is no call of anything in the project.
    callees = project.callees("run")
    assert ("len", "external") in {(r.symbol, r.resolution) for r in callees.itertuples()}


def _generation(project: Project) -> int:
    with project.connection() as conn:
        row = conn.execute("SELECT last_value + is_called::int FROM symbols_generation").fetchone()
    assert row is not None
    return int(row[0])


def test_an_index_run_moves_the_symbols_generation_once_not_per_batch(
    project: Project, tmp_path: Path
) -> None:
    # Each move has every reader load all definitions again: a run of many batches must
    # not make a reader asking meanwhile load them once per batch.
    root = make_repo(tmp_path / "shop")
    for i in range(20):
        (root / f"mod{i}.py").write_text(
            f"from payments.billing import retry_delay\n\n\ndef f{i}():\n    return retry_delay({i})\n"
        )
    before = _generation(project)
    report = project.index(root, progress=False, embed="later")
    assert report.files_indexed == 23
    assert _generation(project) - before <= 2
    assert len(project.callers("payments.billing.retry_delay")) == 23
