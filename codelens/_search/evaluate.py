"""Retrieval quality of a project's search per mode: where a known definition ranks
(Recall@1/5/10, MRR@10), or how well the files that answer a question rank (NDCG@10)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from codelens._search.engine import search
from codelens._search.modes import MODES
from codelens.errors import SearchError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle

__all__ = ["FILE_METRICS", "answer_gains", "evaluate", "file_scores", "score_files"]

_DEPTH = 10
_METRICS = ["queries", "recall@1", "recall@5", "recall@10", "mrr@10"]
FILE_METRICS = ["queries", "ndcg@10", "recall@1", "recall@10", "mrr@10"]
# Gains of a file question's answers: the files that answer it, and files that help.
RELEVANT_GAIN = 1.0
SECONDARY_GAIN = 0.5


def evaluate(
    project: ProjectHandle,
    queries: pd.DataFrame,
    *,
    modes: Sequence[str] = MODES,
    by: str | None = None,
) -> pd.DataFrame:
    """Run every query in every mode and score where the expected code ranks.

    Definition questions: ``queries`` has a ``question`` column, a ``path`` column
    (relative to the repository root) and a ``line`` column (any line inside the expected
    chunk), a ``symbol`` column (its symbol, e.g. ``JSONDecoder.decode``; a dotted suffix
    also matches), or both. A result is a hit when its path matches and it contains the
    line or bears the symbol. Returns one row per mode (per ``by`` group and mode, when
    ``by`` names a column of ``queries``) with ``queries``, ``recall@1``, ``recall@5``,
    ``recall@10`` and ``mrr@10``. ``attrs["ranks"]`` holds each query's rank per mode
    (<NA> = not in top 10).

    File questions: ``queries`` has ``question`` and ``relevant`` (the files that answer
    it, separated by ``;``) and optionally ``secondary`` (files that help). The top 10
    results are read as a list of files in order of first appearance, and scored by
    NDCG@10 (gain 1 for a relevant file, 0.5 for a secondary one), Recall@1/@10 and
    MRR@10 of the first relevant file; ``attrs["ranks"]`` holds each query's ``rank`` and
    ``ndcg`` per mode.
    """
    modes = (modes,) if isinstance(modes, str) else modes  # one mode, named alone
    if isinstance(queries, pd.DataFrame) and "relevant" in queries.columns:
        return _evaluate_files(project, queries, modes, by)
    _check(queries, by)
    ranks: list[dict[str, Any]] = []
    for position, query in enumerate(queries.to_dict("records")):
        for mode in modes:
            results = search(project, str(query["question"]), limit=_DEPTH, mode=mode)
            rank = next(
                (int(r["rank"]) for r in results.to_dict("records") if _hit(r, query)), None
            )
            row = {"query": position, "question": query["question"], "mode": mode, "rank": rank}
            if by is not None:
                row[by] = query[by]
            ranks.append(row)
    table = pd.DataFrame(ranks).astype({"rank": "Int64"})
    keys = [by, "mode"] if by is not None else ["mode"]
    scores = table.groupby(keys, sort=False)["rank"].apply(_scores).unstack()[_METRICS]
    scores = scores.astype({"queries": "int64"})
    scores.columns.name = None
    scores.attrs["ranks"] = table
    return scores


def _evaluate_files(
    project: ProjectHandle, queries: pd.DataFrame, modes: Sequence[str], by: str | None
) -> pd.DataFrame:
    _check_common(queries, by)
    rows: list[dict[str, Any]] = []
    for position, query in enumerate(queries.to_dict("records")):
        gains = answer_gains(query["relevant"], query.get("secondary"))
        for mode in modes:
            results = search(project, str(query["question"]), limit=_DEPTH, mode=mode)
            files = list(dict.fromkeys(_norm(p) for p in results["path"]))
            row = {"query": position, "question": query["question"], "mode": mode}
            row |= score_files(files, gains)
            if by is not None:
                row[by] = query[by]
            rows.append(row)
    table = pd.DataFrame(rows).astype({"rank": "Int64"})
    keys = [by, "mode"] if by is not None else ["mode"]
    grouped = table.groupby(keys, sort=False)[["rank", "ndcg"]].apply(file_scores)
    scores = pd.DataFrame(grouped)[FILE_METRICS].astype({"queries": "int64"})
    scores.columns.name = None
    scores.attrs["ranks"] = table
    return scores


def answer_gains(relevant: object, secondary: object = None) -> dict[str, float]:
    """Each answer file's gain, from ``;``-separated lists of relevant and secondary files."""
    gains = {_norm(p): SECONDARY_GAIN for p in _paths(secondary)}
    gains |= {_norm(p): RELEVANT_GAIN for p in _paths(relevant)}
    if RELEVANT_GAIN not in gains.values():
        raise SearchError("every file question needs at least one relevant file")
    return gains


def score_files(files: Sequence[str], gains: Mapping[str, float]) -> dict[str, Any]:
    """NDCG@10 of a ranked list of files, and the rank of its first relevant file."""
    top = list(files)[:_DEPTH]
    dcg = sum(gains.get(f, 0.0) / math.log2(i + 2) for i, f in enumerate(top))
    ideal = sorted(gains.values(), reverse=True)[:_DEPTH]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    rank = next((i for i, f in enumerate(top, 1) if gains.get(f) == RELEVANT_GAIN), None)
    return {"rank": rank, "ndcg": dcg / best}


def file_scores(table: pd.DataFrame) -> pd.Series[Any]:
    """FILE_METRICS over the per-query ``rank`` and ``ndcg`` of file questions."""
    ranks = _scores(table["rank"])
    return pd.Series(
        {
            "queries": len(table),
            "ndcg@10": float(table["ndcg"].mean()),
            "recall@1": ranks["recall@1"],
            "recall@10": ranks["recall@10"],
            "mrr@10": ranks["mrr@10"],
        }
    )


def _paths(value: object) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def _check_common(queries: pd.DataFrame, by: str | None) -> None:
    if "question" not in queries.columns:
        raise SearchError("queries need a question column")
    if by is not None and by not in queries.columns:
        raise SearchError(f"by={by!r} is not a column of queries")
    if queries.empty:
        raise SearchError("queries is empty: give at least one question")


def _check(queries: object, by: str | None) -> None:
    if not isinstance(queries, pd.DataFrame):
        raise SearchError(
            "queries must be a pandas DataFrame: question with path and line or symbol (a"
            " definition answers it), or question with relevant (files answer it)"
        )
    missing = {"question", "path"} - set(queries.columns)
    if missing or not {"line", "symbol"} & set(queries.columns):
        files = (
            "" if missing else " (for questions answered by files, name their column 'relevant')"
        )
        raise SearchError(
            "queries need columns question, path and line or symbol; missing: "
            + ", ".join(sorted(missing) or ["line or symbol"])
            + files
        )
    _check_common(queries, by)


def _scores(ranks: pd.Series[Any]) -> pd.Series[Any]:
    found = ranks.dropna().astype(int)
    n = len(ranks)
    return pd.Series(
        {
            "queries": n,
            "recall@1": float((found <= 1).sum()) / n,
            "recall@5": float((found <= 5).sum()) / n,
            "recall@10": float((found <= 10).sum()) / n,
            "mrr@10": float((1.0 / found[found <= 10]).sum()) / n,
        }
    )


def _hit(result: Mapping[Hashable, Any], expected: Mapping[Hashable, Any]) -> bool:
    if _norm(result["path"]) != _norm(expected["path"]):
        return False
    line = expected.get("line")
    if line is not None and not pd.isna(line):
        return bool(result["start_line"] <= int(line) <= result["end_line"])
    symbol = expected.get("symbol")
    if symbol is None or pd.isna(symbol):
        return False
    got, want = str(result["symbol"]), str(symbol)
    return got == want or got.endswith("." + want) or want.endswith("." + got)


def _norm(path: object) -> str:
    text = str(path).replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.strip("/")
