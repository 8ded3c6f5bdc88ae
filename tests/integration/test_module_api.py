"""The module-level calls a notebook user types, end to end on the default workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import codelens
from codelens import Workspace
from codelens.errors import ConfigError, IndexingError
from tests.fake_ollama import FakeOllama


@pytest.fixture
def default(workspace: Workspace) -> Iterator[Workspace]:
    previous = codelens.workspace()
    codelens.workspace(workspace)
    yield workspace
    codelens.workspace(previous)


def test_index_search_analyze_and_evaluate_from_the_module(
    default: Workspace, project_id: str, tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "cart.py").write_text(
        "def total_price(items):\n    return sum(i.price for i in items)\n\n\n"
        "def apply_discount(total, percent):\n    return total * (1 - percent / 100)\n"
    )
    codelens.create_project(project_id, embedder="ollama")
    try:
        report = codelens.index(repo, project=project_id, progress=False)
        assert report.files_indexed == 1
        codelens.use(project_id)
        hits = codelens.search("apply_discount", mode="lexical")  # the current project
        assert isinstance(hits, pd.DataFrame)
        assert hits.iloc[0]["symbol"] == "apply_discount"
        same = codelens.search("apply discount", project=codelens.project(project_id), limit=1)
        assert len(same) == 1
        analysis = codelens.analyze(project_id)
        coverage = analysis.coverage(by="language").set_index("language")
        assert coverage.loc["python", "indexed"] == 1
        queries = pd.DataFrame(
            {"question": ["apply a discount"], "path": ["cart.py"], "symbol": ["apply_discount"]}
        )
        scores = codelens.evaluate(project_id, queries, modes=["lexical"])
        assert scores.loc["lexical", "recall@10"] == 1.0
    finally:
        codelens.drop_project(project_id, force=True)


def test_a_mistyped_index_into_a_new_project_creates_no_project(
    default: Workspace, project_id: str, tmp_path: Path
) -> None:
    with pytest.raises(IndexingError, match="does not exist: pass the folder"):
        codelens.index(tmp_path / "typo", project=project_id, progress=False)
    with pytest.raises(IndexingError, match="embed must be one of"):
        codelens.index(tmp_path, project=project_id, embed="soon", progress=False)
    with pytest.raises(ConfigError, match="unknown embedder 'tfidf'"):
        codelens.index(tmp_path, project=project_id, embedder="tfidf", progress=False)
    assert not default.exists(project_id)
