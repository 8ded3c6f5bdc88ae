"""A project indexed with the static code model: stored vectors, searches by meaning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from codelens import Project, Workspace
from codelens._chunk.types import embedding_text_of
from codelens._embed.registry import get_embedder
from codelens._embed.static import DEFAULT_STATIC_SPEC, StaticEmbedder
from codelens.errors import EmbedderUnavailable, ModelMismatch
from tests.integration.test_first_pass import _rows

SHOP = {
    "cart.py": (
        "def total_price(items):\n    return sum(i.price * i.quantity for i in items)\n\n\n"
        "def send_receipt_email(address, body):\n    smtp.sendmail(address, body)\n"
    ),
    "storage.py": (
        "import json\n\n\n"
        "def load_settings(path):\n    with open(path) as f:\n        return json.load(f)\n\n\n"
        "def remove_stale_files(folder, days):\n"
        "    for entry in folder.iterdir():\n"
        "        if entry.stat().st_mtime < cutoff(days):\n"
        "            entry.unlink()\n"
    ),
}


@pytest.fixture
def static_project(workspace: Workspace, project_id: str) -> Iterator[Project]:
    created = workspace.create(project_id, embedder="static")
    yield created
    workspace.drop(project_id, force=True)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    repo = tmp_path / "shop"
    repo.mkdir()
    for name, text in SHOP.items():
        (repo / name).write_text(text)
    return repo


def test_a_project_indexes_and_searches_with_the_static_embedder(
    static_project: Project, shop: Path
) -> None:
    report = static_project.index(shop, progress=False)
    assert report.files_indexed == 2
    info = static_project.info()
    assert info["embedding_model"] == DEFAULT_STATIC_SPEC
    assert info["embedding_dimensions"] == 256
    assert isinstance(get_embedder("static"), StaticEmbedder)
    hits = static_project.search("mail a receipt to the customer", mode="semantic", limit=1)
    assert hits.iloc[0]["symbol"] == "send_receipt_email"
    hits = static_project.search("delete old files from a directory", mode="semantic", limit=1)
    assert hits.iloc[0]["symbol"] == "remove_stale_files"
    # Not "... from a json file": in a four-definition project, "file" is the rarest word
    # of remove_stale_files, and lexical search ranks it first.
    hits = static_project.search("read configuration stored as json", mode="hybrid", limit=1)
    assert hits.iloc[0]["symbol"] == "load_settings"


def test_a_static_project_refuses_another_models_vectors(
    static_project: Project, shop: Path
) -> None:
    static_project.index(shop, progress=False)
    with pytest.raises(ModelMismatch):
        static_project.index(shop, embedder="onnx", progress=False)


def test_a_project_of_a_retired_static_model_is_embedded_anew_by_its_next_index_run(
    static_project: Project, shop: Path
) -> None:
    static_project.index(shop, progress=False)
    # As an earlier codelens left it: another model's name, and its vectors (one for all).
    with static_project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET model_name = 'static:static-code-v1'")
        conn.execute(
            "UPDATE chunks SET embedding = (SELECT embedding FROM chunks ORDER BY id LIMIT 1)"
        )
    with pytest.raises(EmbedderUnavailable) as caught:
        static_project.search("mail a receipt to the customer", mode="semantic")
    said = str(caught.value)
    assert "static:static-code-v1 is no longer shipped" in said
    assert "embedded anew by its next index run" in said and "\n" not in said
    # Words still answer meanwhile.
    hits = static_project.search("receipt", mode="lexical", limit=1)
    assert hits.iloc[0]["symbol"] == "send_receipt_email"
    report = static_project.index(shop, progress=False)  # no force asked for
    assert not report.interrupted and report.files_failed == 0
    assert static_project.info()["embedding_model"] == DEFAULT_STATIC_SPEC
    rows = _rows(
        static_project, "SELECT path, symbol, embed_header, content, embedding FROM chunks"
    )
    texts = [embedding_text_of(p, s, h, c) for p, s, h, c, _ in rows]
    for row, vector in zip(rows, StaticEmbedder().embed_documents(texts), strict=True):
        assert np.allclose(row[4].to_numpy(), vector, atol=1e-5), row[0]
    hits = static_project.search("mail a receipt to the customer", mode="semantic", limit=1)
    assert hits.iloc[0]["symbol"] == "send_receipt_email"
