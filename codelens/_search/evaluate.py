"""Retrieval quality of a project's search: Recall@1/5/10 and MRR@10 per mode."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from codelens._search.engine import search
from codelens._search.modes import MODES
from codelens.errors import SearchError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle

__all__ = ["evaluate"]

_DEPTH = 10
_METRICS = ["queries", "recall@1", "recall@5", "recall@10", "mrr@10"]


def evaluate(
    project: ProjectHandle,
    queries: pd.DataFrame,
    *,
    modes: Sequence[str] = MODES,
    by: str | None = None,
) -> pd.DataFrame:
    """Run every query in every mode and score where the expected code ranks.

    ``queries`` has a ``question`` column, a ``path`` column (relative to the repository
    root) and a ``line`` column (any line inside the expected chunk), a ``symbol`` column
    (its symbol, e.g. ``JSONDecoder.decode``; a dotted suffix also matches), or both.
    A result is a hit when its path matches and it contains the line or bears the symbol.

    Returns one row per mode (per ``by`` group and mode, when ``by`` names a column of
    ``queries``) with ``queries``, ``recall@1``, ``recall@5``, ``recall@10`` and
    ``mrr@10``. ``attrs["ranks"]`` holds each query's rank per mode (<NA> = not in top 10).
    """
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


def _check(queries: object, by: str | None) -> None:
    if not isinstance(queries, pd.DataFrame):
        raise SearchError("queries must be a pandas DataFrame with question and path columns")
    missing = {"question", "path"} - set(queries.columns)
    if missing or not {"line", "symbol"} & set(queries.columns):
        raise SearchError(
            "queries need columns question, path and line or symbol; missing: "
            + ", ".join(sorted(missing) or ["line or symbol"])
        )
    if by is not None and by not in queries.columns:
        raise SearchError(f"by={by!r} is not a column of queries")
    if queries.empty:
        raise SearchError("queries is empty: give at least one question")


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
