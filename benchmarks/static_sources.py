"""What the static model may learn from: installed PyPI packages, minus the never-use lists.

One place for the lists, read by benchmarks/train_static.py (which writes the manifest of
what it used) and by tests/unit/test_static_sources.py (which checks the manifest against
them). A package whose name, or any folder of whose files, matches a never-use name is left
out whole or in part, so a vendored copy (``pip/_vendor/rich``) is left out too.
"""

from __future__ import annotations

import csv
import re
import sysconfig
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# The evaluation's codebases: benchmarks/evaluate.py's corpora and eval_corpora.CORPORA.
EVALUATION = frozenset(
    {
        "attrs",
        "rich",
        "structlog",
        "jinja2",
        "click",
        "packaging",
        "tqdm",
        "semver",
        "testify",
        "itertools",
        "stdlib",
    }
)

# Held out by the ranking issue: checked after landing, so never trained on.
HELD_OUT = frozenset(
    {
        "abseil-cpp",
        "aeson",
        "aiohttp",
        "alamofire",
        "axios",
        "axum",
        "bash-it",
        "bats-core",
        "cats",
        "chi",
        "circe",
        "cobra",
        "commons-lang",
        "curl",
        "dapper",
        "ecto",
        "exposed",
        "express",
        "fastapi",
        "flask",
        "fmtlib",
        "gin",
        "gson",
        "guzzle",
        "http4s",
        "httpx",
        "jackson-databind",
        "kotlinx-coroutines",
        "ktor",
        "laravel",
        "lazy.nvim",
        "libuv",
        "MessagePack-CSharp",
        "mini.nvim",
        "model2vec",
        "monolog",
        "Newtonsoft.Json",
        "nlohmann-json",
        "nvm",
        "pandoc",
        "phoenix",
        "plug",
        "pydantic",
        "pydantic_core",
        "rack",
        "rails",
        "redis",
        "redux",
        "requests",
        "serde",
        "sinatra",
        "SnapKit",
        "starlette",
        "telescope.nvim",
        "tokio",
        "trpc",
        "vapor",
        "vitest",
        "xmonad",
        "zig",
        "zig-clap",
        "zls",
        "zod",
    }
)

# Forks and renamed copies of held-out code installed here (httpx2 and httpcore2 are
# httpx's), and vendoring folders, whose contents may be any of the above.
ALSO_EXCLUDED = frozenset(
    {"httpx2", "httpcore", "httpcore2", "_vendor", "vendor", "vendored", "_vendored", "codelens"}
)

_SUFFIXES = re.compile(r"[-_.](py|js|rs|go|core)$")


def normalise(name: str) -> str:
    """A package or folder name as the lists compare it: lower case, ``-``/``.`` as ``_``."""
    return re.sub(r"[-.]", "_", name.lower())


def never_use() -> frozenset[str]:
    """Every name that must not be trained on, normalised, eval CSV corpora included."""
    names = set(EVALUATION | HELD_OUT | ALSO_EXCLUDED)
    for csv_name in ("eval_queries.csv", "eval_files.csv"):
        with (HERE / csv_name).open() as f:
            names.update(row["corpus"] for row in csv.DictReader(f))
    out = {normalise(n) for n in names}
    out |= {normalise(_SUFFIXES.sub("", n)) for n in names}
    return frozenset(out)


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"]).resolve()


def allowed_path(relative: str) -> bool:
    """Whether a file (relative to site-packages) may be trained on: no folder or module of
    its path is a never-use name."""
    banned = never_use()
    parts = Path(relative).parts
    stems = [*parts[:-1], Path(parts[-1]).stem] if parts else []
    return not any(normalise(p) in banned for p in stems)


# The packages trained on (top-level import folders in the venv's site-packages), chosen
# once: code of many kinds (numerics, web, notebooks, tooling, ML), every one outside the
# never-use lists. train_static.py samples at most --files-per-package files of each.
TRAINING_PACKAGES = (
    "transformers",
    "torch",
    "sympy",
    "pandas",
    "scipy",
    "sklearn",
    "networkx",
    "onnx",
    "numpy",
    "pip",
    "fontTools",
    "pygments",
    "onnxruntime",
    "matplotlib",
    "debugpy",
    "setuptools",
    "sentence_transformers",
    "mypy",
    "huggingface_hub",
    "IPython",
    "narwhals",
    "prompt_toolkit",
    "mypyc",
    "mcp",
    "pyarrow",
    "playwright",
    "hypothesis",
    "PIL",
    "jupyter_server",
    "mpmath",
    "jedi",
    "psycopg",
    "_pytest",
    "cryptography",
    "tornado",
    "nbconvert",
    "joblib",
    "filelock",
    "zmq",
    "markdown_it",
    "torchgen",
    "ipywidgets",
    "fsspec",
    "wcwidth",
    "jupyter_lsp",
    "uvicorn",
    "anyio",
    "ipykernel",
    "jupyterlab",
    "coverage",
    "bleach",
    "importlinter",
    "pgvector",
    "nbformat",
    "mistune",
    "duckdb",
    "jupyter_client",
    "jsonschema",
    "urllib3",
    "lark",
    "typer",
    "websocket",
    "pathspec",
    "prometheus_client",
    "greenlet",
    "babel",
    "traitlets",
)


def _other_sources() -> tuple[Any, ...]:
    from eval_corpora import Corpus

    def apt(name: str, language: str, package: str, version: str) -> Any:
        # The whole /usr tree of the package: Debian keeps each language's sources under
        # its own folder (gocode, cargo/registry, rubygems-integration, php, lua).
        return Corpus(name, language, "apt", package, version, "usr")

    def npm(name: str, language: str, version: str) -> Any:
        return Corpus(name, language, "npm", name, version, "package")

    def sdist(name: str, language: str, version: str) -> Any:
        return Corpus(name, language, "pypi", name, version, f"{name}-{version}")

    return (
        apt("pflag", "go", "golang-github-spf13-pflag-dev", "1.0.6~git20210604-d5e0c0615ace-1"),
        apt("logrus", "go", "golang-github-sirupsen-logrus-dev", "1.9.0-1"),
        apt("gorilla-mux", "go", "golang-github-gorilla-mux-dev", "1.8.0-1"),
        apt("toml-go", "go", "golang-github-burntsushi-toml-dev", "1.2.0-2"),
        apt("urfave-cli", "go", "golang-github-urfave-cli-dev", "1.22.9-2"),
        apt("fsnotify", "go", "golang-github-fsnotify-fsnotify-dev", "1.6.0-2"),
        apt("prometheus-client", "go", "golang-github-prometheus-client-golang-dev", "1.14.0-3"),
        apt("yaml-v3", "go", "golang-gopkg-yaml.v3-dev", "3.0.1-3"),
        apt("gorilla-websocket", "go", "golang-github-gorilla-websocket-dev", "1.5.0-2"),
        apt("regex", "rust", "librust-regex-dev", "1.7.1-1"),
        apt("rand", "rust", "librust-rand-dev", "0.8.5-1"),
        apt("log-rs", "rust", "librust-log-dev", "0.4.17-3"),
        apt("anyhow", "rust", "librust-anyhow-dev", "1.0.69-1"),
        apt("bytes", "rust", "librust-bytes-dev", "1.2.1-1"),
        apt("smallvec", "rust", "librust-smallvec-dev", "1.9.0-1"),
        apt("chrono", "rust", "librust-chrono-dev", "0.4.23-2"),
        apt("url-rs", "rust", "librust-url-dev", "2.3.1-1"),
        apt("nom", "rust", "librust-nom-dev", "7.1.1-1"),
        apt("walkdir", "rust", "librust-walkdir-dev", "2.3.2-1"),
        apt("crossbeam-channel", "rust", "librust-crossbeam-channel-dev", "0.5.6-1"),
        apt("i18n", "ruby", "ruby-i18n", "1.10.0-2"),
        apt("faraday", "ruby", "ruby-faraday", "1.1.0-7"),
        apt("addressable", "ruby", "ruby-addressable", "2.8.1-1"),
        apt("tzinfo", "ruby", "ruby-tzinfo", "2.0.5-1"),
        apt("net-ssh", "ruby", "ruby-net-ssh", "1:7.0.1-1"),
        apt("rspec-core", "ruby", "ruby-rspec-core", "3.12.0c0e1m1s0-1"),
        apt("symfony-console", "php", "php-symfony-console", "5.4.53+dfsg-0+deb12u1"),
        apt("twig", "php", "php-twig", "3.5.1-1+deb12u3"),
        apt("fast-route", "php", "php-nikic-fast-route", "1.3.0-4"),
        apt("symfony-yaml", "php", "php-symfony-yaml", "5.4.53+dfsg-0+deb12u1"),
        apt("doctrine-inflector", "php", "php-doctrine-inflector", "2.0.6-1"),
        apt("busted", "lua", "lua-busted", "2.1.1-1"),
        apt("luassert", "lua", "lua-luassert", "1.9.0-1"),
        apt("argparse-lua", "lua", "lua-argparse", "0.7.1-2"),
        npm("rxjs", "typescript", "7.8.2"),
        npm("mobx", "typescript", "6.13.7"),
        npm("immer", "typescript", "10.1.1"),
        npm("ajv", "typescript", "8.17.1"),
        npm("commander", "javascript", "12.1.0"),
        npm("lodash", "javascript", "4.17.21"),
        npm("moment", "javascript", "2.30.1"),
        npm("ws", "javascript", "8.18.0"),
        npm("fastify", "javascript", "4.28.1"),
        npm("react-native-gesture-handler", "kotlin", "2.20.2"),
        sdist("lz4", "c", "4.3.3"),
        sdist("zstandard", "c", "0.23.0"),
        sdist("pybind11", "cpp", "2.13.6"),
    )


# Code in the other languages codelens cuts, for the static model: pinned releases from
# the registries this machine reaches (Debian's apt, npm, the sdists of C and C++
# libraries on PyPI), each unpacked whole; train_static.py keeps the files codelens cuts
# by syntax, minus tests and never-use folders.
OTHER_SOURCES = _other_sources()
