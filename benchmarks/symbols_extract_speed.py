"""Symbol extraction alone: CPU time of this tree's ``codelens._chunk.tags`` against a
git revision's, on the same parses, with a check that both give identical symbols.

    python benchmarks/symbols_extract_speed.py                   # against main, 5 rounds
    python benchmarks/symbols_extract_speed.py --ref HEAD~1 --python 500 --rounds 5

The corpus: ``--python`` ``.py`` files of this interpreter's site-packages and
``--other`` files of each other language found on the machine (JavaScript, C headers)
or in the ``--dir`` folders (any language codelens reads with a grammar), parsed once. The old module is loaded from ``git show REF:codelens/_chunk/tags.py``.
Old and new run alternately, each round's order flipped, so that load falls on both;
the median and least CPU seconds of each language are printed with the load average before and
after. Any difference in the extracted symbols is printed and fails the run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import ModuleType

from codelens._chunk import tags
from codelens._chunk.grammars import AST_LANGUAGES, resolve_language
from codelens._chunk.tree import parse_tree

_ROOT = Path(__file__).resolve().parent.parent


def _old_module(ref: str) -> ModuleType:
    text = subprocess.run(
        ["git", "show", f"{ref}:codelens/_chunk/tags.py"],
        cwd=_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("codelens._chunk._tags_old", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(text, "tags_old.py", "exec"), module.__dict__)
    return module


def _files(n_python: int, n_other: int, dirs: list[Path]) -> list[tuple[str, str, Path]]:
    rng = random.Random(0)
    site = Path(sysconfig.get_paths()["purelib"])
    py = sorted(p for p in site.rglob("*.py") if "__pycache__" not in p.parts)
    rng.shuffle(py)
    out = [("python", str(p.relative_to(site)), p) for p in py[:n_python]]
    for language, folder, suffix in (
        ("javascript", Path("/root/.rustup"), ".js"),
        ("c", Path("/usr/include"), ".h"),
    ):
        found = sorted(p for p in folder.rglob(f"*{suffix}") if p.stat().st_size > 1000)
        rng.shuffle(found)
        out += [(language, str(p), p) for p in found[:n_other]]
    by_language: dict[str, list[Path]] = {}
    for folder in dirs:
        for p in sorted(folder.rglob("*")):
            language = resolve_language(str(p), None) if p.is_file() else None
            if language in AST_LANGUAGES and language != "python":
                by_language.setdefault(language, []).append(p)
    for language, found in sorted(by_language.items()):
        rng.shuffle(found)
        out += [(language, str(p), p) for p in found[:n_other]]
    return out


def _extract(module: ModuleType, parsed: list[tuple[str, str, object, bytes]]) -> list[object]:
    return [module.extract_symbols(path, lang, root, data) for lang, path, root, data in parsed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main")
    parser.add_argument("--python", type=int, default=400)
    parser.add_argument("--other", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, action="append", default=[], help="more sources")
    args = parser.parse_args()
    old = _old_module(args.ref)
    parsed = []
    for lang, path, p in _files(args.python, args.other, args.dir):
        data = p.read_bytes()
        parsed.append((lang, path, parse_tree(lang, data), data))
    by_language: dict[str, list[tuple[str, str, object, bytes]]] = {}
    for item in parsed:
        by_language.setdefault(item[0], []).append(item)
    differ = 0
    for lang, items in by_language.items():
        for item, a, b in zip(items, _extract(old, items), _extract(tags, items), strict=True):
            if repr(a) != repr(b):
                differ += 1
                print(f"DIFFERS: {lang} {item[1]}")
    print(f"load before: {os.getloadavg()}")
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):
        order = [("old", old), ("new", tags)]
        if r % 2:
            order.reverse()
        for lang, items in by_language.items():
            for label, module in order:
                start = time.process_time()
                _extract(module, items)
                times.setdefault((lang, label), []).append(time.process_time() - start)
    print(f"load after: {os.getloadavg()}")
    for lang, items in by_language.items():
        a, b = times[(lang, "old")], times[(lang, "new")]
        print(
            f"{lang:11} {len(items):4} files  median/min CPU s  {args.ref}: "
            f"{statistics.median(a):.3f}/{min(a):.3f}  this tree: "
            f"{statistics.median(b):.3f}/{min(b):.3f}"
            f"  ({(1 - statistics.median(b) / statistics.median(a)) * 100:+.0f}% less)"
        )
    if differ:
        sys.exit(f"{differ} files extract differently")
    print("identical symbols on every file")


if __name__ == "__main__":
    main()
