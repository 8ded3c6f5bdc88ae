"""Changes to how a question is embedded or its vector refined, measured offline on meaning search alone.

The chunks' stored vectors are read once per corpus; only the questions are embedded again,
so each variant costs seconds. Meaning search is read as ``embedded_text.py`` reads it: the
files of the first ten chunks by exact cosine, NDCG@10 as ``evaluate.py`` scores it. It
is not hybrid search: a variant that wins here is then measured with the rules.

Variants:

- ``stored``: the question as search embeds it today.
- ``bare``: the question's opening words that ask rather than say (``how does``, ``where
  is``, ``what``...) left out.
- ``prf=K,A``: pseudo-relevance feedback (Rocchio on vectors): the query vector plus ``A``
  times the mean of its ``K`` nearest chunks' unit vectors, searched again.

    .venv/bin/python benchmarks/query_variants.py --home /tmp/cl-eval --variant bare \\
        --variant prf=5,0.5

Measured (ONNX MiniLM, chunker version 7, the 17 codebases of the file questions, 28 s at
load 0.5-0.8), mean NDCG@10 of meaning search alone: stored 0.745; bare 0.747; prf=3,0.5
0.749; prf=5,0.5 0.748; prf=10,0.3 0.751; prf=5,1.0 0.751. Feedback lifts rich (+0.03),
capacitor-ios (+0.04) and gocmp (+0.02) and lowers penlight (-0.03 to -0.05), semver and
commonmark: +0.006 on average, before fusion and the rules take their share of it, for a
second nearest-neighbour search per question. Not pursued (``docs/ranking.md``).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import numpy as np
import numpy.typing as npt
import pandas as pd
from embedded_text import file_ndcg

from codelens import Settings, Workspace
from codelens._chunk.identifier_words import identifier_words
from codelens._db.model_record import search_embedder

_ASKING = re.compile(
    r"^(?:(?:how|where|what|which|when|why|who)\s+"
    r"(?:(?:do|does|did|is|are|was|were|can|could|should|would|will|to)\s+)?"
    r"(?:(?:we|i|you|it|they|the code|codelens)\s+)?)",
    re.IGNORECASE,
)

Vectors = npt.NDArray[np.float32]


def bare(question: str) -> str:
    return _ASKING.sub("", question).strip() or question


def prf(k: int, weight: float) -> Callable[[Vectors, Vectors], Vectors]:
    def refine(query: Vectors, unit: Vectors) -> Vectors:
        cosines = unit @ query
        top = np.argpartition(-cosines, k)[:k]
        moved = query + weight * unit[top].mean(axis=0)
        return (moved / np.linalg.norm(moved)).astype(np.float32)

    return refine


def measure(home: Path, corpus: str, variants: list[str], embedder: str) -> dict[str, float]:
    workspace = Workspace(Settings(home=home))
    try:
        handle = workspace.get(bench.project_id(corpus, embedder)).handle
        model = search_embedder(handle)
        with handle.connection() as conn:
            rows = conn.execute("SELECT path, embedding FROM chunks ORDER BY id").fetchall()
    finally:
        workspace.close()
    questions = bench.load_sets([corpus], ["files"])["files"]
    paths = [r[0] for r in rows]
    stored = np.array([r[1].to_numpy() for r in rows], dtype=np.float32)
    norms = np.linalg.norm(stored, axis=1, keepdims=True)
    unit = stored / np.where(norms == 0, 1, norms)
    asked = {q: model.embed_query(identifier_words(q)) for q in questions["question"]}
    found = {"stored": file_ndcg(questions, asked, paths, stored)}
    for variant in variants:
        if variant == "bare":
            vectors = {q: model.embed_query(identifier_words(bare(q))) for q in asked}
        else:
            k, weight = variant[4:].split(",")
            refine = prf(int(k), float(weight))
            vectors = {q: refine(v, unit) for q, v in asked.items()}
        found[variant] = file_ndcg(questions, vectors, paths, stored)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-eval")
    parser.add_argument("--corpus", action="append")
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--embedder", default="onnx")
    args = parser.parse_args()
    corpora = args.corpus or sorted(pd.read_csv(bench.HERE / "eval_files.csv")["corpus"].unique())
    table = {c: measure(Path(args.home).resolve(), c, args.variant, args.embedder) for c in corpora}
    frame = pd.DataFrame(table).T
    frame.loc["mean"] = frame.mean()
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
        print(frame)


if __name__ == "__main__":
    main()
