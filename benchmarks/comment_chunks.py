"""Chunks of code files that hold comments only, weighed otherwise: offline, not kept.

A Rust module's ``//!`` documentation, a Go ``doc.go``, a long doc comment cut from the
definition it documents, a Lua file's LDoc header: a chunk of a code file whose non-blank
lines are at least ``t`` comment lines reads like prose, as the docs do, and a held-out
run saw documentation crowd the first page of Go and Rust questions about code. This
counts such chunks among the first ten results of the file questions (and how many of
them belong to a relevant or helpful file), then weighs them ``w`` of their fused score
before the rules, on the candidates of benchmarks/ranking_variants.py.

    .venv/bin/python benchmarks/comment_chunks.py --home /tmp/cl-eval

Measured (ONNX MiniLM, chunker version 7, the 22 corpora of /tmp/cl-eval, load under 1):
such results per file question, itertools 2.8, penlight 2.6, googletest 2.1, indexmap and
gocmp 1.8, thor 1.4, testify 1.0, the Python codebases under 0.2; 40-50% of them belong to
an answer's file, as often as any other result. Files NDCG@10 (definitions MRR@10 moved
by at most 0.0005):

| variant | files | architecture | behaviour |
|---|---|---|---|
| today's rules | 0.801 | 0.676 | 0.790 |
| x0.5 at t 0.8 | 0.795 | 0.662 | 0.785 |
| x0.7 at t 0.8 | 0.799 | 0.667 | 0.790 |
| x0.7 at t 0.95 | 0.800 | 0.671 | 0.791 |
| x0.85 at t 0.8 | 0.800 | 0.671 | 0.792 |
| x1.2 at t 0.8 | 0.800 | 0.677 | 0.787 |

Comment-only chunks are answers as often as the rest: neither weight moves the files
(itertools, commonmark and thor fall; semver and querycore rise). Not kept.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

from codelens._search.category import category_of
from codelens._search.evaluate import answer_gains
from codelens._search.fusion import fuse
from codelens._search.grouping import Place, Unit
from codelens._search.signals import RULES, semantic_weight

_COMMENT = re.compile(r"^\s*(?://|#|/\*|\*|--|;|%|<!--)")


def comment_share(text: str) -> float:
    """The share of ``text``'s non-blank lines that are comment lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    return sum(bool(_COMMENT.match(line)) for line in lines) / len(lines) if lines else 0.0


def shares(home: str, cases: list[rv.Case]) -> dict[tuple[str, int], float]:
    """Each candidate chunk's comment share, by corpus and chunk id."""
    found: dict[tuple[str, int], float] = {}
    for corpus, handle in rv.each_project(Path(home), sorted({c.corpus for c in cases}), "onnx"):
        ids = sorted({i for c in cases if c.corpus == corpus for i in c.units})
        with handle.connection() as conn:
            rows = conn.execute(
                "SELECT id, content FROM chunks WHERE id = ANY(%s)", [ids]
            ).fetchall()
        found.update({(corpus, int(i)): comment_share(str(text)) for i, text in rows})
    return found


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    share = shares(args.home, cases)

    def commented(case: rv.Case, unit: Unit, threshold: float) -> bool:
        return (
            category_of(unit.place.language) == "code"
            and share.get((case.corpus, unit.best.id), 0.0) >= threshold
        )

    counted: dict[str, list[int]] = {}
    for case in cases:
        if case.set != "files":
            continue
        gains = answer_gains(case.expected["relevant"], case.expected.get("secondary"))
        fused = fuse(case.semantic, case.lexical, semantic_weight=semantic_weight(case.shape))
        units = rv.ranked_units(case, fused)
        tally = counted.setdefault(case.corpus, [0, 0, 0])
        tally[0] += 1
        tally[1] += sum(commented(case, u, 0.8) for u in units)
        tally[2] += sum(commented(case, u, 0.8) and gains.get(u.place.path, 0) > 0 for u in units)
    for corpus, (questions, found, answers) in sorted(counted.items()):
        print(
            f"{corpus:14} comment-only results per question {found / questions:.2f},"
            f" in an answer's file {answers}/{found}"
        )

    variants: dict[str, Any] = {"today's rules": None}
    for weight, threshold in ((0.5, 0.8), (0.7, 0.8), (0.7, 0.95), (0.85, 0.8), (1.2, 0.8)):
        variants[f"x{weight} at t {threshold}"] = (weight, threshold)

    def top_of(case: rv.Case, variant: Any) -> list[Place]:
        if variant is None:
            return rv.top(case, RULES)
        weight, threshold = variant

        def rescore(units: list[Unit]) -> list[float]:
            return [
                u.best.score * (weight if commented(case, u, threshold) else 1.0) for u in units
            ]

        return rv.top(case, RULES, rescore=rescore)

    rv.show(rv.summarize(rv.ranks_of(cases, variants, top_of)))


if __name__ == "__main__":
    main()
