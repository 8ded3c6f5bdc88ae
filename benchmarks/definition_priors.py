"""Two priors on definitions, measured offline: private names, and classes whose methods match.

- private: a definition whose own name starts with one underscore (``_fastcopy_sendfile``)
  is an implementation detail; questions in words are more often about the public API.
  Its fused score is multiplied by ``private`` (symbol-shaped queries are left alone).
- class: a class whose methods are among the candidates is what a question about the
  class ("read templates from a folder" -> ``FileSystemLoader``) ranks below its
  methods; the class gains ``lift`` x its best method's score.

Re-ranks the candidates of benchmarks/ranking_variants.py, then the ranking rules apply
as in search. Nothing in the index changes.

    .venv/bin/python benchmarks/definition_priors.py --home /tmp/cl-eval

Measured (ONNX MiniLM, the 11 corpora of /tmp/cl-eval; definitions MRR@10 / R@10 /
wordless R@10, files NDCG@10): today 0.668 / 0.839 / 0.737, 0.792; private 0.9: 0.674 /
0.839 / 0.737, 0.792; private 0.8: 0.672 / 0.851 / 0.758, 0.791; private 0.6: 0.676 /
0.851 / 0.758, 0.790 (packaging 0.595 -> 0.585, structlog files 0.818 -> 0.798); class
lift 0.5: 0.639 / 0.869 / 0.779, 0.792; 1.0: 0.573 / 0.869 / 0.779, 0.794. The private
prior moves one or two questions of 168 either way and costs file questions; the class
lift finds more targets on the first page but ranks them below the methods that answer
other questions (MRR falls 0.03-0.10). Neither is kept.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

from codelens._search.grouping import Unit
from codelens._search.signals import RULES

_CLASSES = {"class", "struct", "interface", "trait", "impl", "enum", "type"}


def _private(symbol: str) -> bool:
    name = symbol.rpartition(".")[2]
    return name.startswith("_") and not name.startswith("__")


def prior(case: rv.Case, private: float, lift: float):  # type: ignore[no-untyped-def]
    """The fused scores with the private-name factor and the class lift applied."""

    def rescore(units: list[Unit]) -> list[float]:
        scores = [u.best.score for u in units]
        if private != 1.0 and not case.shape.is_symbol:
            scores = [
                s * (private if _private(u.place.symbol) else 1.0)
                for u, s in zip(units, scores, strict=True)
            ]
        if lift:
            best: dict[tuple[int, str], float] = {}
            for u, s in zip(units, scores, strict=True):
                owner = u.place.symbol.rpartition(".")[0]
                if owner:
                    key = (u.place.file_id, owner)
                    best[key] = max(best.get(key, 0.0), s)
            scores = [
                s + lift * best.get((u.place.file_id, u.place.symbol), 0.0)
                if u.place.kind in _CLASSES
                else s
                for u, s in zip(units, scores, strict=True)
            ]
        return scores

    return rescore


def main() -> None:
    cases = rv.cases_of(rv.arguments(__doc__.splitlines()[0]).parse_args())
    variants = {
        "today": (1.0, 0.0),
        "private 0.9": (0.9, 0.0),
        "private 0.8": (0.8, 0.0),
        "private 0.6": (0.6, 0.0),
        "class 0.5": (1.0, 0.5),
        "class 1.0": (1.0, 1.0),
        "private 0.8, class 0.5": (0.8, 0.5),
    }
    ranks = rv.ranks_of(cases, variants, lambda case, v: rv.top(case, RULES, prior(case, *v)))
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
