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
        want = fresh._resolve(file_id, scope, qualifier, name, language, kind)
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


TYPED = """import typing as t


class Writer:
    def write(self, text):
        return text

    def setdefault(self, key, value):
        return value


class Generator:
    def __init__(
        self,
        stream: t.Optional[t.TextIO] = None,
        out: "Writer" = None,
        anything: t.Any = None,
        label: str = "",
    ) -> None:
        self.stream = stream
        self.label = label
        self.out = out
        self.anything = anything

    def emit(self, f: t.IO[str], names: t.List[str], raw: dict, *rest, **extra: t.Any) -> None:
        self.stream.write("a")
        f.write("b")
        self.out.write("c")
        self.anything.write("d")
        names.append("e")
        raw.update(x=1)
        extra.setdefault("f", 1)
        rest.index("g")

    def relabel(self, other) -> None:
        other.label()
"""


def test_attributes_and_parameters_typed_with_classes_from_outside_call_none_of_the_projects(
    project: Project, tmp_path: Path
) -> None:
    labels = "class Labels:\n    def label(self):\n        return 1\n"
    _index(project, tmp_path / "repo", {"gen.py": TYPED, "labels.py": labels})
    lines = TYPED.split("\n")
    at = {text.strip(): i + 1 for i, text in enumerate(lines)}
    # A TextIO held by an attribute, an IO parameter: a file's write, not Writer's. An
    # attribute assigned a parameter typed Writer: Writer.write, resolved through self.
    # typing.Any says nothing: still a candidate by name, and marked so.
    assert _calls(project, "Writer.write") == [
        ("gen.py", at['self.out.write("c")'], "self"),
        ("gen.py", at['self.anything.write("d")'], "name-only"),
    ]
    # A call of other.label() means a method called label, not the attribute of that name
    # next to it (a str).
    assert _calls(project, "Labels.label") == [("gen.py", at["other.label()"], "name-only")]
    # **extra is a dict, whatever its annotation says of its values.
    assert _calls(project, "Writer.setdefault") == []
    callees = {(r.symbol, r.resolution) for r in project.callees("Generator.emit").itertuples()}
    assert {
        ("names.append", "external"),
        ("raw.update", "external"),
        ("extra.setdefault", "external"),
        ("rest.index", "external"),
    } <= callees


NODES = """class Node:
    def as_const(self):
        return None


class Expr(Node):
    def as_const(self):
        return 1


class Dict(Expr):
    def as_const(self):
        return {}


class Tuple(Expr):
    def as_const(self):
        return ()


class Other:
    def as_const(self):
        return 2


def fold(items):
    return [item.as_const() for item in items]
"""


def test_a_call_of_unknown_type_means_the_method_its_overrides_override(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {"nodes.py": NODES})
    call = ("nodes.py", 27, "name-only")
    # item.as_const(): Node.as_const or any override of it may run; the call names the
    # method at the top of the family (as a declared type would), and Other's, which
    # belongs to no family: never the overrides of Expr, Dict and Tuple.
    assert _calls(project, "Node.as_const") == [call]
    assert _calls(project, "Other.as_const") == [call]
    for override in ("Expr.as_const", "Dict.as_const", "Tuple.as_const"):
        assert _calls(project, override) == []


SIBLINGS = (
    "".join(
        f"class Statement{i}:\n    def defined_names(self):\n        return {i}\n\n\n"
        for i in range(4)
    )
    + "def names_of(node):\n    return node.defined_names()\n"
)


def test_a_call_of_unknown_type_means_nothing_when_many_classes_of_one_file_could_be_meant(
    project: Project, tmp_path: Path
) -> None:
    _index(project, tmp_path / "repo", {"statements.py": SIBLINGS})
    # Four unrelated classes of one file define it: as many guesses as with four files.
    for i in range(4):
        assert _calls(project, f"Statement{i}.defined_names") == []
    callees = project.callees("names_of")
    assert [(r.symbol, r.resolution) for r in callees.itertuples()] == [
        ("node.defined_names", "external")
    ]
