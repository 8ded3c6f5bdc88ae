"""Symbols in the DuckDB analysis, over a real index of a small multi-file Python repository:
the snapshot's symbol tables, graph(), hotspots(), unreferenced(), import_cycles() and the
module graph's plot."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from matplotlib.figure import Figure

from codelens import Project
from codelens._analysis.analysis import Analysis
from codelens.errors import AnalysisError
from tests.symbols_fixture import FILES, write_shop


@pytest.fixture
def analysis(project: Project, tmp_path: Path) -> Analysis:
    project.index(write_shop(tmp_path / "shop"), progress=False, embed="later")
    return project.analyze()


def test_the_snapshot_holds_symbols_resolved(analysis: Analysis) -> None:
    tables = set(analysis.tables()["table"])
    assert {"definitions", "symbol_refs", "module_imports", "definition_uses"} <= tables
    price = analysis.sql(
        "SELECT r.path, r.scope, r.resolution FROM symbol_refs r"
        " JOIN definitions d ON d.id = r.target_id"
        " WHERE d.qualname = 'price' AND r.kind = 'call' ORDER BY r.path, r.line"
    )
    assert list(price["scope"]) == ["main", "Cart.cheapest", "Cart.dearest", "total", "test_price"]
    # A parameter is no definition of the project's.
    assert analysis.sql("SELECT * FROM definitions WHERE name = 'item'").empty


def test_module_graph(analysis: Analysis) -> None:
    edges = analysis.graph()
    pairs = set(zip(edges["source"], edges["target"], strict=True))
    assert pairs == {
        ("cli", "shop.cart"),
        ("cli", "shop.pricing"),
        ("shop.cart", "shop.pricing"),
        ("shop.pricing", "shop.cart"),
        ("tests.test_pricing", "shop.pricing"),
    }
    assert set(edges["source_path"]) == {
        "cli.py",
        "shop/cart.py",
        "shop/pricing.py",
        "tests/test_pricing.py",
    }
    graph = analysis.graph("module", networkx=True)
    assert isinstance(graph, nx.DiGraph)
    assert set(graph.edges) == pairs
    assert graph["cli"]["shop.cart"]["target_path"] == "shop/cart.py"


def test_definition_graph(analysis: Analysis) -> None:
    edges = analysis.graph("definition")
    calls = set(zip(edges["source"], edges["target"], edges["kind"], strict=True))
    assert ("shop.pricing.total", "shop.pricing.price", "call") in calls
    assert ("shop.pricing.price", "shop.pricing._round", "call") in calls
    assert ("shop.cart.Cart.cheapest", "shop.pricing.price", "call") in calls
    assert ("shop.pricing.total", "shop.cart.fee", "call") in calls
    graph = analysis.graph("definition", networkx=True)
    assert nx.has_path(graph, "cli.main", "shop.pricing._round")
    edge = graph["shop.pricing.total"]["shop.pricing.price"]
    assert edge["kinds"] == ["call"] and edge["weight"] == 1
    assert edge["source_path"] == edge["target_path"] == "shop/pricing.py"
    with pytest.raises(AnalysisError, match="use 'module' or 'definition'"):
        analysis.graph("file")  # type: ignore[call-overload]


def test_hotspots(analysis: Analysis) -> None:
    top = analysis.hotspots(3)
    assert len(top) == 3
    first = top.iloc[0]
    assert (first["path"], first["symbol"]) == ("shop/pricing.py", "price")
    # Five calls and three imports, from five files... four: cart, cli, pricing, the test.
    assert first["callers"] == 5
    assert first["references"] == 5 + 3
    assert first["files"] == 4
    assert list(top["references"]) == sorted(top["references"], reverse=True)
    with pytest.raises(AnalysisError, match="must be a whole number >= 1"):
        analysis.hotspots(0)


def test_unreferenced_flags_instead_of_filtering(analysis: Analysis) -> None:
    found = analysis.unreferenced().set_index("symbol")
    assert "price" not in found.index and "_round" not in found.index
    flags = ["public", "test", "dunder", "entry_point"]
    assert found.loc["forgotten", flags].tolist() == [True, False, False, False]
    assert found.loc["Cart.__len__", flags].tolist() == [True, False, True, False]
    assert found.loc["Cart.__init__", "dunder"]
    assert found.loc["test_price", flags].tolist() == [True, True, False, False]
    assert found.loc["start", flags].tolist() == [True, False, False, True]
    assert "main" not in found.index  # its file's main block calls it
    assert found.loc["forgotten", "path"] == "shop/pricing.py"
    source = FILES["shop/pricing.py"].splitlines()
    assert found.loc["forgotten", "line"] == source.index("def forgotten():") + 1


def test_import_cycles(analysis: Analysis) -> None:
    cycles = analysis.import_cycles()
    assert len(cycles) == 1
    knot = cycles.iloc[0]
    assert knot["modules"] == ["shop.cart", "shop.pricing"]
    assert knot["size"] == 2
    assert knot["example"][0] == knot["example"][-1]
    assert set(knot["example"]) == {"shop.cart", "shop.pricing"}


def test_module_graph_plot(analysis: Analysis) -> None:
    fig = analysis.plot.module_graph()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title().endswith(": 1 cycle")
    labels = {t.get_text() for t in ax.texts}
    assert {"cli", "shop.cart", "shop.pricing", "tests.test_pricing"} <= labels


def test_a_project_without_symbols_analyses_empty(project: Project) -> None:
    analysis = project.analyze()
    assert analysis.graph().empty
    assert analysis.hotspots().empty
    assert analysis.unreferenced().empty
    assert analysis.import_cycles().empty
    assert analysis.plot.module_graph().axes[0].get_title().startswith("Module imports in")


def test_a_change_reaches_the_snapshot(project: Project, tmp_path: Path) -> None:
    root = write_shop(tmp_path / "shop")
    project.index(root, progress=False, embed="later")
    analysis = project.analyze()
    assert len(analysis.import_cycles()) == 1
    analysis.refresh()  # nothing written since: the symbol tables are kept as they are
    assert len(analysis.import_cycles()) == 1
    assert len(analysis.sql("SELECT * FROM definitions WHERE qualname = 'forgotten'")) == 1
    (root / "shop" / "pricing.py").write_text("def price(item):\n    return item\n")
    project.index(root, progress=False, embed="later")
    analysis = project.analyze()
    assert analysis.import_cycles().empty
    assert "forgotten" not in set(analysis.sql("SELECT qualname FROM definitions")["qualname"])
