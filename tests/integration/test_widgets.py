"""The search and indexing panels, driven without a browser: set values, click, read outputs."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import pytest

from codelens import Workspace
from codelens._notebook.index_panel import IndexPanel, index_ui
from codelens._notebook.result_view import snippet
from codelens._notebook.search_panel import SearchPanel, ui
from codelens.errors import ProjectNotFound
from tests.frontend_helpers import FILES, README, find, find_all, write_repo

SEARCH_CLASSES = (
    "cl-panel",
    "cl-project",
    "cl-refresh",
    "cl-query",
    "cl-search-button",
    "cl-mode",
    "cl-by",
    "cl-kind",
    "cl-language",
    "cl-path",
    "cl-limit",
    "cl-status",
    "cl-results",
)
INDEX_CLASSES = (
    "cl-index-panel",
    "cl-path",
    "cl-project",
    "cl-force",
    "cl-index-button",
    "cl-cancel",
    "cl-progress",
    "cl-stage",
    "cl-status",
    "cl-report",
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("widgets") / "shop")


@pytest.fixture(scope="module")
def indexed(workspace: Workspace, repo: Path) -> Iterator[str]:
    name = f"t-widgets-{uuid.uuid4().hex[:8]}"
    workspace.create(name, embedder="local").index(repo, progress=False)
    yield name
    workspace.drop(name, force=True)


@pytest.fixture
def fresh(ws: Workspace) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:12]}"
    yield name
    if ws.exists(name):
        ws.drop(name, force=True)


@pytest.fixture
def panel(ws: Workspace, indexed: str) -> SearchPanel:
    return SearchPanel(indexed, ws)


def text(widget: w.HTML) -> str:
    """What a reader sees of an HTML widget: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", widget.value))


def code_lines(snippet: w.HTML) -> list[str]:
    """The code lines of a highlighted snippet, without their inline line numbers."""
    match = re.search(r"<pre[^>]*>(.*)</pre>", snippet.value, re.DOTALL)
    assert match is not None
    numbered = match.group(1).split("\n")
    # each line opens with its number in a span of its own: drop that span, then every tag
    plain = [re.sub(r"^<span></span>", "", line) for line in numbered]
    plain = [re.sub(r"^<span[^>]*>\s*\d+</span>", "", line) for line in plain]
    code = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in plain]
    return code[:-1] if code and code[-1] == "" else code


def headers(panel: SearchPanel) -> list[str]:
    return [b.description for b in find_all(panel.results, "cl-result-header")]


# -- the search panel -----------------------------------------------------------------------


def test_every_control_has_its_css_class(ws: Workspace, indexed: str) -> None:
    widget = ui(indexed, ws)
    assert isinstance(widget, w.VBox)
    for css in SEARCH_CLASSES:
        find(widget, css)
    assert find(widget, "cl-query").continuous_update is False  # Enter (or blur) searches


def test_enter_in_the_query_box_searches(panel: SearchPanel) -> None:
    panel.query.value = "split an HTTP response into headers and body"
    first = find_all(panel.results, "cl-result")[0]
    assert find(first, "cl-result-header").description.startswith("1. net/http.py:")
    assert "parse_http_response" in find(first, "cl-result-header").description
    snippet = find(first, "cl-snippet").value
    assert 'class="highlight"' in snippet
    assert "parse_http_response" in snippet
    assert "results for 'split an HTTP response" in text(panel.status)
    assert panel.last is not None
    assert panel.last.iloc[0]["path"] == "net/http.py"


def test_clicking_a_result_expands_the_whole_chunk(ws: Workspace, indexed: str) -> None:
    panel = SearchPanel(indexed, ws, preview_lines=2)
    panel.query.value = "parse an HTTP response"
    assert panel.last is not None
    first = find_all(panel.results, "cl-result")[0]
    header, body = find(first, "cl-result-header"), find(first, "cl-snippet")
    lines = panel.last.iloc[0]["content"].splitlines()
    assert len(lines) > 3
    assert code_lines(body) == lines[:2]
    assert f"… {len(lines) - 2} more lines: click the header" in text(body)
    header.click()
    assert code_lines(body) == lines
    assert "more lines" not in body.value
    assert header.icon == "chevron-down"
    header.click()
    assert code_lines(body) == lines[:2]
    assert header.icon == "chevron-right"


def test_search_button_runs_the_same_query_again(panel: SearchPanel) -> None:
    panel.query.value = "invoice total"
    panel.results.children = ()
    panel.search_button.click()
    assert headers(panel)[0].startswith("1. billing/invoice.py:")


def test_filters_rerun_the_query(panel: SearchPanel) -> None:
    panel.query.value = "draw"
    panel.language.value = "javascript"
    assert all("web/chart.js" in h for h in headers(panel))
    panel.language.value = ""
    panel.limit.value = 2
    assert len(headers(panel)) == 2
    panel.path.value = "billing/*"
    assert headers(panel)
    assert all("billing/invoice.py" in h for h in headers(panel))
    panel.mode.value = "lexical"
    assert panel.last is not None
    assert panel.last.attrs["mode"] == "lexical"


def test_files_as_results_show_each_file_once(panel: SearchPanel) -> None:
    panel.query.value = "invoice total"
    panel.by.value = "file"
    assert panel.last is not None
    assert panel.last.attrs["by"] == "file"
    paths = [h.split(":")[0].split(". ", 1)[1] for h in headers(panel)]
    assert paths
    assert len(paths) == len(set(paths))


def test_kind_keeps_code_or_docs(ws: Workspace, fresh: str, tmp_path: Path) -> None:
    ws.create(fresh, embedder="local").index(
        write_repo(tmp_path / "shop", FILES | README), progress=False
    )
    panel = SearchPanel(fresh, ws, limit=20)
    panel.query.value = "invoice total with the sales tax"
    assert any("README.md" in h for h in headers(panel))
    assert panel.kind.options == (("code and docs", ""), ("code", "code"), ("docs", "docs"))
    panel.kind.value = "docs"
    assert [h.split(":")[0].split(". ", 1)[1] for h in headers(panel)] == ["README.md"]
    panel.kind.value = "code"
    assert headers(panel)
    assert not any("README.md" in h for h in headers(panel))
    assert panel.last is not None
    assert set(panel.last["category"]) == {"code"}


def test_empty_results_say_so(panel: SearchPanel) -> None:
    panel.language.value = "ruby"
    panel.query.value = "invoice"
    assert panel.results.children == ()
    assert f"no results for 'invoice' in project {panel.project.value}: language filter 'ruby'" in (
        text(panel.status)
    )


def test_empty_query_asks_for_one(panel: SearchPanel) -> None:
    panel.search_button.click()
    assert "type a query" in text(panel.status)
    assert panel.results.children == ()


def test_errors_show_as_one_line_in_the_panel(
    panel: SearchPanel, ws: Workspace, fresh: str
) -> None:
    ws.create(fresh)  # never indexed
    panel.refresh(fresh)
    panel.query.value = "anything"
    assert "NotIndexed: " in text(panel.status)
    assert "<br" not in panel.status.value
    assert "\n" not in text(panel.status)
    assert "cl-error" in panel.status._dom_classes
    assert panel.results.children == ()
    panel.refresh(panel.project.options[0])
    panel.project.value = next(p for p in panel.project.options if p.startswith("t-widgets-"))
    assert "cl-error" not in panel.status._dom_classes


@pytest.mark.parametrize("query", ["decode \ud800 x", "caf\udce9"])
def test_text_that_is_not_unicode_is_refused_in_the_panel(panel: SearchPanel, query: str) -> None:
    panel.path.value = "net"
    panel.query.value = query
    assert "SearchError: query is not valid Unicode" in text(panel.status)
    assert "cl-error" in panel.status._dom_classes
    panel.query.value = "parse an HTTP response"
    panel.path.value = "caf\udce9"
    assert "SearchError: path filter is not valid Unicode" in text(panel.status)
    assert panel.results.children == ()


def test_project_dropdown_and_refresh(ws: Workspace, indexed: str, fresh: str) -> None:
    ws.use(indexed)
    panel = SearchPanel(workspace=ws)
    assert panel.project.value == indexed  # the current project
    assert fresh not in panel.project.options
    ws.create(fresh)
    panel.refresh_button.click()
    assert fresh in panel.project.options
    assert panel.project.value == indexed


def test_a_workspace_with_no_project_explains_what_to_do(panel: SearchPanel) -> None:
    panel.project.options = ()
    panel.query.value = "anything"
    assert "no project yet: create one" in text(panel.status)


def test_ui_defaults_to_the_sessions_workspace(
    ws: Workspace, indexed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codelens import _api

    monkeypatch.setattr(_api._Default, "workspace", ws)
    ws.use(indexed)
    assert find(ui(), "cl-project").value == indexed


def test_snippet_of_a_language_pygments_does_not_know() -> None:
    row = {"content": "a <b> c\nsecond", "language": "no-such-language", "start_line": 7}
    shown = snippet(row, None)
    assert 'class="highlight"' in shown
    assert "a &lt;b&gt; c" in shown  # escaped, as plain text
    assert ">7</span>" in shown


def test_unknown_project(ws: Workspace) -> None:
    with pytest.raises(ProjectNotFound):
        ui("t-no-such-project", ws)


def test_ui_takes_a_project_object(ws: Workspace, indexed: str) -> None:
    widget = ui(ws.get(indexed), limit=3, mode="semantic")
    assert find(widget, "cl-project").value == indexed
    assert find(widget, "cl-mode").value == "semantic"
    assert widget.panel.limit.value == 3


# -- the indexing panel ---------------------------------------------------------------------


def test_index_panel_classes(ws: Workspace, indexed: str, tmp_path: Path) -> None:
    widget = index_ui(indexed, ws, path=tmp_path)
    for css in INDEX_CLASSES:
        find(widget, css)
    assert widget.panel.path.value == str(tmp_path)
    assert widget.panel.project.value == indexed


def test_index_panel_says_so_while_a_retired_first_pass_is_replaced(
    ws: Workspace, fresh: str, repo: Path
) -> None:
    project = ws.create(fresh, embedder="local")
    project.index(repo, progress=False, embed="later")
    with project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET first_pass_model = 'static:static-code-v1'")
        row = conn.execute("SELECT count(*) FROM chunks").fetchone()
    assert row is not None and row[0] > 0
    panel = IndexPanel(workspace=ws)
    panel.path.value, panel.project.value = str(repo), fresh
    stages: list[str] = []
    panel.stage.observe(lambda change: stages.append(change["new"]), "value")
    panel.index_button.click()
    panel.wait(300)
    n = row[0]
    said = f"first pass: {n:,} of {n:,} chunks given the current static model's vectors"
    assert said in stages, stages
    assert panel.progress.bar_style == "success"


def test_index_button_indexes_in_the_background(
    ws: Workspace, fresh: str, repo: Path, tmp_path: Path
) -> None:
    panel = IndexPanel(workspace=ws)
    panel.path.value, panel.project.value = str(repo), fresh  # a new project: created
    ticks: list[tuple[int, int]] = []
    panel.progress.observe(
        lambda c: ticks.append((panel.progress.value, panel.progress.max)), "value"
    )
    panel.index_button.click()
    assert panel.index_button.disabled
    panel.wait(300)
    assert not panel.running
    assert ticks[-1] == (3, 3)
    assert panel.progress.bar_style == "success"
    assert "done: 3 files stored, 12 chunks embedded" in text(panel.status)
    assert panel.stage.value == "done: 3 of 3 files stored; 12 of 12 chunks embedded"
    assert panel.embed_progress.value == panel.embed_progress.max == 12
    (output,) = panel.report.outputs
    assert output["output_type"] == "display_data"
    assert "shop: indexed 3 files" in output["data"]["text/plain"]
    assert panel.last_report is not None
    assert panel.last_report.files_indexed == 3
    assert fresh in panel.project.options
    assert not panel.index_button.disabled
    assert panel.cancel_button.disabled
    assert ws.get(fresh).counts()["indexed_files"] == 3


def test_cancel_stops_after_the_batch_in_flight(ws: Workspace, fresh: str, tmp_path: Path) -> None:
    many = {f"pkg/m{i:03}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(120)}
    ws.create(fresh, embedder="local")
    panel = IndexPanel(fresh, ws, write_repo(tmp_path, many))
    # Cancel as soon as the first batch is stored: the thread checks before the next one.
    panel.progress.observe(lambda c: panel.cancel() if c["new"] > 0 else None, "value")
    panel.start()
    panel.wait(300)
    report = panel.last_report
    assert report is not None
    assert report.interrupted
    assert 0 < report.files_indexed < 120
    assert panel.progress.bar_style == "warning"
    assert "cancelled:" in text(panel.status)
    assert panel.stage.value.startswith("cancelled:")  # not the last tick's "done:"


def test_index_panel_errors(ws: Workspace, fresh: str, tmp_path: Path) -> None:
    panel = IndexPanel(workspace=ws)
    panel.index_button.click()
    assert "type the folder" in text(panel.status)
    panel.path.value = str(tmp_path)
    panel.index_button.click()
    assert "type a project name" in text(panel.status)
    panel.project.value = "Bad Name"
    panel.index_button.click()
    assert panel.status.value.count("InvalidProjectId: ") == 1
    assert "cl-error" in panel.status._dom_classes
    panel.project.value = fresh
    panel.path.value = str(tmp_path / "missing")
    panel.index_button.click()
    # Said at once, as a bad name is; it creates no project, so the same name is still
    # new once the folder is fixed.
    assert not panel.running
    assert panel.status.value.count("IndexingError: ") == 1
    assert "does not exist" in text(panel.status)
    assert "cl-error" in panel.status._dom_classes
    assert not panel.index_button.disabled
    assert not ws.exists(fresh)


def test_start_while_running_is_ignored(ws: Workspace, fresh: str, repo: Path) -> None:
    panel = IndexPanel(fresh, ws, repo)
    panel.start()
    thread = panel.thread
    panel.start()
    assert panel.thread is thread
    panel.wait(300)
