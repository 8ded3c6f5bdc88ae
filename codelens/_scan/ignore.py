"""Which paths of a repository are excluded, and by which rule.

Ignore rules, strongest first; as in git, the first source whose patterns
match a path decides, and a ``!pattern`` re-includes what weaker sources exclude:

1. ``ScanOptions.extra_excludes`` (gitignore syntax, relative to the root);
2. ``.codelensignore``, then ``.gitignore``, of the path's own folder, then of
   each parent folder up to the root (patterns relative to their folder);
3. the root's ``.git/info/exclude``;
4. the defaults: build output, caches, lock files, minified bundles. A
   ``.codelensignore`` holding ``!build/`` indexes a source folder named build.

``.git``, ``.hg`` and ``.svn`` are always skipped. Ignore files above the root
are not read.
"""

from __future__ import annotations

from typing import NamedTuple

from pathspec import GitIgnoreSpec

__all__ = ["IGNORE_FILES", "Rules", "ignore_rule", "rules_from_file", "rules_from_lines"]

IGNORE_FILES = (".codelensignore", ".gitignore")  # stronger first
_ALWAYS_SKIPPED = frozenset({".git", ".hg", ".svn"})
# fmt: off
_DEFAULT_DIRS = frozenset({
    ".venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tox", ".nox", "build", "dist", "target", ".next", ".cache", ".ipynb_checkpoints",
})
_DEFAULT_FILES = frozenset({
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Cargo.lock", "uv.lock",
    "Pipfile.lock", "composer.lock", "Gemfile.lock", "go.sum",
    "npm-shrinkwrap.json", "bun.lockb", "packages.lock.json",
})
# fmt: on
# .lock: flake.lock, mix.lock, pubspec.lock, Podfile.lock... generated, and text now indexed
_DEFAULT_FILE_SUFFIXES = (".min.js", ".min.css", ".bundle.js", ".map", ".lock")


class Rules(NamedTuple):
    spec: GitIgnoreSpec
    base: str  # folder of the rules relative to the root: "" or "a/b/"
    source: str  # shown in IgnoredPath.rule


def rules_from_file(path: str, base: str, source: str) -> tuple[Rules, ...]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ()
    return rules_from_lines(lines, base, source)


def rules_from_lines(
    lines: tuple[str, ...] | list[str], base: str, source: str
) -> tuple[Rules, ...]:
    spec = GitIgnoreSpec.from_lines(lines)
    return (Rules(spec, base, source),) if any(p.include is not None for p in spec.patterns) else ()


def ignore_rule(rel: str, name: str, is_dir: bool, rules: tuple[Rules, ...]) -> str | None:
    if name in _ALWAYS_SKIPPED:
        return f"default: {name}"
    probe = rel + "/" if is_dir else rel
    for spec, base, source in rules:
        result = spec.check_file(probe[len(base) :])
        if result.include is not None:
            assert result.index is not None
            return f"{source}: {spec.patterns[result.index].pattern!s}" if result.include else None
    if is_dir:
        if name in _DEFAULT_DIRS:
            return f"default: {name}/"
        return "default: *.egg-info/" if name.endswith(".egg-info") else None
    if name in _DEFAULT_FILES:
        return f"default: {name}"
    suffix = next((s for s in _DEFAULT_FILE_SUFFIXES if name.endswith(s)), None)
    return None if suffix is None else f"default: *{suffix}"
