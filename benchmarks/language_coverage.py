"""Does each language chunked by syntax index a real codebase with no file left unsupported?

One pinned, real codebase per language added with its grammar (C#, PHP, Kotlin, Scala,
Swift, Lua, shell, Elixir, Haskell, Zig) is fetched with the registry's own client (see
eval_corpora.py: pip, npm, apt-get download) or, for the languages no registry here
carries, taken from a local git clone at a pinned commit (``--git owner/name=GIT_DIR``).
Each is stored without embedding (``embed="later"``) into a project of its own under a
temporary CODELENS_HOME, and the script prints per language:

- source files (the language's extensions, or no extension and a shebang) and how many
  of them were skipped as ``unsupported`` (must be 0) or for another reason;
- chunks, the share of them that are definitions (a symbol), and chunks per file;
- the other files of the folder skipped as unsupported (build files, images...);
- seconds to store.

    python benchmarks/language_coverage.py /tmp/cl-langs \\
        --git elixir-mint/mint=/path/to/mint.git --git mitchellh/libxev=... \\
        --git com-lihaoyi/os-lib=...

A corpus whose clone is not given is skipped with a line saying so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import eval_corpora
from eval_corpora import Corpus

from codelens import Settings, Workspace
from codelens._db.embedded import stop_server


@dataclass(frozen=True)
class Source:
    corpus: Corpus  # registry "git": package is owner/name, version the commit
    extensions: tuple[str, ...]  # of the language's source files, without the dot


CORPORA: tuple[Source, ...] = (
    Source(
        Corpus(
            "csharp",
            "csharp",
            "npm",
            "react-native-windows",
            "0.76.0",
            "package/Microsoft.ReactNative.Managed",
        ),
        ("cs",),
    ),
    Source(
        Corpus("php", "php", "apt", "php-twig", "3.5.1-1+deb12u3", "usr/share/php/Twig"),
        ("php",),
    ),
    Source(
        Corpus("kotlin", "kotlin", "npm", "expo-modules-core", "58.2.1", "package/android"),
        ("kt", "kts"),
    ),
    Source(
        Corpus(
            "scala",
            "scala",
            "git",
            "com-lihaoyi/os-lib",
            "e237000cbd4d97a4c4463df43d64556130d2bc50",
            "os",
        ),
        ("scala", "sc"),
    ),
    Source(
        Corpus("swift", "swift", "npm", "expo-modules-core", "58.2.1", "package/ios"),
        ("swift",),
    ),
    Source(
        Corpus("lua", "lua", "apt", "lua-penlight", "1.13.1-3", "usr/share/lua/5.1/pl"),
        ("lua",),
    ),
    Source(
        Corpus("shell", "shell", "apt", "dracut-core", "059-4", "usr/lib/dracut"),
        ("sh", "bash"),
    ),
    Source(
        Corpus(
            "elixir",
            "elixir",
            "git",
            "elixir-mint/mint",
            "7719dd2be2fd9ba84292c0f2f5eec79ecc1d5efa",
            "",
        ),
        ("ex", "exs"),
    ),
    Source(
        Corpus(
            "haskell",
            "haskell",
            "apt",
            "libhugs-base-bundled",
            "98.200609.21-6+b1",
            "usr/lib/hugs/packages/base",
        ),
        ("hs", "lhs"),
    ),
    Source(
        Corpus(
            "zig",
            "zig",
            "git",
            "mitchellh/libxev",
            "a82a04eabb46b0611c72d6d0e32db2d9dcf2e745",
            "",
        ),
        ("zig",),
    ),
)
BY_NAME = {s.corpus.name: s for s in CORPORA}


def fetch_git(corpus: Corpus, git_dir: Path, target: Path) -> Path:
    """``corpus.inner`` of the pinned commit of a local clone, as ``target``
    (assembled beside it and renamed, like eval_corpora.fetch_corpus)."""
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    if partial.exists():
        shutil.rmtree(partial)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"corpus-{corpus.name}-") as tmp:
        archive = Path(tmp) / "tree.tar"
        cmd = ["git", f"--git-dir={git_dir}", "archive", "--format=tar", "-o", str(archive)]
        subprocess.run([*cmd, corpus.version], check=True)
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter=_data_only)
        shutil.move(str(unpacked / corpus.inner if corpus.inner else unpacked), str(partial))
    partial.rename(target)
    return target


def _data_only(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """Like tarfile's "data" filter, but a link out of the tree (test fixtures have some) is
    left out rather than failing the whole extraction."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def is_source(path: Path, extensions: tuple[str, ...]) -> bool:
    if "." in path.name[1:]:
        return path.name.rsplit(".", 1)[1].lower() in extensions
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(2) == b"#!"


def _where(corpus: Corpus) -> str:
    pin = f"{corpus.package}@{corpus.version}" if corpus.registry == "git" else corpus.pin
    return f"{corpus.registry}:{pin}" + (f" {corpus.inner}" if corpus.inner else "")


def measure(ws: Workspace, source: Source, root: Path) -> dict[str, object]:
    corpus = source.corpus
    project = ws.project(f"lang-{corpus.name}")
    started = time.perf_counter()
    project.index(root, name=corpus.name, progress=False, embed="later")
    seconds = time.perf_counter() - started
    with project.connection() as conn:
        files = conn.execute("SELECT path, status, skip_reason FROM files").fetchall()
        chunks = conn.execute(
            "SELECT c.path, count(*), count(*) FILTER (WHERE c.symbol <> '')"
            " FROM chunks c GROUP BY c.path"
        ).fetchall()
    sources = {p for p, _, _ in files if is_source(root / p, source.extensions)}
    per_file = {p: (n, named) for p, n, named in chunks if p in sources}
    total = sum(n for n, _ in per_file.values())
    named = sum(k for _, k in per_file.values())
    return {
        "language": corpus.language,
        "corpus": _where(corpus),
        "files": len(sources),
        "indexed": sum(1 for p, st, _ in files if p in sources and st == "indexed"),
        "unsupported": sum(1 for p, _, r in files if p in sources and r == "unsupported"),
        "other_skips": sum(
            1 for p, st, r in files if p in sources and st != "indexed" and r != "unsupported"
        ),
        "chunks": total,
        "definitions": named / total if total else 0.0,
        "per_file": total / len(per_file) if per_file else 0.0,
        "unsupported_other": sum(1 for p, _, r in files if p not in sources and r == "unsupported"),
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="corpora go to FOLDER/<language>")
    parser.add_argument("--language", action="append", choices=sorted(BY_NAME), help="only these")
    parser.add_argument(
        "--git",
        action="append",
        default=[],
        metavar="OWNER/NAME=GIT_DIR",
        help="a local clone holding the pinned commit of a git corpus",
    )
    parser.add_argument("--home", type=Path, help="CODELENS_HOME (default: a temporary one)")
    args = parser.parse_args(argv)
    clones = dict(item.split("=", 1) for item in args.git)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cl-langs-") as tmp:
        home = args.home or Path(tmp) / "home"
        ws = Workspace(Settings(home=home))
        try:
            for name in args.language or [s.corpus.name for s in CORPORA]:
                source = BY_NAME[name]
                corpus, target = source.corpus, args.folder / name
                if corpus.registry == "git":
                    clone = clones.get(corpus.package)
                    if clone is None and not target.exists():
                        print(f"{name}: skipped, pass --git {corpus.package}=GIT_DIR")
                        continue
                    root = fetch_git(corpus, Path(clone or "."), target)
                else:
                    root = eval_corpora.fetch_corpus(corpus, target)
                rows.append(measure(ws, source, root))
        finally:
            stop_server(home / "pgdata")
    header = (
        f"{'language':<9} {'files':>5} {'indexed':>7} {'unsupp.':>7} {'other':>5} "
        f"{'chunks':>6} {'defs':>5} {'ch/file':>7} {'other unsupp.':>13} {'s':>5}  corpus"
    )
    print(header)
    for r in rows:
        print(
            f"{r['language']:<9} {r['files']:>5} {r['indexed']:>7} {r['unsupported']:>7} "
            f"{r['other_skips']:>5} {r['chunks']:>6} {r['definitions']:>5.0%} "
            f"{r['per_file']:>7.1f} {r['unsupported_other']:>13} {r['seconds']:>5.1f}  "
            f"{r['corpus']}"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if any(r["unsupported"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
