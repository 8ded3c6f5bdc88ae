"""The search and index panels in a real JupyterLab, driven by Debian's Chromium through Playwright.

JupyterLab runs on 127.0.0.1 with every Jupyter folder (and HOME) in a temporary directory;
codelens gets its own CODELENS_HOME. One test opens a small notebook that indexes a sample
repository and shows ``codelens.ui()``, types a query in the panel, presses Enter and waits
for highlighted results. Another starts an index of a few stdlib packages from
``codelens.index_ui()``, searches by words while the vectors arrive, cancels, and has the
kernel check the index. Screenshots land in artifacts/browser/ for the record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codelens._db.embedded import stop_server
from codelens._scan.walk import scan
from tests.frontend_helpers import write_repo

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = ROOT / "tests" / "notebooks" / "search_panel.ipynb"
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KERNEL_READY = """() => {
    const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
# Cells run a kernel start, a model load and an index run on a shared 2-core machine.
SLOW_MS = 300_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} in {timeout} s")


@pytest.fixture
def lab() -> Iterator[str]:
    """A JupyterLab serving a folder with the test notebook and a sample repository."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `apt-get install -y chromium`")
    base = Path(tempfile.mkdtemp(prefix="codelens-lab-"))
    root = base / "root"
    root.mkdir()
    for notebook in NOTEBOOK.parent.glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    write_repo(root / "shop")
    folders = {
        name: base / name for name in ("home", "config", "data", "runtime", "settings", "app")
    }
    for folder in folders.values():
        folder.mkdir()
    # No news or update checks (they would try the network), and no kernel picker dialog.
    write_json(
        folders["app"] / "overrides.json",
        {
            "@jupyterlab/apputils-extension:notification": {
                "fetchNews": "false",
                "checkForUpdates": False,
            }
        },
    )
    write_json(
        folders["settings"] / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
        {"autoStartDefaultKernel": True},
    )
    env = {
        **os.environ,
        "HOME": str(folders["home"]),
        "JUPYTER_CONFIG_DIR": str(folders["config"]),
        "JUPYTER_DATA_DIR": str(folders["data"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(folders["settings"]),
        "CODELENS_HOME": str(base / "codelens"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("CODELENS_DATABASE_URL", None)
    env.pop("CODELENS_EMBEDDER", None)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={folders['app']}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run all cells
    ]
    log = (base / "jupyterlab.log").open("wb")
    server = subprocess.Popen(command, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/status", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(base / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")  # for a failure's story
        stop_server(base / "codelens" / "pgdata")
        shutil.rmtree(base, ignore_errors=True)


def open_notebook(page: Any, lab: str, name: str) -> None:
    """Open the notebook ``name`` in JupyterLab and wait for its kernel to be idle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page.goto(f"{lab}/lab/tree/{name}")
    # The notebook must be the current widget, with a connected, idle kernel. JupyterLab
    # can lose a race between two kernel starts and show "No Kernel": start one then.
    page.wait_for_function(
        "name => window.jupyterapp?.shell.currentWidget?.title.label === name",
        arg=name,
        timeout=SLOW_MS,
    )
    try:
        page.wait_for_function(KERNEL_READY, timeout=60_000)
    except PlaywrightTimeout:
        page.evaluate(
            "() => { window.jupyterapp.shell.currentWidget.sessionContext"
            ".changeKernel({name: 'python3'}); }"
        )
        page.wait_for_function(KERNEL_READY, timeout=SLOW_MS)
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    expect(idle).to_be_visible(timeout=SLOW_MS)


def run_all(page: Any, lab: str, name: str) -> None:
    """Open the notebook ``name`` in JupyterLab and run all its cells (without waiting)."""
    from playwright.sync_api import expect

    open_notebook(page, lab, name)
    # Returns nothing: a returned promise would make evaluate wait without a timeout.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    expect(page.locator(".jp-InputPrompt").first).not_to_have_text("[ ]:", timeout=60_000)


def test_search_panel_in_jupyterlab(lab: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            run_all(page, lab, NOTEBOOK.name)

            query = page.locator(".cl-query input")
            expect(query).to_be_visible(timeout=SLOW_MS)
            expect(page.locator(".jp-OutputArea-output").first).to_contain_text(
                "3 files indexed", timeout=SLOW_MS
            )
            query.fill("split an HTTP response into its headers and body")
            query.press("Enter")

            results = page.locator(".cl-results .cl-result")
            expect(page.locator(".cl-results .highlight").first).to_be_visible(timeout=SLOW_MS)
            expect(results.first.locator(".cl-result-header")).to_contain_text("net/http.py:")
            expect(page.locator(".cl-status")).to_contain_text("results for")
            assert page.locator(".cl-status.cl-error").count() == 0
            # Highlighted: pygments colours the keywords with inline styles.
            assert results.first.locator(".highlight span[style*='color']").count() > 0

            # A click on a header goes to the kernel and back: the chunk opens, whole.
            results.first.locator(".cl-result-header").click()
            expect(results.first.locator(".cl-result-header .fa-chevron-down")).to_be_visible(
                timeout=60_000
            )
            assert results.first.locator(".cl-more").count() == 0
            page.screenshot(path=str(ARTIFACTS / "search-panel.png"), full_page=True)
        finally:
            browser.close()


def test_a_hit_header_opens_its_notebook_in_jupyterlab(lab: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            run_all(page, lab, "search_link.ipynb")
            # The hit, in docs/ below the notebook's folder: its header is a link to it.
            link = page.locator(".codelens-results a", has_text="weather.ipynb · cell 2")
            expect(link).to_be_visible(timeout=SLOW_MS)
            link.click()
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget?.context?.path === 'docs/weather.ipynb'",
                timeout=60_000,
            )
            expect(page.locator(".jp-Notebook").last).to_contain_text("degrees Celsius")
            page.screenshot(path=str(ARTIFACTS / "search-link.png"), full_page=True)
        finally:
            browser.close()


# The index panel's corpus: a few stdlib packages, about 2,000 chunks, so that embedding
# them takes a minute or more while storing takes seconds.
STDLIB_PACKAGES = ("json", "email", "http")
# What index_panel.ipynb's second cell searches for by words, and the file that defines it.
WORDS_HIT = ("email/utils.py", "decode_rfc2231")
STAGE_JS = r"""() => {
    const text = document.querySelector('.cl-index-panel .cl-stage')?.textContent ?? '';
    const n = s => s === undefined ? null : Number(s.replace(/,/g, ''));
    const m = text.match(/([\d,]+) of ([\d,]+) files stored(?:; ([\d,]+) of ([\d,]+) chunks embedded)?/);
    return m ? [n(m[1]), n(m[2]), n(m[3]), n(m[4])] : null;
}"""
BAR_JS = """selector => {
    const bar = document.querySelector(`.cl-index-panel ${selector} .progress-bar`);
    return bar ? parseFloat(bar.style.width || '0') : null;
}"""


def stdlib_copy(folder: Path) -> Path:
    source = Path(sysconfig.get_paths()["stdlib"])
    for name in STDLIB_PACKAGES:
        shutil.copytree(source / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def stage_counts(page: Any) -> tuple[int, int, int | None, int | None]:
    """Files stored, files in all, chunks embedded and chunks in all, as the panel shows them."""
    counts = page.evaluate(STAGE_JS)
    assert counts is not None, page.locator(".cl-index-panel .cl-stage").inner_text()
    stored, files, embedded, chunks = counts
    return stored, files, embedded, chunks


def run_cell(page: Any, index: int) -> Any:
    """Run the open notebook's cell ``index`` (0-based) alone, without waiting; its locator."""
    page.evaluate(
        "i => { const notebook = window.jupyterapp.shell.currentWidget.content;"
        " notebook.activeCellIndex = i;"
        " window.jupyterapp.commands.execute('notebook:run-cell'); }",
        index,
    )
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def output_when_done(cell: Any, timeout: float) -> str:
    """The cell's output text once its prompt shows an execution count (it has finished)."""
    from playwright.sync_api import expect

    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"), timeout=timeout)
    text: str = cell.locator(".jp-OutputArea").inner_text()
    return text


def test_index_panel_stores_then_embeds_finds_words_early_and_cancels_consistently(
    lab: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    corpus = stdlib_copy(tmp_path / "stdlib")
    hit_path, hit_symbol = WORDS_HIT
    assert f"def {hit_symbol}(" in (corpus / hit_path).read_text()
    # The panel counts every file it stores, the skipped (an empty __init__.py) included.
    scanned = list(scan(corpus, read=False))
    files, indexable = len(scanned), sum(1 for f in scanned if f.indexable)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_notebook(page, lab, "index_panel.ipynb")
            run_cell(page, 0)
            panel = page.locator(".cl-index-panel")
            expect(panel).to_be_visible(timeout=SLOW_MS)
            panel.locator(".cl-path input").fill(str(corpus))
            panel.locator(".cl-index-button").click()

            # Every file stored (the stored bar full) while embedding has just begun. The bar
            # and the line under it are two widgets, updated one after the other: wait for both.
            page.wait_for_function(
                f"() => ({BAR_JS})('.cl-progress') === 100"
                f" && (c => !!c && c[0] === c[1])(({STAGE_JS})())",
                timeout=SLOW_MS,
                polling=200,
            )
            stored, in_all, embedded, chunks = stage_counts(page)
            assert stored == in_all == files
            assert page.evaluate(BAR_JS, ".cl-embed-progress") < 100
            assert embedded is None or chunks is None or embedded < chunks
            expect(panel.locator(".cl-cancel")).to_be_enabled()

            # Words find a stored chunk before its file's vectors (or most others) exist.
            found = output_when_done(run_cell(page, 1), SLOW_MS)
            assert hit_symbol in found and hit_path in found, found
            awaiting = re.search(r"awaiting vectors after the search: (\d+)", found)
            assert awaiting is not None and int(awaiting[1]) > 0, found

            # The embedded count and its bar advance while the kernel stays free.
            page.wait_for_function(f"() => ({STAGE_JS})()?.[3] > 0", timeout=SLOW_MS)
            seen = stage_counts(page)[2] or 0
            page.wait_for_function(
                f"seen => {{ const c = ({STAGE_JS})(); return !!c && c[2] > seen && c[2] < c[3]; }}",
                arg=seen,
                timeout=SLOW_MS,
            )
            assert 0 < page.evaluate(BAR_JS, ".cl-embed-progress") < 100
            page.screenshot(path=str(ARTIFACTS / "index-panel-embedding.png"), full_page=True)

            panel.locator(".cl-cancel").click()
            expect(panel.locator(".cl-embed-progress .progress-bar-warning")).to_be_visible(
                timeout=SLOW_MS
            )
            expect(panel.locator(".cl-index-button")).to_be_enabled()
            expect(panel.locator(".cl-status")).to_contain_text("cancelled")
            stored, in_all, embedded, chunks = stage_counts(page)
            assert stored == in_all == files
            assert embedded is not None and chunks is not None and 0 < embedded < chunks
            panel.screenshot(path=str(ARTIFACTS / "index-panel-cancelled.png"))

            # The kernel checks the index against the folder, then fills what awaits.
            check = run_cell(page, 2)
            checked = output_when_done(check, 2 * SLOW_MS)
            summary = re.search(
                r"consistent: (\d+) files stored, (\d+) chunks = (\d+) with vectors"
                r" \+ (\d+) awaiting; embed_pending embedded (\d+)",
                checked,
            )
            assert summary is not None, checked
            n_files, n_chunks, with_vector, left, filled = map(int, summary.groups())
            # What the panel showed at the cancel is what the index holds.
            assert (n_files, n_chunks, with_vector) == (indexable, chunks, embedded)
            assert left == filled == chunks - embedded
            check.locator(".jp-OutputArea").screenshot(
                path=str(ARTIFACTS / "index-panel-checked.png")
            )
        finally:
            browser.close()
