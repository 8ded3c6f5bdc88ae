"""The static model's training data: nothing from the standard library, an evaluation
codebase or a held-out codebase (benchmarks/static_sources.py holds the lists)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
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
    _module("eval_corpora")  # its Corpus describes the sources in other languages
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
    assert packages == [*sources.TRAINING_PACKAGES, *(s.name for s in sources.OTHER_SOURCES)]
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


def test_no_source_in_another_language_is_on_a_never_use_list(sources: ModuleType) -> None:
    banned = sources.never_use()
    names = [s.name for s in sources.OTHER_SOURCES]
    assert len(names) == len(set(names))
    assert [n for n in names if sources.normalise(n) in banned] == []
    # A registry's name hides the project's among its words: golang-github-gin-gonic-gin-dev.
    words = {
        s.package: set(re.split(r"[-_.@/:]", s.package.lower())) for s in sources.OTHER_SOURCES
    }
    assert {p: w & banned for p, w in words.items() if w & banned} == {}
    assert {s.registry for s in sources.OTHER_SOURCES} == {"apt", "npm", "pypi"}


def _trainer() -> ModuleType:
    _module("eval_corpora")
    _module("static_sources")
    return _module("train_static")


def test_comments_pair_with_the_code_they_document_in_any_language() -> None:
    from codelens._chunk.chunker import chunk_text

    trainer = _trainer()
    go = (
        "package x\n\n// ParseHeader reads a cookie header into its pairs.\n//\n// More.\n"
        "func ParseHeader(s string) []string {\n\tout := []string{}\n"
        '\tfor _, p := range strings.Split(s, ";") {\n\t\tout = append(out, p)\n\t}\n'
        "\treturn out\n}\n"
    )
    rust = (
        "/// Parse a cookie header into its pairs.\n"
        "pub fn parse_header(s: &str) -> Vec<String> {\n    s.split(';')\n"
        "        .map(|x| x.to_string())\n        .collect()\n}\n"
    )
    js = (
        "/**\n * Parse a cookie header into its pairs.\n * @param {string} s\n */\n"
        "function parseHeader(s) {\n  const parts = s.split(';');\n  const kept = parts;\n"
        "  return kept;\n}\n"
    )
    found = {}
    for path, language, text in (
        ("a.go", "go", go),
        ("a.rs", "rust", rust),
        ("a.js", "javascript", js),
    ):
        docs, names = trainer.comment_pairs(path, chunk_text(path, language, text, max_tokens=256))
        found[language] = (docs, names)
    assert found["go"][0] == [
        (
            "ParseHeader reads a cookie header into its pairs.",
            "a.go: ParseHeader\n" + go[go.index("func") : -1],
        )
    ]
    assert [d for d, _ in found["rust"][0]] == ["Parse a cookie header into its pairs."]
    assert [d for d, _ in found["javascript"][0]] == ["Parse a cookie header into its pairs."]
    assert found["rust"][0][0][1].startswith("a.rs: parse_header\npub fn parse_header(")
    # The name, in words, asks for the body below the signature.
    assert found["go"][1] == [("parse header", "a.go\n" + go[go.index("\tout") : -1])]
    assert [q for q, _ in found["javascript"][1]] == ["parse header"]


def test_a_later_part_of_a_long_definition_gives_no_pair() -> None:
    from codelens._chunk.types import Chunk

    trainer = _trainer()
    part = Chunk(
        index=3,
        symbol="ParseHeader",
        kind="function",
        start_line=40,
        end_line=44,
        content="    // Check the next offset\n    x := ParseHeader\n    y := 2\n    z := 3\n    return x",
        header="func ParseHeader(s string) []string {",
        part=2,
    )
    assert trainer.comment_pairs("a.go", [part]) == ([], [])


def test_tests_and_built_copies_are_not_trained_on(tmp_path: Path) -> None:
    trainer = _trainer()
    for rel in (
        "src/lib.rs",
        "src/parse_test.go",
        "src/parse.go",
        "dist/index.js",
        "src/index.ts",
        "src/index.d.ts",
        "tests/it.rs",
        "lib/x_spec.rb",
        "lib/x.rb",
        "Cargo.toml",
        "setup.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    picked = trainer.source_files(tmp_path, "pkg", 45, 24)
    assert sorted(str(p.relative_to(tmp_path)) for p, _ in picked) == [
        "lib/x.rb",
        "src/index.ts",
        "src/lib.rs",
        "src/parse.go",
    ]
    assert trainer.trained_path("regex", Path("share/cargo/registry/regex-1.7.1/src/lib.rs")) == (
        "regex/regex-1.7.1/src/lib.rs"
    )
