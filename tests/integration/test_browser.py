"""The search panel in a real JupyterLab, driven by Debian's Chromium through Playwright.

JupyterLab runs on 127.0.0.1 with every Jupyter folder (and HOME) in a temporary directory;
codelens gets its own CODELENS_HOME. The test opens a small notebook that indexes a sample
repository and shows ``codelens.ui()``, types a query in the panel, presses Enter and waits
for highlighted results. A screenshot lands in artifacts/browser/ for the record.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codelens._db.embedded import stop_server
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


def run_all(page: Any, lab: str, name: str) -> None:
    """Open the notebook ``name`` in JupyterLab and run all its cells (without waiting)."""
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
