"""Retrieval quality of codelens search over several codebases, per corpus and kind.

Two sets of questions, each over its own codebases, each indexed as its own project
(``eval-<corpus>``) so that the scores of one corpus do not depend on the others; the
databases stay under --home and a later run finds every file unchanged and only searches.

- Definition questions (benchmarks/eval_queries.csv, ``--set definitions``): each is
  answered by one definition, scored by Recall@1/5/10 and MRR@10, per kind (``shared``:
  the question shares a word with its target; ``wordless``: it shares none). The corpora
  are copies of code as it is on disk: a subset of this Python's standard library and four
  pure-Python packages installed next to codelens (jinja2, click, packaging, tqdm).
- File questions (benchmarks/eval_files.csv, ``--set files``): each is answered by a file
  or a few (``relevant``, and ``secondary`` files that help), of three kinds
  (architecture, behaviour, symbol), scored by NDCG@10 over the files of the top 10
  results (gain 1 relevant, 0.5 secondary), Recall@1/10 and MRR@10 of the first relevant
  file. The corpora are pinned releases fetched from PyPI, npm and Debian by
  benchmarks/eval_corpora.py, tests, examples and docs included, in thirteen languages.

A question shares a word with its target when one of its full-text lexemes is also a
lexeme of the target's symbol or path, both split exactly as the lexical index splits code
(``code_words``: camelCase and non-alphanumerics, lower-cased; then PostgreSQL's english
configuration: stop words dropped, Snowball stems). So "wordless" means the lexical index
cannot match the question on the target's name or path. The CSV's ``shares_words``
column must agree with this; ``--write-kinds`` stores the computed values.

    .venv/bin/python benchmarks/evaluate.py                      # --home /tmp/cl-eval
    .venv/bin/python benchmarks/evaluate.py --set files --corpus rich --json rich.json
    .venv/bin/python benchmarks/evaluate.py --reindex            # copy and index again

Indexing every corpus embeds about 20,000 chunks with the default ONNX model: a few
minutes on an idle 2-core machine. A later run only searches (about 2 minutes).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import eval_corpora
import pandas as pd
from psycopg import Connection

from codelens import Settings, Workspace
from codelens._project import Project
from codelens._search.evaluate import _METRICS, FILE_METRICS, _scores, evaluate, file_scores
from codelens._search.query import query_terms

HERE = Path(__file__).parent
KINDS = {True: "shared", False: "wordless"}
ALL = "all"
SETS = ("definitions", "files")


@dataclass(frozen=True)
class Corpus:
    """Code copied from ``root``: the listed packages (folders) and modules (files), with
    their tests when ``tests``."""

    root: Path
    members: tuple[str, ...]
    tests: bool = False


def _site_packages(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{package} is not installed: pip install {package}")
    return Path(spec.origin).parent.parent


def corpora() -> dict[str, Corpus]:
    """The corpora by name. The stdlib subset keeps a few neighbours of the targeted modules
    so that every question has plausible distractors."""
    stdlib = Corpus(
        Path(sysconfig.get_paths()["stdlib"]),
        (
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
        ),
    )
    packages = ("jinja2", "click", "packaging", "tqdm")
    # The whole standard library, its tests included: the stdlib questions again, among
    # 1,700 more files (a third of them tests).
    everything = tuple(sorted(p.name for p in stdlib.root.iterdir() if p.name not in _NOT_STDLIB))
    full = Corpus(stdlib.root, everything, tests=True)
    return (
        {"stdlib": stdlib}
        | {p: Corpus(_site_packages(p), (p,)) for p in packages}
        | {FULL_STDLIB: full}
    )


FULL_STDLIB = "stdlib-full"
_NOT_STDLIB = frozenset({"site-packages", "__pycache__", "config-3.11-x86_64-linux-gnu"})


def copy_corpus(corpus: Corpus, target: Path) -> Path:
    """The corpus copied under ``target`` (tests and caches left out), unless already there:
    a copy keeps modification times, so a later index finds every file unchanged."""
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    skipped = (
        ("__pycache__", "*.pyc") if corpus.tests else ("__pycache__", "test", "tests", "*.pyc")
    )
    ignore = shutil.ignore_patterns(*skipped)
    for name in corpus.members:
        source = corpus.root / name
        if source.is_dir():
            shutil.copytree(source, partial / name, ignore=ignore)
        else:
            shutil.copy2(source, partial / name)
    partial.rename(target)
    return target


def definition_line(root: Path, path: str, symbol: str) -> int:
    """The line of ``def``/``class`` of a dotted symbol (e.g. ``Counter.most_common``)."""
    body = ast.parse((root / path).read_text()).body
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
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
            raise SystemExit(f"{root / path} has no {symbol}: fix eval_queries.csv")
        body = node.body
    assert node is not None
    return node.lineno


def shared_words(conn: Connection[Any], question: str, path: str, symbol: str) -> list[str]:
    """The lexemes a question shares with its target's symbol and path (see the module
    docstring for the definition)."""
    target = set(query_terms(conn, f"{symbol} {path}"))
    return [t for t in query_terms(conn, question) if t in target]


def check_kinds(conn: Connection[Any], queries: pd.DataFrame, csv_path: Path, write: bool) -> None:
    """Stop when the CSV's shares_words column disagrees with the computed one (or, with
    ``write``, store the computed column)."""
    computed = [
        bool(shared_words(conn, q, p, s))
        for q, p, s in queries[["question", "path", "symbol"]].itertuples(index=False)
    ]
    wrong = queries.loc[queries["shares_words"] != pd.Series(computed, index=queries.index)]
    if write:
        raw = pd.read_csv(csv_path)
        raw["shares_words"] = [str(c).lower() for c in computed]
        raw.to_csv(csv_path, index=False, lineterminator="\n")
        print(f"wrote shares_words to {csv_path} ({len(wrong)} changed)")
        sys.exit(0)
    if not wrong.empty:
        for question, path, symbol in wrong[["question", "path", "symbol"]].itertuples(index=False):
            words = shared_words(conn, question, path, symbol) or "no word"
            print(f"{question!r} shares {words} with {path}:{symbol}", file=sys.stderr)
        raise SystemExit(f"{len(wrong)} shares_words values are wrong: run with --write-kinds")


def project_id(name: str, embedder: str) -> str:
    # One project per model too: a kept index is never scored as another model's.
    return f"eval-{name}" if embedder == "local" else f"eval-{name}-{embedder}"


def source_of(name: str, home: Path) -> Path:
    """The corpus's folder under ``home``: copied from this machine, or fetched."""
    if name in eval_corpora.BY_NAME:
        return eval_corpora.fetch(name, home / "corpora" / name)
    return copy_corpus(corpora()[name], home / "corpora" / name)


def ensure_index(workspace: Workspace, name: str, home: Path, embedder: str) -> Project:
    """The corpus's project, indexed: only files not indexed yet are embedded. A fetched
    corpus must hold every file that its questions in eval_files.csv name."""
    project = workspace.project(project_id(name, embedder))
    source = source_of(name, home)
    if name in eval_corpora.BY_NAME and (missing := eval_corpora.missing_paths(name, source)):
        raise SystemExit(f"eval_files.csv names files that {name} lacks: {', '.join(missing)}")
    report = project.index(source, name=name, embedder=embedder, progress=False)
    if report.files_indexed:
        print(report)
        with project.connection() as conn:
            conn.execute("ANALYZE chunks")
            conn.commit()
    return project


def score(ranks: pd.DataFrame) -> pd.DataFrame:
    """Metrics per mode, corpus and kind, with ``all`` rows for every corpus and kind:
    the file metrics where ``ranks`` has an ``ndcg`` column."""
    everything = pd.concat(
        [
            ranks,
            ranks.assign(kind=ALL),
            ranks.assign(corpus=ALL),
            ranks.assign(corpus=ALL, kind=ALL),
        ]
    )
    keys = ["mode", "corpus", "kind"]
    if "ndcg" in ranks.columns:
        table = everything.groupby(keys, sort=False)[["rank", "ndcg"]].apply(file_scores)
        table = pd.DataFrame(table)[FILE_METRICS]
    else:
        table = everything.groupby(keys, sort=False)["rank"].apply(_scores).unstack()[_METRICS]
    table = table.astype({"queries": "int64"})
    table.columns.name = None
    return table


def load_sets(chosen: list[str] | None, sets: list[str]) -> dict[str, pd.DataFrame]:
    """The questions of each chosen set, limited to the chosen corpora."""
    loaded = {}
    if "definitions" in sets:
        queries = pd.read_csv(HERE / "eval_queries.csv")
        for corpus, path, symbol in queries[["corpus", "path", "symbol"]].itertuples(index=False):
            definition_line(corpora()[corpus].root, path, symbol)
        queries["kind"] = queries["shares_words"].map(KINDS)
        if chosen and FULL_STDLIB in chosen:
            again = queries.loc[queries["corpus"] == "stdlib"].assign(corpus=FULL_STDLIB)
            queries = pd.concat([queries, again], ignore_index=True)
        loaded["definitions"] = queries
    if "files" in sets:
        loaded["files"] = pd.read_csv(HERE / "eval_files.csv", keep_default_na=False)
    return {
        name: q.loc[q["corpus"].isin(chosen)].reset_index(drop=True) if chosen else q
        for name, q in loaded.items()
    }


def main() -> None:
    names = list(corpora()) + [c.name for c in eval_corpora.CORPORA]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-eval", help="CODELENS_HOME to keep the indexes")
    parser.add_argument("--set", choices=SETS, action="append", help="only this set of questions")
    parser.add_argument("--corpus", choices=names, action="append", help="run only this corpus")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--reindex", action="store_true", help="copy and index again")
    parser.add_argument(
        "--embedder",
        default="onnx",
        choices=["local", "onnx", "static"],
        help="the model to evaluate",
    )
    parser.add_argument(
        "--write-kinds", action="store_true", help="store the computed shares_words column"
    )
    args = parser.parse_args()
    home = Path(args.home).resolve()
    sets = load_sets(args.corpus, args.set or list(SETS))

    workspace = Workspace(Settings(home=home))
    started = time.perf_counter()
    tables, chunks = {}, {}
    try:
        if "definitions" in sets:
            with workspace.project(project_id("stdlib", args.embedder)).connection() as conn:
                full = load_sets(None, ["definitions"])["definitions"]
                check_kinds(conn, full, HERE / "eval_queries.csv", args.write_kinds)
        for set_name, queries in sets.items():
            ranks = []
            for name in dict.fromkeys(queries["corpus"]):
                if args.reindex:
                    if workspace.exists(project_id(name, args.embedder)):
                        workspace.drop(project_id(name, args.embedder), force=True)
                    shutil.rmtree(home / "corpora" / name, ignore_errors=True)
                project = ensure_index(workspace, name, home, args.embedder)
                chunks[name] = project.counts()["chunks"]
                mine = queries.loc[queries["corpus"] == name].reset_index(drop=True)
                result = evaluate(project.handle, mine, by="kind")
                ranks.append(result.attrs["ranks"].assign(corpus=name))
            tables[set_name] = score(pd.concat(ranks, ignore_index=True))
        seconds = time.perf_counter() - started
    finally:
        workspace.close()

    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        counts = ", ".join(f"{n} {c:,}" for n, c in chunks.items())
        print(f"chunks: {counts}")
        for set_name, table in tables.items():
            print(f"\n=== {set_name}: {len(sets[set_name])} questions")
            for mode, part in table.groupby(level="mode", sort=False):
                print(f"\n{mode}\n{part.droplevel('mode')}")
        print(f"\n{seconds:.0f} s (indexing included)")
    if args.json:
        figures = {
            "chunks": chunks,
            "seconds": round(seconds, 1),
            "scores": {n: t.reset_index().to_dict("records") for n, t in tables.items()},
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
