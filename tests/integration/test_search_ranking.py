"""Hybrid search's ranking rules and files as results, end to end on a real project."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from codelens import Project, Workspace
from codelens.errors import SearchError
from tests.search_helpers import Chunk, load

POOL = '''class ConnectionPool:
    """Keeps open connections to a server and hands them out again."""

    def __init__(self, size):
        self.size = size
        self.free = []
'''
ACQUIRE = """    def acquire(self):
        if self.free:
            return self.free.pop()
        return self.connect()
"""
RELEASE = """    def release(self, conn):
        if len(self.free) < self.size:
            self.free.append(conn)
"""
TEST = """def test_connection_pool_reuses_a_released_connection():
    pool = ConnectionPool(size=2)
    conn = pool.acquire()
    pool.release(conn)
    assert pool.acquire() is conn
"""
CLIENT = """def send(request, pool: ConnectionPool):
    conn = pool.acquire()
    try:
        return conn.request(request)
    finally:
        pool.release(conn)
"""
DOCS = """# Connection pooling

The ConnectionPool keeps connections open and reuses a released connection
for the next request, up to its size.
"""
DISCOVERY = """def scan_entry_points(group):
    return [ep.load() for ep in entry_points(group=group)]
"""


@pytest.fixture(scope="module")
def pooled(workspace: Workspace) -> Iterator[Project]:
    project = workspace.create(f"ranking-{uuid.uuid4().hex[:8]}")
    load(
        project,
        [
            Chunk("src/client.py", "send", CLIENT),
            Chunk("tests/test_pool.py", "test_connection_pool_reuses_a_released_connection", TEST),
            Chunk("docs/pooling.md", "Connection pooling", DOCS, "markdown", "section"),
            Chunk("src/pool.py", "ConnectionPool", POOL, kind="class", start_line=1),
            Chunk("src/pool.py", "ConnectionPool.acquire", ACQUIRE, kind="method", start_line=8),
            Chunk("src/pool.py", "ConnectionPool.release", RELEASE, kind="method", start_line=13),
            Chunk("src/plugins/discovery.py", "scan_entry_points", DISCOVERY),
        ],
    )
    yield project
    workspace.drop(project.id, force=True)


def test_the_named_definition_comes_first_above_its_callers_tests_and_docs(
    pooled: Project,
) -> None:
    top = pooled.search("ConnectionPool", limit=3)
    assert (top.loc[0, "path"], top.loc[0, "symbol"]) == ("src/pool.py", "ConnectionPool")


def test_code_comes_before_its_tests_and_docs_unless_they_are_asked_for(pooled: Project) -> None:
    question = "reuse a released connection for the next request"
    paths = list(pooled.search(question, limit=7)["path"])
    assert paths[0].startswith("src/")
    assert paths.index("tests/test_pool.py") > paths.index("src/pool.py")
    assert paths.index("docs/pooling.md") > paths.index("src/pool.py")
    tests = pooled.search("tests that a released connection is reused", limit=3)
    assert tests.loc[0, "path"] == "tests/test_pool.py"
    docs = pooled.search("documentation of connection reuse", limit=3)
    assert docs.loc[0, "path"] == "docs/pooling.md"
    # Single modes keep their own order: the rules are hybrid search's.
    lexical = pooled.search("ConnectionPool", mode="lexical", limit=7)
    assert set(lexical["path"]) >= {"docs/pooling.md", "tests/test_pool.py"}


def test_a_path_filter_that_chooses_tests_ranks_them_as_they_match(pooled: Project) -> None:
    found = pooled.search("released connection", path="tests", limit=3)
    assert list(found["path"]) == ["tests/test_pool.py"]


def test_a_files_name_and_folder_answer_a_question_in_plain_words(pooled: Project) -> None:
    found = pooled.search("how are plugins discovered", limit=3)
    assert found.loc[0, "path"] == "src/plugins/discovery.py"


def test_files_as_results_list_each_file_once_with_its_definitions(pooled: Project) -> None:
    files = pooled.search("acquire and release pooled connections", by="file", limit=3)
    assert files.attrs["by"] == "file"
    assert list(files["rank"]) == [1, 2, 3]
    assert files["path"].is_unique
    assert files.loc[0, "path"] == "src/pool.py"
    names = [symbol for symbol, _, _ in files.loc[0, "definitions"]]
    assert names[0] == files.loc[0, "symbol"]
    assert set(names) <= {"ConnectionPool", "ConnectionPool.acquire", "ConnectionPool.release"}
    assert len(names) >= 2
    assert files.loc[0, "file_results"] == len(names)
    assert "more in this file" in repr(files)
    per_definition = pooled.search("acquire and release pooled connections", limit=10)
    assert "definitions" not in per_definition.columns
    assert len(per_definition) > per_definition["path"].nunique()


def test_an_unknown_grouping_is_refused_with_the_choices(pooled: Project) -> None:
    with pytest.raises(SearchError, match=r"by='folder'.*definition, file"):
        pooled.search("pool", by="folder")
