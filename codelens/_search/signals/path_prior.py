"""Path priors: code that exercises, documents, re-exports or copies the code a question is
about ranks below it, unless the question asks for that kind of file.

A file is classed by its folders and its name: tests (``tests/``, ``test_x.py``,
``x_test.go``, ``x.spec.ts``, and the folders other ecosystems name so: ``Foo.Tests/``,
``commonTest/``, ``integration_test/``, ``e2e/``, ...), examples and benchmarks,
documentation (``docs/`` and prose files, the docs category of
:mod:`codelens._search.category`), vendored, generated and compatibility code, and type
stubs. Generated code is also known by its header
(``// Code generated ... DO NOT EDIT.``, ``@generated``, "auto-generated": the store reads
it, see migration 0010), as most generators name their files like any other. Its score is
multiplied by its class's factor. A question that names the class ("where are the tests
for ...", "an example of ...", "the docs for ...") or a search whose ``path`` filter chose
the files keeps every factor at 1, unless that word also names the project's own code, a
file among the results that is of no class (``gtest-test-part.h`` in a test framework,
``structlog/testing.py``): there it is the subject of the question, not a request.

Measured (benchmarks/ranking_variants.py, hybrid), on file questions over codebases that
ship their tests and docs: alone on the plain fusion NDCG@10 0.702 -> 0.760; left out of
all the rules 0.793 -> 0.744; without the docs factor 0.738, without the tests factor
0.786. Tests at 0.5 did better than at 0.3 or 0.15, docs at 0.2 better than at 0.3 or
0.5 (each tried with the others fixed). The definition questions' corpora hold no tests
or docs: no change there. Examples, vendored and compatibility code and stubs are too rare
in the evaluation's codebases to move a figure (examples: -0.002 on one of them).
Generated code by its header (benchmarks/evaluate.py end to end): the 201 file questions
0.800 -> 0.807 (testify, whose assertion wrappers are generated, 0.794 -> 0.837; rich
0.852 -> 0.848), definitions unchanged. Words that name the project's code: 0.807 ->
0.808 (structlog 0.816 -> 0.826), googletest's 36 C++ questions 0.764 -> 0.785.
The test folders of .NET, Gradle and Kotlin source sets, Elixir suites, browser tests and
Jest mocks class none of the evaluation's 1,577 files otherwise: its figures are the
same, and they reach the helpers of such suites that are not named as tests
(kotlinx.serialization's ``core/commonTest/.../PolymorphismTestData.kt``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from codelens._search.category import DOCS_LANGUAGES
from codelens._search.signals.file_words import path_words, word_match
from codelens._search.signals.shape import word_set

if TYPE_CHECKING:
    from codelens._search.signals.scored import Scored
    from codelens._search.signals.shape import QueryShape

__all__ = ["ASKED_BY", "path_class", "weigh_paths"]

_FOLDERS: Mapping[str, frozenset[str]] = {
    "test": word_set(
        "test tests testing __tests__ spec specs testdata test_data testutils fixtures e2e"
        " __mocks__"
    ),
    "example": word_set("example examples demo demos sample samples bench benches benchmarks"),
    "docs": word_set("doc docs documentation man"),
    "vendored": word_set("vendor vendored third_party thirdparty external deps"),
    "compat": word_set("compat _compat legacy deprecated backports"),
}
# A folder whose name ends in a test word after a dot, an underscore or a lower-case
# letter: a .NET test project (Newtonsoft.Json.Tests, Dapper.UnitTests), a Gradle or
# Kotlin source set (commonTest, jvmTest), a suite (integration_test). Not after a dash:
# kotlinx-coroutines-test is a library that others test with.
_TEST_FOLDER = re.compile(r".*(?:[._][Tt]ests?|[a-z0-9]Tests?)\Z")
_TEST_FILE = re.compile(
    r"(?:test_.*|.*_test|.*_tests|.*\.(?:test|spec)|.*_spec|conftest|.*Tests?)\.[A-Za-z0-9]+\Z"
)
_GENERATED_FILE = re.compile(
    r".*(?:_pb2(?:_grpc)?\.py|\.pb\.go|\.generated\.\w+|_generated\.\w+)\Z"
)
_STUB_FILE = re.compile(r".*(?:\.pyi|\.d\.ts)\Z")

# The words of a question that ask for a class of file (compared with the query's words,
# which are lower-cased and split as identifiers are).
ASKED_BY: Mapping[str, frozenset[str]] = {
    "test": word_set("test tests testing tested spec specs fixture fixtures"),
    "example": word_set("example examples demo demos sample samples benchmark benchmarks"),
    "docs": word_set("doc docs documentation documented readme guide tutorial changelog"),
    "vendored": word_set("vendor vendored"),
    "compat": word_set("compat compatibility legacy deprecated backport"),
    "generated": word_set("generated protobuf"),
    "stub": word_set("stub stubs typing"),
}


@functools.lru_cache(maxsize=8192)
def path_class(path: str, language: str, generated: bool = False) -> str | None:
    """The class of the file at ``path`` (see the module docstring), or None for code;
    ``generated``: its header says a tool wrote it."""
    *folders, name = path.split("/")
    lowered = {f.lower() for f in folders}
    for kind in ("vendored", "test", "example", "docs", "compat"):
        if lowered & _FOLDERS[kind]:
            return kind
        if kind == "test" and any(_TEST_FOLDER.fullmatch(f) for f in folders):
            return kind
    if _TEST_FILE.fullmatch(name):
        return "test"
    if language in DOCS_LANGUAGES:
        return "docs"
    if generated or _GENERATED_FILE.fullmatch(name):
        return "generated"
    if _STUB_FILE.fullmatch(name):
        return "stub"
    return None


def weigh_paths(scored: list[Scored], shape: QueryShape, factors: Mapping[str, float]) -> None:
    """Multiply each score by its file class's factor, unless the query asks for it."""
    classes = [path_class(s.place.path, s.place.language, s.place.generated) for s in scored]
    asked = set(shape.words)
    asking = {kind: asked & ASKED_BY[kind] for kind in set(classes) if kind is not None}
    if any(asking.values()):
        # A word that names the project's own code asks for nothing: in a test framework
        # "test" is the subject (gtest-test-part.h), and structlog's testing.py is code.
        code = frozenset().union(
            *(path_words(s.place.path) for s, kind in zip(scored, classes, strict=True) if not kind)
        )
        asking = {
            kind: {w for w in words if not any(word_match(w, c) for c in code)}
            for kind, words in asking.items()
        }
    for item, kind in zip(scored, classes, strict=True):
        if kind is not None and not asking[kind]:
            item.score *= factors.get(kind, 1.0)
