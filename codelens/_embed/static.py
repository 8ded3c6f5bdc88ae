"""A static code model: a table of token vectors, no transformer at run time.

A text's vector is the sum of its tokens' vectors (see :mod:`codelens._embed.static_tokens`
for the tokens), L2-normalised: a few microseconds per text, so a query embeds in well under
a millisecond and a big repository in minutes. The table was trained for codelens on code
in twelve languages from PyPI, npm and Debian packages, with the bundled MiniLM as teacher
and then on docstring/code and name/body pairs (benchmarks/train_static.py, whose manifest
and hash sit beside the file).

The file ships inside the package (``codelens/_embed/models/``) and loads with numpy alone:
nothing is exported, downloaded or cached.
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from codelens._embed.static_tokens import StaticTokenizer
from codelens.errors import EmbedderUnavailable

__all__ = [
    "DEFAULT_STATIC_SPEC",
    "RETIRED_STATIC_MODELS",
    "STATIC_MODEL_FILE",
    "StaticEmbedder",
    "StaticModel",
    "load_static_model",
    "retired_static_model",
    "save_static_model",
]

STATIC_MODEL_NAME = "static-code-v2"
DEFAULT_STATIC_SPEC = f"static:{STATIC_MODEL_NAME}"
# Static models an earlier codelens shipped and this one does not: no query embeds into
# their spaces any more. A project holding their vectors is embedded anew by its next
# index run, unasked (codelens._db.model_record): the static model embeds thousands of
# chunks a second, and the old vectors answer nothing.
RETIRED_STATIC_MODELS = frozenset({"static-code-v1"})
STATIC_MODEL_FILE = Path(__file__).parent / "models" / f"{STATIC_MODEL_NAME}.npz"
_KEYS = ("vectors", "vocab", "meta")
_REINSTALL = "reinstall codelens (`pip install --force-reinstall codelens`)"


def retired_static_model(spec: str) -> EmbedderUnavailable | None:
    """The error to raise for ``spec`` when it names a retired static model, else None."""
    kind, _, model = spec.strip().partition(":")
    if kind != "static" or model.lower() not in RETIRED_STATIC_MODELS:
        return None
    return EmbedderUnavailable(
        f"{spec} is no longer shipped (this codelens has {DEFAULT_STATIC_SPEC}): use 'static';"
        " a project indexed with it is embedded anew by its next index run"
    )


def save_static_model(
    path: Path, vocab: Sequence[str], vectors: npt.NDArray[np.float16], meta: Mapping[str, Any]
) -> None:
    """Write a model file: float16 vectors, the vocabulary and metadata, no pickles."""
    if len(vocab) != len(vectors) or any("\n" in w for w in vocab):
        raise ValueError("one vector per vocabulary entry, and no line breaks in entries")
    np.savez(
        path,
        vectors=vectors.astype(np.float16),
        vocab=np.frombuffer("\n".join(vocab).encode(), dtype=np.uint8),
        meta=np.frombuffer(json.dumps(dict(meta)).encode(), dtype=np.uint8),
    )


class StaticModel:
    """A loaded model: the tokenizer and the table (float32, for fast and exact sums)."""

    def __init__(self, vocab: list[str], vectors: npt.NDArray[np.float32], meta: dict[str, Any]):
        self.vocab = vocab
        self.vectors = vectors
        self.meta = meta
        self.window = int(meta.get("window", 256))
        self.tokenizer = StaticTokenizer({w: i for i, w in enumerate(vocab)})
        # A text with no known word still needs a unit vector: a zero one has no cosine.
        self._empty = np.full(self.dimensions, 1 / np.sqrt(self.dimensions), dtype=np.float32)

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1])

    def token_ids(self, text: str) -> list[int]:
        return self.tokenizer.ids(text, self.window)

    def embed_ids(self, ids: Sequence[int]) -> npt.NDArray[np.float32]:
        """One text's vector from its token ids: each text alone, so a vector never
        depends on the batch it came in."""
        if not ids:
            return self._empty
        summed = self.vectors[np.asarray(ids, dtype=np.intp)].sum(axis=0, dtype=np.float32)
        norm = float(np.linalg.norm(summed))
        if norm == 0.0:
            return self._empty
        result: npt.NDArray[np.float32] = (summed / norm).astype(np.float32)
        return result

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed_ids(self.token_ids(text))
        return out


def load_static_model(path: Path) -> StaticModel:
    """The model in ``path``; a missing or damaged file is an :class:`EmbedderUnavailable`."""
    if not path.is_file():
        raise EmbedderUnavailable(f"the static model file {path} is missing: {_REINSTALL}")
    try:
        # Opened here, not by np.load, which leaves its handle open when the zip is bad.
        with path.open("rb") as raw, np.load(raw, allow_pickle=False) as data:
            missing = [k for k in _KEYS if k not in data.files]
            if missing:
                raise ValueError(f"no {', '.join(missing)} in it")
            stored = data["vectors"]
            vocab = data["vocab"].tobytes().decode().split("\n")
            meta = json.loads(data["meta"].tobytes().decode())
        if stored.ndim != 2 or len(vocab) != stored.shape[0] or not isinstance(meta, dict):
            raise ValueError(f"{len(vocab)} entries for a table of shape {stored.shape}")
        if not np.isfinite(stored).all():
            raise ValueError("the table holds NaN or infinite values")
        # float32 in memory: summing rows is several times faster than from float16.
        vectors = stored.astype(np.float32)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EmbedderUnavailable(
            f"the static model file {path} is damaged ({reason}): {_REINSTALL}"
        ) from None
    return StaticModel(vocab, vectors, meta)


class StaticEmbedder:
    """An :class:`~codelens._embed.base.Embedder`: the static code model shipped with codelens.

    ``model_file`` defaults to the bundled model; it loads on first use (tens of ms).
    """

    document_prefix = ""
    query_prefix = ""
    # Thousands of chunks a second on one core, far ahead of the store: the indexer writes
    # the vectors with the chunks (see codelens._embed.base.embeds_inline).
    inline = True

    def __init__(self, model_file: Path | None = None) -> None:
        self._file = model_file if model_file is not None else STATIC_MODEL_FILE
        self._loaded: StaticModel | None = None
        self._lock = threading.Lock()

    def _model(self) -> StaticModel:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = load_static_model(self._file)
        return self._loaded

    @property
    def name(self) -> str:
        return DEFAULT_STATIC_SPEC

    @property
    def dimensions(self) -> int:
        return self._model().dimensions

    @property
    def max_tokens(self) -> int:
        # The chunk budget: as MiniLM's, so both models get the same chunks.
        return 256

    @property
    def model_file(self) -> Path:
        return self._file

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text as the model cuts it, never truncated."""
        tokenizer = self._model().tokenizer
        return [len(tokenizer.ids(t)) for t in texts]

    def embed_counted(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        model = self._model()
        out = np.empty((len(texts), model.dimensions), dtype=np.float32)
        counts = []
        for row, text in enumerate(texts):
            ids = model.tokenizer.ids(text)
            counts.append(len(ids))
            out[row] = model.embed_ids(ids[: model.window])
        return out, counts

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.embed_counted(texts)[0]

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        model = self._model()
        return model.embed_ids(model.token_ids(self.query_prefix + text))
