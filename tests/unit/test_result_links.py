"""The notebook view's header links to the hit's file, relative to the kernel's folder, only
below it, and always as a safe, percent-encoded relative link."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from codelens._search.fusion import Fused
from codelens._search.grouping import Unit
from codelens._search.links import file_href
from codelens._search.results import SearchResults


def _hit(path: str, repository: str = "repo", cell: int | None = None) -> tuple[object, ...]:
    where = (cell, "code", 4, 1, 2) if cell is not None else ()
    return (repository, path, 10, 11, "f", "function", "python", "def f():\n    pass\n", *where)


def _results(rows: dict[int, tuple[object, ...]], roots: dict[str, str] | None) -> SearchResults:
    units = [Unit(Fused(i, 1.0 / i, i, None), (i,)) for i in rows]
    return SearchResults.build("p", "q", "semantic", units, rows, None, roots)


def _links(html: str) -> list[tuple[str, str]]:
    """(href, text shown) of every link in the rendering."""
    return [
        (href, re.sub(r"<[^>]+>", "", inner))
        for href, inner in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html)
    ]


def test_a_file_below_the_working_folder_gets_a_relative_link(tmp_path: Path) -> None:
    root = tmp_path / "work" / "repo"
    assert file_href(str(root), "notebooks/analysis.ipynb", str(tmp_path / "work")) == (
        "repo/notebooks/analysis.ipynb"
    )
    assert file_href(str(root), "a.py", str(root)) == "a.py"
    # The working folder's own parents and siblings: the server root may stop above them.
    assert file_href(str(tmp_path / "elsewhere"), "a.py", str(tmp_path / "work")) is None
    assert file_href(str(tmp_path / "work2"), "a.py", str(tmp_path / "work")) is None
    assert file_href(str(root), "../../a.py", str(tmp_path / "work")) is None
    # A root the index does not know, or that is not absolute, links nowhere.
    assert file_href(None, "a.py", str(tmp_path)) is None
    assert file_href("repo", "a.py", str(tmp_path)) is None


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("javascript:alert(1).py", "javascript:alert(1).py"),
        ("a b/naïve #1?.ipynb", "a b/naïve #1?.ipynb"),
        ('x"><script>alert(1)</script>.py', 'x"><script>alert(1)</script>.py'),
        ("100%/done.py", "100%/done.py"),
        ("//host/share.py", "host/share.py"),  # stays below the root: never a network path
    ],
)
def test_every_href_is_relative_and_percent_encoded(tmp_path: Path, path: str, file: str) -> None:
    href = file_href(str(tmp_path), path, str(tmp_path))
    assert href is not None
    assert not href.startswith("/") and ":" not in href
    assert not set(href) & set(" \"'<>#?")
    assert unquote(href) == file  # it names that very file


def test_the_header_links_to_the_notebook_when_below_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = {1: _hit("nb/analysis.ipynb", cell=7), 2: _hit("lib/x.py", "other")}
    roots = {"repo": str(tmp_path / "repo"), "other": "/somewhere/else"}
    results = _results(rows, roots)
    monkeypatch.chdir(tmp_path)
    html = results._repr_html_() or ""
    assert _links(html) == [
        ("repo/nb/analysis.ipynb", "nb/analysis.ipynb · cell 7 [4] · lines 1-2")
    ]
    assert 'title="open nb/analysis.ipynb"' in html
    assert "<code>lib/x.py:10-11</code>" in html  # outside the folder: a plain header
    # The same results shown from a notebook elsewhere: no link at all.
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    assert _links(results._repr_html_() or "") == []
    # Sliced or filtered results keep their roots.
    monkeypatch.chdir(tmp_path)
    assert len(_links(results.head(1)._repr_html_() or "")) == 1


def test_a_hostile_path_stays_escaped_in_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = 'x"><img src=y onerror=alert(1)>.py'
    results = _results({1: _hit(path)}, {"repo": str(tmp_path)})
    monkeypatch.chdir(tmp_path)
    html = results._repr_html_() or ""
    assert "<img" not in html
    [(href, shown)] = _links(html)
    assert unquote(href) == path
    assert shown == "x&quot;&gt;&lt;img src=y onerror=alert(1)&gt;.py:10-11"


def test_results_without_roots_have_no_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _links(_results({1: _hit("a.py")}, None)._repr_html_() or "") == []
