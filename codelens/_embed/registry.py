"""The embedder interface, and which embedder a spec or the environment picks.

Specs::

    "local"                      = "local:all-MiniLM-L6-v2" (sentence-transformers, CPU, offline)
    "ollama"                     = "ollama:nomic-embed-text"
    "ollama:<model>"             any model the Ollama server has, e.g. "ollama:mxbai-embed-large"

With no spec, :func:`get_embedder` uses ``CODELENS_EMBEDDER`` if it is set;
otherwise Ollama when its server (``OLLAMA_HOST``) answers ``/api/tags``
within 0.5 s and has ``nomic-embed-text``; otherwise the local model.
Instances are cached per spec (and per ``OLLAMA_HOST`` and the Ollama timeouts and
retries of :class:`~codelens._config.Settings` for Ollama), so the local model loads
once per process.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from codelens._config import Settings
from codelens.errors import ConfigError

__all__ = [
    "DEFAULT_LOCAL_SPEC",
    "DEFAULT_OLLAMA_SPEC",
    "ENV_EMBEDDER",
    "Embedder",
    "OllamaModelInfo",
    "clear_embedder_cache",
    "get_embedder",
    "ollama_model_info",
    "resolve_embedder_spec",
    "split_tag",
]

ENV_EMBEDDER = "CODELENS_EMBEDDER"
DEFAULT_LOCAL_SPEC = "local:all-MiniLM-L6-v2"
DEFAULT_OLLAMA_SPEC = "ollama:nomic-embed-text"
_VALID_FORMS = "'local', 'local:all-MiniLM-L6-v2', 'ollama' or 'ollama:<model>'"
_OLLAMA_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; prefixes are added inside."""

    @property
    def name(self) -> str: ...  # stable id stored with an index, e.g. "ollama:nomic-embed-text"
    @property
    def dimensions(self) -> int: ...
    @property
    def max_tokens(self) -> int: ...  # input window, special tokens included
    @property
    def document_prefix(self) -> str: ...
    @property
    def query_prefix(self) -> str: ...
    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...  # as documents, prefix incl.
    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...
    # Both at once: an embedder that tokenizes anyway counts from that one tokenization.
    def embed_counted(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]: ...
    def embed_query(self, text: str) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True)
class OllamaModelInfo:
    dimensions: int | None  # None: learnt from the first reply
    max_tokens: int  # the chunking window, not necessarily the model's context
    document_prefix: str = ""
    query_prefix: str = ""


_RETRIEVAL = "Represent this sentence for searching relevant passages: "
# family -> (chunking window, document prefix, query prefix, dimensions per tag).
# Long-context models (nomic-embed-text, bge-m3: 8192) still get a 512-token
# window: one vector per function-sized chunk ranks better than one per file,
# and the character-based token estimate then stays far inside the real context.
# Tags not listed learn their dimensions from the first reply.
_OLLAMA_MODELS: dict[str, tuple[int, str, str, dict[str, int]]] = {
    "nomic-embed-text": (512, "search_document: ", "search_query: ", {"latest": 768, "v1.5": 768}),
    "mxbai-embed-large": (512, "", _RETRIEVAL, {"latest": 1024, "335m": 1024, "v1": 1024}),
    "all-minilm": (256, "", "", {"latest": 384, "22m": 384, "33m": 384, "l6-v2": 384}),
    "bge-m3": (512, "", "", {"latest": 1024, "567m": 1024}),
    "bge-large": (512, "", _RETRIEVAL, {"latest": 1024, "335m": 1024}),
    "snowflake-arctic-embed": (
        512,
        "",
        _RETRIEVAL,
        {"latest": 1024, "335m": 1024, "137m": 768, "110m": 768, "33m": 384, "22m": 384},
    ),
    "snowflake-arctic-embed2": (512, "", "query: ", {"latest": 1024, "568m": 1024}),
    "granite-embedding": (512, "", "", {"30m": 384, "278m": 768}),
    "paraphrase-multilingual": (128, "", "", {"latest": 768, "278m": 768}),
}


def split_tag(model: str) -> tuple[str, str]:
    """``"name:tag"`` -> ``("name", "tag")``; no tag means ``"latest"``."""
    name, sep, tag = model.rpartition(":")
    if not sep or "/" in tag:  # a colon before the last slash is a registry port
        return model, "latest"
    return name, tag


def ollama_model_info(model: str) -> OllamaModelInfo:
    name, tag = split_tag(model)
    family = _OLLAMA_MODELS.get(name)
    if family is None:
        return OllamaModelInfo(dimensions=None, max_tokens=512)
    window, document_prefix, query_prefix, dimensions = family
    return OllamaModelInfo(dimensions.get(tag), window, document_prefix, query_prefix)


def _parse(spec: str, source: str) -> str:
    kind, sep, model = spec.strip().partition(":")
    if kind == "local" and (not sep or model.lower() == "all-minilm-l6-v2"):
        return DEFAULT_LOCAL_SPEC
    if kind == "ollama" and not sep:
        return DEFAULT_OLLAMA_SPEC
    if kind == "ollama" and _OLLAMA_MODEL_RE.fullmatch(model):
        name, tag = split_tag(model)
        return f"ollama:{name}" if tag == "latest" else f"ollama:{name}:{tag}"
    raise ConfigError(f"unknown embedder {spec!r}{source}: use {_VALID_FORMS}")


def resolve_embedder_spec(spec: str | None = None) -> str:
    """The canonical spec (also the embedder's ``name``) that ``get_embedder(spec)`` uses."""
    if spec is not None:
        return _parse(spec, "")
    from_env = os.environ.get(ENV_EMBEDDER, "").strip()
    if from_env:
        return _parse(from_env, f" in {ENV_EMBEDDER}")
    from codelens._embed.ollama import DEFAULT_OLLAMA_MODEL, ollama_has_model

    return DEFAULT_OLLAMA_SPEC if ollama_has_model(DEFAULT_OLLAMA_MODEL) else DEFAULT_LOCAL_SPEC


_cache: dict[tuple[str, str, float, float, int], Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(spec: str | None = None, *, settings: Settings | None = None) -> Embedder:
    """The embedder for ``spec``, or the default rule's choice when ``spec`` is None.

    An Ollama embedder takes its timeouts and retries from ``settings`` (a workspace's),
    or from the environment when None.
    """
    canonical = resolve_embedder_spec(spec)
    is_ollama = canonical.startswith("ollama:")
    key: tuple[str, str, float, float, int] = (canonical, "", 0.0, 0.0, 0)
    if is_ollama:
        limits = settings if settings is not None else Settings.from_env()
        key = (
            canonical,
            os.environ.get("OLLAMA_HOST", ""),
            limits.ollama_timeout,
            limits.ollama_query_timeout,
            limits.ollama_retries,
        )
    with _cache_lock:
        embedder = _cache.get(key)
        if embedder is None:
            if is_ollama:
                from codelens._embed.ollama import OllamaEmbedder

                _, _, timeout, query_timeout, retries = key
                embedder = OllamaEmbedder(
                    canonical.removeprefix("ollama:"),
                    timeout=timeout,
                    query_timeout=query_timeout,
                    retries=retries,
                )
            else:
                from codelens._embed.local import LocalEmbedder

                embedder = LocalEmbedder()
            _cache[key] = embedder
        return embedder


def clear_embedder_cache() -> None:
    """Forget cached embedders (closing Ollama clients); the next call builds new ones."""
    with _cache_lock:
        embedders = list(_cache.values())
        _cache.clear()
    for embedder in embedders:
        close = getattr(embedder, "close", None)
        if close is not None:
            close()
