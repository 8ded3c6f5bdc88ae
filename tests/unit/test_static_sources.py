"""The static model's training data: nothing from the standard library, an evaluation
codebase or a held-out codebase (benchmarks/static_sources.py holds the lists)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from codelens._embed.static import STATIC_MODEL_FILE

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
MANIFEST = BENCHMARKS / "static_manifest.json"


def _module(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sources() -> ModuleType:
    return _module("static_sources")


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = json.loads(MANIFEST.read_text())
    return loaded


def test_every_evaluation_corpus_is_on_the_never_use_list(sources: ModuleType) -> None:
    banned = sources.never_use()
    fetched = _module("eval_corpora")
    names = [c.name for c in fetched.CORPORA] + ["jinja2", "click", "packaging", "tqdm"]
    names += ["stdlib", "requests", "pydantic", "pydantic_core", "httpx", "starlette", "flask"]
    assert [n for n in names if sources.normalise(n) not in banned] == []


def test_no_trained_package_or_file_is_on_a_never_use_list(
    sources: ModuleType, manifest: list[dict[str, object]]
) -> None:
    banned = sources.never_use()
    packages = [str(entry["package"]) for entry in manifest]
    assert packages == list(sources.TRAINING_PACKAGES)
    assert [p for p in packages if sources.normalise(p) in banned] == []
    files = [str(f) for entry in manifest for f in entry["files"]]  # type: ignore[attr-defined]
    assert len(files) > 1000
    assert [f for f in files if not sources.allowed_path(f)] == []
    assert all(f.split("/")[0] in packages for f in files)


def test_vendored_and_renamed_copies_are_refused(sources: ModuleType) -> None:
    assert not sources.allowed_path("pip/_vendor/rich/console.py")
    assert not sources.allowed_path("setuptools/_vendor/packaging/version.py")
    assert not sources.allowed_path("somepkg/compat/requests.py")
    assert not sources.allowed_path("httpx2/_client.py")
    assert sources.allowed_path("networkx/algorithms/shortest_paths/generic.py")


def test_no_trained_file_is_in_the_standard_library(
    sources: ModuleType, manifest: list[dict[str, object]]
) -> None:
    stdlib_modules = set(sys.stdlib_module_names)
    assert [e["package"] for e in manifest if e["package"] in stdlib_modules] == []


def test_the_shipped_model_names_this_manifest() -> None:
    record = json.loads(STATIC_MODEL_FILE.with_suffix(".json").read_text())
    digest = hashlib.sha256(MANIFEST.read_bytes()).hexdigest()
    assert record["meta"]["manifest_sha256"] == digest
