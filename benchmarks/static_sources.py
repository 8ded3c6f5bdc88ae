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
