"""Several Ollama servers in OLLAMA_HOST: batches spread over those that answer, a server
that fails set aside and tried again later, a clear error when all fail.

Against real HTTP servers speaking the Ollama API (tests/fake_ollama.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import numpy as np
import pytest

from codelens._config import Settings
from codelens._embed.ollama import OllamaEmbedder, ollama_has_model
from codelens._embed.ollama_hosts import parse_hosts
from codelens._embed.registry import clear_embedder_cache, get_embedder
from codelens.errors import ConfigError, EmbedderError, EmbedderUnavailable
from tests.fake_ollama import FakeOllama, vector_for

TEXTS = [f"def function_{i}(value): return value * {i}" for i in range(96)]


@pytest.fixture
def servers() -> Iterator[list[FakeOllama]]:
    with ExitStack() as stack:
        yield [stack.enter_context(FakeOllama()) for _ in range(3)]


def make(*hosts: str, **kw: Any) -> OllamaEmbedder:
    kw.setdefault("backoff", 0.001)
    return OllamaEmbedder("nomic-embed-text", host=",".join(hosts), **kw)


def _expected(texts: list[str]) -> np.ndarray[Any, Any]:
    return np.asarray([vector_for(t, 768) for t in texts], dtype=np.float32)


def test_ollama_host_lists_servers_separated_by_commas() -> None:
    assert parse_hosts(" a:1, b:2 ,,a:1") == ["a:1", "b:2"]
    assert parse_hosts("127.0.0.1:11434") == ["127.0.0.1:11434"]
    with pytest.raises(ConfigError, match=r"OLLAMA_HOST=' , ' names no server: set e\.g\."):
        parse_hosts(" , ")


def test_batches_are_spread_over_every_server_in_order(servers: list[FakeOllama]) -> None:
    with make(*(s.host for s in servers), batch_size=16) as embedder:
        assert embedder.parallel == 3
        vectors = embedder.embed_documents(TEXTS)
    np.testing.assert_allclose(vectors, _expected(TEXTS), atol=1e-6)
    counts = [len(s.embed_bodies()) for s in servers]
    assert sum(counts) == 6 and all(counts), counts
    sent = sorted(t for s in servers for b in s.embed_bodies() for t in b["input"])
    assert sent == sorted(f"search_document: {t}" for t in TEXTS)  # each text once


def test_a_call_smaller_than_a_batch_is_split_so_that_every_server_works() -> None:
    with ExitStack() as stack:
        slow = [stack.enter_context(FakeOllama(delay=0.3)) for _ in range(4)]
        with make(*(s.host for s in slow), batch_size=64) as embedder:
            started = time.monotonic()
            vectors = embedder.embed_documents(TEXTS[:32])
            elapsed = time.monotonic() - started
    assert [len(b["input"]) for s in slow for b in s.embed_bodies()] == [8, 8, 8, 8]
    np.testing.assert_allclose(vectors, _expected(TEXTS[:32]), atol=1e-6)
    # One server answers one request at a time: four after each other take 1.2 s.
    assert elapsed < 1.0, elapsed


def test_a_server_that_is_down_is_set_aside_and_the_others_embed_everything(
    servers: list[FakeOllama],
) -> None:
    down = FakeOllama.refused_host()
    with make(down, *(s.host for s in servers[:2]), batch_size=8) as embedder:
        vectors = embedder.embed_documents(TEXTS)
        np.testing.assert_allclose(vectors, _expected(TEXTS), atol=1e-6)
        dead = embedder.hosts.all[0]
        assert dead.served == 0 and dead.back_at > time.monotonic()
        # Set aside: the next call does not try it (the others answer everything).
        embedder.embed_documents(TEXTS[:16])
    assert sum(s.served for s in servers[:2]) == 12 + 2


def test_a_failed_server_is_tried_again_after_it_was_set_aside(
    servers: list[FakeOllama], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("codelens._embed.ollama_hosts.SET_ASIDE", 0.2)
    flaky, steady = servers[:2]
    flaky.fail_next(1, status=503)
    with make(flaky.host, steady.host, batch_size=8) as embedder:
        embedder.embed_documents(TEXTS[:16])
        assert flaky.served == 0
        embedder.embed_documents(TEXTS[:16])
        assert flaky.served == 0  # still set aside
        time.sleep(0.25)
        embedder.embed_documents(TEXTS[:16])
    assert flaky.served >= 1


def test_the_server_s_retry_after_sets_it_aside_that_long(servers: list[FakeOllama]) -> None:
    busy, steady = servers[:2]
    busy.fail_next(1, status=429, headers={"Retry-After": "7"})
    with make(busy.host, steady.host, batch_size=8) as embedder:
        embedder.embed_documents(TEXTS[:16])
        back_in = embedder.hosts.all[0].back_at - time.monotonic()
    assert 6 < back_in <= 7


def test_a_server_without_the_model_is_set_aside_and_another_embeds(
    servers: list[FakeOllama],
) -> None:
    with FakeOllama({"other-model": 768}) as lacking:
        with make(lacking.host, servers[0].host) as embedder:
            np.testing.assert_allclose(
                embedder.embed_documents(TEXTS[:4]), _expected(TEXTS[:4]), atol=1e-6
            )
            query = embedder.embed_query("function value")
        assert lacking.served == 1  # its 404, once
    np.testing.assert_allclose(query, vector_for("function value", 768), atol=1e-6)


def test_when_every_server_fails_the_error_says_so_and_names_the_fix() -> None:
    hosts = [FakeOllama.refused_host(), FakeOllama.refused_host()]
    slept: list[float] = []
    with (
        make(*hosts, retries=2, sleep=slept.append) as embedder,
        pytest.raises(EmbedderUnavailable) as caught,
    ):
        embedder.embed_query("one request")
    message = str(caught.value)
    assert message.startswith("every Ollama server in OLLAMA_HOST (2) failed; the last: ")
    assert "Ollama is not running at http://127.0.0.1:" in message
    assert message.endswith("start it with `ollama serve` (or set OLLAMA_HOST)")
    assert len(slept) == 2  # its two retries, after each server had its try


def test_an_input_the_server_refuses_is_not_a_server_failure(servers: list[FakeOllama]) -> None:
    servers[0].answer_when("poison", {"error": "input too long"}, status=400)
    servers[1].answer_when("poison", {"error": "input too long"}, status=400)
    with make(servers[0].host, servers[1].host) as embedder:
        with pytest.raises(EmbedderError, match="refused the input") as caught:
            embedder.embed_documents(["poison"])
        assert not isinstance(caught.value, EmbedderUnavailable)
        assert all(h.back_at == 0 for h in embedder.hosts.all)


def test_get_embedder_and_the_default_rule_read_the_list(
    servers: list[FakeOllama], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    listed = f"{FakeOllama.refused_host()},{servers[0].host}"
    assert ollama_has_model("nomic-embed-text", listed)
    assert not ollama_has_model("nomic-embed-text", FakeOllama.refused_host())
    monkeypatch.setenv("OLLAMA_HOST", listed)
    clear_embedder_cache()
    try:
        embedder = get_embedder("ollama:nomic-embed-text", settings=Settings(home=tmp_path))
        assert isinstance(embedder, OllamaEmbedder)
        assert [h.label for h in embedder.hosts.all] == listed.split(",")
        np.testing.assert_allclose(
            embedder.embed_documents(TEXTS[:2]), _expected(TEXTS[:2]), atol=1e-6
        )
    finally:
        clear_embedder_cache()
