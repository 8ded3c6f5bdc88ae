"""Retrieval quality of codelens search on this Python's standard library.

Indexes a subset of the standard library with the local model (once; the database is kept
under --home and reused), then runs benchmarks/eval_queries.csv through
``codelens.evaluate`` in the three modes, overall and split by whether the question shares
a word with the target's name.

    .venv/bin/python benchmarks/evaluate_stdlib.py               # --home /tmp/cl-eval
    .venv/bin/python benchmarks/evaluate_stdlib.py --reindex     # rebuild the index first

Indexing takes a few minutes on a laptop CPU (about 4,000 chunks).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import sysconfig
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd

from codelens import Settings, Workspace
from codelens._evaluate import evaluate

HERE = Path(__file__).parent
# Packages and modules the queries target, plus a few neighbours so that every query has
# plausible distractors.
MODULES = [
    "json",
    "http",
    "email",
    "collections",
    "logging",
    "asyncio",
    "urllib",
    "pathlib.py",
    "argparse.py",
    "csv.py",
    "textwrap.py",
    "shutil.py",
    "tempfile.py",
    "base64.py",
    "heapq.py",
    "functools.py",
    "difflib.py",
    "shlex.py",
    "contextlib.py",
]


def copy_subset(target: Path) -> Path:
    """The chosen stdlib modules copied under ``target`` (tests and caches left out)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "test", "tests", "*.pyc")
    for name in MODULES:
        source = stdlib / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


def definition_line(root: Path, path: str, symbol: str) -> int:
    """The line of ``def``/``class`` of a dotted symbol (e.g. ``Counter.most_common``)."""
    body = ast.parse((root / path).read_text()).body
    node: ast.AST | None = None
    for part in symbol.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == part
            ),
            None,
        )
        if node is None:
            raise SystemExit(f"{path} has no {symbol} in this Python: fix eval_queries.csv")
        body = node.body  # type: ignore[attr-defined]
    return int(node.lineno)  # type: ignore[union-attr]


def load_queries(root: Path, csv_path: Path) -> pd.DataFrame:
    """The queries, graded by path and symbol: any chunk of the expected function is a hit
    (the chunker may cut a long function in several)."""
    queries = pd.read_csv(csv_path)
    for path, symbol in zip(queries["path"], queries["symbol"], strict=True):
        definition_line(root, path, symbol)  # fails loudly when this Python lacks it
    queries["words"] = queries["shares_words"].map({True: "shared", False: "wordless"})
    return queries


def check_wordless(workspace: Workspace, project_id: str, csv_path: Path) -> None:
    """Warn about 'wordless' questions that share a stemmed word with their target's name."""
    raw = pd.read_csv(csv_path)
    project = workspace.get(project_id)
    with project.connection() as conn:
        for question, symbol in raw.loc[~raw["shares_words"], ["question", "symbol"]].itertuples(
            index=False
        ):
            row = conn.execute(
                "SELECT ARRAY(SELECT unnest(tsvector_to_array(to_tsvector('english',"
                " code_words(%s)))) INTERSECT SELECT unnest(tsvector_to_array("
                "to_tsvector('english', code_words(%s)))))",
                [question, symbol],
            ).fetchone()
            if row and row[0]:
                print(f"warning: {question!r} shares {row[0]} with {symbol}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-eval", help="CODELENS_HOME to keep the index")
    parser.add_argument("--project", default="stdlib-eval")
    parser.add_argument("--queries", type=Path, default=HERE / "eval_queries.csv")
    parser.add_argument("--reindex", action="store_true", help="drop and index again")
    args = parser.parse_args()

    workspace = Workspace(Settings(home=Path(args.home).resolve()))
    source = Path(args.home).resolve() / "stdlib-subset"
    try:
        if args.reindex and workspace.exists(args.project):
            workspace.drop(args.project, force=True)
        project = workspace.project(args.project)
        if project.counts()["chunks"] == 0:
            copy_subset(source)
            print(project.index(source, name="stdlib", embedder="local"))
            with project.connection() as conn:
                conn.execute("ANALYZE chunks")
                conn.commit()
        check_wordless(workspace, args.project, args.queries)
        queries = load_queries(source, args.queries)
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
            print(f"{len(queries)} queries over {project.counts()['chunks']} chunks\n")
            print(evaluate(project, queries), "\n")
            print(evaluate(project, queries, by="words"))
    finally:
        workspace.close()


if __name__ == "__main__":
    main()
