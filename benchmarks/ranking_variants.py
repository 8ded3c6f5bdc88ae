"""Ranking rules compared on the evaluation corpora, each on the same index and candidates.

For every question of both sets of benchmarks/evaluate.py (definition questions and file
questions) this fetches the semantic and lexical candidate lists once, as hybrid search
does (the query embedded by the project's model, the lexical plan from its statistics,
``CANDIDATES`` deep), with each candidate's unit and place (codelens._search.grouping).
Then it ranks them offline under each variant of ``codelens._search.signals.Rules``,
with codelens's own fusion, grouping and signals, and scores definition questions by
MRR@10 and Recall@10 and file questions by NDCG@10, per corpus and kind. It also counts
the documentation results (``category`` docs: Markdown, reStructuredText, plain text) in
the top 10 of every question about code (every question but those whose relevant files are
docs), per corpus. Nothing is re-embedded, so a variant costs milliseconds;
benchmarks/evaluate.py then checks the kept rules end to end.

    .venv/bin/python benchmarks/evaluate.py --home /tmp/cl-eval        # index first
    .venv/bin/python benchmarks/ranking_variants.py --home /tmp/cl-eval
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import pandas as pd

from codelens import Settings, Workspace
from codelens._db.handle import ProjectHandle
from codelens._languages import detect_language
from codelens._search.answering import answering
from codelens._search.category import category_of
from codelens._search.engine import CANDIDATES, _semantic, hybrid_head
from codelens._search.evaluate import _hit, _scores, answer_gains, file_scores, score_files
from codelens._search.file_cosines import file_cosines_later
from codelens._search.filters import Filters
from codelens._search.fusion import KIND_WEIGHTS, Fused, fuse
from codelens._search.grouping import Place, Unit, rank_units, units_of
from codelens._search.lexical import lexical_hits, plan_query
from codelens._search.query import query_cache
from codelens._search.signals import (
    NO_RULES,
    RULES,
    QueryShape,
    Rules,
    rerank,
    semantic_weight,
    shape_of,
)

LIMIT = 10


@dataclass
class Case:
    set: str
    corpus: str
    kind: str
    question: str
    expected: dict[str, object]
    shape: QueryShape
    semantic: list[tuple[int, float]]
    lexical: list[tuple[int, float]]
    units: dict[int, tuple[tuple[int, ...], Place]]
    cosines: dict[int, float]  # file id -> the query's cosine with the file's stored vector


def each_project(
    home: Path, corpora: Iterable[str], embedder: str
) -> Iterator[tuple[str, ProjectHandle]]:
    """Each corpus with its evaluation project, from one workspace closed when the loop ends."""
    workspace = Workspace(Settings(home=home))
    try:
        for corpus in corpora:
            yield corpus, workspace.get(bench.project_id(corpus, embedder)).handle
    finally:
        workspace.close()


def collect(home: Path, sets: dict[str, pd.DataFrame], embedder: str) -> list[Case]:
    workspace = Workspace(Settings(home=home))
    cases = []
    try:
        for set_name, queries in sets.items():
            for corpus, mine in queries.groupby("corpus", sort=False):
                handle = workspace.get(bench.project_id(str(corpus), embedder)).handle
                with handle.connection() as conn:
                    # The model that answers meaning search, as search asks it (an index
                    # still behind its first pass is answered by the first pass).
                    answer = answering(conn, handle)
                    for q in mine.to_dict("records"):
                        text = str(q["question"])
                        vector = query_cache.embed(answer.embedder, text)
                        semantic = _semantic(conn, answer, vector, Filters(), CANDIDATES)
                        plan = plan_query(conn, text)
                        lexical = (
                            lexical_hits(conn, text, plan, Filters(), CANDIDATES) if plan else []
                        )
                        ids = list(dict.fromkeys([i for i, _ in semantic + lexical]))
                        cases.append(
                            Case(
                                set_name,
                                str(corpus),
                                str(q["kind"]),
                                text,
                                {str(k): v for k, v in q.items()},
                                shape_of(text),
                                semantic,
                                lexical,
                                units_of(conn, ids),
                                file_cosines_later(conn, answer, vector, ids)(),
                            )
                        )
                    conn.rollback()
    finally:
        workspace.close()
    return cases


def top(
    case: Case, rules: Rules, rescore: Callable[[list[Unit]], list[float]] | None = None
) -> list[Place]:
    """The first ``LIMIT`` places as hybrid search ranks ``case``'s candidates; with
    ``rescore``, the grouped units' fused scores are first replaced by what it gives
    (an experiment's prior), then the rules apply."""
    fused = fuse(case.semantic, case.lexical, semantic_weight=semantic_weight(case.shape, rules))
    return [u.place for u in ranked_units(case, fused, rules, rescore=rescore)]


def ranked_units(
    case: Case,
    fused: list[Fused],
    rules: Rules = RULES,
    *,
    depth: int = LIMIT,
    kinds: Mapping[str, float] = KIND_WEIGHTS,
    rescore: Callable[[list[Unit]], list[float]] | None = None,
) -> list[Unit]:
    """The first ``depth`` units as hybrid search ranks ``fused`` (``case``'s candidates,
    fused): the head grouped with the kinds' weights ``kinds``, maybe rescored (see
    :func:`top`), then re-ranked by ``rules``; each unit's score is its final one."""
    units = rank_units(fused[: hybrid_head(depth)], case.units, None, kinds)
    if rescore is not None:
        scores = rescore(units)
        units = [
            Unit(
                Fused(u.best.id, s, u.best.semantic_rank, u.best.lexical_rank), u.part_ids, u.place
            )
            for u, s in zip(units, scores, strict=True)
        ]
        units.sort(key=lambda u: -u.best.score)
    return rerank(units, case.shape, rules, file_cosines=case.cosines)[:depth]


def arguments(description: str) -> argparse.ArgumentParser:
    """The options every offline comparison takes: where the indexes are, which questions."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--home", default="/tmp/cl-eval", help="CODELENS_HOME of the indexes")
    parser.add_argument("--set", choices=bench.SETS, action="append", help="only this set")
    parser.add_argument("--corpus", action="append", help="only this corpus")
    parser.add_argument("--embedder", default="onnx", choices=["local", "onnx"])
    return parser


def cases_of(args: argparse.Namespace) -> list[Case]:
    """The chosen questions with their candidates (see :func:`collect`)."""
    sets = bench.load_sets(args.corpus, args.set or list(bench.SETS))
    return collect(Path(args.home).resolve(), sets, args.embedder)


def about_code(case: Case) -> bool:
    """Whether the question asks about code: every definition question, and every file
    question whose relevant files are not documentation."""
    if case.set != "files":
        return True
    relevant = str(case.expected["relevant"]).split(";")
    return all(category_of(detect_language(p)) == "code" for p in relevant if p)


def measure(case: Case, rules: Rules) -> dict[str, object]:
    places = top(case, rules)
    docs = sum(category_of(p.language) == "docs" for p in places)
    return _measure(case, places) | {"docs": docs if about_code(case) else None}


def _measure(case: Case, places: list[Place]) -> dict[str, object]:
    if case.set == "files":
        gains = answer_gains(case.expected["relevant"], case.expected.get("secondary"))
        return score_files(list(dict.fromkeys(p.path for p in places)), gains)
    rank = next(
        (
            i
            for i, p in enumerate(places, 1)
            if _hit({"path": p.path, "symbol": p.symbol}, case.expected)
        ),
        None,
    )
    return {"rank": rank}


def table(cases: list[Case], variants: dict[str, Rules]) -> pd.DataFrame:
    """One row per variant and set: the headline figure per corpus and per kind."""
    rows = []
    for name, rules in variants.items():
        for case in cases:
            rows.append(
                {"variant": name, "set": case.set, "corpus": case.corpus, "kind": case.kind}
                | measure(case, rules)
            )
    ranks = pd.DataFrame(rows).astype({"rank": "Int64", "docs": "Float64"})
    crowding = ranks.dropna(subset="docs")
    docs = crowding.groupby(["variant", "corpus"], sort=False)["docs"].mean().unstack()
    files = crowding.loc[crowding["set"] == "files"].groupby("variant", sort=False)["docs"]
    docs["file questions"] = files.mean()
    docs["max"] = files.max()
    return summarize(ranks), docs


def summarize(ranks: pd.DataFrame) -> pd.DataFrame:
    """One row per variant and set of ``ranks`` (one row per question, with ``variant``,
    ``set``, ``corpus``, ``kind`` and what :func:`measure` gives): the headline figure per
    corpus, per kind and over all; for definitions, Recall@10 too."""
    out = []
    for (variant, set_name), part in ranks.groupby(["variant", "set"], sort=False):
        cells: dict[str, object] = {"variant": variant, "set": set_name}
        for key in ("corpus", "kind"):
            for value, group in part.groupby(key, sort=False):
                cells[str(value)] = headline(set_name, group)
        cells["all"] = headline(set_name, part)
        if set_name == "definitions":
            # Recall@10 too: a rule can lift MRR and still push targets out of the page.
            cells["R@10"] = float(_scores(part["rank"])["recall@10"])
            wordless = part.loc[part["kind"] == "wordless", "rank"]
            cells["wordless R@10"] = float(_scores(wordless)["recall@10"])
        out.append(cells)
    return pd.DataFrame(out)


def ranks_of(cases: list[Case], variants: dict[str, object], top_of) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """One row per variant and question: ``top_of(case, variant)`` gives the top places."""
    rows = [
        {"variant": name, "set": case.set, "corpus": case.corpus, "kind": case.kind}
        | _measure(case, top_of(case, variant))
        for name, variant in variants.items()
        for case in cases
    ]
    return pd.DataFrame(rows).astype({"rank": "Int64"})


def show(result: pd.DataFrame) -> None:
    """Print a :func:`summarize` table, one block per set."""
    with pd.option_context(
        "display.float_format", "{:.3f}".format, "display.width", 250, "display.max_columns", 30
    ):
        for set_name, part in result.groupby("set", sort=False):
            metric = "NDCG@10" if set_name == "files" else "MRR@10"
            print(f"\n{set_name} ({metric}, hybrid)")
            print(part.drop(columns="set").dropna(axis=1, how="all").to_string(index=False))


def docs_table(docs: pd.DataFrame) -> pd.DataFrame:
    """The mean count of docs results in the top 10 of code questions, per corpus that
    has any docs, and over every file question about code (``max``: the most on one)."""
    return docs.loc[:, (docs != 0).any()]


def headline(set_name: object, group: pd.DataFrame) -> float:
    """NDCG@10 for file questions, MRR@10 for definition questions."""
    if set_name == "files":
        return float(file_scores(group)["ndcg@10"])
    return float(_scores(group["rank"])["mrr@10"])


def variants() -> dict[str, Rules]:
    off = NO_RULES
    alone = {f"only {n}": replace(off, **{n: getattr(RULES, n)}) for n in _SIGNALS}
    without = {f"all but {n}": RULES.without(n) for n in _SIGNALS}
    weights = {
        f"weights {s}/{w}": replace(RULES, symbol_semantic_weight=s, words_semantic_weight=w)
        for s, w in ((0.5, 0.7), (0.7, 1.0), (0.5, 1.0), (0.7, 1.4))
    }
    priors = {
        f"priors without {kind}": replace(
            RULES, priors=MappingProxyType({k: v for k, v in RULES.priors.items() if k != kind})
        )
        for kind in RULES.priors
    }
    tuned = {
        f"{name} {value}": replace(RULES, **{name: value})
        for name, values in EXTRA.items()
        for value in values
    }
    return {"none (fusion only)": off, "all": RULES} | alone | without | weights | priors | tuned


# Further values of single parameters to compare (on top of all the rules).
EXTRA: dict[str, tuple[float, ...]] = {
    "saturation": (0.5, 0.85),
    "file_words": (0.5, 2.0),
    "coherence": (0.1, 0.4),
    "definition": (1.0, 6.0),
    "docs": (0.0, 0.1, 0.5),
    "docs_kept": (0, 2),
}


_SIGNALS = ("file_vector", "coherence", "definition", "file_words", "priors", "saturation", "docs")


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    args = parser.parse_args()
    cases = cases_of(args)
    result, docs = table(cases, variants())
    if args.csv:
        result.to_csv(args.csv, index=False)
    show(result)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
        print("\ndocs results in the top 10 of questions about code (mean per question)")
        print(docs_table(docs).to_string())


if __name__ == "__main__":
    main()
