"""How each front end drops one repository of a project, as the messages that suggest it say."""

from __future__ import annotations

__all__ = ["drop_hint"]


def drop_hint(project_id: str, name: str) -> str:
    """The notebook's, the terminal's and the library's way to drop repository ``name``."""
    drop = f"drop {project_id} --repo {name}"
    return f"`%codelens {drop}`, `codelens {drop} --yes` or Project.drop_repository({name!r})"
