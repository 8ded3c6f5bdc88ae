"""Turn per-outcome file counts into the coverage table (columns defined in ``_analysis``)."""

from __future__ import annotations

import pandas as pd

from codelens._scan.walk import SKIP_REASONS

__all__ = ["coverage_frame"]

_KEYS = {
    "language": ["language"],
    "file_type": ["file_type"],
    "directory": ["repository", "directory"],
    "repository": ["repository"],
}


def coverage_frame(counts: pd.DataFrame, by: str) -> pd.DataFrame:
    """``counts`` has one row per group and outcome: repository, grp, on_disk, status,
    skip_reason, change, ignored, n, awaiting (chunks awaiting vectors)."""
    keys = _KEYS[by]
    df = counts.rename(columns={"grp": keys[-1]}) if by != "repository" else counts
    n = df["n"].fillna(0).astype("int64")
    on_disk = df["on_disk"].fillna(False).astype(bool)
    status = df["status"].fillna("")
    # "duplicate_of <path>" counts under its reason, not as a reason per path. A column of
    # nothing but NULLs (no file skipped) arrives as floats: text first.
    skip_reason = df["skip_reason"].fillna("").astype(str).str.split(" ", n=1).str[0]
    reasons = [*SKIP_REASONS, *sorted(set(skip_reason) - set(SKIP_REASONS) - {""})]
    parts: dict[str, pd.Series] = {
        "on_disk": n.where(on_disk, 0),
        "indexed": n.where(on_disk & (status == "indexed"), 0),
        "skipped": n.where(on_disk & (status == "skipped"), 0),
    }
    for reason in reasons:
        parts[f"skipped_{reason}"] = n.where(on_disk & (skip_reason == reason), 0)
    parts["failed"] = n.where(on_disk & (status == "failed"), 0)
    parts["not_indexed"] = n.where(on_disk & (status == "not_indexed"), 0)
    parts["stale"] = n.where(df["change"].isin(["added", "modified"]), 0)
    parts["deleted"] = n.where(df["change"] == "deleted", 0)
    parts["ignored"] = n.where(df["ignored"].fillna(False).astype(bool), 0)
    # Chunks stored but not embedded yet: found by words, not yet by meaning.
    parts["chunks_awaiting_vectors"] = df["awaiting"].fillna(0).astype("int64")
    wide = pd.DataFrame(parts)
    for key in keys:
        wide[key] = df[key].fillna("(none)").astype(str)
    table = wide.groupby(keys, sort=False, as_index=False).sum()
    indexable = table["on_disk"] - table["skipped"]
    share = 100.0 * table["indexed"] / indexable.where(indexable > 0).astype("float64")
    table["coverage_pct"] = share.round(1)
    table = table.sort_values(["on_disk", *keys], ascending=[False] + [True] * len(keys))
    return table[[*keys, *parts, "coverage_pct"]].reset_index(drop=True)
