"""Chunking speed of notebooks (cells/s) beside the same code as ``.py`` files (files/s).

    python benchmarks/notebook_chunk_speed.py [--repeat 3] [--files 300]

Each of the first ``--files`` modules of this Python's standard library (test/ skipped)
becomes a notebook: a markdown cell per top-level definition's docstring heading, a code
cell per top-level block, and a ``%time`` magic line in every fifth code cell. Prints, in
CPU time: the ``.py`` files chunked by chunk_text (files/s, chunks/s), and the notebooks
parsed from JSON (cells/s) and chunked by chunk_notebook (cells/s, chunks/s).
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from pathlib import Path

import nbformat

from codelens._chunk.chunker import chunk_text
from codelens._chunk.notebook import chunk_notebook
from codelens._ipynb import Notebook, parse_notebook


def _as_notebook(text: str) -> str:
    """The module cut into cells where top-level statements start after a blank line."""
    cells, block = [], []
    for line in text.split("\n"):
        if block and line[:1] not in ("", " ", "\t", ")", "]", "}") and not block[-1].strip():
            cells.append("\n".join(block).strip("\n"))
            block = []
        block.append(line)
    cells.append("\n".join(block).strip("\n"))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i, source in enumerate(c for c in cells if c):
        if i % 5 == 0:
            nb.cells.append(nbformat.v4.new_markdown_cell(f"## Part {i // 5}\n\nWhat follows."))
            source = "%time\n" + source
        nb.cells.append(nbformat.v4.new_code_cell(source))
    return str(nbformat.writes(nb))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p
        for p in root.rglob("*.py")
        if p.relative_to(root).parts[0] not in ("test", "site-packages")
    )[: args.files]
    texts = [(str(p.relative_to(root)), p.read_text(encoding="utf-8")) for p in files]
    jsons = [(path + ".ipynb", _as_notebook(text)) for path, text in texts]
    py_rates, cell_rates, read_rates = [], [], []
    for _ in range(args.repeat):
        cpu = time.process_time()
        py_chunks = sum(len(chunk_text(p, "python", t, max_tokens=256)) for p, t in texts)
        py_cpu = time.process_time() - cpu

        cpu = time.process_time()
        notebooks = [(p, parse_notebook(j, outputs=False)) for p, j in jsons]
        read_cpu = time.process_time() - cpu
        parsed = [(p, nb) for p, nb in notebooks if isinstance(nb, Notebook)]
        cells = sum(len(nb.cells) for _, nb in parsed)

        cpu = time.process_time()
        nb_chunks = sum(len(chunk_notebook(p, nb, max_tokens=256)) for p, nb in parsed)
        nb_cpu = time.process_time() - cpu
        py_rates.append(len(texts) / py_cpu)
        cell_rates.append(cells / nb_cpu)
        read_rates.append(cells / read_cpu)
        print(
            f".py: {len(texts)} files, {py_chunks} chunks: {len(texts) / py_cpu:.0f} files/s,"
            f" {py_chunks / py_cpu:.0f} chunks/s | .ipynb: {len(parsed)} notebooks,"
            f" {cells} cells, {nb_chunks} chunks: chunking {cells / nb_cpu:.0f} cells/s,"
            f" {nb_chunks / nb_cpu:.0f} chunks/s; reading {cells / read_cpu:.0f} cells/s"
        )
    print(
        f"median: .py {statistics.median(py_rates):.0f} files/s;"
        f" notebooks chunked {statistics.median(cell_rates):.0f} cells/s,"
        f" read {statistics.median(read_rates):.0f} cells/s"
    )


if __name__ == "__main__":
    main()
