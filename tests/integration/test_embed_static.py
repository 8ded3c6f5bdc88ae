"""A project indexed with the static code model: stored vectors, searches by meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from codelens import Workspace
from codelens._embed.registry import get_embedder
from codelens._embed.static import StaticEmbedder
from codelens.errors import ModelMismatch

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
def shop(tmp_path: Path) -> Path:
    repo = tmp_path / "shop"
    repo.mkdir()
    for name, text in SHOP.items():
        (repo / name).write_text(text)
    return repo


def test_a_project_indexes_and_searches_with_the_static_embedder(
    workspace: Workspace, project_id: str, shop: Path
) -> None:
    created = workspace.create(project_id, embedder="static")
    try:
        report = created.index(shop, progress=False)
        assert report.files_indexed == 2
        info = created.info()
        assert info["embedding_model"] == "static:static-code-v1"
        assert info["embedding_dimensions"] == 256
        assert isinstance(get_embedder("static"), StaticEmbedder)
        hits = created.search("mail a receipt to the customer", mode="semantic", limit=1)
        assert hits.iloc[0]["symbol"] == "send_receipt_email"
        hits = created.search("delete old files from a directory", mode="semantic", limit=1)
        assert hits.iloc[0]["symbol"] == "remove_stale_files"
        hits = created.search("read configuration from a json file", mode="hybrid", limit=1)
        assert hits.iloc[0]["symbol"] == "load_settings"
    finally:
        workspace.drop(project_id, force=True)


def test_a_static_project_refuses_another_models_vectors(
    workspace: Workspace, project_id: str, shop: Path
) -> None:
    created = workspace.create(project_id, embedder="static")
    try:
        created.index(shop, progress=False)
        with pytest.raises(ModelMismatch):
            created.index(shop, embedder="onnx", progress=False)
    finally:
        workspace.drop(project_id, force=True)
