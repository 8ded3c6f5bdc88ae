"""What codelens knows of Ollama's embedding models: windows, prefixes and dimensions."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_OLLAMA_MODEL", "OllamaModelInfo", "ollama_model_info", "split_tag"]

DEFAULT_OLLAMA_MODEL = "nomic-embed-text"


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
