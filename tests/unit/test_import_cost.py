"""What `import codelens` loads: every `%load_ext codelens` and every `codelens` command
pays for it, so libraries that only some paths need load on those paths."""

from __future__ import annotations

import subprocess
import sys

# nbformat imports jsonschema, whose format checkers build parsers at import time (seconds
# where rfc3987-syntax is installed, as Jupyter's own dependencies install it): only a
# version 3 notebook needs it. Ollama's client (with httpx and pydantic, half a second) only
# an Ollama project; torch and ONNX Runtime only their models.
LATE = ("nbformat", "jsonschema", "ollama", "httpx", "torch", "onnxruntime")


def _loaded(imports: str, modules: tuple[str, ...]) -> str:
    """Which of ``modules`` a fresh interpreter has loaded after ``import {imports}``."""
    script = f"import sys, {imports}; print(sorted(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_front_ends_load_without_the_libraries_only_some_paths_need() -> None:
    imports = "codelens, codelens._notebook, codelens._cli, codelens._mcp.server"
    assert _loaded(imports, LATE) == "[]"


# The notebook's panels and magics need IPython and ipywidgets (a quarter of a second);
# a terminal command and the MCP server load codelens without them.
NOTEBOOK = ("IPython", "ipywidgets")


def test_the_terminal_and_the_mcp_server_load_without_the_notebook() -> None:
    assert _loaded("codelens, codelens._cli, codelens._mcp.server", NOTEBOOK) == "[]"


def test_the_notebook_names_are_there_when_asked_for() -> None:
    script = (
        "import codelens;"
        "names = [codelens.ui, codelens.index_ui, codelens.load_ipython_extension];"
        "print([(n.__name__, n.__module__) for n in names], 'ui' in dir(codelens))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "[('ui', 'codelens'), ('index_ui', 'codelens'),"
        " ('load_ipython_extension', 'codelens')] True"
    )
