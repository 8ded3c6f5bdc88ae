"""The embedder interface, and which embedder a spec or the environment picks.

Specs::

    "local"                      = "local:all-MiniLM-L6-v2" (sentence-transformers, CPU, offline)
    "ollama"                     = "ollama:nomic-embed-text"
    "ollama:<model>"             any model the Ollama server has, e.g. "ollama:mxbai-embed-large"
    "onnx"                       = "onnx:all-MiniLM-L6-v2-int8" (the same model, int8, ONNX Runtime)
    "static"                     = "static:static-code-v2" (token vectors trained on code, numpy)

With no spec, :func:`get_embedder` uses ``CODELENS_EMBEDDER`` if it is set;
otherwise Ollama when its server (``OLLAMA_HOST``) answers ``/api/tags``
within 0.5 s and has ``nomic-embed-text``; otherwise the local model.
Instances are cached per spec (and per ``OLLAMA_HOST`` and the Ollama timeouts and
retries of :class:`~codelens._config.Settings` for Ollama), so the local model loads
once per process.
"""

from __future__ import annotations

import re
import threading

from codelens._config import ENV_EMBEDDER, Settings, ollama_host
from codelens._embed.base import Embedder
from codelens._embed.ollama_models import DEFAULT_OLLAMA_MODEL, split_tag
from codelens._embed.onnx import DEFAULT_ONNX_SPEC, OnnxEmbedder
from codelens._embed.static import (
    DEFAULT_STATIC_SPEC,
    STATIC_MODEL_NAME,
    StaticEmbedder,
    retired_static_model,
)
from codelens.errors import ConfigError

__all__ = [
    "DEFAULT_LOCAL_SPEC",
    "DEFAULT_OLLAMA_SPEC",
    "Embedder",
    "clear_embedder_cache",
    "get_embedder",
    "resolve_embedder_spec",
]

DEFAULT_LOCAL_SPEC = "local:all-MiniLM-L6-v2"
# The offline model the default rule picks: the same MiniLM in ONNX Runtime, int8. Measured
# here, interleaved with torch on an idle 2-core machine: 3.7x the texts/s, and the same
# retrieval on the 168 evaluation questions (README, "Choices").
DEFAULT_RULE_LOCAL = DEFAULT_ONNX_SPEC
DEFAULT_OLLAMA_SPEC = f"ollama:{DEFAULT_OLLAMA_MODEL}"
_VALID_FORMS = "'local', 'local:all-MiniLM-L6-v2', 'onnx', 'static', 'ollama' or 'ollama:<model>'"
_OLLAMA_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")


def _parse(spec: str, source: str) -> str:
    kind, sep, model = spec.strip().partition(":")
    if kind == "local" and (not sep or model.lower() == "all-minilm-l6-v2"):
        return DEFAULT_LOCAL_SPEC
    if kind == "onnx" and (not sep or model.lower() == "all-minilm-l6-v2-int8"):
        return DEFAULT_ONNX_SPEC
    if kind == "static" and (not sep or model.lower() == STATIC_MODEL_NAME):
        return DEFAULT_STATIC_SPEC
    retired = retired_static_model(spec)
    if retired is not None:
        raise retired
    if kind == "ollama" and not sep:
        return DEFAULT_OLLAMA_SPEC
    if kind == "ollama" and _OLLAMA_MODEL_RE.fullmatch(model):
        name, tag = split_tag(model)
        return f"ollama:{name}" if tag == "latest" else f"ollama:{name}:{tag}"
    raise ConfigError(f"unknown embedder {spec!r}{source}: use {_VALID_FORMS}")


def resolve_embedder_spec(spec: str | None = None, *, settings: Settings | None = None) -> str:
    """The canonical spec (also the embedder's ``name``) that ``get_embedder(spec)`` uses;
    with no spec, ``settings.embedder`` (``CODELENS_EMBEDDER``), then the default rule."""
    if spec is not None:
        return _parse(spec, "")
    settings = settings if settings is not None else Settings.from_env()
    if settings.embedder:
        return _parse(settings.embedder, f" in {ENV_EMBEDDER}")
    host = ollama_host(settings)
    # The Ollama client (and httpx, pydantic) loads only when Ollama is asked: half a second
    # of every `import codelens` otherwise.
    from codelens._embed.ollama import ollama_has_model

    return (
        DEFAULT_OLLAMA_SPEC if ollama_has_model(DEFAULT_OLLAMA_MODEL, host) else DEFAULT_RULE_LOCAL
    )


_cache: dict[tuple[str, str, float, float, int], Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(spec: str | None = None, *, settings: Settings | None = None) -> Embedder:
    """The embedder for ``spec``, or the default rule's choice when ``spec`` is None.

    The choice, Ollama's host, timeouts and retries come from ``settings`` (a workspace's),
    or from the environment when None.
    """
    settings = settings if settings is not None else Settings.from_env()
    canonical = resolve_embedder_spec(spec, settings=settings)
    is_ollama = canonical.startswith("ollama:")
    key: tuple[str, str, float, float, int] = (canonical, "", 0.0, 0.0, 0)
    if is_ollama:
        limits = settings
        key = (
            canonical,
            ollama_host(settings),
            limits.ollama_timeout,
            limits.ollama_query_timeout,
            limits.ollama_retries,
        )
    with _cache_lock:
        embedder = _cache.get(key)
        if embedder is None:
            if is_ollama:
                _, host, timeout, query_timeout, retries = key
                from codelens._embed.ollama import OllamaEmbedder

                embedder = OllamaEmbedder(
                    canonical.removeprefix("ollama:"),
                    host=host,
                    timeout=timeout,
                    query_timeout=query_timeout,
                    retries=retries,
                )
            elif canonical == DEFAULT_STATIC_SPEC:
                embedder = StaticEmbedder()
            elif canonical == DEFAULT_ONNX_SPEC:
                embedder = OnnxEmbedder(cache_dir=settings.home / "models")
            else:
                # torch loads only when the local model is wanted: a second or more
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
