"""The first pass: the static model's vectors serve meaning search until the project's own
model has embedded the chunks they cover.

A project whose model is not inline (MiniLM, Ollama) gets one by default: the static model
embeds thousands of chunks a second, so the indexer stores its vectors with the chunks, in
the same write, and meaning search answers as soon as the words do. Which model answers a
search is decided in :mod:`codelens._search.answering`; two models' vectors never meet in
one ranking. A project says so once, at its first index (``embedding_metadata``), and
keeps it, as it keeps its model.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from codelens._embed.base import embeds_inline
from codelens._embed.registry import get_embedder
from codelens._embed.static import DEFAULT_STATIC_SPEC
from codelens.errors import EmbedderUnavailable

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._embed.base import Embedder

__all__ = [
    "FIRST_PASS_DIMENSIONS",
    "FIRST_PASS_SPEC",
    "NO_FIRST_PASS_HELP",
    "first_pass_enabled",
    "load_first_pass",
    "wanted_first_pass",
]

FIRST_PASS_SPEC = DEFAULT_STATIC_SPEC
# The column's type modifier (migration 0008): the static model's width.
FIRST_PASS_DIMENSIONS = 256
NO_FIRST_PASS_HELP = (
    "no first pass: meaning search waits for the project's own model instead of answering"
    " with the static model's vectors meanwhile"
)


def first_pass_enabled(project: ProjectHandle) -> bool:
    """Whether the project asks for a first pass: its own setting (``create(first_pass=)``),
    else the workspace's (``Settings.first_pass``, ``CODELENS_FIRST_PASS``)."""
    own = (project.info().get("settings") or {}).get("first_pass")
    return project.settings.first_pass if own is None else bool(own)


def load_first_pass(spec: str) -> Embedder | None:
    """The first-pass model, loaded; None, with one warning, when it cannot be: the project
    then indexes and searches as it would with no first pass, never fails for it."""
    try:
        # A retired static model fails here (codelens._embed.static.RETIRED_STATIC_MODELS).
        embedder = get_embedder(spec)
        dimensions = embedder.dimensions
    except EmbedderUnavailable as exc:
        reason = str(exc)
    else:
        if dimensions == FIRST_PASS_DIMENSIONS:
            return embedder
        reason = f"{spec} has {dimensions} dimensions, not {FIRST_PASS_DIMENSIONS}"
    warnings.warn(
        f"no first pass ({reason}); meaning search waits for the project's own model",
        RuntimeWarning,
        stacklevel=3,
    )
    return None


def wanted_first_pass(project: ProjectHandle, embedder: Embedder) -> str | None:
    """The first-pass model to record for a project indexed with ``embedder``, or None:
    none for an inline model (its own vectors come with the chunks), none when turned off,
    none when the model cannot load."""
    if embeds_inline(embedder) or not first_pass_enabled(project):
        return None
    return FIRST_PASS_SPEC if load_first_pass(FIRST_PASS_SPEC) is not None else None
