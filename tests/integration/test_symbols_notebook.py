"""Symbols in the notebook: the %codelens def/refs/callers/callees magics through IPython's
real shell, completion of symbol names, and the search panel's callers, on a real index."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from codelens import Workspace
from codelens._notebook.completion import MAX_SYMBOLS
from codelens._notebook.magics import (
    CodelensMagics,
    load_ipython_extension,
    unload_ipython_extension,
)
from codelens._notebook.places import Snippet, SymbolPlaces, place_html
from codelens._notebook.search_panel import SearchPanel
from codelens.errors import SymbolError
from tests.frontend_helpers import find, find_all
from tests.symbols_fixture import write_shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop(tmp_path_factory.mktemp("symnb") / "shop")


@pytest.fixture(scope="module")
def indexed(workspace: Workspace, shop: Path) -> Iterator[str]:
    name = f"t-symnb-{uuid.uuid4().hex[:8]}"
    workspace.create(name, embedder="local").index(shop, progress=False, embed="later")
    yield name
    workspace.drop(name, force=True)


@pytest.fixture
def ip(ws: Workspace, indexed: str) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    magics = shell.magics_manager.registry["CodelensMagics"]
    assert isinstance(magics, CodelensMagics)
    magics.workspace = ws
    ws.use(indexed)
    yield shell
    unload_ipython_extension(shell)


def run(shell: InteractiveShell, text: str) -> SymbolPlaces:
    result = shell.run_line_magic("codelens", text)
    assert isinstance(result, SymbolPlaces)
    return result


def plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def headers(markup: str) -> list[str]:
    found = re.findall(r'<div class="cl-place"[^>]*>(.*?)</div>', markup, re.S)
    return [" ".join(plain(h).split()) for h in found]


def completions(shell: InteractiveShell, line: str) -> list[str]:
    with provisionalcompleter():
        return sorted({c.text for c in shell.Completer.completions(line, len(line))})


def test_def_shows_the_place_and_its_snippet(ip: InteractiveShell) -> None:
    found = run(ip, "def price")
    assert list(zip(found["path"], found["line"], strict=True)) == [("shop/pricing.py", 10)]
    markup = found._repr_html_()
    assert markup is not None
    assert "1 definition of 'price'" in plain(markup)
    assert headers(markup) == ["1. shop/pricing.py:10:5 price function · definition · python"]
    text = plain(markup)
    # The lines around the place, numbered as in the file, the place's own line among them.
    assert "def price(item):" in text
    assert "def _round(value):" not in text  # four lines above: outside the context
    assert "return round(value, 2)" not in text
    # Numbered as in the file; the blank lines above are in no chunk, so it starts here.
    assert "10def price(item):" in text and "12    return _round(" in text
    assert "background-color" in markup  # the place's line is highlighted


def test_a_place_in_a_notebook_is_told_by_cell(ip: InteractiveShell) -> None:
    found = run(ip, "def describe")
    assert list(found["path"]) == ["explore.ipynb"]
    markup = found._repr_html_() or ""
    assert headers(markup)[0].startswith("1. explore.ipynb · cell 2 · line 4 describe")
    # Numbered within the cell, as JupyterLab shows it.
    assert "4def describe(cart):5    return json.dumps(cart)" in plain(markup).replace("\n", "")


def test_refs_callers_and_callees(ip: InteractiveShell) -> None:
    refs = run(ip, "refs price")
    assert {"call", "import"} == set(refs["kind"])
    assert "import" not in set(run(ip, "refs price --kind call")["kind"])
    callers = run(ip, "callers price")
    sites = sorted(zip(callers["path"], callers["definition"], strict=True))
    assert sites == [
        ("cli.py", "main"),
        ("shop/cart.py", "Cart.cheapest"),
        ("shop/cart.py", "Cart.dearest"),
        ("shop/pricing.py", "total"),
        ("tests/test_pricing.py", "test_price"),
    ]
    markup = callers._repr_html_()
    assert markup is not None and "5 calls of 'price'" in plain(markup)
    assert "1. cli.py:7:" in plain(markup) and "in main" in plain(markup)
    # Two lines either side of the call, across the edges of the indexed chunks.
    assert "5def main():6    cart = Cart(" in plain(markup).replace("\n", "")
    deeper = run(ip, "callers _round --depth 2")
    assert set(deeper["depth"]) == {1, 2}
    assert "(depth 2)" in (deeper._repr_html_() or "")
    callees = run(ip, "callees Cart.cheapest")
    assert "price" in set(callees["symbol"])
    assert "1 call made by" not in (callees._repr_html_() or "")


def test_the_file_is_linked_when_it_is_below_the_notebook(
    ip: InteractiveShell, shop: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(shop.parent)
    markup = run(ip, "def price")._repr_html_() or ""
    assert '<a href="shop/shop/pricing.py"' in markup
    monkeypatch.chdir(tmp_path)
    markup = run(ip, "def price")._repr_html_() or ""
    assert "<a href" not in markup  # a link above the notebook's folder would mislead


def test_nothing_found_and_bad_arguments(ip: InteractiveShell) -> None:
    none = run(ip, "callers forgotten")
    assert none.empty and "0 calls of 'forgotten'" in plain(none._repr_html_() or "")
    typo = run(ip, "callers forgoten")
    assert typo.empty and (
        "no definition of 'forgoten': try a shorter name or a glob such as '*forgoten*'"
        in plain(typo._repr_html_() or "")
    )
    with pytest.raises(UsageError, match="the following arguments are required: name"):
        ip.run_line_magic("codelens", "refs")
    with pytest.raises(UsageError, match="invalid choice: 'nope'"):
        ip.run_line_magic("codelens", "refs price --kind nope")
    with pytest.raises(SymbolError, match="depth must be a whole number from 1 to 10"):
        ip.run_line_magic("codelens", "callers price --depth 0")
    # The one line codelens errors show in a notebook, without a traceback.
    with pytest.raises(SymbolError) as caught:
        ip.run_line_magic("codelens", "callers price --depth 99")
    assert caught.value._render_traceback_() == [
        "SymbolError: depth must be a whole number from 1 to 10, got 99"
    ]


def test_another_project_by_option(ip: InteractiveShell, indexed: str, ws: Workspace) -> None:
    other = f"t-{uuid.uuid4().hex[:12]}"
    ws.create(other)
    try:
        ws.use(other)
        assert run(ip, "def price").empty
        assert len(run(ip, f"def price -p {indexed}")) == 1
    finally:
        ws.use(indexed)
        ws.drop(other, force=True)


def test_symbol_names_complete(ip: InteractiveShell, indexed: str) -> None:
    assert completions(ip, "%codelens def pri") == ["price"]
    assert completions(ip, "%codelens callers _r") == ["_round"]
    assert completions(ip, "%codelens refs Cart.che") == ["Cart.cheapest"]
    assert completions(ip, f"%codelens callees -p {indexed} f") == ["fee", "forgotten"]
    assert "item" not in completions(ip, "%codelens def i")  # a parameter is no symbol
    assert completions(ip, "%codelens refs price --kind ") == [
        "attribute",
        "call",
        "decorator",
        "import",
        "inherit",
        "type",
    ]
    given = completions(ip, "%codelens def price ")  # the name is given already
    assert "price" not in given and "forgotten" not in given
    assert len(completions(ip, "%codelens def ")) <= MAX_SYMBOLS


def test_search_panel_shows_callers_and_unfolds_them(ws: Workspace, indexed: str) -> None:
    panel = SearchPanel(indexed, ws, mode="lexical")
    panel.query.value = "price of one item rounded"
    assert panel.last is not None
    views = {v.row["symbol"]: v for v in panel.views}
    hit = views["price"]
    button = find(hit.widget, "cl-callers")
    assert button.description == "5 callers"
    assert find(hit.widget, "cl-callers-list").children == ()
    button.click()
    listing = find(hit.widget, "cl-callers-places").value
    assert len(headers(listing)) == 5
    assert "in Cart.cheapest" in plain(listing)
    assert "min(price(item) for item in self.items)" in plain(listing)
    button.click()
    assert find(hit.widget, "cl-callers-list").children == ()
    uncalled = [v for v in panel.views if v.row["callers"] == 0 and v.row["symbol"]]
    for view in uncalled:
        assert find(view.widget, "cl-callers").disabled
    assert len(find_all(panel.results, "cl-callers")) >= 1


def test_callers_failure_shows_one_line_in_the_panel(
    ws: Workspace, shop: Path, project_id: str
) -> None:
    ws.create(project_id).index(shop, progress=False, embed="later")
    panel = SearchPanel(project_id, ws, mode="lexical")
    panel.query.value = "price of one item rounded"
    hit = next(v for v in panel.views if v.row["symbol"] == "price")
    ws.drop(project_id, force=True)  # gone under the panel's feet
    find(hit.widget, "cl-callers").click()
    label = find(hit.widget, "cl-callers-places")
    assert "cl-error" in label._dom_classes
    assert plain(label.value).count("\n") == 0 and ": " in plain(label.value)


def test_a_place_outside_the_index_or_of_an_unknown_language(ip: InteractiveShell) -> None:
    row = run(ip, "def price").iloc[0]
    # A file indexed since the answer was given may hold the place no longer.
    assert "(not in the index)" in place_html(row, 1, None, {})
    odd = Snippet(first=10, text="def price(item):", marked=1, language="no-such", cell=None)
    markup = place_html(row, 1, odd, {})
    assert "def price(item):" in plain(markup) and 'class="highlight"' in markup


def test_no_symbol_names_for_a_project_that_does_not_exist(ip: InteractiveShell) -> None:
    assert completions(ip, "%codelens def -p no-such-project pri") == []
