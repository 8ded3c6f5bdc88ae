"""OnnxEmbedder: MiniLM exported from the bundled weights, int8 in ONNX Runtime, offline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from codelens import Workspace
from codelens._chunk.chunker import chunk_text, embedding_text
from codelens._embed.base import Embedder
from codelens._embed.local import LocalEmbedder
from codelens._embed.onnx import OnnxEmbedder, ensure_onnx_model, onnx_model_file
from codelens._embed.registry import get_embedder
from tests.unit.test_embed_local import no_network


@pytest.fixture(scope="module")
def models_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """CODELENS_HOME for this module: the registry's "onnx" embedder exports under it."""
    home = tmp_path_factory.mktemp("onnx-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODELENS_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def embedder(models_home: Path) -> OnnxEmbedder:
    loaded = OnnxEmbedder()  # <CODELENS_HOME>/models, exported here on first use
    with no_network() as attempts:
        loaded.count_tokens(["load"])
    assert attempts == []
    return loaded


@pytest.fixture(scope="module")
def torch_embedder() -> LocalEmbedder:
    return LocalEmbedder()


def stdlib_chunks() -> list[str]:
    texts = []
    for module in (json.decoder, json.encoder, textwrap, subprocess):
        path = Path(str(module.__file__))
        source = path.read_text(encoding="utf-8")
        texts += [
            embedding_text(path.name, c)
            for c in chunk_text(path.name, "python", source, max_tokens=256)
        ]
    return texts


def test_properties_and_protocol(embedder: OnnxEmbedder, models_home: Path) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.name == "onnx:all-MiniLM-L6-v2-int8"
    assert (embedder.dimensions, embedder.max_tokens) == (384, 256)
    assert embedder.document_prefix == embedder.query_prefix == ""
    assert embedder.model_file.parent == models_home / "models"
    assert embedder.model_file.is_file()


def test_vectors_are_close_to_torchs_on_real_chunks(
    embedder: OnnxEmbedder, torch_embedder: LocalEmbedder
) -> None:
    texts = stdlib_chunks()
    assert len(texts) > 100
    vectors, counts = embedder.embed_counted(texts)
    expected, expected_counts = torch_embedder.embed_counted(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    cosine = np.sum(vectors * expected, axis=1)
    assert cosine.min() > 0.97
    assert cosine.mean() > 0.99
    assert counts == expected_counts
    empty, none = embedder.embed_counted([])
    assert empty.shape == (0, 384)
    assert none == []


def test_token_counts_equal_the_torch_tokenizers(
    embedder: OnnxEmbedder, torch_embedder: LocalEmbedder
) -> None:
    texts = [
        "",
        "hello world",
        "naïve café 日本語 🙂 \t\r\n",
        "ÀÉÎõü ǅ ﬁ ＡＢＣ \u200b\u00a0",
        Path(json.encoder.__file__).read_text(encoding="utf-8"),  # far past the window
    ]
    counts = embedder.count_tokens(texts)
    assert counts == torch_embedder.count_tokens(texts)
    assert counts[0] == 2  # [CLS] [SEP]
    assert counts[-1] > embedder.max_tokens
    assert embedder.embed_counted(texts)[1] == counts
    assert embedder.count_tokens([]) == []


def test_long_texts_are_truncated_to_the_window(embedder: OnnxEmbedder) -> None:
    words = " ".join(f"token{i}" for i in range(400))
    a, b = embedder.embed_documents([words, words + " completely different ending" * 50])
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_vector_does_not_depend_on_the_other_texts_of_a_call(embedder: OnnxEmbedder) -> None:
    # A resumed or incremental run embeds a chunk beside other neighbours than a clean run.
    short = "def add(a, b):\n    return a + b"
    alone = embedder.embed_query(short)
    for other in ("x = 1\n" * 150, "hello", "class A:\n    pass\n" * 30):
        np.testing.assert_allclose(embedder.embed_documents([other, short])[1], alone, atol=1e-6)


def test_queries_land_near_the_code_they_describe(embedder: OnnxEmbedder) -> None:
    docs = embedder.embed_documents(
        [
            "def read_json(path):\n    with open(path) as f:\n        return json.load(f)",
            "class Stack:\n    def push(self, item):\n        self.items.append(item)",
            "SELECT name FROM users WHERE age > 30 ORDER BY name",
        ]
    )
    queries = ["load a json file from disk", "push an item on a stack", "sql users older than 30"]
    assert [int(np.argmax(docs @ embedder.embed_query(q))) for q in queries] == [0, 1, 2]


def test_the_export_is_cached_and_reused(embedder: OnnxEmbedder) -> None:
    model_file = embedder.model_file
    before = model_file.stat()
    again = OnnxEmbedder(cache_dir=model_file.parent)
    with no_network() as attempts:
        vector = again.embed_query("parse a json document")
    assert attempts == []
    after = model_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]
    np.testing.assert_allclose(vector, embedder.embed_query("parse a json document"), atol=1e-6)


_EXPORT = (
    "from pathlib import Path; import sys; from codelens._embed.onnx import ensure_onnx_model;"
)
_EXPORT += " ensure_onnx_model(Path(sys.argv[1]), quantized=True)"


def test_a_killed_export_leaves_no_half_file(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", _EXPORT, str(cache)], env=env)
    try:
        deadline = time.monotonic() + 300
        # Killed as soon as the export has begun writing its fp32 file.
        while not list(cache.glob(".partial-*/*")):
            assert child.poll() is None, "the export ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    final = onnx_model_file(cache, quantized=True)
    assert not final.exists()
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".partial-")] == []
    # A later export still works; a leftover old enough to be abandoned is swept.
    (leftover,) = cache.glob(".partial-*")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    assert ensure_onnx_model(cache, quantized=True) == final
    assert [p.name for p in cache.iterdir()] == [final.name]
    vector = OnnxEmbedder(cache_dir=cache).embed_query("x")
    assert vector.shape == (384,)


def test_a_project_indexes_and_searches_with_the_onnx_embedder(
    embedder: OnnxEmbedder, workspace: Workspace, project_id: str, tmp_path: Path
) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "cart.py").write_text(
        "def total_price(items):\n    return sum(i.price for i in items)\n\n\n"
        "def send_receipt_email(address, body):\n    smtp.sendmail(address, body)\n"
    )
    created = workspace.create(project_id, embedder="onnx")
    try:
        report = created.index(repo, progress=False)
        assert report.files_indexed == 1
        info = created.info()
        assert info["embedding_model"] == "onnx:all-MiniLM-L6-v2-int8"
        assert info["embedding_dimensions"] == 384
        assert isinstance(get_embedder("onnx"), OnnxEmbedder)
        hits = created.search("mail a receipt to the customer", mode="semantic", limit=1)
        assert hits.iloc[0]["symbol"] == "send_receipt_email"
    finally:
        workspace.drop(project_id, force=True)
