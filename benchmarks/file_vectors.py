"""A file's meaning as a whole (the mean of its chunks' vectors) as a ranking signal: measured offline.

Architecture questions ("how are plugins discovered") are answered by a file whose every
chunk says a little; the chunk lists rank its parts one by one. This gives each candidate
file the cosine between the query and the normalised mean of its stored chunk vectors
(no new embedding), and adds ``weight`` x the best fused score x the file's share between
the lowest and the highest such cosine among the candidate files to every unit of the
file, before the ranking rules apply as in search. Nothing in the index changes.

    .venv/bin/python benchmarks/file_vectors.py --home /tmp/cl-eval
    .venv/bin/python benchmarks/file_vectors.py --home /tmp/cl-eval-langs --set files \
        --corpus penlight --corpus commonmark --corpus rbenv --corpus capacitor-ios --corpus rnscreens

Measured (ONNX MiniLM). The 11 corpora where the rules were tuned, weights 0 / 0.1 / 0.2
/ 0.4: files NDCG@10 0.792 / 0.798 / 0.800 / 0.798 (architecture 0.686 / 0.708 / 0.705 /
0.699), definitions MRR@10 0.668 / 0.670 / 0.674 / 0.675. The five language corpora,
never used for tuning: 0.825 / 0.829 / 0.826 / 0.819 (architecture 0.699 / 0.720 / 0.721
/ 0.721, behaviour 0.808 / 0.805 / 0.798 / 0.786). Architecture questions gain 0.02 on
both; behaviour questions do not. Computing the means when a search runs reads every
vector of the candidate files (93 ms for 30 files of the stdlib, load ~8): it would need
a table of file vectors kept by the embedding pass.

Built: the table is ``file_vectors`` (migration 0009, kept by the store and the embedding
pass, per model) and the signal is ``codelens/_search/signals/file_vector.py`` at weight
0.2, in hybrid search; end to end (benchmarks/evaluate.py) it gives what this measured
(docs/ranking.md, "File vectors"). This script still computes the means from the chunks,
so it measures the same signal on any index, also one from before the table.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import ranking_variants as rv

from codelens._db.model_record import search_embedder
from codelens._search.grouping import Unit
from codelens._search.query import query_cache
from codelens._search.signals import RULES


def file_means(home: Path, corpora: set[str], embedder: str) -> dict[str, tuple]:
    """Per corpus: file id -> normalised mean vector, and the model."""
    out = {}
    for corpus, handle in rv.each_project(home, corpora, embedder):
        with handle.connection() as conn:
            rows = conn.execute(
                "SELECT file_id, avg(embedding)::text FROM chunks"
                " WHERE embedding IS NOT NULL GROUP BY file_id"
            ).fetchall()
        means = {}
        for file_id, text in rows:
            v = np.array([float(x) for x in text.strip("[]").split(",")], dtype=np.float32)
            means[int(file_id)] = v / (np.linalg.norm(v) or 1.0)
        out[corpus] = (means, search_embedder(handle))
    return out


def prior(case: rv.Case, found: tuple, weight: float):  # type: ignore[no-untyped-def]
    """Each unit's fused score plus ``weight`` x the best score x its file's place between
    the least and the most similar candidate file."""
    means, model = found

    def rescore(units: list[Unit]) -> list[float]:
        q = query_cache.embed(model, case.question)
        sims = {
            u.place.file_id: float(means[u.place.file_id] @ q)
            for u in units
            if u.place.file_id in means
        }
        low, high = min(sims.values(), default=0.0), max(sims.values(), default=0.0)
        best = max(u.best.score for u in units)
        span = (high - low) or 1.0
        return [
            u.best.score + weight * best * (sims.get(u.place.file_id, low) - low) / span
            for u in units
        ]

    return rescore if weight and case.units else None


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    found = file_means(Path(args.home).resolve(), {c.corpus for c in cases}, args.embedder)
    weights = {f"file vector {w}": w for w in (0.0, 0.1, 0.2, 0.4, 0.8)}
    # The built rule off: this experiment's own lift is the only one measured.
    without = RULES.without("file_vector")
    ranks = rv.ranks_of(
        cases, weights, lambda case, w: rv.top(case, without, prior(case, found[case.corpus], w))
    )
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
