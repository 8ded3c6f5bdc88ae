"""Four more ways to find the file that answers a question, measured offline; none kept.

Where the file questions miss (``--where``): of the 538 relevant files of the 533 file
questions, hybrid search ranks 503 in the first ten results, 21 among the candidates
below them, and 14 nowhere in either list. What is left is order, not reach: the first
result is most often a neighbour that also does the job in part (itertools' ``lib.rs``,
whose ``Itertools`` trait has a documented method for every adaptor, before
``powerset.rs``; indexmap's ``map.rs``; TanStack Query's ``types.ts``). Each variant
below re-ranks the candidates of benchmarks/ranking_variants.py with every rule on:

- ``summary``: the file-vector rule reads the query's cosine with a vector of the file's
  summary (its path and the names of its definitions, in words; ``+ opening``: and its
  first 400 characters) instead of the mean of its chunks' vectors; ``mean+`` averages
  the two cosines. One more text embedded per file.
- ``near files``: a third candidate list, the best chunk of each of the ten files
  nearest the query as wholes (the stored file vectors), fused with weight ``w``.
- ``file size``: questions in words weigh each result by ``1 / (1 + a ln n)``, ``n`` the
  chunks of its file, against a file that says a little about everything.
- ``by file``: what ``search(by="file")`` ranks (the first ten files of forty results),
  and files ranked by their results' scores summed (``best + l x the others``) instead
  of by their best one.

    .venv/bin/python benchmarks/file_signals.py --home /tmp/cl-eval
    .venv/bin/python benchmarks/file_signals.py --home /tmp/cl-eval --where

Measured (ONNX MiniLM, chunker version 7, the 22 corpora of /tmp/cl-eval, 2-core machine
at load 1-2; today's rules: files NDCG@10 0.801, definitions MRR@10 0.674, R@10 0.845):

| variant | files NDCG@10 | architecture | definitions MRR@10 / R@10 |
|---|---|---|---|
| summary, names | 0.801 | 0.681 | 0.681 / 0.839 |
| summary, names + opening | 0.803 | 0.681 | 0.687 / 0.845 |
| mean + summary (names + opening) | 0.802 | 0.678 | 0.684 / 0.851 |
| near files, w 0.2 / 0.35 / 0.7 | 0.796 / 0.797 / 0.789 | 0.672 / 0.674 / 0.662 | 0.653 / 0.636 / 0.611 |
| file size, a 0.05 / 0.1 / 0.3 | 0.801 / 0.797 / 0.790 | 0.674 / 0.671 / 0.658 | 0.670 / 0.664 / 0.666 |

The summary with its opening moves 9 of 17 codebases up and 7 down (indexmap +0.014,
penlight +0.017; rbenv -0.011, brotli -0.010): within what a seed moves, for an
embedding per file and its upkeep; its gain on definitions (tqdm 0.676 -> 0.716, jinja2
0.580 -> 0.605) is the one worth a second look with a stronger model. A third list
brings files the lists missed but pushes definitions down on both sets; a size prior
takes from architecture questions, whose answer is often the large central file.

By file, over the same ranked results (NDCG@10 of ten distinct files; R@1): the first
ten results' files 0.806 / 0.685 (a deeper head than search's 50, hence above 0.801);
``by="file"``, first occurrence, 0.814 / 0.685; summed scores 0.797 / 0.629; best + 0.1
/ 0.3 / 0.5 x the others 0.812 / 0.811 / 0.806. ``by="file"`` ranks files as it should:
by their best result.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd
import ranking_variants as rv

from codelens._chunk.identifier_words import identifier_words
from codelens._db.model_record import search_embedder
from codelens._search.answering import answering
from codelens._search.by_file import FILE_SPREAD
from codelens._search.evaluate import answer_gains, score_files
from codelens._search.file_cosines import file_cosines_later
from codelens._search.fusion import Fused, fuse
from codelens._search.grouping import Place, Unit, units_of
from codelens._search.query import query_cache
from codelens._search.signals import RULES, semantic_weight

NAMES = 40  # definition names in a summary
OPENING = 400  # characters of the file's first chunk
NEAR = 10  # files in the third list


def summaries(conn: Any, opening: bool) -> dict[int, str]:
    """Each file's summary text: its path, its definitions' names, maybe its opening."""
    rows = conn.execute(
        "SELECT file_id, path, symbol, content FROM chunks ORDER BY file_id, chunk_index"
    ).fetchall()
    files: dict[int, tuple[str, list[str], str]] = {}
    for file_id, path, symbol, content in rows:
        _, names, _ = files.setdefault(int(file_id), (path, [], content[:OPENING]))
        name = (symbol or "").rsplit(".", 1)[-1]
        if name and name not in names:
            names.append(name)
    return {
        file_id: identifier_words(
            f"{path}: {', '.join(names[:NAMES])}" + (f"\n{head}" if opening else "")
        )
        for file_id, (path, names, head) in files.items()
    }


def summary_vectors(home: Path, corpora: set[str], embedder: str) -> dict[tuple[str, bool], Any]:
    """Per corpus and summary kind: file id -> the summary's unit vector, and the model."""
    out: dict[tuple[str, bool], Any] = {}
    for corpus, handle in rv.each_project(home, corpora, embedder):
        model = search_embedder(handle)
        for opening in (False, True):
            with handle.connection() as conn:
                texts = summaries(conn, opening)
            vectors = np.asarray(model.embed_documents(list(texts.values())), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
            out[corpus, opening] = (dict(zip(texts, vectors, strict=True)), model)
    return out


def with_summaries(case: rv.Case, found: Any, mix: float) -> rv.Case:
    """``case`` with its files' cosines read from summary vectors (``mix`` of the mean's)."""
    vectors, model = found
    query = np.asarray(query_cache.embed(model, case.question), dtype=np.float32)
    cosines = {
        file_id: mix * old + (1 - mix) * float(vectors[file_id] @ query)
        if file_id in vectors
        else old
        for file_id, old in case.cosines.items()
    }
    return replace(case, cosines=cosines)


def near_files(
    home: Path, cases: list[rv.Case], embedder: str
) -> dict[int, tuple[rv.Case, list[int]]]:
    """Per case (by its position): the case with the units and file cosines of the best
    chunk of each of the files nearest the query, and those chunks in order."""
    by_corpus: dict[str, list[int]] = {}
    for i, case in enumerate(cases):
        by_corpus.setdefault(case.corpus, []).append(i)
    out = {}
    for corpus, handle in rv.each_project(home, by_corpus, embedder):
        with handle.connection() as conn:
            answer = answering(conn, handle)
            for i in by_corpus[corpus]:
                case = cases[i]
                query = query_cache.embed(answer.embedder, case.question)
                vector = answer.parameter(query)
                files = [
                    int(r[0])
                    for r in conn.execute(
                        "SELECT file_id FROM file_vectors WHERE embedding IS NOT NULL"
                        " ORDER BY embedding <=> %s LIMIT %s",
                        [vector, NEAR],
                    ).fetchall()
                ]
                best = {
                    int(file_id): int(chunk_id)
                    for chunk_id, file_id in conn.execute(
                        "SELECT DISTINCT ON (file_id) id, file_id FROM chunks"
                        " WHERE file_id = ANY(%s) AND embedding IS NOT NULL"
                        " ORDER BY file_id, embedding <=> %s",
                        [files, vector],
                    ).fetchall()
                }
                chunks = [best[f] for f in files if f in best]
                new = [c for c in chunks if c not in case.units]
                if new:
                    case = replace(
                        case,
                        units=case.units | units_of(conn, new),
                        cosines=case.cosines | file_cosines_later(conn, answer, query, new)(),
                    )
                out[i] = (case, chunks)
            conn.rollback()
    return out


def top_with_list(near: tuple[rv.Case, list[int]], weight: float) -> list[Place]:
    """The first ten places with the near files' chunks fused as a third list of ``weight``."""
    case, extra = near
    fused = {
        f.id: f
        for f in fuse(case.semantic, case.lexical, semantic_weight=semantic_weight(case.shape))
    }
    for rank, chunk_id in enumerate(extra, 1):
        old = fused.get(chunk_id, Fused(chunk_id, 0.0, None, None))
        gain = weight / (10.0 + rank)
        fused[chunk_id] = Fused(chunk_id, old.score + gain, old.semantic_rank, old.lexical_rank)
    ranked = sorted(fused.values(), key=lambda f: (-f.score, f.semantic_rank or math.inf, f.id))
    return [u.place for u in rv.ranked_units(case, ranked)]


def file_sizes(home: Path, corpora: set[str], embedder: str) -> dict[str, dict[int, int]]:
    """Per corpus: file id -> its chunks."""
    out = {}
    for corpus, handle in rv.each_project(home, corpora, embedder):
        with handle.connection() as conn:
            rows = conn.execute("SELECT file_id, count(*) FROM chunks GROUP BY file_id").fetchall()
        out[corpus] = {int(f): int(n) for f, n in rows}
    return out


def sized(case: rv.Case, sizes: dict[int, int], a: float) -> list[Place]:
    """The first ten places with each unit weighed by its file's size (questions in words)."""
    if case.shape.is_symbol:
        return rv.top(case, RULES)

    def rescore(units: list[Unit]) -> list[float]:
        return [u.best.score / (1.0 + a * math.log(sizes.get(u.place.file_id, 1))) for u in units]

    return rv.top(case, RULES, rescore)


def by_file_table(cases: list[rv.Case]) -> pd.DataFrame:
    """File questions ranked as files, several ways, from the same forty results."""
    depth = rv.LIMIT * FILE_SPREAD
    rows = []
    for case in cases:
        if case.set != "files":
            continue
        fused = fuse(case.semantic, case.lexical, semantic_weight=semantic_weight(case.shape))
        ranked = rv.ranked_units(case, fused, depth=depth)
        scores: dict[str, list[float]] = {}
        for unit in ranked:
            scores.setdefault(unit.place.path, []).append(unit.best.score)
        ways = {
            "first ten results' files": list(dict.fromkeys(u.place.path for u in ranked[:10])),
            'by="file" (best result)': list(scores),
        }
        for share in (0.1, 0.3, 0.5, 1.0):
            ways[f"best + {share} x the others"] = sorted(
                scores, key=lambda p, s=share: -(scores[p][0] + s * sum(scores[p][1:]))
            )
        gains = answer_gains(case.expected["relevant"], case.expected.get("secondary"))
        for way, files in ways.items():
            rows.append({"way": way, "kind": case.kind} | score_files(files[:10], gains))
    table = pd.DataFrame(rows)
    table["R@1"] = table["rank"].eq(1)
    out = table.pivot_table(index="way", columns="kind", values="ndcg", sort=False)
    out["all"] = table.groupby("way", sort=False)["ndcg"].mean()
    out["R@1"] = table.groupby("way", sort=False)["R@1"].mean()
    return out


def where_missed(cases: list[rv.Case]) -> pd.DataFrame:
    """Each relevant file of each file question: in the first ten results' files, among
    the candidates only, or absent; per kind."""
    rows = []
    for case in cases:
        if case.set != "files":
            continue
        top = {p.path for p in rv.top(case, RULES)}
        candidates = {place.path for _, place in case.units.values()}
        for path in filter(None, str(case.expected["relevant"]).split(";")):
            where = "top 10" if path in top else "candidate" if path in candidates else "absent"
            rows.append({"kind": case.kind, "where": where})
    return pd.DataFrame(rows).value_counts().unstack(fill_value=0)


def main() -> None:
    parser = rv.arguments(__doc__.splitlines()[0])
    parser.add_argument("--where", action="store_true", help="only where the misses are")
    args = parser.parse_args()
    cases = rv.cases_of(args)
    home = Path(args.home).resolve()
    if args.where:
        print(where_missed(cases).to_string())
        return
    corpora = {c.corpus for c in cases}
    found = summary_vectors(home, corpora, args.embedder)
    sizes = file_sizes(home, corpora, args.embedder)
    variants: dict[str, Any] = {"today's rules": ("rules",)}
    for opening, label in ((False, "names"), (True, "names + opening")):
        variants[f"summary, {label}"] = ("summary", opening, 0.0)
        variants[f"mean + summary, {label}"] = ("summary", opening, 0.5)
    for a in (0.05, 0.1, 0.3):
        variants[f"file size, a {a}"] = ("size", a)
    for w in (0.2, 0.35, 0.7):
        variants[f"near files, w {w}"] = ("near", w)
    by_file = by_file_table(cases)
    near = near_files(home, cases, args.embedder)
    position = {id(case): i for i, case in enumerate(cases)}

    def top_of(case: rv.Case, variant: tuple[Any, ...]) -> list[Place]:
        kind, *values = variant
        if kind == "summary":
            return rv.top(with_summaries(case, found[case.corpus, values[0]], values[1]), RULES)
        if kind == "size":
            return sized(case, sizes[case.corpus], values[0])
        if kind == "near":
            return top_with_list(near[position[id(case)]], values[0])
        return rv.top(case, RULES)

    rv.show(rv.summarize(rv.ranks_of(cases, variants, top_of)))
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
        print("\nfile questions ranked as files (NDCG@10 of ten distinct files)")
        print(by_file.to_string())


if __name__ == "__main__":
    main()
