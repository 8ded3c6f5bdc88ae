"""Declarations weighed below code, and other shapes of per-file saturation: offline, not kept.

Two ways to weigh results within hybrid search's ranked list, each on the candidates of
benchmarks/ranking_variants.py with every other rule on:

- ``declarations``: for questions in words, a declaration without a body (an interface, a
  type alias, a C declaration; ``+ records``: structs, enums and traits too) counts ``w``
  of its fused score, as module code counts 0.8 (``KIND_WEIGHTS``). TanStack Query's
  ``types.ts``, a file of documented interfaces, came first on five of its behaviour
  questions whose answer is the code that does it.
- ``saturation``: the n-th further result of a file weighs ``0.7 ** n`` today. Tried: the
  second result of a file free (``0.7 ** (n - 1)``), a result within ``r`` of its file's
  best spared, a floor (``max(0.7 ** n, f)``), and ``0.7 ** sqrt(n)``: saturation is the
  one rule that trades definition recall for file questions (without it R@10 0.881,
  files 0.775), and these look for a shape that keeps both.

    .venv/bin/python benchmarks/unit_weights.py --home /tmp/cl-eval

Measured (ONNX MiniLM, chunker version 7, the 22 corpora of /tmp/cl-eval, 2-core machine
at load 1-2; today's rules: files NDCG@10 0.801, definitions MRR@10 0.674, R@10 0.845):

| variant | files NDCG@10 | definitions MRR@10 / R@10 |
|---|---|---|
| declarations 0.9 / 0.8 / 0.6 | 0.801 / 0.801 / 0.801 | unchanged (no such kinds there) |
| declarations + records 0.9 / 0.8 / 0.6 | 0.801 / 0.801 / 0.800 | unchanged |
| saturation, second result free | 0.795 | 0.678 / 0.845 |
| saturation, within 0.9 / 0.8 of the best spared | 0.800 / 0.799 | 0.674 / 0.845, 0.672 / 0.839 |
| saturation, floor 0.5 / 0.35 | 0.797 / 0.800 | 0.675 / 0.851, 0.674 / 0.845 |
| saturation, 0.7 ** sqrt(n) | 0.798 | 0.676 / 0.851 |

Declarations at 0.6 lift querycore (0.721 -> 0.739) and gocmp (0.805 -> 0.813) and lower
testify (0.855 -> 0.846) and googletest (0.793 -> 0.786): nothing overall. Every shape of
saturation moves both sets by less than 0.006, the trade stays: today's is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

import codelens._search.signals.rules as rules_module
from codelens._search.fusion import KIND_WEIGHTS, fuse
from codelens._search.grouping import Place
from codelens._search.signals import RULES, semantic_weight
from codelens._search.signals.scored import Scored

DECLARATIONS = ("interface", "type", "declaration")
RECORDS = ("struct", "enum", "trait")

Saturate = Callable[[list[Scored], float], None]


def saturation(shape: str, value: float) -> Saturate:
    """A per-file saturation of the given ``shape`` (see the module docstring)."""

    def saturate(scored: list[Scored], factor: float) -> None:
        shown: dict[int, int] = {}
        best: dict[int, float] = {}
        for item in scored:
            file = item.place.file_id
            n = shown.get(file, 0)
            shown[file] = n + 1
            if not n:
                best[file] = item.score
            elif shape == "second free":
                item.score *= factor ** (n - 1)
            elif shape == "spared" and item.score < value * best[file]:
                item.score *= factor**n
            elif shape == "floor":
                item.score *= max(factor**n, value)
            elif shape == "sqrt":
                item.score *= factor ** (n**0.5)

    return saturate


def weighed(case: rv.Case, kinds: Mapping[str, float]) -> list[Place]:
    """The first ten places with ``kinds`` as the kinds' weights (questions in words)."""
    fused = fuse(case.semantic, case.lexical, semantic_weight=semantic_weight(case.shape))
    weights = KIND_WEIGHTS if case.shape.is_symbol else kinds
    return [u.place for u in rv.ranked_units(case, fused, kinds=weights)]


def saturated(case: rv.Case, saturate: Saturate) -> list[Place]:
    """The first ten places with ``saturate`` in place of today's saturation."""
    today = rules_module.saturate_files
    rules_module.saturate_files = saturate
    try:
        return rv.top(case, RULES)
    finally:
        rules_module.saturate_files = today


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    variants: dict[str, Any] = {"today's rules": None}
    for w in (0.9, 0.8, 0.6):
        variants[f"declarations {w}"] = dict(KIND_WEIGHTS) | dict.fromkeys(DECLARATIONS, w)
        variants[f"declarations + records {w}"] = variants[f"declarations {w}"] | dict.fromkeys(
            RECORDS, w
        )
    variants["saturation, second result free"] = saturation("second free", 0.0)
    for r in (0.9, 0.8):
        variants[f"saturation, within {r} spared"] = saturation("spared", r)
    for f in (0.5, 0.35):
        variants[f"saturation, floor {f}"] = saturation("floor", f)
    variants["saturation, 0.7 ** sqrt(n)"] = saturation("sqrt", 0.0)

    def top_of(case: rv.Case, variant: Any) -> list[Place]:
        if variant is None:
            return rv.top(case, RULES)
        if isinstance(variant, dict):
            return weighed(case, variant)
        return saturated(case, variant)

    rv.show(rv.summarize(rv.ranks_of(cases, variants, top_of)))


if __name__ == "__main__":
    main()
