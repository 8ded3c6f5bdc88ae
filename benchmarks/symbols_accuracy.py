"""How right codelens' callers and go-to are, against jedi, on real Python codebases.

    python benchmarks/symbols_accuracy.py             # attrs, rich, structlog; jinja2 held out
    python benchmarks/symbols_accuracy.py --functions 120 --sites 150 --installed "" PATH ...

Each codebase (a folder of Python code; by default the extracted attrs, rich and
structlog under /tmp/cl-eval/corpora, then each package named by ``--installed``, copied
from this environment) is indexed into a private CODELENS_HOME (stored only: symbols
need no vectors). The rules for calls codelens cannot follow were chosen on the first
three; the installed package (jinja2 by default) is held out, to show how they carry to
code they were not chosen on. Then, with a fixed seed:

- **callers**: ``--functions`` functions and methods chosen at random among the
  project's definitions. The reference is jedi's ``get_references`` at the definition's
  name (a fresh ``Script`` per question), kept where the name is called (the next
  character past it is ``(``) in a file of the codebase. codelens' answer is
  ``Project.callers`` of that very definition (rows whose target is it). A call codelens
  lists that ``get_references`` leaves out is asked again from the call site: right
  when jedi's ``goto`` there lands on the function (``get_references`` misses calls its
  own ``goto`` follows, such as ``parser.stream.expect()`` through ``self.stream =
  environment._tokenize(...)``). ``refs-prec`` is the precision by ``get_references``
  alone (how the name-only baseline's is counted: asking ``goto`` at its thousands of
  sites would take too long). Precision and recall are pooled over every call site of
  the sample; recall is against ``get_references``.
- **go-to**: ``--sites`` call sites chosen at random among the stored call references.
  The reference is jedi's ``goto(follow_imports=True)``; a site counts when jedi lands on
  a definition in the codebase. codelens is right when it resolves the site to exactly
  that definition.

Beside each, the **name-only baseline**: callers are every call of the same name;
go-to picks the definition of that name in the same file, else the same folder, else
the first by path (codelens' own fallback for unresolved names). The table prints per
codebase and pooled. The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import jedi

from codelens import Project, Settings, Workspace
from codelens._db.embedded import stop_server
from codelens._symbols.resolve import Resolver, by_name
from codelens._symbols.table import Def, SymbolTable, symbol_table

_DEFAULT = [Path("/tmp/cl-eval/corpora") / name for name in ("attrs", "rich", "structlog")]
Place = tuple[str, int, int]  # path, line, column (1-based)


@dataclass
class Tally:
    functions: int = 0
    truth: int = 0  # call sites jedi finds
    found: int = 0  # call sites codelens lists
    hits: int = 0
    found_sure: int = 0  # ... of which not name-only
    hits_sure: int = 0
    confirmed: int = 0  # listed, not in get_references, but jedi's goto at the site agrees
    confirmed_sure: int = 0
    base_found: int = 0
    base_hits: int = 0
    sites: int = 0
    goto_right: int = 0
    goto_name_only: int = 0
    base_goto_right: int = 0
    jedi_off: int = 0  # sites where jedi's answer is no definition (stub lines)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for name in vars(self):
            if name != "seconds":
                setattr(self, name, getattr(self, name) + getattr(other, name))


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def _jedi_project(root: Path) -> jedi.Project:
    extra = [str(root / "src")] if (root / "src").is_dir() else []
    return jedi.Project(str(root), added_sys_path=extra, smart_sys_path=True)


def _in_codebase(path: Path | None, root: Path, files: set[str]) -> str | None:
    """The codebase's relative path of a jedi result, also when jedi read an installed copy."""
    if path is None:
        return None
    text = str(path)
    try:
        rel = str(Path(text).resolve().relative_to(root.resolve()))
        return rel if rel in files else None
    except ValueError:
        pass
    if "site-packages/" in text:
        tail = text.split("site-packages/", 1)[1]
        for candidate in (tail, f"src/{tail}"):
            if candidate in files:
                return candidate
    return None


def _goto_lands_on(
    scripts: dict[str, jedi.Script],
    jp: jedi.Project,
    root: Path,
    files: set[str],
    site: Place,
    d: Def,
) -> bool:
    """Whether jedi's ``goto`` from the call site lands on ``d``: jedi's second answer,
    for the calls its ``get_references`` leaves out (it does not follow an attribute
    assigned from an annotated call, ``self.stream = env._tokenize(...)``; its ``goto``
    from the site does)."""
    path, line, column = site
    script = scripts.get(path)
    if script is None:
        script = scripts[path] = jedi.Script(path=str(root / path), project=jp)
    try:
        landed = script.goto(line, column - 1, follow_imports=True)
    except Exception:  # jedi gives up on some code: no second answer
        return False
    return any(
        g.line == d.line and _in_codebase(g.module_path, root, files) == d.path for g in landed
    )


def _is_call(lines: list[str], line: int, column: int, name: str) -> bool:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    rest = text[column - 1 + len(name) :].lstrip()
    return rest.startswith("(")


def _callers_truth(
    jp: jedi.Project, root: Path, d: Def, files: set[str], sources: dict[str, list[str]]
) -> set[Place]:
    script = jedi.Script(path=str(root / d.path), project=jp)
    found: set[Place] = set()
    for ref in script.get_references(d.line, d.column - 1, scope="project"):
        rel = _in_codebase(ref.module_path, root, files)
        if rel is None or ref.is_definition() or ref.line is None or ref.column is None:
            continue
        if _is_call(sources[rel], ref.line, ref.column + 1, d.name):
            found.add((rel, ref.line, ref.column + 1))
    return found


def _measure(root: Path, ws: Workspace, args: argparse.Namespace, rng: random.Random) -> Tally:
    tally = Tally()
    name = root.name.replace("_", "-")  # a project id: no underscores
    if ws.exists(name):
        ws.drop(name, force=True)
    project: Project = ws.create(name, embedder="local")
    started = time.perf_counter()
    project.index(root, progress=False, embed="later")
    tally.seconds["index"] = time.perf_counter() - started
    with project.connection() as conn:
        table: SymbolTable = symbol_table(project.handle, conn)
        calls = conn.execute(
            "SELECT file_id, path, line, col, name, qualifier, scope FROM symbol_refs"
            " WHERE kind = 'call' AND language = 'python' ORDER BY path, line, col"
        ).fetchall()
    files = {info.path for info in table.files.values()}
    sources = {
        path: (root / path).read_text(encoding="utf-8", errors="replace").split("\n")
        for path in files
        if path.endswith(".py")
    }
    jp = _jedi_project(root)
    calls_by_name: dict[str, list[Place]] = {}
    for _, path, line, col, ref_name, _, _ in calls:
        calls_by_name.setdefault(ref_name, []).append((path, line, col))

    # Callers of random functions and methods.
    functions = sorted(
        (d for d in table.by_id.values() if d.kind in ("function", "method") and d.path in sources),
        # By place, not row id: ids follow the order batches landed in, which varies.
        key=lambda d: (d.path, d.line, d.column, d.qualname),
    )
    sample = rng.sample(functions, min(args.functions, len(functions)))
    scripts: dict[str, jedi.Script] = {}
    started = time.perf_counter()
    for d in sample:
        truth = _callers_truth(jp, root, d, files, sources)
        full = f"{table.files[d.file_id].module}.{d.qualname}"
        rows = project.callers(full)
        ours = {
            (r.path, r.line, r.column): r.resolution
            for r in rows.itertuples()
            # By place and qualname, not line: overloads and a property's getter and
            # setter are one symbol, answered with the definition that runs.
            if r.target_path == d.path and r.symbol == d.qualname
        }
        baseline = set(calls_by_name.get(d.name, ()))
        tally.functions += 1
        tally.truth += len(truth)
        tally.found += len(ours)
        tally.hits += len(truth & set(ours))
        sure = {p for p, how in ours.items() if how != "name-only"}
        tally.found_sure += len(sure)
        tally.hits_sure += len(truth & sure)
        for site in set(ours) - truth:
            if _goto_lands_on(scripts, jp, root, files, site, d):
                tally.confirmed += 1
                tally.confirmed_sure += site in sure
        tally.base_found += len(baseline)
        tally.base_hits += len(truth & baseline)
        if args.verbose and (truth ^ set(ours)):
            print(
                f"  {full}: missed {sorted(truth - set(ours))[:3]}"
                f" extra {sorted((*p, ours[p]) for p in set(ours) - truth)[:3]}"
            )
    tally.seconds["callers"] = time.perf_counter() - started

    # Go-to from random call sites.
    resolver = Resolver(table)
    started = time.perf_counter()
    order = list(range(len(calls)))
    rng.shuffle(order)
    for i in order:
        if tally.sites >= args.sites:
            break
        file_id, path, line, col, ref_name, qualifier, scope = calls[i]
        if path not in sources:
            continue
        script = jedi.Script(path=str(root / path), project=jp)
        try:
            landed = script.goto(line, col - 1, follow_imports=True)
        except Exception:  # jedi gives up on some code; not a site to score
            continue
        places = {
            (rel, g.line)
            for g in landed
            if g.line is not None
            and g.type in ("function", "class")
            and (rel := _in_codebase(g.module_path, root, files)) is not None
        }
        if len(places) != 1:
            continue
        # jedi sometimes reports a stub's (.pyi) line with the module's path: a place with
        # no definition of that name is no reference to score against.
        (want_path, want_line), name_of = next(iter(places)), landed[0].name
        text = sources.get(want_path, [])
        if not (0 < want_line <= len(text)) or not re.search(
            rf"\b(def|class)\s+{re.escape(name_of)}\b", text[want_line - 1]
        ):
            tally.jedi_off += 1
            continue
        (want,) = places
        tally.sites += 1
        found = resolver.resolve(file_id, scope, qualifier, ref_name, "python", "call")
        if len(found.targets) == 1 and (found.targets[0].path, found.targets[0].line) == want:
            tally.goto_right += 1
        elif args.verbose:
            got = [(t.path, t.line) for t in found.targets][:3]
            print(
                f"  go-to {path}:{line}:{col} {qualifier}.{ref_name}: jedi {want}, {found.how} {got}"
            )
        if found.how == "name-only":
            tally.goto_name_only += 1
        candidates = by_name(table, ref_name, table.files.get(file_id), "python")
        if candidates and (candidates[0].path, candidates[0].line) == want:
            tally.base_goto_right += 1
    tally.seconds["goto"] = time.perf_counter() - started
    ws.drop(name, force=True)
    return tally


def _print(name: str, t: Tally) -> None:
    print(
        f"{name:<12} {t.functions:>5} {t.truth:>6}"
        f" {_ratio(t.hits + t.confirmed, t.found):>9} {_ratio(t.hits, t.truth):>7}"
        f" {_ratio(t.hits_sure + t.confirmed_sure, t.found_sure):>9}"
        f" {_ratio(t.hits_sure, t.truth):>7} {_ratio(t.hits, t.found):>9}"
        f" {_ratio(t.base_hits, t.base_found):>9} {_ratio(t.base_hits, t.truth):>7}"
        f" {t.sites:>6} {_ratio(t.goto_right, t.sites):>7} {_ratio(t.base_goto_right, t.sites):>9}"
    )


def _installed(name: str, into: Path) -> Path:
    """A copy of the installed package ``name`` as a codebase: ``into/name/name/...``."""
    module = importlib.import_module(name)
    source = Path(module.__file__ or "").parent
    root = into / name
    shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("codebases", nargs="*", type=Path, default=_DEFAULT)
    parser.add_argument("--functions", type=int, default=110, help="per codebase")
    parser.add_argument("--sites", type=int, default=150, help="call sites per codebase")
    parser.add_argument(
        "--installed",
        default="jinja2",
        help="comma-separated installed packages measured after the codebases (held out)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="print each disagreement")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="codelens-symbols-"))
    home.chmod(0o755)
    ws = Workspace(Settings(home=home))
    total = Tally()
    results = []
    corpora = home / "corpora"
    codebases = list(args.codebases)
    codebases += [_installed(n, corpora) for n in args.installed.split(",") if n.strip()]
    try:
        for root in codebases:
            tally = _measure(root, ws, args, rng)
            results.append((root.name, tally))
            total.add(tally)
            seconds = ", ".join(f"{k} {v:.0f} s" for k, v in tally.seconds.items())
            print(f"{root.name}: {seconds}")
    finally:
        ws.close()
        stop_server(home / "pgdata")
    print()
    print(
        f"{'codebase':<12} {'funcs':>5} {'calls':>6} {'precision':>9} {'recall':>7}"
        f" {'prec-sure':>9} {'rec-sure':>7} {'refs-prec':>9} {'base-prec':>9} {'base-rec':>7}"
        f" {'sites':>6} {'go-to':>7} {'base-goto':>9}"
    )
    for name, tally in results:
        _print(name, tally)
    _print("all", total)
    print(
        "\ncallers: precision/recall of codelens (all rows, then without name-only rows); a"
        " listed call is right when jedi's get_references lists it or jedi's goto from the"
        " call lands on the function; refs-prec: by get_references alone, as the name-only"
        " baseline's precision; go-to: share of sites resolved to jedi's definition."
        f"\n{total.jedi_off} sites left out where jedi's answer was no definition of the name"
        " (a stub's line under the module's path)."
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
