"""A second vector per definition, over its name, signature and doc comment: measured offline.

Wordless questions ("remove the common leading whitespace from every line") describe what
a definition does in words its code does not use; the chunk's vector mixes that meaning
with the body's tokens. This embeds, for every definition chunk of the evaluation
corpora, a short summary (the name's words, the signature, the docstring or leading doc
comment) with the project's own model, and re-ranks the same candidates as
benchmarks/ranking_variants.py with the summary vectors' nearest definitions merged into
the semantic list, under each merge. Nothing in the index changes.

    .venv/bin/python benchmarks/summary_vectors.py --home /tmp/cl-eval --set definitions

Measured (ONNX MiniLM, the 168 definition questions, with the ranking rules; MRR@10):
chunk vectors only 0.668 (wordless 0.520, shared words 0.861, R@10 0.839, wordless R@10
0.737); the best of either vector ("max") 0.680 (wordless 0.524, shared 0.884, R@10
0.827, wordless R@10 0.716); reciprocal rank of both lists 0.675 (wordless 0.510) and,
the summaries' list at half weight, 0.659 (wordless 0.498). The wordless questions, the
reason to try it, do not move, so codelens does not store a second vector.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import numpy as np
import pandas as pd
import ranking_variants as rv

from codelens import Settings, Workspace
from codelens._db.model_record import search_embedder
from codelens._search.engine import CANDIDATES
from codelens._search.grouping import units_of
from codelens._search.query import query_cache
from codelens._search.signals import RULES

_DOCSTRING = re.compile(r'^\s*[rRuUbB]{0,2}("""|\'\'\')(.*?)\1', re.S)
_COMMENT = re.compile(r"^\s*(///?|/\*\*?|\*/?|#+|--+|;+|%+)\s?")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
DOC_CHARS = 400


def words_of(symbol: str) -> str:
    """``Counter.most_common`` -> ``counter most common``."""
    return " ".join(w.lower() for w in _WORDS.findall(symbol))


def summary(symbol: str, content: str) -> str:
    """The name's words, the signature (first line) and the doc: a comment block above
    the signature, or a docstring below it."""
    lines = content.splitlines()
    doc: list[str] = []
    i = 0
    while i < len(lines) and _COMMENT.match(lines[i]) and not lines[i].lstrip().startswith("#["):
        doc.append(_COMMENT.sub("", lines[i]).strip())
        i += 1
    while i < len(lines) and lines[i].lstrip().startswith(("@", "#[")):
        i += 1
    signature = lines[i].strip() if i < len(lines) else ""
    rest = "\n".join(lines[i + 1 : i + 40])
    found = _DOCSTRING.match(rest)
    if found:
        doc.append(found.group(2).strip())
    text = " ".join(" ".join(doc).split())[:DOC_CHARS]
    return f"{words_of(symbol)}\n{signature}\n{text}".strip()


def summaries(home: Path, corpora: list[str], embedder: str) -> dict[str, tuple]:
    """Per corpus: chunk ids and their summary vectors (definitions only)."""
    workspace = Workspace(Settings(home=home))
    out = {}
    try:
        for corpus in corpora:
            handle = workspace.get(bench.project_id(corpus, embedder)).handle
            model = search_embedder(handle)
            with handle.connection() as conn:
                rows = conn.execute(
                    "SELECT id, symbol, content FROM chunks WHERE symbol <> ''"
                    " AND kind NOT IN ('module', 'window', 'section', 'text', 'cell')"
                    " ORDER BY id"
                ).fetchall()
            texts = [summary(s, c) for _, s, c in rows]
            t = time.perf_counter()
            vectors = np.vstack(
                [model.embed_documents(texts[i : i + 64]) for i in range(0, len(texts), 64)]
            ).astype(np.float32)
            print(f"{corpus}: {len(texts)} summaries in {time.perf_counter() - t:.0f} s")
            out[corpus] = (np.array([r[0] for r in rows]), vectors, model)
    finally:
        workspace.close()
    return out


def merged(case: rv.Case, found: tuple, how: str, depth: int) -> list[tuple[int, float]]:
    ids, vectors, model = found
    q = query_cache.embed(model, case.question)
    sims = vectors @ q
    top = np.argsort(-sims)[:depth]
    second = [(int(ids[i]), float(sims[i])) for i in top]
    if how == "max":
        best: dict[int, float] = dict(case.semantic)
        for cid, s in second:
            best[cid] = max(best.get(cid, -1.0), s)
        return sorted(best.items(), key=lambda x: -x[1])[:depth]
    # reciprocal rank of both lists, the summary list weighted
    weight = float(how.removeprefix("rrf"))
    score: dict[int, float] = {}
    for rank, (cid, _) in enumerate(case.semantic, 1):
        score[cid] = score.get(cid, 0.0) + 1 / (60 + rank)
    for rank, (cid, _) in enumerate(second, 1):
        score[cid] = score.get(cid, 0.0) + weight / (60 + rank)
    return sorted(score.items(), key=lambda x: -x[1])[:depth]


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    home = Path(args.home).resolve()
    cases = rv.cases_of(args)
    found = summaries(home, sorted({c.corpus for c in cases}), args.embedder)
    variants: dict[str, list[rv.Case]] = {"chunk vectors only": cases}
    for how in ("max", "rrf0.5", "rrf1"):
        changed = []
        for case in cases:
            semantic = merged(case, found[case.corpus], how, CANDIDATES)
            changed.append(replace(case, semantic=semantic))
        variants[how] = changed
    # Units of the candidates the summaries brought in.
    workspace = Workspace(Settings(home=home))
    try:
        for corpus in {c.corpus for c in cases}:
            handle = workspace.get(bench.project_id(corpus, args.embedder)).handle
            with handle.connection() as conn:
                for vs in variants.values():
                    for case in vs:
                        if case.corpus != corpus:
                            continue
                        missing = [i for i, _ in case.semantic if i not in case.units]
                        if missing:
                            case.units = {**case.units, **units_of(conn, missing)}
    finally:
        workspace.close()
    rows = []
    for name, vs in variants.items():
        result, _ = rv.table(vs, {name: RULES})
        rows.append(result)
        plain, _ = rv.table(vs, {name + " (no rules)": rv.NO_RULES})
        rows.append(plain)
    rv.show(pd.concat(rows))


if __name__ == "__main__":
    main()
