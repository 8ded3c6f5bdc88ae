"""Search modes and filters on a real server with the real local model."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from codelens import Project, Settings, Workspace
from codelens._embed.registry import get_embedder
from codelens._search import engine as search_module
from codelens._search.engine import search
from codelens._search.query import query_cache
from codelens.errors import (
    CodelensError,
    EmbedderError,
    EmbedderUnavailable,
    NotIndexed,
    ProjectNotFound,
    SearchError,
)
from tests.fake_ollama import FakeOllama
from tests.search_helpers import LEVENSHTEIN, PARSE, Chunk, load

CORPUS = [
    Chunk("text/distance.py", "levenshtein", LEVENSHTEIN),
    Chunk("net/http.py", "parseHttpResponse", PARSE),
    Chunk(
        "src/billing/invoice.py",
        "total_with_tax",
        "def total_with_tax(items, rate):\n    return sum(i.price for i in items) * (1 + rate)\n",
    ),
    Chunk(
        "src/billing/refund.py",
        "refund_payment",
        "def refund_payment(payment):\n    payment.gateway.refund(payment.id)\n",
    ),
    Chunk(
        "src/billing_old/legacy.py",
        "old_invoice_total",
        "def old_invoice_total(items):\n    return sum(items)\n",
    ),
    Chunk(
        "src/cache.py",
        "LRUCache.evict",
        "    def evict(self):\n        self.entries.popitem(last=False)\n",
        kind="method",
    ),
    Chunk(
        "docs/guide.md",
        "Installation",
        "# Installation\n\nInstall the package with pip and run the tests.\n",
        language="markdown",
        kind="section",
    ),
    Chunk(
        "web/app.ts",
        "fetchUser",
        "export async function fetchUser(id: string) {\n  return fetch(`/users/${id}`);\n}\n",
        language="typescript",
        repository="frontend",
    ),
    Chunk(
        "web/http.ts",
        "parseHttpResponse",
        "export function parseHttpResponse(text: string) {\n  return text.split('\\n');\n}\n",
        language="typescript",
        repository="frontend",
    ),
]


@pytest.fixture(scope="module")
def corpus(workspace: Workspace) -> Iterator[Project]:
    project = workspace.create(f"search-corpus-{uuid.uuid4().hex[:8]}")
    load(project, CORPUS)
    yield project
    workspace.drop(project.id, force=True)


@pytest.fixture(scope="module")
def other(workspace: Workspace) -> Iterator[Project]:
    """A second project holding look-alike chunks that must never show up in the first."""
    project = workspace.create(f"search-other-{uuid.uuid4().hex[:8]}")
    load(
        project,
        [
            Chunk("net/http.py", "parseHttpResponse", PARSE + "# other project\n"),
            Chunk("src/billing/tax.py", "vat", "def vat(amount):\n    return amount * 0.2\n"),
        ],
    )
    yield project
    workspace.drop(project.id, force=True)


def test_semantic_finds_a_function_from_a_description_sharing_no_word(corpus: Project) -> None:
    query = "how many single character edits turn one string into another"
    # The premise: no word of the description is in the function, so lexical cannot find it.
    assert "text/distance.py" not in set(search(corpus.handle, query, mode="lexical").path)
    results = search(corpus.handle, query, mode="semantic")
    assert results.iloc[0]["symbol"] == "levenshtein"
    assert 0.0 < results.iloc[0]["score"] <= 1.0
    assert list(results.semantic_rank) == list(range(1, len(results) + 1))
    assert results.lexical_rank.isna().all()


@pytest.mark.parametrize(
    "query", ["parseHttpResponse", "parse_http_response", "parse http response"]
)
def test_lexical_finds_an_identifier_written_three_ways(corpus: Project, query: str) -> None:
    results = search(corpus.handle, query, mode="lexical", language="python")
    assert results.iloc[0]["symbol"] == "parseHttpResponse"
    assert results.iloc[0]["path"] == "net/http.py"
    assert results.semantic_rank.isna().all()
    assert results.score.is_monotonic_decreasing


@pytest.mark.parametrize(
    ("query", "symbol"),
    [
        ("parse_http_response", "parseHttpResponse"),
        ("how many single character edits turn one string into another", "levenshtein"),
    ],
)
def test_hybrid_finds_by_identifier_and_by_description(
    corpus: Project, query: str, symbol: str
) -> None:
    results = search(corpus.handle, query, language="python")
    assert results.iloc[0]["symbol"] == symbol
    assert results.attrs["mode"] == "hybrid"
    assert results.score.is_monotonic_decreasing
    top = results.iloc[0]
    assert not pd.isna(top["semantic_rank"])


def test_hybrid_keeps_each_modes_rank(corpus: Project) -> None:
    results = search(corpus.handle, "parse http response", limit=20)
    by_path = results.set_index(["repository", "path"])
    assert by_path.loc[("repo", "net/http.py"), "lexical_rank"] == 1
    assert by_path.loc[("repo", "net/http.py"), "semantic_rank"] >= 1
    assert results.lexical_rank.notna().sum() == 2  # the Python and the TypeScript one
    assert len(results) == len(CORPUS)


def test_result_columns_are_the_documented_ones(corpus: Project) -> None:
    results = search(corpus.handle, "invoice total", limit=3)
    assert list(results.columns) == [
        "rank",
        "score",
        "project",
        "repository",
        "path",
        "start_line",
        "end_line",
        "symbol",
        "kind",
        "language",
        "category",
        "content",
        "semantic_rank",
        "lexical_rank",
        "match_start_line",
        "match_end_line",
        "parts",
        "part_ids",
        "part_lines",
        "cell_number",
        "cell_kind",
        "execution_count",
        "cell_start_line",
        "cell_end_line",
    ]
    assert list(results["rank"]) == [1, 2, 3]
    assert set(results.project) == {corpus.id}
    assert (results.end_line >= results.start_line).all()


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"language": "markdown"}, lambda r: r.language == "markdown"),
        ({"language": "TypeScript"}, lambda r: r.language == "typescript"),
        ({"path": "src/billing/**"}, lambda r: r.path.str.startswith("src/billing/")),
        ({"path": "src/billing"}, lambda r: r.path.str.startswith("src/billing/")),
        ({"path": "./src/billing/"}, lambda r: r.path.str.startswith("src/billing/")),
        ({"path": "src/*/*.py"}, lambda r: r.path.str.match(r"src/[^/]+/[^/]+\.py$")),
        ({"path": "**/http.*"}, lambda r: r.path.str.endswith(("/http.py", "/http.ts"))),
        ({"path": "net/http.py"}, lambda r: r.path == "net/http.py"),
        ({"repository": "frontend"}, lambda r: r.repository == "frontend"),
        ({"file_type": "ts"}, lambda r: r.path.str.endswith(".ts")),
        ({"file_type": ".PY"}, lambda r: r.path.str.endswith(".py")),
        (
            {"language": "python", "path": "src/**", "file_type": "py", "repository": "repo"},
            lambda r: r.path.str.startswith("src/"),
        ),
    ],
)
def test_filters_never_leak(corpus: Project, other: Project, mode: str, filters, check) -> None:  # type: ignore[no-untyped-def]
    results = search(
        corpus.handle, "parse http response invoice refund install fetch user", mode=mode, **filters
    )
    assert len(results) > 0
    assert check(results).all()
    assert set(results.project) == {corpus.id}
    assert not results.content.str.contains("other project").any()


def test_a_prefix_filter_is_a_directory_not_a_string_prefix(corpus: Project) -> None:
    results = search(corpus.handle, "invoice total", path="src/billing", limit=100)
    assert set(results.path) == {"src/billing/invoice.py", "src/billing/refund.py"}
    assert set(search(corpus.handle, "invoice total", path="src/billing_old").path) == {
        "src/billing_old/legacy.py"
    }


def test_filters_that_match_nothing_return_an_empty_frame(corpus: Project) -> None:
    for mode in ("semantic", "lexical", "hybrid"):
        results = search(corpus.handle, "invoice", mode=mode, repository="nope")
        assert results.empty
        assert list(results.columns)[:2] == ["rank", "score"]


def test_another_project_sees_only_its_own_rows(corpus: Project, other: Project) -> None:
    results = search(other.handle, "parse http response", limit=100)
    assert set(results.path) == {"net/http.py", "src/billing/tax.py"}
    assert results.content.str.contains("other project").any()


def test_limit_bounds_the_rows(corpus: Project) -> None:
    assert len(search(corpus.handle, "function", limit=1)) == 1
    assert len(search(corpus.handle, "function", limit=100, mode="semantic")) == len(CORPUS)
    for bad in (0, 101, -1, 2.5, "10", True):
        with pytest.raises(SearchError, match="limit"):
            search(corpus.handle, "x", limit=bad)  # type: ignore[arg-type]


def test_unknown_mode_names_the_valid_ones(corpus: Project) -> None:
    with pytest.raises(SearchError, match="hybrid, semantic, lexical"):
        search(corpus.handle, "x", mode="fuzzy")


def test_a_repeated_query_is_embedded_once(corpus: Project) -> None:
    query = "a query asked twice in one session"
    search(corpus.handle, query, mode="semantic")
    misses = query_cache.misses
    hits = query_cache.hits
    search(corpus.handle, query, mode="hybrid")
    assert query_cache.misses == misses
    assert query_cache.hits == hits + 1


def test_an_empty_project_is_not_indexed(project: Project) -> None:
    for mode in ("semantic", "hybrid"):
        with pytest.raises(NotIndexed, match=r"index\('PATH'\)"):
            search(project.handle, "anything", mode=mode)
    with pytest.raises(NotIndexed, match="nothing indexed"):
        search(project.handle, "anything", mode="lexical")


def test_a_project_whose_chunks_were_deleted_is_not_indexed(project: Project) -> None:
    load(project, [Chunk("a.py", "a", "def a():\n    pass\n")])
    with project.connection() as conn:
        conn.execute("DELETE FROM chunks")
        conn.commit()
    with pytest.raises(NotIndexed, match="nothing indexed"):
        search(project.handle, "anything")


def test_a_dropped_project_is_not_found(workspace: Workspace, project: Project) -> None:
    load(project, [Chunk("a.py", "a", "def a():\n    pass\n")])
    workspace.drop(project.id, force=True)
    for mode in ("semantic", "lexical", "hybrid"):
        with pytest.raises(ProjectNotFound, match=r"codelens\.projects"):
            search(project.handle, "anything", mode=mode)
    assert workspace.db.idle()


@pytest.fixture(scope="module")
def one_percent(workspace: Workspace) -> Iterator[Project]:
    """1,000 chunks, 10 of them (1%) under rare/, all far from the query in vector space:
    an HNSW scan that stopped at ef_search neighbours would find none of them."""
    project = workspace.create(f"search-sparse-{uuid.uuid4().hex[:8]}")
    topics = get_embedder("local").embed_documents(["parse a date string", "draw a circle"])
    rng = np.random.default_rng(7)
    chunks, vectors = [], []
    for i in range(1000):
        rare = i % 100 == 0
        base = topics[1] if rare else topics[0]
        vector = base + rng.normal(0, 0.02, base.shape)
        vectors.append((vector / np.linalg.norm(vector)).tolist())
        folder = "rare" if rare else f"common{i % 7}"
        chunks.append(Chunk(f"{folder}/m{i}.py", f"f{i}", f"def f{i}():\n    return {i}\n"))
    load(project, chunks, vectors=vectors)
    yield project
    workspace.drop(project.id, force=True)


@pytest.mark.parametrize("plan", ["exact", "graph"])
def test_semantic_with_a_one_percent_filter_still_fills_the_limit(
    one_percent: Project, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "graph" forces the HNSW iterative scan (then the exact fallback when it falls
    # short); by default the few filtered rows are scored exactly.
    if plan == "graph":
        monkeypatch.setattr(search_module, "EXACT_ROWS", 0)
        monkeypatch.setattr(search_module, "EXACT_COST_RATIO", 0.0)
    results = search(one_percent.handle, "parse a date string", mode="semantic", path="rare/**")
    assert len(results) == 10
    assert results.path.str.startswith("rare/").all()
    assert results.score.is_monotonic_decreasing
    hybrid = search(one_percent.handle, "parse a date string", path="rare", limit=25)
    assert len(hybrid) == 10  # every matching row, no more
    assert hybrid.path.str.startswith("rare/").all()
    unfiltered = search(one_percent.handle, "parse a date string", mode="semantic", limit=100)
    assert len(unfiltered) == 100
    assert not unfiltered.path.str.startswith("rare/").any()


def test_an_unreachable_embedder_says_what_to_do(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(project, [Chunk("a.py", "a", "def a():\n    pass\n")])
    with project.connection() as conn:
        conn.execute("UPDATE embedding_metadata SET model_name = 'ollama:nomic-embed-text'")
        conn.commit()
    # A fresh host: embedders are cached per OLLAMA_HOST, so this one is new.
    monkeypatch.setenv("OLLAMA_HOST", FakeOllama.refused_host())
    for mode in ("semantic", "hybrid"):
        with pytest.raises(EmbedderUnavailable, match="mode='lexical'") as info:
            search(project.handle, "anything", mode=mode)
        assert "\n" not in str(info.value)
    assert list(search(project.handle, "def", mode="lexical").path) == ["a.py"]


def _index_with_ollama(ws: Workspace, project_id: str, folder: Path) -> Project:
    (folder / "billing").mkdir(parents=True)
    (folder / "billing" / "http.py").write_text(PARSE)
    project = ws.create(project_id, embedder="ollama")
    project.index(folder, progress=False)
    return project


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<html><body>Bad Gateway</body></html>", "text/html"), ({"embeddings": "not a list"}, None)],
)
def test_a_malformed_query_embedding_is_a_one_line_error(
    workspace: Workspace,
    project_id: str,
    tmp_path: Path,
    fake_ollama: FakeOllama,
    body: Any,
    content_type: str | None,
) -> None:
    project = _index_with_ollama(workspace, project_id, tmp_path)
    try:
        fake_ollama.reply_next(1, body, content_type=content_type)
        with pytest.raises(EmbedderError) as info:
            search(project.handle, f"parse the response {uuid.uuid4().hex}", mode="semantic")
        assert isinstance(info.value, CodelensError)
        assert "\n" not in str(info.value) and "mode='lexical'" in str(info.value)
        assert info.value._render_traceback_() == [f"{type(info.value).__name__}: {info.value}"]
    finally:
        workspace.drop(project_id, force=True)


def test_the_query_timeout_ends_a_search_quickly(
    settings: Settings, project_id: str, tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    quick = Workspace(dataclasses.replace(settings, ollama_query_timeout=0.3))
    try:
        project = _index_with_ollama(quick, project_id, tmp_path)
        fake_ollama.stall_next(20, seconds=5)
        start = time.monotonic()
        with pytest.raises(EmbedderUnavailable) as info:
            search(project.handle, f"parse the response {uuid.uuid4().hex}")
        assert time.monotonic() - start < 1.5
        message = str(info.value)
        assert "within 0.3 s" in message and "CODELENS_OLLAMA_QUERY_TIMEOUT" in message
        assert "mode='lexical'" in message and "\n" not in message
        quick.drop(project_id, force=True)
    finally:
        quick.close()


def test_end_to_end_on_an_indexed_repository(project: Project, tmp_path: Path) -> None:
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "http.py").write_text(PARSE)
    (tmp_path / "text.py").write_text(LEVENSHTEIN)
    (tmp_path / "README.md").write_text("# Tools\n\nSmall helpers for text and billing.\n")
    project.index(tmp_path, progress=False)
    wordless = "how many single character edits turn one string into another"
    assert search(project.handle, wordless).iloc[0]["path"] == "text.py"
    for query in ("parseHttpResponse", "parse_http_response", "parse http response"):
        top = search(project.handle, query, mode="lexical").iloc[0]
        assert (top["path"], top["symbol"]) == ("billing/http.py", "parseHttpResponse")
        assert top["start_line"] == 1
    assert set(search(project.handle, "helpers", path="billing/**", limit=100).path) == {
        "billing/http.py"
    }
    assert set(search(project.handle, "helpers", language="markdown").path) == {"README.md"}
    assert set(search(project.handle, "helpers", file_type="md").repository) == {tmp_path.name}
