"""The evaluation's question file and its corpus fetcher (benchmarks/): a question that names
a file its pinned corpus lacks can never be answered, so the fetcher's check must find it."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def eval_corpora() -> Iterator[ModuleType]:
    # benchmarks/ is no package; its dataclasses need their module in sys.modules.
    name = "benchmarks_eval_corpora"
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / "eval_corpora.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def write_questions(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["corpus", "kind", "question", "relevant", "secondary"])
        writer.writerows(rows)
    return path


def test_missing_paths_names_each_absent_relevant_and_secondary_file(
    eval_corpora: ModuleType, tmp_path: Path
) -> None:
    root = tmp_path / "corpus"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "a.lua").write_text("return {}\n")
    (root / "lib" / "b.lua").write_text("return {}\n")
    questions = write_questions(
        tmp_path / "q.csv",
        [
            ["mine", "behaviour", "found, both", "lib/a.lua", "lib/b.lua"],
            ["mine", "symbol", "relevant missing", "lib/gone.lua", ""],
            ["mine", "architecture", "secondary missing", "lib/a.lua", "lib/b.lua;lib"],
            ["other", "symbol", "another corpus's file", "elsewhere.php", ""],
        ],
    )

    missing = eval_corpora.missing_paths("mine", root, questions)

    # "lib" is a folder, not a file: a question must name files.
    assert missing == ["line 3: lib/gone.lua", "line 4: lib"]


def test_every_question_names_a_known_corpus_and_kind(eval_corpora: ModuleType) -> None:
    local = {"stdlib", "stdlib-full", "jinja2", "click", "packaging", "tqdm"}
    with (BENCHMARKS / "eval_files.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    unknown = {r["corpus"] for r in rows} - set(eval_corpora.BY_NAME) - local
    assert not unknown
    assert {r["kind"] for r in rows} == {"architecture", "behaviour", "symbol"}
    assert all(r["question"].strip() and r["relevant"] for r in rows)


def test_pins_name_one_release_for_each_registry(eval_corpora: ModuleType) -> None:
    pins = {c.name: c.pin for c in eval_corpora.CORPORA}
    assert pins["penlight"] == "lua-penlight=1.13.1-3"
    assert pins["capacitor-ios"] == "@capacitor/ios@6.2.1"
    assert pins["attrs"] == "attrs==24.2.0"
