"""The codebases behind benchmarks/eval_files.csv, fetched reproducibly from package registries.

The file-level questions in eval_files.csv name files by their path inside one corpus, so the
corpus must be byte-for-byte the tree the questions were written against: every corpus here
is one exact, pinned release of a package, taken from a registry that this machine, the
developers' machines and CI all reach (PyPI, npm, Debian's apt), never from a live
repository whose tip moves.

Each archive is unpacked so that paths start at the package's own root: the ``name-version/``
folder of an sdist and the ``package/`` folder of an npm tarball are stripped, and of a Debian
package only the folder holding the source is kept (``/usr/share/gocode/src/<module>`` for Go,
``/usr/share/cargo/registry/<crate>-<version>`` for Rust). The rest of a Debian package
(copyright notes, changelogs) is not part of the codebase a user would search.

    python3 benchmarks/eval_corpora.py /tmp/cl-eval-corpora            # fetch all, print file counts
    python3 benchmarks/eval_corpora.py /tmp/cl-eval-corpora --check    # and check eval_files.csv
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

QUESTIONS = Path(__file__).with_name("eval_files.csv")


@dataclass(frozen=True)
class Corpus:
    """One pinned release of a package and where its source sits inside the archive.

    ``inner`` is the folder inside the unpacked archive that becomes the corpus root: the
    sdist's or npm's single top folder, or the source folder inside a Debian package.
    """

    name: str
    language: str
    registry: str  # "pypi", "npm" or "apt"
    package: str
    version: str
    inner: str

    @property
    def pin(self) -> str:
        """The requirement as the registry's client spells it."""
        sep = {"pypi": "==", "npm": "@", "apt": "="}[self.registry]
        return f"{self.package}{sep}{self.version}"


CORPORA: tuple[Corpus, ...] = (
    Corpus("attrs", "python", "pypi", "attrs", "24.2.0", "attrs-24.2.0"),
    Corpus("rich", "python", "pypi", "rich", "13.9.4", "rich-13.9.4"),
    Corpus("structlog", "python", "pypi", "structlog", "24.4.0", "structlog-24.4.0"),
    Corpus("semver", "javascript", "npm", "semver", "7.6.3", "package"),
    Corpus(
        "testify",
        "go",
        "apt",
        "golang-github-stretchr-testify-dev",
        "1.8.1-1",
        "usr/share/gocode/src/github.com/stretchr/testify",
    ),
    Corpus(
        "itertools",
        "rust",
        "apt",
        "librust-itertools-dev",
        "0.10.3-1",
        "usr/share/cargo/registry/itertools-0.10.3",
    ),
    # Languages that are not chunked by syntax yet (Lua, PHP, shell, Swift, Kotlin): their questions
    # were written from reading the code, before any tuning for these languages.
    Corpus("penlight", "lua", "apt", "lua-penlight", "1.13.1-3", "usr/share/lua/5.1/pl"),
    Corpus(
        "commonmark",
        "php",
        "apt",
        "php-league-commonmark",
        "2.3.9-1+deb12u1",
        "usr/share/php/League/CommonMark",
    ),
    Corpus("rbenv", "shell", "apt", "rbenv", "1.1.2-1", "usr/lib/rbenv"),
    Corpus("capacitor-ios", "swift", "npm", "@capacitor/ios", "6.2.1", "package"),
    # The npm package also ships iOS, C++ and TypeScript code: only the Android sources.
    Corpus(
        "rnscreens",
        "kotlin",
        "npm",
        "react-native-screens",
        "3.35.0",
        "package/android/src/main/java/com/swmansion/rnscreens",
    ),
    # C++ whose headers are named .h, as in most C++ codebases: written before C++ headers
    # were told apart from C ones.
    Corpus(
        "googletest",
        "cpp",
        "apt",
        "googletest",
        "1.12.1-0.2",
        "usr/src/googletest/googletest",
    ),
    # Ruby: a gem's lib folder (Debian's gem folder of Thor), cut by syntax.
    Corpus(
        "thor",
        "ruby",
        "apt",
        "ruby-thor",
        "1.2.1-2",
        "usr/share/rubygems-integration/all/gems/thor-1.2.1",
    ),
    # C: headers and sources of one library (only the sdist's c/ folder), cut by syntax; its
    # -inc.h templates are included several times under different macros.
    Corpus("brotli", "c", "pypi", "Brotli", "1.1.0", "Brotli-1.1.0/c"),
    # TypeScript: a library's sources and tests (the npm package's src/ folder), cut by syntax.
    Corpus("querycore", "typescript", "npm", "@tanstack/query-core", "5.59.0", "package/src"),
    # Go: a module's packages and tests (Debian's source package of go-cmp), cut by syntax.
    Corpus(
        "gocmp",
        "go",
        "apt",
        "golang-github-google-go-cmp-dev",
        "0.5.9-1",
        "usr/share/gocode/src/github.com/google/go-cmp",
    ),
    # Rust: a second crate (a hash map that keeps insertion order), its modules, tests and
    # benches cut by syntax; its questions were written before any tuning on it.
    Corpus(
        "indexmap",
        "rust",
        "apt",
        "librust-indexmap-dev",
        "1.9.2-1",
        "usr/share/cargo/registry/indexmap-1.9.2",
    ),
)

BY_NAME: dict[str, Corpus] = {c.name: c for c in CORPORA}


def _download(corpus: Corpus, into: Path) -> Path:
    """Download the one archive of ``corpus`` into ``into`` with the registry's own client.

    The ordinary clients are used (not raw HTTP) so that the mirrors, proxies and credentials
    that this machine is set up with apply, exactly as for installing the project itself.
    """
    if corpus.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        cmd += ["--no-binary", ":all:", "--dest", str(into), corpus.pin]
        subprocess.run(cmd, check=True)
    elif corpus.registry == "npm":
        cmd = ["npm", "pack", "--silent", "--pack-destination", str(into), corpus.pin]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    elif corpus.registry == "apt":
        # apt drops to its own user to write; the private temp folders must let it in.
        into.parent.chmod(0o755)
        into.chmod(0o777)
        subprocess.run(["apt-get", "download", "-q", corpus.pin], check=True, cwd=into)
    else:
        raise ValueError(f"unknown registry {corpus.registry!r} for {corpus.name}")
    files = [p for p in into.iterdir() if p.is_file()]
    if len(files) != 1:
        raise RuntimeError(f"{corpus.name}: expected one archive, got {files}")
    return files[0]


def _unpack(corpus: Corpus, archive: Path, into: Path) -> Path:
    """Unpack ``archive`` under ``into`` and return the folder that becomes the corpus root."""
    if corpus.registry == "apt":
        subprocess.run(["dpkg-deb", "-x", str(archive), str(into)], check=True)
    else:
        with tarfile.open(archive) as tar:
            # "data" refuses absolute paths, links out of the tree and device files.
            tar.extractall(into, filter="data")
    root = into / corpus.inner
    if not root.is_dir():
        raise RuntimeError(f"{corpus.name}: {corpus.inner} not found in {archive.name}")
    return root


def fetch(name: str, target: Path) -> Path:
    """Fetch corpus ``name`` so that ``target`` is its root, and return ``target``."""
    return fetch_corpus(BY_NAME[name], target)


def fetch_corpus(corpus: Corpus, target: Path) -> Path:
    """Fetch ``corpus`` so that ``target`` is its root, and return ``target``.

    An existing ``target`` is returned as it is: it was only ever created by the final
    rename below, so it is complete. The tree is assembled in ``target.with_suffix(".partial")``
    and renamed at the end, so an interrupted fetch leaves no half-written ``target``.
    """
    name = corpus.name
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    if partial.exists():
        shutil.rmtree(partial)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"corpus-{name}-") as tmp:
        download = Path(tmp) / "download"
        download.mkdir()
        archive = _download(corpus, download)
        root = _unpack(corpus, archive, Path(tmp) / "unpacked")
        shutil.move(str(root), str(partial))
    partial.rename(target)
    return target


def file_count(root: Path) -> int:
    """The number of regular files under ``root``: a quick check that a fetch is whole."""
    return sum(1 for p in root.rglob("*") if p.is_file())


def missing_paths(name: str, root: Path, questions: Path = QUESTIONS) -> list[str]:
    """The ``relevant`` and ``secondary`` paths of corpus ``name``'s questions that are not
    files under ``root``, each as ``line N: path``: a question naming a file that the pinned
    release lacks can never be answered, and would silently drag the corpus's scores down."""
    missing = []
    with questions.open(newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if row["corpus"] != name:
                continue
            for path in f"{row['relevant']};{row['secondary']}".split(";"):
                if path and not (root / path).is_file():
                    missing.append(f"line {reader.line_num}: {path}")
    return missing


def main(argv: list[str] | None = None) -> int:
    """Fetch every corpus (or those named) under a folder and print each one's file count;
    with ``--check``, also every path of eval_files.csv that the corpus lacks (exit 1)."""
    parser = argparse.ArgumentParser(description="Fetch the evaluation corpora.")
    parser.add_argument("folder", type=Path, help="each corpus goes to FOLDER/<name>")
    parser.add_argument("--corpus", action="append", choices=sorted(BY_NAME), help="only these")
    parser.add_argument(
        "--check", action="store_true", help="check that eval_files.csv names only real files"
    )
    args = parser.parse_args(argv)
    failed = False
    for name in args.corpus or [c.name for c in CORPORA]:
        corpus = BY_NAME[name]
        root = fetch(name, args.folder / name)
        print(
            f"{name:<13} {corpus.language:<11} {corpus.registry:<5} {corpus.pin:<42} "
            f"{file_count(root):>5} files  {root}"
        )
        if args.check:
            for missing in missing_paths(name, root):
                print(f"  {QUESTIONS.name} {missing}: no such file in {name}", file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
