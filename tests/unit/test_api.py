"""The public surface: exactly the names we mean to export, each documented."""

from __future__ import annotations

import inspect

import codelens
import codelens.errors

EXPECTED = {
    # projects
    "Workspace",
    "Settings",
    "Project",
    "workspace",
    "create_project",
    "project",
    "projects",
    "use",
    "current_project",
    "drop_project",
    # index, search, analysis
    "index",
    "IndexReport",
    "DryRunReport",
    "DroppedRepository",
    "IndexProgress",
    "ScanOptions",
    "languages",
    "Embedder",
    "get_embedder",
    "search",
    "SearchResults",
    "evaluate",
    "analyze",
    "Analysis",
    # symbols
    "definitions",
    "references",
    "callers",
    "callees",
    "imports",
    # notebook
    "ui",
    "index_ui",
    "load_ipython_extension",
    "unload_ipython_extension",
    # errors (the rest live in codelens.errors)
    "CodelensError",
}


def test_exported_names_are_the_intended_ones() -> None:
    assert set(codelens.__all__) == EXPECTED
    assert len(codelens.__all__) == len(EXPECTED)
    for name in codelens.__all__:
        assert hasattr(codelens, name), name


def test_exports_are_documented_and_named_from_the_package_itself() -> None:
    for name in codelens.__all__:
        obj = getattr(codelens, name)
        assert inspect.getdoc(obj), f"{name} has no docstring"
        # where it lives inside the package is private: reprs and pickles say codelens.X
        assert obj.__module__ == "codelens", name
        assert getattr(codelens, obj.__qualname__) is obj, name


def test_every_error_derives_from_codelens_error_and_renders_one_line() -> None:
    for name in codelens.errors.__all__:
        cls = getattr(codelens.errors, name)
        assert issubclass(cls, codelens.CodelensError)
        error = cls("something is wrong: do this")
        assert error._render_traceback_() == [f"{name}: something is wrong: do this"]
        assert name in (codelens.errors.__doc__ or "")


def test_the_package_is_typed() -> None:
    from importlib.resources import files

    assert files("codelens").joinpath("py.typed").is_file()
