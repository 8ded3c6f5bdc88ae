"""Which definitions a call codelens cannot follow may mean, and the cheap types it follows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from codelens import Project

# Four files each define ``render`` in a class: ``thing.render()`` on a value of unknown
# type could mean any of them. ``update`` is also dict's: three classes defining it are
# too many to tell ``d.update()`` from a dict's; ``append_line`` is defined once.
SHAPES = {
    f"shapes/s{i}.py": f"class Shape{i}:\n    def render(self):\n        return {i}\n"
    for i in range(4)
}
STORES = {
    f"stores/st{i}.py": f"class Store{i}:\n    def update(self, **kw):\n        return kw\n"
    for i in range(3)
}
APP = {
    "app/__init__.py": "",
    "app/lines.py": """import threading


class Lines:
    def append_line(self, text):
        return text

    def update(self, **kw):
        return kw


class Worker(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)

    def go(self) -> None:
        self.start()


class Plain:
    def __init__(self) -> None:
        super().__init__()


class Options:
    def update(self, **kw) -> "Options":
        return self


class Console:
    @property
    def options(self) -> Options:
        return Options()

    def show(self, options: Options) -> None:
        self.options.update(width=1)
        options = options.update(height=2)
        options.update(width=3)


class Tracked:
    def __setstate__(self, state) -> None:
        self.__init__(**state)

    def __init__(self, **state) -> None:
        self.state = state


def wrap(cls):
    return cls


Tracked = wrap(Tracked)


def use(thing, lines, d, f):
    thing.render()
    lines.append_line("x")
    d.update(a=1)
    f.write("x")
""",
    "app/files.py": "class Sink:\n    def write(self, text):\n        return text\n",
}


def _index(project: Project, root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    project.index(root, progress=False, embed="later")


def _calls(project: Project, symbol: str) -> list[tuple[str, int, str]]:
    frame = project.callers(symbol)
    return [(r.path, r.line, r.resolution) for r in frame.itertuples(index=False)]


def test_calls_on_values_of_unknown_type_match_only_a_few_candidates(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {**SHAPES, **STORES, **APP})
    # Defined once: matched by name, and marked so.
    assert _calls(project, "Lines.append_line") == [("app/lines.py", 58, "name-only")]
    # Four files define render: no guess among them.
    for i in range(4):
        assert _calls(project, f"Shape{i}.render") == []
    # update is dict's too and four classes define it: d.update() is none of theirs.
    assert ("app/lines.py", 59, "name-only") not in _calls(project, "Lines.update")
    # write is a file's too, but one class of the project defines it: still a candidate.
    assert _calls(project, "Sink.write") == [("app/lines.py", 60, "name-only")]
    # The call leads out of the project as far as callees can tell.
    callees = project.callees("app.lines.use")
    assert ("thing.render", "external") in {(r.symbol, r.resolution) for r in callees.itertuples()}


def test_members_inherited_from_outside_the_project_are_no_project_calls(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {**SHAPES, **STORES, **APP})
    # super().__init__() of a class whose base is threading.Thread, or object: no
    # __init__ of the project, though several are defined in the same file.
    for symbol in ("Plain.__init__", "Tracked.__init__", "Worker.__init__"):
        assert all(line not in (14, 22) for _, line, _ in _calls(project, symbol))
    callees = project.callees("Worker.go")
    assert [(r.symbol, r.resolution) for r in callees.itertuples()] == [("self.start", "external")]


def test_properties_reassigned_parameters_and_wrapped_classes_keep_their_types(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {**SHAPES, **STORES, **APP})
    # self.options is a property returning Options; options = options.update(...) keeps
    # the parameter's type; each call resolves to Options.update, not by name.
    assert _calls(project, "Options.update") == [
        ("app/lines.py", 36, "self"),
        ("app/lines.py", 37, "scope"),
        ("app/lines.py", 38, "scope"),
    ]
    # Tracked = wrap(Tracked) after the class: its methods' self is still a Tracked.
    assert _calls(project, "Tracked.__init__") == [("app/lines.py", 43, "self")]


SHADOWS = """def helper():
    return 1


def plain():
    return helper()


def shadowed():
    def helper():
        return 2

    return helper()


class Box:
    def helper(self):
        return helper()
"""


def test_a_name_resolves_at_each_scope_of_a_file(project: Project, tmp_path: Path) -> None:
    _index(project, tmp_path / "repo", {"shadows.py": SHADOWS})
    # Calls of helper from three scopes of one file: the nested function shadows it in
    # one; a class body is no scope for its methods, so Box.helper's call is the module's.
    assert _calls(project, "shadows.helper") == [
        ("shadows.py", 6, "scope"),
        ("shadows.py", 18, "scope"),
    ]
    assert _calls(project, "shadowed.helper") == [("shadows.py", 13, "scope")]


def test_resolving_once_per_file_answers_as_resolving_each_place(project: Project) -> None:
    from codelens._symbols.resolve import Resolver
    from codelens._symbols.table import symbol_table

    # codelens' own code: a real project with nested functions, methods and imports.
    project.index(Path(__file__).parents[2] / "codelens", progress=False, embed="later")
    with project.connection() as conn:
        table = symbol_table(project.handle, conn)
        places = conn.execute(
            "SELECT DISTINCT file_id, scope, qualifier, name, language, kind FROM symbol_refs"
        ).fetchall()
    assert len(places) > 1000
    shared, fresh = Resolver(table), Resolver(table)
    for file_id, scope, qualifier, name, language, kind in places:
        got = shared.resolve(file_id, scope, qualifier, name, language, kind)
        want = fresh._resolve(file_id, scope, qualifier, name, language, kind == "import")
        assert got.how == want.how, (scope, qualifier, name)
        assert [d.id for d in got.targets] == [d.id for d in want.targets], (scope, name)


def test_answers_keep_their_column_types_with_rows_and_without(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {**SHAPES, **STORES, **APP})
    types = {"line": "int64", "column": "int64", "depth": "int64", "target_line": "Int64"}
    for frame in (project.callees("app.lines.use"), project.callers("no_such_name")):
        for column, dtype in types.items():
            assert str(frame[column].dtype) == dtype, column
        assert frame["target_path"].dtype == object
    calls = project.callees("app.lines.use")
    # A call out of the project: no target, as None (not NaN) and <NA>.
    out = calls[calls["resolution"] == "external"].iloc[0]
    assert out["target_path"] is None and out["target_line"] is pd.NA
    assert calls[calls["resolution"] == "name-only"]["target_path"].tolist() == [
        "app/lines.py",
        "app/files.py",
    ]


CYCLE = """def first():
    second()
    len([])


def second():
    third()


def third():
    first()
    second()
"""


def test_callers_and_callees_walk_each_definition_once_through_a_cycle(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {"cycle.py": CYCLE})
    down = project.callees("first", depth=4)
    assert [(r.depth, r.definition, r.symbol) for r in down.itertuples()] == [
        (1, "first", "second"),
        (1, "first", "len"),
        (2, "second", "third"),
        (3, "third", "first"),
        (3, "third", "second"),
    ]
    up = project.callers("first", depth=4)
    assert [(r.depth, r.definition, r.symbol) for r in up.itertuples()] == [
        (1, "third", "first"),
        (2, "second", "third"),
        (3, "first", "second"),
        (3, "third", "second"),
    ]
