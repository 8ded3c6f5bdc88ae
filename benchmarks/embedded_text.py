"""Changes to the text a model embeds, measured offline on meaning search alone.

A change to the embedded text costs a full index run to measure end to end. This gives a
first reading in minutes: for each corpus of the file questions, every chunk's embedded
text is changed and embedded again with the project's own model (or, for ``tokens=N``,
every indexed file is cut again at that budget and embedded), each question is embedded
the same way, and meaning search is read as the files of the first ten chunks by exact
cosine (NDCG@10 as ``evaluate.py`` scores it); ``stored`` is the same reading of the
stored vectors. It is not hybrid search: a change that wins here is then measured end to
end with ``evaluate.py`` on a copy of the home before it is kept.

    .venv/bin/python benchmarks/embedded_text.py --home /tmp/cl-eval \\
        --corpus querycore --corpus testify --variant underscores --variant tokens=128

``model=FILE`` embeds the same texts and questions with another static model's file
instead (a candidate of ``train_static.py``). On a home of static projects, ``stored``
is then the shipped model's reading; so were the candidates for ``static-code-v2`` read
(mean over the 17 codebases: v1 0.679, the ``medium`` run on every language 0.711,
MiniLM 0.745; ``docs/static-model.md``).

Measured this way before the change (chunker version 6), names in camelCase as words
(now in every embedded text, ``codelens/_chunk/identifier_words.py``) gave +0.012 on
average over 15 codebases (querycore +0.024, testify +0.031, indexmap +0.035, attrs
-0.007, gocmp -0.020); end to end, hybrid 0.798 -> 0.801, semantic 0.693 -> 0.705. On top
of it (chunker version 7), not pursued:

- ``underscores`` (``parse_cookie_header`` as ``parse cookie header``): querycore
  +0.005, semver -0.010, testify -0.003, indexmap -0.002; before the camelCase change,
  +0.014 on average, penlight -0.040.
- ``punctuation`` (every run of it a space): semver +0.029, querycore +0.003, testify
  -0.012, indexmap -0.051.
- ``tokens=128`` (chunks cut to 128 tokens, the length MiniLM was trained on, instead of
  the 256 it reads): testify +0.044, semver +0.027, querycore -0.004, indexmap -0.060,
  with 2.2 times the chunks.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import numpy as np
import numpy.typing as npt
import pandas as pd

from codelens import Settings, Workspace
from codelens._chunk.chunker import chunk_text, embedding_text
from codelens._chunk.identifier_words import identifier_words
from codelens._chunk.types import embedding_text_of
from codelens._db.model_record import search_embedder
from codelens._embed.base import Embedder
from codelens._embed.static import StaticEmbedder
from codelens._embed.texts import embed_texts
from codelens._search.evaluate import answer_gains, score_files

_UNDERSCORES = re.compile(r"(?<=[A-Za-z0-9])_+(?=[A-Za-z0-9])")
_PUNCTUATION = re.compile(r"[^\w\s]+")
TRANSFORMS: dict[str, Callable[[str], str]] = {
    "underscores": lambda text: _UNDERSCORES.sub(" ", text),
    "punctuation": lambda text: _PUNCTUATION.sub(" ", text),
}


def file_ndcg(
    questions: pd.DataFrame,
    vectors: dict[str, npt.NDArray[np.float32]],
    paths: list[str],
    chunks: npt.NDArray[np.float32],
) -> float:
    """Mean NDCG@10 of the files of each question's ten nearest chunks."""
    norms = np.linalg.norm(chunks, axis=1, keepdims=True)
    unit = chunks / np.where(norms == 0, 1, norms)
    scores = []
    for row in questions.itertuples():
        cosines = unit @ vectors[row.question]
        cosines[norms[:, 0] == 0] = -np.inf  # a table's window has no meaning
        files: list[str] = []
        for i in np.argsort(-cosines):
            if paths[i] not in files:
                files.append(paths[i])
            if len(files) == 10:
                break
        scores.append(score_files(files, answer_gains(row.relevant, row.secondary))["ndcg"])
    return float(np.mean(scores))


def recut(
    root: Path, files: list[tuple[str, str | None]], tokens: int
) -> tuple[list[str], list[str]]:
    """Every file cut again at ``tokens``: the chunks' paths and embedded texts."""
    paths, texts = [], []
    for path, language in files:
        text = (root / path).read_text(errors="surrogateescape")
        for chunk in chunk_text(path, language, text, max_tokens=tokens):
            paths.append(path)
            texts.append(embedding_text(path, chunk))
    return paths, texts


def measure(home: Path, corpus: str, variants: list[str], embedder: str) -> dict[str, float]:
    workspace = Workspace(Settings(home=home))
    try:
        handle = workspace.get(bench.project_id(corpus, embedder)).handle
        model: Embedder = search_embedder(handle)
        with handle.connection() as conn:
            rows = conn.execute(
                "SELECT path, symbol, embed_header, content, embedding FROM chunks ORDER BY id"
            ).fetchall()
            files = conn.execute(
                "SELECT path, language FROM files WHERE status = 'indexed' ORDER BY path"
            ).fetchall()
    finally:
        workspace.close()
    questions = bench.load_sets([corpus], ["files"])["files"]
    paths = [r[0] for r in rows]
    texts = [embedding_text_of(r[0], r[1], r[2], r[3]) for r in rows]
    stored = np.array([r[4].to_numpy() for r in rows], dtype=np.float32)

    def asked(change: Callable[[str], str]) -> dict[str, npt.NDArray[np.float32]]:
        return {q: model.embed_query(change(identifier_words(q))) for q in questions["question"]}

    found = {"stored": file_ndcg(questions, asked(lambda t: t), paths, stored)}
    for variant in variants:
        started = time.perf_counter()
        if variant.startswith("model="):
            other = StaticEmbedder(Path(variant[6:]))
            vectors, _ = embed_texts(other, texts)
            questions_of = {
                q: other.embed_query(identifier_words(q)) for q in questions["question"]
            }
            found[variant] = file_ndcg(questions, questions_of, paths, vectors)
        elif variant.startswith("tokens="):
            cut_paths, cut_texts = recut(home / "corpora" / corpus, files, int(variant[7:]))
            vectors, _ = embed_texts(model, cut_texts)
            found[variant] = file_ndcg(questions, asked(lambda t: t), cut_paths, vectors)
            found[f"{variant} chunks"] = len(cut_texts)
        else:
            change = TRANSFORMS[variant]
            vectors, _ = embed_texts(model, [change(t) if t else t for t in texts])
            found[variant] = file_ndcg(questions, asked(change), paths, vectors)
        print(f"  {corpus} {variant}: {time.perf_counter() - started:.0f} s", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-eval")
    parser.add_argument("--corpus", action="append", required=True)
    parser.add_argument(
        "--variant",
        action="append",
        required=True,
        help="underscores, punctuation, tokens=N or model=FILE (another static model's file)",
    )
    parser.add_argument("--embedder", default="onnx")
    args = parser.parse_args()
    for variant in args.variant:
        if variant not in TRANSFORMS and not re.fullmatch(r"tokens=[1-9]\d*|model=.+", variant):
            parser.error(
                f"unknown variant {variant!r}: use underscores, punctuation, tokens=N or model=FILE"
            )
    table = {
        corpus: measure(Path(args.home).resolve(), corpus, args.variant, args.embedder)
        for corpus in args.corpus
    }
    with pd.option_context(
        "display.float_format", "{:.3f}".format, "display.width", 250, "display.max_columns", None
    ):
        print(pd.DataFrame(table).T)


if __name__ == "__main__":
    main()
