"""Questions that share few words with their answer: how each fusion weight ranks them.

A held-out run found hybrid search below meaning search alone on questions in plain words,
while on this evaluation hybrid is far above it (files NDCG@10 0.80 against 0.70). One
explanation: questions written while reading the code borrow its words, so lexical search
helps them more than it helps questions asked by someone who has not read it. This splits
the questions of benchmarks/evaluate.py by how many of their words their answer holds
(the share of the question's lexemes, split and stemmed as lexical search splits them,
that occur in a relevant file's chunks; for a definition question, its target's file) and
ranks each part with the fusion weights of benchmarks/ranking_variants.py, every rule on.

    .venv/bin/python benchmarks/word_overlap.py --home /tmp/cl-eval

Measured (ONNX MiniLM, 2026-12-07, the 533 file questions over 17 codebases and the 168
definition questions, every rule on; files NDCG@10, definitions MRR@10; the semantic
list's weight for questions in words, 0.7 today; the lexical list weighs each hit by its
coverage, 0..1):

| share of the question's words in its answer | files (count) | 0.4 | 0.7 | 1.0 | 1.4 | 2.0 | semantic list only | lexical list only |
|---|---|---|---|---|---|---|---|---|
| 0-25% | 31 | 0.505 | **0.520** | 0.512 | 0.509 | 0.510 | 0.497 | 0.297 |
| 26-50% | 113 | 0.674 | **0.678** | 0.669 | 0.671 | 0.666 | 0.665 | 0.607 |
| 51-75% | 139 | 0.763 | **0.767** | 0.762 | 0.756 | 0.747 | 0.733 | 0.756 |
| 76-100% | 250 | **0.914** | 0.909 | 0.907 | 0.904 | 0.902 | 0.890 | 0.909 |
| all files | 533 | 0.800 | **0.801** | 0.796 | 0.793 | 0.789 | 0.778 | 0.770 |
| all definitions (MRR@10) | 168 | 0.655 | **0.674** | 0.652 | 0.638 | 0.639 | 0.601 | 0.596 |

(Definitions by band, 5 / 19 / 36 / 108 questions: 0.225 / 0.597 / 0.507 / 0.764 at 0.7,
semantic list only 0.115 / 0.525 / 0.448 / 0.688.) The questions do borrow the code's
words (half the file questions find more than three quarters of theirs in the answer),
yet hybrid is above the semantic list alone in every band, the fewest-words one
included, and no weight beats 0.7 outside the band that shares most words: on this
evaluation the fusion keeps what meaning search finds. 0.7 stays.
"""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import pandas as pd
import ranking_variants as rv

from codelens import Settings, Workspace
from codelens._search.query import query_terms
from codelens._search.signals import RULES

WEIGHTS = (0.4, 0.7, 1.0, 1.4, 2.0)  # the semantic list's weight for questions in words
# The share of the question's lexemes its answer holds, in four bands.
BANDS = (-0.01, 0.25, 0.5, 0.75, 1.0)
PARTS = ("0-25%", "26-50%", "51-75%", "76-100%")


def overlaps(home: str, cases: list[rv.Case], embedder: str) -> list[float]:
    """Per case, the share of its lexemes found in one of its answer's files."""
    workspace = Workspace(Settings(home=home))
    shares: list[float] = []
    lexemes: dict[tuple[str, str], set[str]] = {}
    try:
        for case in cases:
            handle = workspace.get(bench.project_id(case.corpus, embedder)).handle
            with handle.connection() as conn:
                if case.set == "files":
                    paths = [p for p in str(case.expected["relevant"]).split(";") if p]
                else:
                    paths = [str(case.expected["path"])]
                for path in paths:
                    if (case.corpus, path) not in lexemes:
                        rows = conn.execute(
                            "SELECT DISTINCT unnest(tsvector_to_array(search_tsv)) FROM chunks"
                            " WHERE path = %s",
                            [path],
                        ).fetchall()
                        lexemes[(case.corpus, path)] = {r[0] for r in rows}
                terms = query_terms(conn, case.question)
                conn.rollback()
            best = max(
                (sum(t in lexemes[(case.corpus, p)] for t in terms) for p in paths), default=0
            )
            shares.append(best / len(terms) if terms else 0.0)
    finally:
        workspace.close()
    return shares


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    frame = pd.DataFrame({"share": overlaps(args.home, cases, args.embedder)})
    frame["set"] = [c.set for c in cases]
    frame["part"] = pd.cut(frame["share"], BANDS, labels=PARTS).astype(str)
    print(frame.groupby(["set", "part"])["share"].describe()[["count", "min", "mean", "max"]])
    rows = []
    lists = {"semantic list only": {"lexical": []}, "lexical list only": {"semantic": []}}
    for weight in (*WEIGHTS, *lists):
        rules = replace(RULES, words_semantic_weight=0.7 if weight in lists else weight)
        cut = lists.get(str(weight), {})
        measured = pd.DataFrame([rv.measure(replace(c, **cut), rules) for c in cases])
        measured["set"], measured["part"] = frame["set"], frame["part"]
        for (set_name, part), group in measured.groupby(["set", "part"]):
            rows.append((weight, set_name, part, rv.headline(set_name, group)))
        for set_name, group in measured.groupby("set"):
            rows.append((weight, set_name, "all", rv.headline(set_name, group)))
    table = pd.DataFrame(rows, columns=["weight", "set", "part", "score"])
    wide = table.pivot_table(index="weight", columns=["set", "part"], values="score", sort=False)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(wide.to_string())


if __name__ == "__main__":
    main()
