"""C++ headers named .h are read as C++: their classes are definitions a search finds.

Against the real server, tree-sitter's C and C++ grammars and the bundled static model.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from codelens import Project, Workspace
from codelens._scan.walk import ScanOptions

POOL_H = """// A pool of connections.
#ifndef NET_POOL_H_
#define NET_POOL_H_

#include <deque>

namespace net {

// Keeps idle connections for reuse.
class ConnectionPool {
 public:
  Conn* acquire(int timeout);
  void release(Conn* c);

 private:
  std::deque<Conn*> idle_;
};

}  // namespace net
#endif
"""

POOL_CC = """#include "pool.h"

namespace net {

Conn* ConnectionPool::acquire(int timeout) { return idle_.front(); }

void ConnectionPool::release(Conn* c) { idle_.push_back(c); }

}  // namespace net
"""

BUFFER_H = """#ifndef BUFFER_H
#define BUFFER_H
#ifdef __cplusplus
extern "C" {
#endif

typedef struct buffer { char *data; int size; } buffer_t;

buffer_t *buffer_new(int size);

#ifdef __cplusplus
}
#endif
#endif
"""


@pytest.fixture
def project(workspace: Workspace) -> Iterator[Project]:
    name = f"t-cpph-{uuid.uuid4().hex[:12]}"
    created = workspace.create(name, embedder="static")
    yield created
    if workspace.exists(name):
        workspace.drop(name, force=True)


def _repo(root: Path) -> Path:
    (root / "include").mkdir(parents=True)
    (root / "include" / "pool.h").write_text(POOL_H)
    (root / "include" / "buffer.h").write_text(BUFFER_H)
    (root / "src").mkdir()
    (root / "src" / "pool.cc").write_text(POOL_CC)
    return root


def _languages(project: Project) -> dict[str, str]:
    with project.connection() as conn:
        return dict(conn.execute("SELECT path, language FROM files").fetchall())


def _definitions(project: Project, path: str) -> set[tuple[str, str]]:
    with project.connection() as conn:
        rows = conn.execute("SELECT symbol, kind FROM chunks WHERE path = %s", [path])
        return {(str(s), str(k)) for s, k in rows}


def test_a_header_with_cpp_in_it_is_cut_as_cpp_and_its_class_is_found(
    project: Project, tmp_path: Path
) -> None:
    project.index(_repo(tmp_path / "repo"), progress=False)
    assert _languages(project) == {
        "include/pool.h": "cpp",
        "include/buffer.h": "c",
        "src/pool.cc": "cpp",
    }
    assert ("net.ConnectionPool", "class") in _definitions(project, "include/pool.h")
    assert {("buffer_t", "struct"), ("buffer_new", "declaration")} <= _definitions(
        project, "include/buffer.h"
    )
    found = project.search("ConnectionPool", limit=3)
    assert (found["path"].iloc[0], found["symbol"].iloc[0]) == (
        "include/pool.h",
        "net.ConnectionPool",
    )


def test_a_header_stored_as_c_by_an_earlier_version_is_cut_again_as_cpp(
    project: Project, tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    project.index(repo, progress=False)
    with project.connection() as conn, conn.transaction():
        # As a version that read every .h as C stored it.
        conn.execute("UPDATE files SET language = 'c' WHERE path = 'include/pool.h'")
        conn.execute("DELETE FROM chunks WHERE path = 'include/pool.h'")
    report = project.index(repo, progress=False)
    assert (report.files_indexed, report.files_unchanged) == (1, 2)
    assert _languages(project)["include/pool.h"] == "cpp"
    assert ("net.ConnectionPool", "class") in _definitions(project, "include/pool.h")
    # Once stored as it reads now, it is unchanged.
    report = project.index(repo, progress=False)
    assert (report.files_indexed, report.files_unchanged) == (0, 3)


def test_a_cpp_only_selection_keeps_the_cpp_headers_and_leaves_the_c_ones(
    project: Project, tmp_path: Path
) -> None:
    only_cpp = ScanOptions(languages=frozenset({"cpp"}))
    project.index(_repo(tmp_path / "repo"), progress=False, scan_options=only_cpp)
    with project.connection() as conn:
        indexed = {r[0] for r in conn.execute("SELECT path FROM files WHERE status = 'indexed'")}
    assert indexed == {"include/pool.h", "src/pool.cc"}
