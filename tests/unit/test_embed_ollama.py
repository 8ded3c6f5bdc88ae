"""OllamaEmbedder and get_embedder against a real HTTP server speaking the Ollama API."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from codelens._config import Settings
from codelens._embed.base import Embedder
from codelens._embed.local import LocalEmbedder
from codelens._embed.ollama import OllamaEmbedder, ollama_has_model
from codelens._embed.ollama_models import ollama_model_info, split_tag
from codelens._embed.onnx import OnnxEmbedder
from codelens._embed.registry import clear_embedder_cache, get_embedder, resolve_embedder_spec
from codelens.errors import CodelensError, ConfigError, EmbedderError, EmbedderUnavailable
from tests.fake_ollama import FakeOllama, vector_for


@pytest.fixture
def server() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No CODELENS_EMBEDDER, no real Ollama, and a clean embedder cache."""
    monkeypatch.delenv("CODELENS_EMBEDDER", raising=False)
    monkeypatch.setenv("OLLAMA_HOST", FakeOllama.refused_host())
    clear_embedder_cache()
    yield monkeypatch
    clear_embedder_cache()


def make(host: str, model: str = "nomic-embed-text", **kw: Any) -> OllamaEmbedder:
    kw.setdefault("backoff", 0.001)
    return OllamaEmbedder(model, host=host, **kw)


def test_documents_go_in_batches_with_the_document_prefix(server: FakeOllama) -> None:
    texts = [f"def function_{i}(value): return value * {i}" for i in range(150)]
    with make(server.host, batch_size=64) as embedder:
        vectors = embedder.embed_documents(texts)
    bodies = server.embed_bodies()
    assert [len(b["input"]) for b in bodies] == [64, 64, 22]
    assert [t for b in bodies for t in b["input"]] == [f"search_document: {t}" for t in texts]
    assert all(b["model"] == "nomic-embed-text" and b["truncate"] is True for b in bodies)
    assert vectors.dtype == np.float32
    assert vectors.shape == (150, 768)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[3], vector_for(texts[3], 768), atol=1e-6)


def test_query_uses_the_query_prefix(server: FakeOllama) -> None:
    with make(server.host) as embedder:
        query = embedder.embed_query("parse json config")
        docs = embedder.embed_documents(["load the json config file", "draw a red circle"])
    assert server.embed_bodies()[0]["input"] == ["search_query: parse json config"]
    assert query.shape == (768,)
    assert query.dtype == np.float32
    assert docs[0] @ query > docs[1] @ query


def test_empty_input_sends_nothing(server: FakeOllama) -> None:
    with make(server.host) as embedder:
        assert embedder.embed_documents([]).shape == (0, 768)
        assert embedder.count_tokens([]) == []
    assert server.requests == []


@pytest.mark.parametrize(
    ("model", "name", "dims", "window", "doc", "query"),
    [
        ("nomic-embed-text", "ollama:nomic-embed-text", 768, 512, "search_document: ", "search_query: "),
        ("nomic-embed-text:latest", "ollama:nomic-embed-text", 768, 512, "search_document: ", "search_query: "),
        ("mxbai-embed-large", "ollama:mxbai-embed-large", 1024, 512, "", "Represent this sentence for searching relevant passages: "),
        ("all-minilm", "ollama:all-minilm", 384, 256, "", ""),
        ("bge-m3", "ollama:bge-m3", 1024, 512, "", ""),
        ("snowflake-arctic-embed", "ollama:snowflake-arctic-embed", 1024, 512, "", "Represent this sentence for searching relevant passages: "),
        ("snowflake-arctic-embed:33m", "ollama:snowflake-arctic-embed:33m", 384, 512, "", "Represent this sentence for searching relevant passages: "),
    ],
)  # fmt: skip
def test_known_models_have_dimensions_and_prefixes_without_a_request(
    model: str, name: str, dims: int, window: int, doc: str, query: str
) -> None:
    # Nothing listens there: none of these properties may touch the network.
    with make(FakeOllama.refused_host(), model) as embedder:
        assert isinstance(embedder, Embedder)
        assert (embedder.name, embedder.dimensions, embedder.max_tokens) == (name, dims, window)
        assert (embedder.document_prefix, embedder.query_prefix) == (doc, query)


def test_unknown_model_learns_dimensions_from_one_probe() -> None:
    with FakeOllama({"tiny-embed": 12}) as fake, make(fake.host, "tiny-embed") as embedder:
        assert (embedder.document_prefix, embedder.query_prefix) == ("", "")
        assert embedder.max_tokens == 512
        assert embedder.dimensions == 12
        assert embedder.dimensions == 12
        assert len(fake.embed_bodies()) == 1
        vectors = embedder.embed_documents(["alpha", "beta"])
    assert vectors.shape == (2, 12)
    assert fake.embed_bodies()[1]["input"] == ["alpha", "beta"]


def test_unknown_model_learns_dimensions_from_first_embedding() -> None:
    with FakeOllama({"tiny-embed:v2": 10}) as fake, make(fake.host, "tiny-embed:v2") as embedder:
        assert embedder.embed_query("x").shape == (10,)
        assert embedder.dimensions == 10
        assert len(fake.requests) == 1


def test_retries_recover_after_server_errors(server: FakeOllama) -> None:
    sleeps: list[float] = []
    server.fail_next(3, status=500)
    with make(server.host, retries=3, backoff=0.2, sleep=sleeps.append) as embedder:
        vectors = embedder.embed_documents(["a", "b"])
    assert vectors.shape == (2, 768)
    assert len(server.embed_bodies()) == 4
    assert sleeps == pytest.approx([0.2, 0.4, 0.8])


def test_backoff_is_bounded_and_gives_up(server: FakeOllama) -> None:
    sleeps: list[float] = []
    server.fail_next(10, status=500)
    embedder = make(server.host, retries=5, backoff=0.2, max_backoff=0.5, sleep=sleeps.append)
    with embedder, pytest.raises(EmbedderError, match=r"HTTP 500.*server log") as caught:
        embedder.embed_documents(["a"])
    assert not isinstance(caught.value, EmbedderUnavailable)
    assert len(server.embed_bodies()) == 6
    assert sleeps == pytest.approx([0.2, 0.4, 0.5, 0.5, 0.5])


def test_default_backoff_really_waits_but_briefly(server: FakeOllama) -> None:
    server.fail_next(2)
    start = time.monotonic()
    with OllamaEmbedder(host=server.host, backoff=0.05) as embedder:
        embedder.embed_query("x")
    assert 0.05 + 0.1 <= time.monotonic() - start < 2


def test_client_errors_are_not_retried(server: FakeOllama) -> None:
    server.fail_next(1, status=400)
    with make(server.host) as embedder, pytest.raises(EmbedderError, match=r"HTTP 400"):
        embedder.embed_query("x")
    assert len(server.embed_bodies()) == 1


def test_missing_model_says_how_to_pull_it(server: FakeOllama) -> None:
    embedder = make(server.host, "mxbai-embed-large")
    with embedder, pytest.raises(EmbedderUnavailable, match=r"run `ollama pull mxbai-embed-large`"):
        embedder.embed_documents(["x"])
    assert len(server.embed_bodies()) == 1


def test_server_down_says_how_to_start_it() -> None:
    sleeps: list[float] = []
    embedder = make(FakeOllama.refused_host(), retries=2, sleep=sleeps.append)
    with (
        embedder,
        pytest.raises(EmbedderUnavailable, match=r"`ollama serve` \(or set OLLAMA_HOST\)"),
    ):
        embedder.embed_query("x")
    assert len(sleeps) == 2


def test_stalled_server_times_out_and_gives_up(server: FakeOllama) -> None:
    server.stall_next(5, seconds=10)
    start = time.monotonic()
    embedder = make(server.host, timeout=0.2, query_timeout=5, retries=1)
    with embedder, pytest.raises(EmbedderUnavailable, match=r"did not answer within 0\.2 s"):
        embedder.embed_query("x")
    assert time.monotonic() - start < 3
    assert len(server.embed_bodies()) == 2


def test_stall_then_recovery(server: FakeOllama) -> None:
    server.stall_next(1, seconds=10)
    with make(server.host, timeout=0.3, query_timeout=5) as embedder:
        assert embedder.embed_query("x").shape == (768,)
    assert len(server.embed_bodies()) == 2


def test_dropped_connections_are_retried(server: FakeOllama) -> None:
    server.drop_next(2)
    with make(server.host) as embedder:
        assert embedder.embed_documents(["x", "y"]).shape == (2, 768)
    server.drop_next(3)
    with (
        make(server.host, retries=2) as embedder,
        pytest.raises(EmbedderUnavailable, match="dropped"),
    ):
        embedder.embed_query("x")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("wrong_length", r"returned vectors of length \[767\], expected 768"),
        ("wrong_count", r"returned 2 vectors for 3 texts"),
        ("zero_vectors", r"zero or non-finite vector"),
    ],
)
def test_malformed_replies_are_errors_not_vectors(
    server: FakeOllama, fault: str, message: str
) -> None:
    setattr(server, fault, True)
    with make(server.host) as embedder, pytest.raises(EmbedderError, match=message):
        embedder.embed_documents(["a", "b", "c"])
    assert len(server.embed_bodies()) == 1  # a broken reply is not a transient failure


def test_learnt_dimensions_are_then_enforced(server: FakeOllama) -> None:
    server.models["odd:latest"] = 6
    with make(server.host, "odd") as embedder:
        assert embedder.embed_query("x").shape == (6,)
        server.models["odd:latest"] = 7  # re-pulled as another model under the same name
        with pytest.raises(EmbedderError, match=r"length \[7\], expected 6"):
            embedder.embed_documents(["y"])


def test_token_estimate_includes_prefix_and_special_tokens() -> None:
    with make(FakeOllama.refused_host()) as nomic, make(FakeOllama.refused_host(), "x") as plain:
        assert plain.count_tokens(["", "abcde", "a.b", "é"]) == [2, 4, 5, 4]
        # "search_document: " = search(3) _(1) document(4) :(1)
        assert nomic.count_tokens(["abcde"]) == [2 + 9 + 2]


def test_requests_from_threads_share_one_client(server: FakeOllama) -> None:
    results: list[np.ndarray] = []
    with make(server.host) as embedder:

        def work(i: int) -> None:
            results.append(embedder.embed_documents([f"text {i}"] * 3))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 8
    assert all(r.shape == (3, 768) for r in results)


# -- malformed replies, throttling, refusals and the query timeout --------------------------------

HTML = "<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (HTML, "text/html", r"not JSON \(text/html: '<!DOCTYPE html> <html><body>"),
        ("", "application/json", r"not JSON \(application/json: ''\)"),
        ('{"embeddings": [[0.5, 0.5', "application/json", "not JSON"),
        ({"embeddings": "not a list"}, None, r"no list of vectors .*not a list"),
        ({"embeddings": [[0.1, "x"]]}, None, "no list of vectors"),
        ({"embeddings": [None]}, None, "no list of vectors"),
        ({"model": "nomic-embed-text"}, None, "no list of vectors"),
        ([[0.1, 0.2]], None, "no list of vectors"),
        ("null", "application/json", "no list of vectors"),
        ('{"embeddings": [[NaN' + ", 0.5" * 767 + "]]}", None, "zero or non-finite vector"),
        ('{"embeddings": [[1e999' + ", 0.5" * 767 + "]]}", None, "zero or non-finite vector"),
    ],
)
def test_a_reply_that_is_not_vectors_is_a_one_line_embedder_error(
    server: FakeOllama, body: Any, content_type: str | None, message: str
) -> None:
    server.reply_next(1, body, content_type=content_type)
    with make(server.host) as embedder, pytest.raises(EmbedderError, match=message) as caught:
        embedder.embed_query("x")
    assert not isinstance(caught.value, EmbedderUnavailable)  # per file, not the whole run
    assert str(caught.value).startswith("Ollama") and "\n" not in str(caught.value)
    assert caught.value.__cause__ is None  # no JSONDecodeError or ValidationError behind it
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    assert len(server.embed_bodies()) == 1  # a broken reply is not a transient failure


def test_a_reply_with_empty_vectors_teaches_no_dimension(server: FakeOllama) -> None:
    server.models["odd:latest"] = 4
    server.reply_next(1, {"embeddings": [[]]})
    with make(server.host, "odd") as embedder:
        with pytest.raises(EmbedderError, match=r"length \[0\]"):
            embedder.embed_query("x")
        assert embedder.dimensions == 4


@pytest.mark.parametrize(("status", "retry_after", "slept"), [
    (429, "7", 7.0),
    (503, "2", 2.0),
    (429, "3600", 30.0),  # capped
    (429, "soon", 0.2),  # unparsable: the usual backoff
    (429, "-5", 0.2),
    (429, None, 0.2),
])  # fmt: skip
def test_throttling_is_retried_after_the_servers_delay(
    server: FakeOllama, status: int, retry_after: str | None, slept: float
) -> None:
    sleeps: list[float] = []
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    server.fail_next(1, status=status, headers=headers)
    with make(server.host, backoff=0.2, sleep=sleeps.append) as embedder:
        assert embedder.embed_documents(["a", "b"]).shape == (2, 768)
    assert sleeps == pytest.approx([slept])
    assert len(server.embed_bodies()) == 2


def test_retry_after_as_an_http_date(server: FakeOllama) -> None:
    from email.utils import formatdate

    sleeps: list[float] = []
    server.fail_next(
        1, status=429, headers={"Retry-After": formatdate(time.time() + 5, usegmt=True)}
    )
    with make(server.host, sleep=sleeps.append) as embedder:
        embedder.embed_query("x")
    assert len(sleeps) == 1 and 3.5 <= sleeps[0] <= 5.5


def test_429_then_200_really_waits_the_retry_after_delay(server: FakeOllama) -> None:
    server.fail_next(1, status=429, headers={"Retry-After": "1"})
    start = time.monotonic()
    with make(server.host) as embedder:
        assert embedder.embed_documents(["a"]).shape == (1, 768)
    assert 1.0 <= time.monotonic() - start < 3
    assert len(server.embed_bodies()) == 2


@pytest.mark.parametrize("status", [429, 503])
def test_a_server_that_stays_busy_is_unavailable_after_the_retries(
    server: FakeOllama, status: int
) -> None:
    sleeps: list[float] = []
    server.fail_next(10, status=status, headers={"Retry-After": "1"})
    embedder = make(server.host, retries=2, sleep=sleeps.append)
    with embedder, pytest.raises(EmbedderUnavailable, match=rf"busy \(HTTP {status}, 3 tries\)"):
        embedder.embed_documents(["a"])
    assert sleeps == [1.0, 1.0]
    assert len(server.embed_bodies()) == 3


def test_a_model_that_cannot_embed_says_to_use_an_embedding_model(server: FakeOllama) -> None:
    error = {"error": '"llama3.2" does not support embedding'}
    server.reply_next(1, error, status=400)
    embedder = make(server.host)
    with embedder, pytest.raises(EmbedderUnavailable, match=r"not an embedding model.*use one"):
        embedder.embed_documents(["a"])
    assert len(server.embed_bodies()) == 1


def test_a_refused_input_is_reported_with_the_servers_reason(server: FakeOllama) -> None:
    server.reply_next(1, {"error": "input length exceeds the context length"}, status=400)
    with make(server.host) as embedder, pytest.raises(EmbedderError) as caught:
        embedder.embed_documents(["a"])
    assert not isinstance(caught.value, EmbedderUnavailable)
    message = str(caught.value)
    assert "refused the input (HTTP 400: input length exceeds the context length)" in message
    assert "embedding model" not in message
    assert len(server.embed_bodies()) == 1


def test_a_request_too_large_is_a_failure_of_that_input(server: FakeOllama) -> None:
    server.reply_next(1, "<html>413 Request Entity Too Large</html>", 413, content_type="text/html")
    with make(server.host) as embedder, pytest.raises(EmbedderError) as caught:
        embedder.embed_documents(["a"])
    assert not isinstance(caught.value, EmbedderUnavailable)
    assert "too large (HTTP 413)" in str(caught.value)
    assert "embedding model" not in str(caught.value)
    assert len(server.embed_bodies()) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_client_is_unavailable(server: FakeOllama, status: int) -> None:
    server.reply_next(1, {"error": "unauthorized"}, status=status)
    with make(server.host) as embedder, pytest.raises(EmbedderUnavailable, match="OLLAMA_API_KEY"):
        embedder.embed_documents(["a"])


def test_a_query_gives_up_at_the_query_timeout_documents_wait_longer(server: FakeOllama) -> None:
    server.stall_next(20, seconds=0.8)
    with make(server.host, timeout=5, query_timeout=0.3) as embedder:
        start = time.monotonic()
        with pytest.raises(EmbedderUnavailable, match=r"query within 0\.3 s") as caught:
            embedder.embed_query("x")
        assert time.monotonic() - start < 0.7
        assert "CODELENS_OLLAMA_QUERY_TIMEOUT" in str(caught.value)
        server.stall_next(1, seconds=0.6)
        assert embedder.embed_documents(["a"]).shape == (1, 768)


def test_the_query_timeout_bounds_its_retries_too(server: FakeOllama) -> None:
    server.fail_next(50, status=503, headers={"Retry-After": "0.2"})
    with make(server.host, query_timeout=0.5, retries=10) as embedder:
        start = time.monotonic()
        with pytest.raises(EmbedderUnavailable, match=r"busy \(HTTP 503"):
            embedder.embed_query("x")
        assert time.monotonic() - start < 0.7
    assert 2 <= len(server.embed_bodies()) <= 3


def test_a_query_retries_a_fast_failure_within_its_timeout(server: FakeOllama) -> None:
    server.fail_next(1, status=500)
    with make(server.host, query_timeout=2) as embedder:
        assert embedder.embed_query("x").shape == (768,)


# -- settings -------------------------------------------------------------------------------------


def test_settings_read_the_ollama_limits_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "CODELENS_OLLAMA_TIMEOUT",
        "CODELENS_OLLAMA_QUERY_TIMEOUT",
        "CODELENS_OLLAMA_RETRIES",
    ):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings.from_env()
    assert (defaults.ollama_timeout, defaults.ollama_query_timeout) == (120.0, 10.0)
    assert defaults.ollama_retries == 3
    monkeypatch.setenv("CODELENS_OLLAMA_TIMEOUT", "30")
    monkeypatch.setenv("CODELENS_OLLAMA_QUERY_TIMEOUT", " 1.5 ")
    monkeypatch.setenv("CODELENS_OLLAMA_RETRIES", "0")
    given = Settings.from_env()
    assert (given.ollama_timeout, given.ollama_query_timeout, given.ollama_retries) == (30, 1.5, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CODELENS_OLLAMA_TIMEOUT", "soon"),
        ("CODELENS_OLLAMA_TIMEOUT", "0"),
        ("CODELENS_OLLAMA_QUERY_TIMEOUT", "-1"),
        ("CODELENS_OLLAMA_QUERY_TIMEOUT", "inf"),
        ("CODELENS_OLLAMA_RETRIES", "2.5"),
        ("CODELENS_OLLAMA_RETRIES", "-1"),
    ],
)
def test_bad_ollama_limits_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=rf"{name}={value!r}") as caught:
        Settings.from_env()
    assert isinstance(caught.value, CodelensError)


def test_get_embedder_takes_its_limits_from_settings(
    env: pytest.MonkeyPatch, server: FakeOllama, tmp_path: Any
) -> None:
    env.setenv("OLLAMA_HOST", server.host)
    quick = Settings(home=tmp_path, ollama_query_timeout=0.3, ollama_retries=0)
    embedder = get_embedder("ollama", settings=quick)
    assert get_embedder("ollama", settings=quick) is embedder
    assert get_embedder("ollama", settings=Settings(home=tmp_path)) is not embedder
    server.stall_next(5, seconds=5)
    start = time.monotonic()
    with pytest.raises(EmbedderUnavailable, match=r"within 0\.3 s"):
        embedder.embed_query("x")
    assert time.monotonic() - start < 1
    assert len(server.embed_bodies()) == 1  # no retries


# -- availability probe ---------------------------------------------------------------------------


def test_probe_finds_model_with_or_without_tag(server: FakeOllama) -> None:
    assert ollama_has_model("nomic-embed-text", host=server.host)
    assert ollama_has_model("nomic-embed-text:latest", host=server.host)
    assert not ollama_has_model("nomic-embed-text:v1.5", host=server.host)
    assert not ollama_has_model("mxbai-embed-large", host=server.host)
    assert [r.path for r in server.requests] == ["/api/tags"] * 4


def test_probe_is_false_fast_when_down_stalled_or_broken(server: FakeOllama) -> None:
    assert not ollama_has_model("nomic-embed-text", host=FakeOllama.refused_host())
    server.stall_next(1, seconds=10, path="/api/tags")
    start = time.monotonic()
    assert not ollama_has_model("nomic-embed-text", host=server.host, timeout=0.3)
    assert time.monotonic() - start < 2
    server.fail_next(1, status=500, path="/api/tags")
    assert not ollama_has_model("nomic-embed-text", host=server.host)


# -- specs and the default rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("local", "local:all-MiniLM-L6-v2"),
        ("local:all-MiniLM-L6-v2", "local:all-MiniLM-L6-v2"),
        (" local:all-minilm-l6-v2 ", "local:all-MiniLM-L6-v2"),
        ("onnx", "onnx:all-MiniLM-L6-v2-int8"),
        ("onnx:all-MiniLM-L6-v2-int8", "onnx:all-MiniLM-L6-v2-int8"),
        ("ollama", "ollama:nomic-embed-text"),
        ("ollama:nomic-embed-text:latest", "ollama:nomic-embed-text"),
        ("ollama:mxbai-embed-large", "ollama:mxbai-embed-large"),
        ("ollama:qwen3-embedding:0.6b", "ollama:qwen3-embedding:0.6b"),
        ("ollama:hf.co/org/some-model:Q4_K_M", "ollama:hf.co/org/some-model:Q4_K_M"),
        ("ollama:registry.local:5000/team/model", "ollama:registry.local:5000/team/model"),
    ],
)
def test_specs_resolve_to_stable_names(spec: str, canonical: str) -> None:
    assert resolve_embedder_spec(spec) == canonical


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "openai",
        "local:bge-small",
        "onnx:bge-small",
        "static:potion",
        "ollama:",
        "ollama:two words",
        "Ollama",
    ],
)
def test_unknown_specs_name_the_valid_forms(spec: str) -> None:
    with pytest.raises(
        ConfigError, match=r"'local', 'local:all-MiniLM-L6-v2', 'onnx', 'static', 'ollama' or"
    ):
        get_embedder(spec)


def test_split_tag_and_table_lookup() -> None:
    assert split_tag("a") == ("a", "latest")
    assert split_tag("a:b") == ("a", "b")
    assert split_tag("host:5000/a") == ("host:5000/a", "latest")
    assert ollama_model_info("granite-embedding").dimensions is None  # :latest size varies
    assert ollama_model_info("granite-embedding:278m").dimensions == 768


def test_get_embedder_builds_the_named_kind(env: pytest.MonkeyPatch) -> None:
    local = get_embedder("local")
    assert isinstance(local, LocalEmbedder)
    assert local.name == "local:all-MiniLM-L6-v2"
    ollama = get_embedder("ollama:mxbai-embed-large")
    assert isinstance(ollama, OllamaEmbedder)
    assert (ollama.name, ollama.dimensions) == ("ollama:mxbai-embed-large", 1024)


def test_instances_are_cached_per_spec_and_host(env: pytest.MonkeyPatch) -> None:
    assert get_embedder("local") is get_embedder("local:all-MiniLM-L6-v2")
    first = get_embedder("ollama")
    assert get_embedder("ollama:nomic-embed-text") is first
    env.setenv("OLLAMA_HOST", FakeOllama.refused_host())
    moved = get_embedder("ollama")
    assert moved is not first
    clear_embedder_cache()
    assert get_embedder("ollama") is not moved


def test_cache_hands_one_instance_to_concurrent_callers(env: pytest.MonkeyPatch) -> None:
    found: list[Embedder] = []
    threads = [
        threading.Thread(target=lambda: found.append(get_embedder("local"))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in found}) == 1


def test_env_var_wins_over_the_server(env: pytest.MonkeyPatch, server: FakeOllama) -> None:
    env.setenv("OLLAMA_HOST", server.host)
    env.setenv("CODELENS_EMBEDDER", "local")
    assert get_embedder().name == "local:all-MiniLM-L6-v2"
    env.setenv("CODELENS_EMBEDDER", "ollama:all-minilm")
    assert get_embedder().name == "ollama:all-minilm"
    assert server.requests == []  # an explicit choice needs no probe
    env.setenv("CODELENS_EMBEDDER", "  ")
    assert get_embedder().name == "ollama:nomic-embed-text"


def test_bad_env_var_names_the_variable(env: pytest.MonkeyPatch) -> None:
    env.setenv("CODELENS_EMBEDDER", "openai")
    with pytest.raises(ConfigError, match="'openai' in CODELENS_EMBEDDER"):
        get_embedder()


def test_default_is_ollama_when_it_answers_with_the_model(
    env: pytest.MonkeyPatch, server: FakeOllama
) -> None:
    env.setenv("OLLAMA_HOST", server.host)
    embedder = get_embedder()
    assert embedder.name == "ollama:nomic-embed-text"
    assert embedder.embed_documents(["hello"]).shape == (1, 768)
    assert server.embed_bodies()[0]["input"] == ["search_document: hello"]


def test_default_is_the_offline_model_when_ollama_lacks_the_model(
    env: pytest.MonkeyPatch,
) -> None:
    with FakeOllama({"all-minilm": 384}) as fake:
        env.setenv("OLLAMA_HOST", fake.host)
        assert get_embedder().name == "onnx:all-MiniLM-L6-v2-int8"


def test_default_is_the_offline_model_when_ollama_is_down(env: pytest.MonkeyPatch) -> None:
    start = time.monotonic()
    assert isinstance(get_embedder(), OnnxEmbedder)
    assert time.monotonic() - start < 2


def test_fake_server_speaks_the_rest_of_the_api(server: FakeOllama) -> None:
    import ollama

    with ollama.Client(host=server.host) as client:
        assert client.embeddings(model="nomic-embed-text", prompt="hi").embedding == vector_for(
            "hi", 768
        )
        with pytest.raises(ollama.ResponseError) as caught:
            client.show("nomic-embed-text")
        assert caught.value.status_code == 404
        assert client.embed(model="nomic-embed-text", input="one").embeddings[0] == vector_for(
            "one", 768
        )
    assert math.isclose(sum(x * x for x in vector_for("", 4)), 1.0)


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("1", True), ("", True)]
)
def test_the_first_pass_setting_reads_on_and_off(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("CODELENS_FIRST_PASS", value)
    assert Settings.from_env().first_pass is expected


def test_a_first_pass_setting_that_is_neither_on_nor_off_names_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CODELENS_FIRST_PASS", "maybe")
    with pytest.raises(ConfigError, match=r"CODELENS_FIRST_PASS='maybe'.*CODELENS_FIRST_PASS=0"):
        Settings.from_env()
