"""Delegation as a ranking signal: a top result's calls lift the files that define them, offline.

A library's public layer often only hands work on: itertools' ``Itertools::permutations``
in ``lib.rs`` calls ``permutations::permutations`` in ``permutations.rs``, testify's
``assert.Equal`` calls ``ObjectsAreEqual``. Its doc comment is what a question in words
matches best, while the file questions' answer is the file that does the work. This
re-ranks the candidates of benchmarks/ranking_variants.py: each of the ``top`` best units
(by fused score) whose definition calls a name defined in at most two files (the stored
references and definitions of codelens._symbols, matched by name), and in at most
``targets`` other candidate files, lifts the best unit of each such file by ``weight`` x
its own score; then the ranking rules apply as in search. Symbol-shaped queries are left
alone. Nothing in the index changes; the corpora need their symbols.

    .venv/bin/python benchmarks/delegation.py --home /tmp/cl-eval

Measured (ONNX MiniLM, the 16 corpora of /tmp/cl-eval, 537 questions; weight 0 = today's
rules: definitions MRR@10 0.674, R@10 0.845, files NDCG@10 0.813, architecture 0.697):
weight 0.3, top 3, one target: definitions 0.681, files 0.812; top 5, four targets:
0.676, 0.813 (googletest 0.785 -> 0.795, structlog 0.826 -> 0.813, capacitor-ios 0.874 ->
0.860); weight 0.5: definitions 0.664-0.671, files 0.810-0.813; weight 0.8: definitions
0.649-0.662, files 0.805-0.806. itertools, the case that suggested it, does not gain
(0.744 -> 0.737-0.739), although the implementing file is among the candidates of 34 of
its 36 questions. Within the noise at best, and below at higher weights: not kept.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import ranking_variants as rv

from codelens import Settings, Workspace
from codelens._search.grouping import Unit
from codelens._search.signals import RULES

# (file id, qualified name of the calling definition) -> {called name: files defining it}
Calls = dict[tuple[int, str], dict[str, set[int]]]


def calls_of(home: Path, cases: list[rv.Case], embedder: str) -> dict[str, Calls]:
    """Per corpus: what each candidate definition calls, and where those names are defined."""
    wanted: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for case in cases:
        for _, place in case.units.values():
            if place.symbol:
                wanted[case.corpus].add((place.file_id, place.symbol))
    workspace = Workspace(Settings(home=home))
    out: dict[str, Calls] = {}
    try:
        for corpus, keys in wanted.items():
            handle = workspace.get(bench.project_id(corpus, embedder)).handle
            ordered = sorted(keys)
            with handle.connection() as conn:
                refs = conn.execute(
                    "SELECT file_id, scope, name FROM symbol_refs WHERE kind = 'call'"
                    " AND (file_id, scope) IN (SELECT * FROM unnest(%s::int8[], %s::text[]))",
                    [[k[0] for k in ordered], [k[1] for k in ordered]],
                ).fetchall()
                defined = dict(
                    conn.execute(
                        "SELECT name, array_agg(DISTINCT file_id) FROM definitions"
                        " WHERE name = ANY(%s) GROUP BY name",
                        [sorted({r[2] for r in refs})],
                    ).fetchall()
                )
            calls: Calls = {}
            for file_id, scope, name in refs:
                calls.setdefault((int(file_id), str(scope)), {})[str(name)] = {
                    int(f) for f in defined.get(name) or ()
                }
            out[corpus] = calls
            print(f"{corpus}: {len(ordered)} candidate definitions, {len(refs)} calls")
    finally:
        workspace.close()
    return out


def lift(calls: Calls, weight: float, top: int, targets: int):  # type: ignore[no-untyped-def]
    """Each unit's fused score plus the lift its file gets from the best units' calls."""

    def rescore(units: list[Unit]) -> list[float]:
        scores = [u.best.score for u in units]
        best_of: dict[int, int] = {}
        for j, unit in enumerate(units):
            best_of.setdefault(unit.place.file_id, j)
        added: dict[int, float] = defaultdict(float)
        for i in sorted(range(len(units)), key=lambda j: -scores[j])[:top]:
            place = units[i].place
            called = calls.get((place.file_id, place.symbol), {})
            files = {
                f
                for where in called.values()
                if 0 < len(where) <= 2
                for f in where
                if f != place.file_id and f in best_of
            }
            if not files or len(files) > targets:
                continue
            for f in files:
                j = best_of[f]
                added[j] = max(added[j], weight * scores[i])
        return [s + added.get(j, 0.0) for j, s in enumerate(scores)]

    return rescore if weight else None


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    calls = calls_of(Path(args.home).resolve(), cases, args.embedder)
    variants = {"delegation 0": (0.0, 3, 1)} | {
        f"delegation {w} top {top}, {targets} target{'s' if targets > 1 else ''}": (w, top, targets)
        for w in (0.3, 0.5, 0.8)
        for top, targets in ((3, 1), (5, 4))
    }

    def ranked(case: rv.Case, variant: tuple[float, int, int]) -> list[object]:
        rescore = None if case.shape.is_symbol else lift(calls[case.corpus], *variant)
        return rv.top(case, RULES, rescore)

    rv.show(rv.summarize(rv.ranks_of(cases, variants, ranked)))


if __name__ == "__main__":
    main()
